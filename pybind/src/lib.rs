//! Python bindings of detente-core, imported as `detente`. A thin adapter: converts types, maps
//! errors to the Python exception hierarchy, calls one core function per operation.

use detente_core::{Date, Dictionary, Error as CoreError, ErrorKind};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Maps a core error to the exception classes defined in `detente/_errors.py`, by kind.
fn to_pyerr(py: Python<'_>, e: CoreError) -> PyErr {
    let class = match e.kind() {
        ErrorKind::InvalidInput => "InvalidInputError",
        ErrorKind::NotFound => "UnknownActorError",
        ErrorKind::Conflict => "ConflictError",
        ErrorKind::FailedPrecondition => "StoreLockedError",
        ErrorKind::Unavailable => "UnavailableError",
        ErrorKind::Internal => "DetenteError",
    };
    let message = e.to_string();
    match py.import("detente._errors").and_then(|m| m.getattr(class)) {
        Ok(cls) => match cls.call1((message.clone(),)) {
            Ok(inst) => PyErr::from_value(inst),
            Err(err) => err,
        },
        Err(err) => err,
    }
}

fn parse_date(py: Python<'_>, s: Option<&str>) -> PyResult<Option<Date>> {
    s.map(Date::parse).transpose().map_err(|e| to_pyerr(py, e))
}

/// Resolve a name (country, capital, demonym, organisation, person) or actor code to the actor
/// code that held on `date` (YYYY-MM-DD; the current office when omitted). Returns a dict.
#[pyfunction]
#[pyo3(signature = (name, date=None))]
fn resolve<'py>(py: Python<'py>, name: &str, date: Option<&str>) -> PyResult<Bound<'py, PyDict>> {
    let date = parse_date(py, date)?;
    let r = Dictionary::builtin().resolve(name, date).map_err(|e| to_pyerr(py, e))?;
    let d = PyDict::new(py);
    d.set_item("code", r.code)?;
    d.set_item("country", r.country)?;
    d.set_item("kind", r.kind.as_str())?;
    d.set_item("name", r.name)?;
    d.set_item("office", r.office)?;
    d.set_item("from", r.from.map(|x| x.to_string()))?;
    d.set_item("until", r.until.map(|x| x.to_string()))?;
    Ok(d)
}

#[pymodule]
fn _detente(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(resolve, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
