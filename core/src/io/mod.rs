//! Data in and out: the coded-event datasets (GDELT, ICEWS, POLECAT) imported into a store,
//! events and series exported as Parquet or CSV, canonical records read from JSON Lines or CSV,
//! Arrow tables other tools made read as events or documents, and partitioned Parquet datasets
//! for Spark, Dask, DuckDB and polars.

pub mod dataset;
pub mod export;
pub mod import;
pub mod records;
pub mod tables;
