//! detente-core: the diplomacy model. It holds every rule — the CAMEO taxonomy, the actor
//! dictionary, the event store and its aggregates, the text coder and the relation analytics —
//! and knows nothing of gRPC or Python; `detente-server` and `detente-py` only adapt it.
//!
//! # Layers
//!
//! The modules form layers, lowest first; a module may use its own layer and those below it,
//! never one above (`scripts/check_layers.py`, run by the test command, checks every `crate::`
//! path):
//!
//! 0. [`error`], [`paging`] (page tokens), `alloc`: used everywhere;
//! 1. [`domain`]: dates, taxonomy, text, actors, the event record and its Arrow form, documents;
//! 2. [`syntax`]: sentences, tags, lemmas and dependency trees;
//! 3. [`coder`]: text to events (uses syntax);
//! 4. [`aggregates`]: per-day sums by dyad and code, mergeable (uses only the domain); and
//!    [`negotiation`]: scenarios of positions, salience and capability, and the models over them;
//! 5. [`store`]: the event store, its files, checks and repairs (keeps the aggregates);
//! 6. [`relations`]: series, shifts, mediators, networks over a store or aggregates;
//! 7. [`io`]: imports and exports between stores and files or Arrow tables;
//! 8. [`model`]: [`Model`], the one façade the adapters call, tying all of them together.
//!
//! Adapters (`server`, `pybind`) convert types and call [`Model`]; the option and report types
//! they pass and get are re-exported here.

#[cfg(feature = "mimalloc")]
pub mod alloc;
pub mod error;
pub mod paging;

pub mod domain;

pub mod syntax;

pub mod coder;

pub mod aggregates;
pub mod negotiation;

pub(crate) mod store;

pub mod relations;

pub mod io;

pub mod model;

#[cfg(test)]
mod testing;

pub use domain::actors::{Dictionary, NameKind, Resolution};
pub use domain::date::{Date, DatePrecision};
pub use domain::document::Document;
pub use domain::event::{Event, Origin, Place};
pub use domain::taxonomy::{QuadScheme, taxonomy};
pub use error::{Error, ErrorKind, Location, Result};
pub use model::{
    ActorPage, ActorQuery, AddActorsReport, AddOptions, AddReport, Changes, DocumentEntry, DocumentOutcome,
    DocumentQuery, DocumentStatus, EventPage, EventQuery, IngestOptions, IngestReport, Model, ModelOptions,
    NetworkPage,
};
pub use store::EventFilter;
/// Checks and repairs of a store directory (`detente store check|repair`).
pub use store::repair;
