//! detente-core: the diplomacy model. It holds every rule — the CAMEO taxonomy, the actor
//! dictionary, the event store and its aggregates, the text coder and the relation analytics —
//! and knows nothing of gRPC or Python; `detente-server` and `detente-py` only adapt it.

pub mod actors;
pub mod columnar;
pub mod date;
pub mod error;
pub mod event;
pub mod taxonomy;
pub mod text;

pub use actors::{Dictionary, NameKind, Resolution};
pub use date::{Date, DatePrecision};
pub use error::{Error, ErrorKind, Location, Result};
pub use event::{Event, Origin, Place};
pub use taxonomy::{QuadScheme, taxonomy};
pub mod aggregates;
#[cfg(feature = "mimalloc")]
pub mod alloc;
pub mod coder;
pub mod document;
pub mod export;
pub mod import;
pub mod model;
pub mod paging;
pub mod records;
pub mod relations;
pub mod store;
pub mod syntax;
pub mod tables;
#[cfg(test)]
mod testing;
pub use document::Document;
pub use model::{
    ActorPage, ActorQuery, AddActorsReport, AddOptions, AddReport, Changes, DocumentEntry, DocumentOutcome,
    DocumentQuery, DocumentStatus, EventPage, EventQuery, IngestOptions, IngestReport, Model, ModelOptions,
    NetworkPage,
};
