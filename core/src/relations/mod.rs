//! Relations: what the events between actors add up to. Dyad series with a smoothed relation
//! score, shifts (thaws and freezes) with the events that explain them, the mediators of a
//! dyad, and the network of relations with blocs, centrality and balance. Every number can list
//! the events behind it through the store's dyad index.

pub mod columns;
pub mod mediators;
pub mod network;
pub mod series;
pub mod shifts;
pub mod tables;

pub use mediators::{Mediator, mediators};
pub use network::{Edge, Network, Node, network};
pub use series::{DEFAULT_HALF_LIFE_DAYS, Freq, Series, SeriesOptions, SeriesPoint, series};
pub use shifts::{Evidence, Shift, ShiftOptions, shifts};
pub use tables::{entries_to_batch, mediators_to_batch, shifts_to_batch};

#[cfg(test)]
mod merge_tests;
#[cfg(test)]
mod tests;
