//! Data in and out: the coded-event datasets (GDELT, ICEWS, POLECAT) imported into a store,
//! events and series exported as Parquet or CSV, canonical records read from JSON Lines or CSV,
//! and Arrow tables other tools made read as events or documents.

pub mod export;
pub mod import;
pub mod records;
pub mod tables;
