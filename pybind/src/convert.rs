//! Conversions between Python and the core: errors to exceptions, keyword arguments to the
//! core's queries and options, rows to dicts, events to pyarrow tables.

use arrow_array::RecordBatch;
use detente_core::relations::{Freq, SeriesOptions};
use detente_core::{Date, Error as CoreError, ErrorKind, EventQuery, Origin};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use pyo3_arrow::PyTable;

/// Maps a core error to the exception classes of `detente/_errors.py`, by kind.
pub(crate) fn to_pyerr(e: CoreError) -> PyErr {
    let class = match (&e, e.kind()) {
        (CoreError::UnknownActor { .. }, _) => "UnknownActorError",
        (_, ErrorKind::InvalidInput) => "InvalidInputError",
        (_, ErrorKind::NotFound) => "NotFoundError",
        (_, ErrorKind::Conflict) => "ConflictError",
        (_, ErrorKind::FailedPrecondition) => "StoreLockedError",
        (_, ErrorKind::Unavailable) => "UnavailableError",
        (_, ErrorKind::Corrupt) => "CorruptStoreError",
        (_, ErrorKind::Internal) => "DetenteError",
    };
    let field = e.field().map(str::to_string);
    let message = e.to_string();
    Python::attach(|py| {
        let made = py.import("detente._errors").and_then(|m| m.getattr(class)).and_then(|cls| {
            let inst = cls.call1((message.clone(),))?;
            inst.setattr("field", field)?;
            inst.setattr("reason", e.reason())?;
            Ok(inst)
        });
        match made {
            Ok(inst) => PyErr::from_value(inst),
            Err(err) => err,
        }
    })
}

/// A network for Python: (nodes table, edges table, modularity, closed triads, balanced share).
pub(crate) type NetworkParts = (Py<PyAny>, Py<PyAny>, f64, usize, f64);

/// Changes write by write: (revision, added events, removed events), tables as pyarrow.
pub(crate) type ChangeRows = Vec<(u64, Py<PyAny>, Py<PyAny>)>;

/// The event filters of the façade's listings, deletes, watches and exports, as one dict
/// (`_filters` in `model.py` builds it with every key but `ids`; a key left out is unset).
#[derive(FromPyObject, Default)]
#[pyo3(from_item_all)]
pub(crate) struct Filters {
    #[pyo3(default)]
    dyad: Option<(String, String)>,
    #[pyo3(default)]
    actor: Option<String>,
    directed: bool,
    exact: bool,
    #[pyo3(default)]
    codes: Vec<String>,
    #[pyo3(default)]
    roots: Vec<String>,
    #[pyo3(default)]
    quads: Vec<u8>,
    #[pyo3(default)]
    start: Option<String>,
    #[pyo3(default)]
    end: Option<String>,
    #[pyo3(default)]
    topic: Option<String>,
    #[pyo3(default)]
    origin: Option<String>,
    #[pyo3(default)]
    ids: Vec<String>,
    #[pyo3(default)]
    doc_id: Option<String>,
}

impl Filters {
    /// The filters as a core query.
    pub(crate) fn query(self) -> PyResult<EventQuery> {
        Ok(EventQuery {
            dyad: self.dyad,
            actor: self.actor,
            directed: self.directed,
            exact: self.exact,
            codes: self.codes,
            roots: self.roots,
            quads: self.quads,
            start: date(self.start.as_deref(), "start")?,
            end: date(self.end.as_deref(), "end")?,
            topic: self.topic,
            origin: self.origin.as_deref().map(Origin::parse).transpose().map_err(to_pyerr)?,
            ids: self.ids,
            doc_id: self.doc_id,
            ..Default::default()
        })
    }
}

pub(crate) fn date(s: Option<&str>, field: &str) -> PyResult<Option<Date>> {
    Date::parse_field(s.unwrap_or(""), field).map_err(to_pyerr)
}

/// One record batch from whatever Arrow table Python handed over.
pub(crate) fn one_batch(table: PyTable) -> PyResult<RecordBatch> {
    let (batches, schema) = table.into_inner();
    arrow_select::concat::concat_batches(&schema, &batches)
        .map_err(|e| to_pyerr(CoreError::Internal(format!("arrow: {e}"))))
}

/// A core row (a JSON object) as a Python dict.
pub(crate) fn row_dict<'py>(py: Python<'py>, row: &serde_json::Value) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    if let serde_json::Value::Object(map) = row {
        for (k, v) in map {
            d.set_item(k, py_value(py, v)?)?;
        }
    }
    Ok(d)
}

/// A JSON value as the Python object it reads as.
pub(crate) fn py_value<'py>(py: Python<'py>, v: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    use serde_json::Value;
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => s.into_pyobject(py)?.into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(py_value(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(_) => row_dict(py, v)?.into_any(),
    })
}

/// A record batch as a pyarrow.Table.
pub(crate) fn to_pyarrow(py: Python<'_>, batch: RecordBatch) -> PyResult<Py<PyAny>> {
    let schema = batch.schema();
    Ok(PyTable::try_new(vec![batch], schema)?.into_pyarrow(py)?.unbind())
}

pub(crate) fn events_table(py: Python<'_>, events: &[detente_core::Event]) -> PyResult<Py<PyAny>> {
    let batch = if events.is_empty() {
        RecordBatch::new_empty(detente_core::domain::columnar::event_schema())
    } else {
        detente_core::domain::columnar::events_to_batch(events).map_err(to_pyerr)?
    };
    to_pyarrow(py, batch)
}

pub(crate) fn parse_freq(freq: &str) -> PyResult<Freq> {
    Freq::parse(freq).map_err(to_pyerr)
}

/// Series options from keyword arguments.
pub(crate) fn series_options(
    freq: &str,
    start: Option<&str>,
    end: Option<&str>,
    directed: bool,
    exact: bool,
    drop_low_info: bool,
    half_life_days: Option<f64>,
    weight_mentions: bool,
    normalize: bool,
    collapse: bool,
) -> PyResult<SeriesOptions> {
    let defaults = SeriesOptions::default();
    Ok(SeriesOptions {
        freq: parse_freq(freq)?,
        start: date(start, "start")?,
        end: date(end, "end")?,
        directed,
        exact,
        drop_low_info,
        half_life_days: half_life_days.unwrap_or(defaults.half_life_days),
        weight_mentions,
        collapse,
        normalize,
    })
}

/// A dictionary entry a user gives.
pub(crate) fn user_entry(
    code: String,
    kind: &str,
    names: Vec<String>,
    start: Option<&str>,
    until: Option<&str>,
    office: Option<String>,
) -> PyResult<detente_core::domain::actors::Entry> {
    let kind = detente_core::domain::actors::NameKind::from_name(kind).map_err(to_pyerr)?;
    Ok(detente_core::domain::actors::Entry {
        from: date(start, "from")?,
        until: date(until, "until")?,
        office,
        ..detente_core::domain::actors::Entry::user(code, kind, names)
    })
}

pub(crate) fn resolution_dict<'py>(py: Python<'py>, r: &detente_core::Resolution) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("code", &r.code)?;
    d.set_item("country", &r.country)?;
    d.set_item("kind", r.kind.as_str())?;
    d.set_item("name", &r.name)?;
    d.set_item("office", &r.office)?;
    d.set_item("from", r.from.map(|x| x.to_string()))?;
    d.set_item("until", r.until.map(|x| x.to_string()))?;
    d.set_item("origin", &r.origin)?;
    Ok(d)
}

/// An import's report as a dict: `files` (one row each) and `bad_rows` (file, line, message).
pub(crate) fn import_report_dict<'py>(
    py: Python<'py>,
    r: &detente_core::io::import::ImportReport,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let files = PyList::empty(py);
    for f in &r.files {
        files.append(row_dict(py, &detente_core::model::rows::import_file_row(f))?)?;
    }
    d.set_item("files", files)?;
    let bad = PyList::empty(py);
    for b in &r.bad_rows {
        bad.append((b.file.as_str(), b.line, b.message.as_str()))?;
    }
    d.set_item("bad_rows", bad)?;
    Ok(d)
}

/// Shift options from keyword arguments (unset ones at their defaults).
pub(crate) fn shift_options(
    penalty: Option<f64>,
    min_size: Option<usize>,
    weighted: bool,
    top_events: Option<usize>,
) -> detente_core::relations::ShiftOptions {
    let d = detente_core::relations::ShiftOptions::default();
    detente_core::relations::ShiftOptions {
        penalty,
        min_size: min_size.unwrap_or(d.min_size),
        weighted,
        top_events: top_events.unwrap_or(d.top_events),
        ..d
    }
}

/// A network as the binding returns it: (nodes, edges, modularity, triads, balanced share).
pub(crate) fn network_parts(py: Python<'_>, net: &detente_core::relations::Network) -> PyResult<NetworkParts> {
    let nodes = to_pyarrow(py, net.nodes_batch().map_err(to_pyerr)?)?;
    let edges = to_pyarrow(py, net.edges_batch().map_err(to_pyerr)?)?;
    Ok((nodes, edges, net.modularity, net.triads, net.balanced_share))
}
