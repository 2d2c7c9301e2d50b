//! The domain: what every other layer speaks of — dates, the CAMEO taxonomy, text and its
//! folding, the actor dictionary, the canonical event record (and its Arrow form), documents.
//! It depends on nothing in the crate but [`crate::error`].

pub mod actors;
pub mod columnar;
pub mod date;
pub mod document;
pub mod event;
pub mod taxonomy;
pub mod text;
