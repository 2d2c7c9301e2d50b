//! The module's functions (coding a batch for Spark or Dask, resolving, parsing, exporting a
//! table, column meanings) and `AggregateSet`, the mergeable sums workers hand back.

use crate::convert::{
    NetworkParts, date, events_table, import_report_dict, network_parts, one_batch, resolution_dict, series_options,
    shift_options, to_pyarrow, to_pyerr,
};
use detente_core::aggregates::AggregateSet;
use detente_core::relations;
use detente_core::{Error as CoreError, Model, ModelOptions};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_arrow::PyTable;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

/// In-memory models for `code_batch`, one per (actor files, lexicon files): workers build the
/// coder once and reuse it for every partition.
pub(crate) fn batch_model(actors: Vec<PathBuf>, lexicon: Vec<PathBuf>) -> Result<Model, CoreError> {
    /// Models by (actor files, lexicon files).
    type Models = HashMap<(Vec<PathBuf>, Vec<PathBuf>), Model>;
    static MODELS: OnceLock<Mutex<Models>> = OnceLock::new();
    let key = (actors, lexicon);
    let cache = MODELS.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(m) = cache.lock().map_err(|_| CoreError::Internal("model cache poisoned".into()))?.get(&key) {
        return Ok(m.clone());
    }
    let m = Model::in_memory(&ModelOptions {
        actor_files: key.0.clone(),
        read_only: false,
        existing: false,
        lexicon_files: key.1.clone(),
        one_off: false,
    })?;
    cache.lock().map_err(|_| CoreError::Internal("model cache poisoned".into()))?.insert(key, m.clone());
    Ok(m)
}

/// Codes a table of documents into a table of events: a pure function of its input (and the
/// dictionary and lexicon files), for Spark's mapInArrow or Dask's map_partitions.
#[pyfunction]
#[pyo3(signature = (documents, actors=Vec::new(), lexicon=Vec::new()))]
pub(crate) fn code_batch(
    py: Python<'_>,
    documents: PyTable,
    actors: Vec<PathBuf>,
    lexicon: Vec<PathBuf>,
) -> PyResult<Py<PyAny>> {
    let batch = one_batch(documents)?;
    let events = py
        .detach(move || {
            let model = batch_model(actors, lexicon)?;
            let docs = detente_core::io::tables::documents_from_batch(&batch)?;
            Ok::<_, CoreError>(model.code(&docs))
        })
        .map_err(to_pyerr)?;
    events_table(py, &events)
}

/// Resolves a name with the built-in dictionary.
#[pyfunction]
#[pyo3(signature = (name, date=None))]
pub(crate) fn resolve<'py>(py: Python<'py>, name: &str, date: Option<&str>) -> PyResult<Bound<'py, PyDict>> {
    let d = self::date(date, "date")?;
    let r = detente_core::Dictionary::builtin().resolve(name, d).map_err(to_pyerr)?;
    resolution_dict(py, &r)
}

/// Tags, lemmatizes and parses text: a table of words (see `columns("parse")`).
#[pyfunction]
pub(crate) fn parse(py: Python<'_>, text: String) -> PyResult<Py<PyAny>> {
    let batch = py.detach(move || detente_core::syntax::parse_table(&text)).map_err(to_pyerr)?;
    to_pyarrow(py, batch)
}

/// Aggregates built from events anywhere, mergeable, asked for series.
#[pyclass(module = "detente._detente", name = "AggregateSet", frozen)]
pub(crate) struct PyAggregateSet {
    inner: AggregateSet,
}

#[pymethods]
impl PyAggregateSet {
    /// The aggregates of a table of events (columns as the canonical record).
    #[staticmethod]
    fn from_events(py: Python<'_>, events: PyTable) -> PyResult<Self> {
        let batch = one_batch(events)?;
        let dict = detente_core::Dictionary::builtin();
        let inner = py
            .detach(move || {
                let mut events = detente_core::io::tables::events_from_batch(&batch)?;
                for (i, e) in events.iter_mut().enumerate() {
                    e.normalize(&dict).map_err(|err| err.at("table", i as u64 + 1))?;
                }
                Ok::<_, CoreError>(AggregateSet::from_events(&events))
            })
            .map_err(to_pyerr)?;
        Ok(PyAggregateSet { inner })
    }

    /// The aggregates of their own table (`to_arrow`).
    #[staticmethod]
    fn from_arrow(table: PyTable) -> PyResult<Self> {
        let batch = one_batch(table)?;
        Ok(PyAggregateSet { inner: AggregateSet::from_batch(&batch).map_err(to_pyerr)? })
    }

    /// This set plus others.
    fn merge(&self, others: Vec<PyRef<'_, PyAggregateSet>>) -> Self {
        let mut inner = self.inner.clone();
        for o in others {
            inner.merge(&o.inner);
        }
        PyAggregateSet { inner }
    }

    /// The set as a pyarrow.Table (one row per dyad, day and root).
    fn to_arrow(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_pyarrow(py, self.inner.to_batch().map_err(to_pyerr)?)
    }

    /// Events counted in.
    #[getter]
    fn events(&self) -> i64 {
        self.inner.events()
    }

    /// (dyad, day, root) cells.
    #[getter]
    fn cells(&self) -> usize {
        self.inner.cell_count()
    }

    /// A relation series of two country codes as a pyarrow.Table.
    #[pyo3(signature = (a, b, freq="month", start=None, end=None, directed=false, drop_low_info=false,
                        half_life_days=None, weight_mentions=false, normalize=false))]
    fn relation(
        &self,
        py: Python<'_>,
        a: &str,
        b: &str,
        freq: &str,
        start: Option<&str>,
        end: Option<&str>,
        directed: bool,
        drop_low_info: bool,
        half_life_days: Option<f64>,
        weight_mentions: bool,
        normalize: bool,
    ) -> PyResult<(Py<PyAny>, String, String)> {
        let opts = series_options(
            freq,
            start,
            end,
            directed,
            false,
            drop_low_info,
            half_life_days,
            weight_mentions,
            normalize,
            false,
        )?;
        let series = self.inner.relation(a, b, &opts).map_err(to_pyerr)?;
        let batch = series.to_batch().map_err(to_pyerr)?;
        Ok((to_pyarrow(py, batch)?, series.a, series.b))
    }

    /// The shifts of two country codes' relation as a pyarrow.Table (no explaining events).
    #[pyo3(signature = (a, b, freq="month", start=None, end=None, directed=false, drop_low_info=false,
                        penalty=None, min_size=None, weighted=false))]
    #[allow(clippy::too_many_arguments)]
    fn shifts(
        &self,
        py: Python<'_>,
        a: &str,
        b: &str,
        freq: &str,
        start: Option<&str>,
        end: Option<&str>,
        directed: bool,
        drop_low_info: bool,
        penalty: Option<f64>,
        min_size: Option<usize>,
        weighted: bool,
    ) -> PyResult<Py<PyAny>> {
        let sopts = series_options(freq, start, end, directed, false, drop_low_info, None, false, false, false)?;
        let opts = shift_options(penalty, min_size, weighted, None);
        let shifts = self.inner.shifts(a, b, &sopts, &opts).map_err(to_pyerr)?;
        to_pyarrow(py, relations::shifts_to_batch(&shifts).map_err(to_pyerr)?)
    }

    /// The network over a window: (nodes, edges, modularity, triads, balanced share).
    #[pyo3(signature = (start=None, end=None, min_events=1))]
    fn network(
        &self,
        py: Python<'_>,
        start: Option<&str>,
        end: Option<&str>,
        min_events: i64,
    ) -> PyResult<NetworkParts> {
        let net = self.inner.network(date(start, "start")?, date(end, "end")?, min_events).map_err(to_pyerr)?;
        network_parts(py, &net)
    }

    /// Refused with what mediators need (the events).
    fn mediators(&self) -> PyResult<()> {
        self.inner.mediators().map(|_| ()).map_err(to_pyerr)
    }
}

/// A table's column names (`events` or `aggregates`), in file order.
#[pyfunction]
pub(crate) fn table_columns(table: &str) -> PyResult<Vec<String>> {
    let table = detente_core::io::dataset::Table::parse(table).map_err(to_pyerr)?;
    Ok(table.fields().into_iter().map(|f| f.name).collect())
}

/// A table's columns (`events` or `aggregates`) as a Spark DDL string.
#[pyfunction]
#[pyo3(signature = (table="events"))]
pub(crate) fn spark_ddl(table: &str) -> PyResult<String> {
    Ok(detente_core::io::dataset::Table::parse(table).map_err(to_pyerr)?.spark_ddl())
}

/// Writes an Arrow table (a relation series) to a .parquet or .csv file.
#[pyfunction]
pub(crate) fn export_table(py: Python<'_>, table: PyTable, path: PathBuf) -> PyResult<()> {
    let batch = one_batch(table)?;
    py.detach(move || detente_core::io::export::export_batch(&batch, &path)).map_err(to_pyerr)
}

/// What each output column of a relation table means: `series`, `shifts`, `mediators`, `nodes`
/// or `edges` → [(name, meaning)].
#[pyfunction]
pub(crate) fn columns(kind: &str) -> PyResult<Vec<(&'static str, &'static str)>> {
    Ok(detente_core::relations::columns::of(kind).map_err(to_pyerr)?.to_vec())
}

/// Reads GDELT, ICEWS, POLECAT or Parquet event files into a table of events and the import's
/// report, keeping nothing: for a Spark or Dask task that parses one file.
#[pyfunction]
#[pyo3(signature = (paths, kind, strict=false, actors=Vec::new()))]
pub(crate) fn read_files<'py>(
    py: Python<'py>,
    paths: Vec<PathBuf>,
    kind: &str,
    strict: bool,
    actors: Vec<PathBuf>,
) -> PyResult<(Py<PyAny>, Bound<'py, PyDict>)> {
    let kind = detente_core::io::import::ImportKind::parse(kind).map_err(to_pyerr)?;
    let opts = detente_core::io::import::ImportOptions { strict, threads: Some(1), ..Default::default() };
    let options = detente_core::ModelOptions { actor_files: actors, ..Default::default() };
    let (events, report) = py.detach(move || Model::read_files(&options, kind, &paths, &opts)).map_err(to_pyerr)?;
    Ok((events_table(py, &events)?, import_report_dict(py, &report)?))
}
