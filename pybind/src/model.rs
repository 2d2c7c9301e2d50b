//! `detente._detente.Model`: the core's Model for Python, one method per operation.

use crate::convert::{
    ChangeRows, Filters, NetworkParts, date, events_table, import_report_dict, network_parts, one_batch,
    resolution_dict, row_dict, series_options, shift_options, to_pyarrow, to_pyerr, user_entry,
};
use detente_core::model::rows;
use detente_core::relations;
use detente_core::{ActorQuery, AddOptions, Error as CoreError, EventQuery, IngestOptions, Model, ModelOptions};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use pyo3_arrow::PyTable;
use std::path::PathBuf;

/// The model: a store (a directory, or in memory) with the dictionary and the coder.
#[pyclass(module = "detente._detente", name = "Model", frozen)]
pub(crate) struct PyModel {
    inner: Model,
    path: Option<PathBuf>,
    read_only: bool,
}

#[pymethods]
impl PyModel {
    #[new]
    #[pyo3(signature = (path=None, actors=Vec::new(), lexicon=Vec::new(), read_only=false))]
    fn new(
        py: Python<'_>,
        path: Option<PathBuf>,
        actors: Vec<PathBuf>,
        lexicon: Vec<PathBuf>,
        read_only: bool,
    ) -> PyResult<Self> {
        let opts =
            ModelOptions { actor_files: actors, read_only, existing: false, lexicon_files: lexicon, one_off: false };
        let p = path.clone();
        let inner = py
            .detach(move || match &p {
                Some(p) => Model::open(p, &opts),
                None => Model::in_memory(&opts),
            })
            .map_err(to_pyerr)?;
        Ok(PyModel { inner, path, read_only })
    }

    #[getter]
    fn path(&self) -> Option<String> {
        self.path.as_ref().map(|p| p.display().to_string())
    }

    #[getter]
    fn read_only(&self) -> bool {
        self.read_only
    }

    /// Number of stored events.
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// Codes a table of documents (id, published, title, text) without storing anything.
    fn code(&self, py: Python<'_>, documents: PyTable) -> PyResult<Py<PyAny>> {
        let batch = one_batch(documents)?;
        let model = self.inner.clone();
        let events = py.detach(move || {
            let docs = detente_core::io::tables::documents_from_batch(&batch)?;
            Ok::<_, CoreError>(model.code(&docs))
        });
        events_table(py, &events.map_err(to_pyerr)?)
    }

    /// Codes and stores a table of documents as one atomic write; returns the report as a dict.
    #[pyo3(signature = (documents, recode=false))]
    fn ingest<'py>(&self, py: Python<'py>, documents: PyTable, recode: bool) -> PyResult<Bound<'py, PyDict>> {
        let batch = one_batch(documents)?;
        let model = self.inner.clone();
        let report = py
            .detach(move || {
                let docs = detente_core::io::tables::documents_from_batch(&batch)?;
                model.ingest(docs, &IngestOptions { recode })
            })
            .map_err(to_pyerr)?;
        let d = row_dict(py, &rows::ingest_row(&report))?;
        let docs = PyList::empty(py);
        for o in &report.documents {
            docs.append((o.id.as_str(), o.status.as_str(), o.events))?;
        }
        d.set_item("documents", docs)?;
        Ok(d)
    }

    /// Stores a table of events (columns named as the canonical record) as one atomic batch.
    #[pyo3(signature = (events, replace=false))]
    fn add_events<'py>(&self, py: Python<'py>, events: PyTable, replace: bool) -> PyResult<Bound<'py, PyDict>> {
        let batch = one_batch(events)?;
        let model = self.inner.clone();
        let report = py
            .detach(move || {
                let events = detente_core::io::tables::events_from_batch(&batch)?;
                let opts = AddOptions { replace, input: Some("table".into()), lines: Vec::new() };
                model.add_events(events, &opts)
            })
            .map_err(to_pyerr)?;
        let d = row_dict(py, &rows::add_row(&report))?;
        Ok(d)
    }

    /// A page of stored events matching the filters: (pyarrow.Table, next page token or None).
    #[pyo3(signature = (filters=None, limit=1000, cursor=None, collapse=false, order_by=""))]
    fn events(
        &self,
        py: Python<'_>,
        filters: Option<Filters>,
        limit: usize,
        cursor: Option<String>,
        collapse: bool,
        order_by: &str,
    ) -> PyResult<(Py<PyAny>, Option<String>)> {
        let q = EventQuery { limit: Some(limit), cursor, collapse, ..filters.unwrap_or_default().query()? }
            .order_by(order_by)
            .map_err(to_pyerr)?;
        let model = self.inner.clone();
        let page = py.detach(move || model.events(&q)).map_err(to_pyerr)?;
        Ok((events_table(py, &page.events)?, page.next_cursor))
    }

    /// Stored events by id, in the order asked, as a pyarrow.Table (an unknown id is an error).
    fn events_by_id(&self, py: Python<'_>, ids: Vec<String>) -> PyResult<Py<PyAny>> {
        let model = self.inner.clone();
        let events = py.detach(move || model.events_by_id(&ids)).map_err(to_pyerr)?;
        events_table(py, &events)
    }

    /// Deletes stored events by ids, or (no ids given) every event matching the filters, which
    /// takes `confirm`; returns how many were deleted.
    #[pyo3(signature = (ids=Vec::new(), filters=None, confirm=false))]
    fn delete_events(
        &self,
        py: Python<'_>,
        ids: Vec<String>,
        filters: Option<Filters>,
        confirm: bool,
    ) -> PyResult<usize> {
        let matching = if ids.is_empty() { Some(filters.unwrap_or_default().query()?) } else { None };
        let model = self.inner.clone();
        py.detach(move || model.delete_events(&ids, matching.as_ref(), confirm)).map_err(to_pyerr)
    }

    /// The relation series of a dyad as a pyarrow.Table, with the labels of its two actors.
    #[pyo3(signature = (a, b, freq="month", start=None, end=None, directed=false, exact=false, drop_low_info=false,
                        half_life_days=None, weight_mentions=false, normalize=false, collapse=false))]
    fn relation(
        &self,
        py: Python<'_>,
        a: String,
        b: String,
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
    ) -> PyResult<(Py<PyAny>, String, String)> {
        let opts = series_options(
            freq,
            start,
            end,
            directed,
            exact,
            drop_low_info,
            half_life_days,
            weight_mentions,
            normalize,
            collapse,
        )?;
        let model = self.inner.clone();
        let series = py.detach(move || model.relation(&a, &b, &opts)).map_err(to_pyerr)?;
        let batch = series.to_batch().map_err(to_pyerr)?;
        Ok((to_pyarrow(py, batch)?, series.a, series.b))
    }

    /// The events behind the period of a series holding `period`.
    #[pyo3(signature = (a, b, period, freq="month", directed=false, exact=false, drop_low_info=false))]
    fn relation_events(
        &self,
        py: Python<'_>,
        a: String,
        b: String,
        period: &str,
        freq: &str,
        directed: bool,
        exact: bool,
        drop_low_info: bool,
    ) -> PyResult<Py<PyAny>> {
        let opts = series_options(freq, None, None, directed, exact, drop_low_info, None, false, false, false)?;
        let period =
            date(Some(period), "period")?.ok_or_else(|| to_pyerr(CoreError::invalid("period", "missing period")))?;
        let model = self.inner.clone();
        let events = py.detach(move || model.relation_events(&a, &b, &opts, period)).map_err(to_pyerr)?;
        events_table(py, &events)
    }

    /// Shifts of a relation as a pyarrow.Table.
    #[pyo3(signature = (a, b, freq="month", start=None, end=None, directed=false, exact=false, drop_low_info=false,
                        penalty=None, min_size=None, weighted=true, top_events=None))]
    fn shifts(
        &self,
        py: Python<'_>,
        a: String,
        b: String,
        freq: &str,
        start: Option<&str>,
        end: Option<&str>,
        directed: bool,
        exact: bool,
        drop_low_info: bool,
        penalty: Option<f64>,
        min_size: Option<usize>,
        weighted: bool,
        top_events: Option<usize>,
    ) -> PyResult<Py<PyAny>> {
        let sopts = series_options(freq, start, end, directed, exact, drop_low_info, None, false, false, false)?;
        let opts = shift_options(penalty, min_size, weighted, top_events);
        let model = self.inner.clone();
        let shifts = py.detach(move || model.shifts(&a, &b, &sopts, &opts)).map_err(to_pyerr)?;
        to_pyarrow(py, relations::shifts_to_batch(&shifts).map_err(to_pyerr)?)
    }

    /// Mediators of a dyad as a pyarrow.Table.
    #[pyo3(signature = (a, b, start=None, end=None, limit=None))]
    fn mediators(
        &self,
        py: Python<'_>,
        a: String,
        b: String,
        start: Option<&str>,
        end: Option<&str>,
        limit: Option<usize>,
    ) -> PyResult<Py<PyAny>> {
        let (start, end) = (date(start, "start")?, date(end, "end")?);
        let limit = limit.unwrap_or(relations::mediators::DEFAULT_LIMIT);
        let model = self.inner.clone();
        let found = py.detach(move || model.mediators(&a, &b, start, end, limit)).map_err(to_pyerr)?;
        to_pyarrow(py, relations::mediators_to_batch(&found).map_err(to_pyerr)?)
    }

    /// The network: (nodes table, edges table, modularity, closed triads, balanced share).
    #[pyo3(signature = (start=None, end=None, min_events=1))]
    fn network(
        &self,
        py: Python<'_>,
        start: Option<&str>,
        end: Option<&str>,
        min_events: i64,
    ) -> PyResult<NetworkParts> {
        let (start, end) = (date(start, "start")?, date(end, "end")?);
        let model = self.inner.clone();
        let net = py.detach(move || model.network(start, end, min_events)).map_err(to_pyerr)?;
        network_parts(py, &net)
    }

    /// Resolves a name or code on a date; returns a dict.
    #[pyo3(signature = (name, date=None))]
    fn resolve<'py>(&self, py: Python<'py>, name: &str, date: Option<&str>) -> PyResult<Bound<'py, PyDict>> {
        let d = self::date(date, "date")?;
        let r = self.inner.resolve(name, d).map_err(to_pyerr)?;
        resolution_dict(py, &r)
    }

    /// Dictionary entries as a pyarrow.Table.
    #[pyo3(signature = (kind=None, code=None))]
    fn actors(&self, py: Python<'_>, kind: Option<String>, code: Option<String>) -> PyResult<Py<PyAny>> {
        let page = self.inner.actors(&ActorQuery { kind, code, ..Default::default() }).map_err(to_pyerr)?;
        to_pyarrow(py, relations::entries_to_batch(&page.entries).map_err(to_pyerr)?)
    }

    /// Adds a dictionary entry, kept in the store.
    #[pyo3(signature = (code, kind, names, start=None, until=None, office=None))]
    fn add_actor(
        &self,
        code: String,
        kind: &str,
        names: Vec<String>,
        start: Option<&str>,
        until: Option<&str>,
        office: Option<String>,
    ) -> PyResult<i64> {
        let entry = user_entry(code, kind, names, start, until, office)?;
        let report = self.inner.add_actor_entries(vec![entry]).map_err(to_pyerr)?;
        Ok(report.entries.first().and_then(|e| e.id).unwrap_or_default())
    }

    /// Replaces the entry a user added under `id`.
    #[pyo3(signature = (id, code, kind, names, start=None, until=None, office=None))]
    fn update_actor(
        &self,
        id: i64,
        code: String,
        kind: &str,
        names: Vec<String>,
        start: Option<&str>,
        until: Option<&str>,
        office: Option<String>,
    ) -> PyResult<()> {
        let entry = user_entry(code, kind, names, start, until, office)?;
        self.inner.update_actor(id, entry).map(|_| ()).map_err(to_pyerr)
    }

    /// Deletes the entry a user added under `id`; returns its code.
    fn delete_actor(&self, id: i64) -> PyResult<String> {
        self.inner.delete_actor(id).map(|e| e.code).map_err(to_pyerr)
    }

    /// Stored documents by publication date, then id: a page of dicts and the next token.
    #[pyo3(signature = (start=None, end=None, id_prefix=None, text=false, limit=1000, cursor=None))]
    fn documents<'py>(
        &self,
        py: Python<'py>,
        start: Option<&str>,
        end: Option<&str>,
        id_prefix: Option<String>,
        text: bool,
        limit: usize,
        cursor: Option<String>,
    ) -> PyResult<(Bound<'py, PyList>, Option<String>)> {
        let q = detente_core::DocumentQuery {
            start: date(start, "start")?,
            end: date(end, "end")?,
            id_prefix,
            with_text: text,
        };
        let page = detente_core::paging::PageRequest { size: limit, token: cursor };
        let model = self.inner.clone();
        let found = py.detach(move || model.documents(&q, &page)).map_err(to_pyerr)?;
        let out = PyList::empty(py);
        for d in &found.items {
            out.append(row_dict(py, &rows::document_row(d, text))?)?;
        }
        Ok((out, found.next_page_token))
    }

    /// Deletes a stored document with its events; returns how many events went with it.
    fn delete_document(&self, py: Python<'_>, id: String) -> PyResult<usize> {
        let model = self.inner.clone();
        py.detach(move || model.delete_document(&id)).map_err(to_pyerr)
    }

    /// The store's revision: a count of its writes.
    #[getter]
    fn revision(&self) -> u64 {
        self.inner.revision()
    }

    /// The changes after `revision` matching the filters, write by write:
    /// ([(revision, added table, removed table)], the revision they reach).
    #[pyo3(signature = (revision, filters=None))]
    fn changes_since(&self, py: Python<'_>, revision: u64, filters: Option<Filters>) -> PyResult<(ChangeRows, u64)> {
        let q = filters.unwrap_or_default().query()?;
        let model = self.inner.clone();
        let (changes, now) =
            py.detach(move || model.filter(&q).and_then(|f| model.changes_since(&f, revision))).map_err(to_pyerr)?;
        let rows = changes
            .iter()
            .map(|c| Ok((c.revision, events_table(py, &c.added)?, events_table(py, &c.removed)?)))
            .collect::<PyResult<_>>()?;
        Ok((rows, now))
    }

    /// Waits (without the GIL) until a write takes the store past `revision` or `timeout`
    /// seconds pass; the revision then.
    fn wait_for_change(&self, py: Python<'_>, revision: u64, timeout: f64) -> PyResult<u64> {
        let timeout = std::time::Duration::try_from_secs_f64(timeout)
            .map_err(|_| to_pyerr(CoreError::invalid("timeout", "a timeout is a number of seconds, 0 or more")))?;
        let model = self.inner.clone();
        Ok(py.detach(move || model.wait_for_change(revision, timeout)))
    }

    /// Imports GDELT, ICEWS or POLECAT files, or Parquet event datasets; returns the report as a dict.
    #[pyo3(signature = (paths, kind, strict=false, force=false, threads=None, replace=false))]
    fn import_files<'py>(
        &self,
        py: Python<'py>,
        paths: Vec<PathBuf>,
        kind: &str,
        strict: bool,
        force: bool,
        threads: Option<usize>,
        replace: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let format = detente_core::io::import::ImportKind::parse(kind).map_err(to_pyerr)?;
        let opts = detente_core::io::import::ImportOptions { strict, force, threads, replace, ..Default::default() };
        let model = self.inner.clone();
        let r = py.detach(move || model.import(format, &paths, &opts)).map_err(to_pyerr)?;
        import_report_dict(py, &r)
    }

    /// Exports the events matching the filters to a .parquet or .csv file; returns how many.
    #[pyo3(signature = (path, filters=None))]
    fn export_events(&self, py: Python<'_>, path: PathBuf, filters: Option<Filters>) -> PyResult<u64> {
        let q = filters.unwrap_or_default().query()?;
        let model = self.inner.clone();
        py.detach(move || model.export_events(&q, &path)).map_err(to_pyerr)
    }

    /// Exports the events matching the filters to a partitioned Parquet dataset in the folder
    /// `path` (by `year` or `month`); returns how many.
    #[pyo3(signature = (path, partition_by, filters=None))]
    fn export_dataset(
        &self,
        py: Python<'_>,
        path: PathBuf,
        partition_by: &str,
        filters: Option<Filters>,
    ) -> PyResult<u64> {
        let q = filters.unwrap_or_default().query()?;
        let by = detente_core::io::dataset::Partitioning::parse(partition_by).map_err(to_pyerr)?;
        let model = self.inner.clone();
        py.detach(move || model.export_dataset(&q, &path, by)).map(|r| r.events).map_err(to_pyerr)
    }

    /// A stored document: (dict with id, published, title, text; its events table).
    fn document<'py>(&self, py: Python<'py>, id: &str) -> PyResult<(Bound<'py, PyDict>, Py<PyAny>)> {
        let (doc, events) = self.inner.document(id).map_err(to_pyerr)?;
        let row = serde_json::to_value(&doc).map_err(|e| to_pyerr(detente_core::Error::Internal(e.to_string())))?;
        Ok((row_dict(py, &row)?, events_table(py, &events)?))
    }

    /// Every pair of a negotiation's actors with its relation in the store, as rows.
    fn negotiation_relations<'py>(
        &self,
        py: Python<'py>,
        issues: Vec<crate::negotiation::PyIssue>,
        stances: Vec<crate::negotiation::PyStance>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let s = crate::negotiation::scenario(issues, stances, "fraction").map_err(to_pyerr)?;
        let pairs = self.inner.negotiation_relations(&s, &relations::SeriesOptions::default()).map_err(to_pyerr)?;
        crate::convert::py_value(py, &serde_json::Value::Array(pairs.iter().map(rows::pair_relation_row).collect()))
    }
}
