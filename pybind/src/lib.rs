//! Python bindings of detente-core, imported as `detente._detente` and wrapped by the pure-Python
//! façade in `python/detente/`. A thin adapter: it converts types (Arrow tables cross through the
//! Arrow PyCapsule interface), maps errors to the exception hierarchy, releases the GIL around
//! core work and calls one core function per operation.

// Python methods take their keyword arguments one by one, as Python callers pass them.
#![allow(clippy::too_many_arguments)]

mod convert;
mod functions;
mod model;
mod negotiation;

use pyo3::prelude::*;

// mimalloc, as the `detente` binary: see `detente_core::alloc` for why.
#[global_allocator]
static ALLOCATOR: detente_core::alloc::Allocator = detente_core::alloc::Allocator;

#[pymodule]
fn _detente(m: &Bound<'_, PyModule>) -> PyResult<()> {
    detente_core::alloc::keep_freed_memory();
    m.add_function(wrap_pyfunction!(functions::export_table, m)?)?;
    m.add_function(wrap_pyfunction!(functions::spark_ddl, m)?)?;
    m.add_function(wrap_pyfunction!(functions::table_columns, m)?)?;
    m.add_class::<model::PyModel>()?;
    // The core's defaults, for the façade to record what a call used.
    m.add("DEFAULT_HALF_LIFE_DAYS", detente_core::relations::DEFAULT_HALF_LIFE_DAYS)?;
    m.add_class::<functions::PyAggregateSet>()?;
    m.add_function(wrap_pyfunction!(functions::code_batch, m)?)?;
    m.add_function(wrap_pyfunction!(functions::read_files, m)?)?;
    m.add_function(wrap_pyfunction!(functions::resolve, m)?)?;
    m.add_function(wrap_pyfunction!(functions::parse, m)?)?;
    m.add_function(wrap_pyfunction!(functions::columns, m)?)?;
    for f in [
        wrap_pyfunction!(negotiation::read_scenario, m)?,
        wrap_pyfunction!(negotiation::example_scenario, m)?,
        wrap_pyfunction!(negotiation::check_scenario, m)?,
        wrap_pyfunction!(negotiation::write_decide, m)?,
        wrap_pyfunction!(negotiation::baselines, m)?,
        wrap_pyfunction!(negotiation::run_eum, m)?,
        wrap_pyfunction!(negotiation::eum_perspective, m)?,
        wrap_pyfunction!(negotiation::run_exchange, m)?,
        wrap_pyfunction!(negotiation::monte_carlo, m)?,
    ] {
        m.add_function(f)?;
    }
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
