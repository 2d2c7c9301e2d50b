//! Files: exports of events as Parquet or CSV, and imports of the coded-event datasets.

use super::Model;
use super::requests::EventQuery;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

impl Model {
    /// Writes the events matching `q` (its limit and cursor ignored) to `out` as Parquet or
    /// CSV, a page at a time (memory for one page only); returns how many.
    pub fn write_events<W: std::io::Write + Send>(
        &self,
        q: &EventQuery,
        format: crate::io::export::ExportFormat,
        out: W,
    ) -> Result<(W, u64)> {
        crate::io::export::write_events(self.event_pages(q), format, out)
    }

    /// Exports the events matching `q` to a `.parquet` or `.csv` file (written aside, then
    /// renamed into place); returns how many.
    pub fn export_events(&self, q: &EventQuery, path: &Path) -> Result<u64> {
        crate::io::export::export_events(self.event_pages(q), path)
    }

    /// Exports the events matching `q` as a partitioned Parquet dataset in the folder `dir`
    /// (which must not exist or be empty); see [`crate::io::dataset`].
    pub fn export_dataset(
        &self,
        q: &EventQuery,
        dir: &Path,
        by: crate::io::dataset::Partitioning,
    ) -> Result<crate::io::dataset::DatasetExport> {
        crate::io::dataset::export_dataset(self.event_pages(q), dir, by)
    }

    /// The pages of a listing of every event matching `q`, for an export.
    pub(super) fn event_pages(&self, q: &EventQuery) -> impl crate::io::export::EventPages + '_ {
        /// Events per page read while exporting.
        const PAGE: usize = 200_000;
        let mut q = q.clone();
        q.limit = Some(PAGE);
        move |token| {
            q.cursor = token;
            let page = self.events(&q)?;
            Ok((page.events, page.next_cursor))
        }
    }

    /// Imports GDELT, ICEWS or POLECAT files (plain, gzip or zip), or Parquet files of events
    /// (each argument a file, a partitioned dataset folder or a glob, as `export` or Spark wrote
    /// them), into the store; see [`crate::io::import`].
    pub fn import(
        &self,
        kind: impl Into<crate::io::import::ImportKind>,
        files: &[PathBuf],
        opts: &crate::io::import::ImportOptions,
    ) -> Result<crate::io::import::ImportReport> {
        use crate::io::import::{ImportKind, import_files, import_parquet, parquet_files};
        match kind.into() {
            ImportKind::Coded(format) => import_files(&self.destination(), format, files, opts),
            ImportKind::Parquet => {
                let mut found = Vec::new();
                for f in files {
                    found.extend(parquet_files(f)?);
                }
                import_parquet(&self.destination(), &found, opts)
            }
        }
    }

    /// Reads event files (anything [`Model::import`] takes) into events without keeping them,
    /// for the workers of a Spark or Dask job (a file per task). An in-memory store with the
    /// dictionary of `options` takes the import — the same parsing, ids, duplicates and bad rows
    /// — and hands back its events in (date, storage) order with the report.
    pub fn read_files(
        options: &super::ModelOptions,
        kind: impl Into<crate::io::import::ImportKind>,
        files: &[PathBuf],
        opts: &crate::io::import::ImportOptions,
    ) -> Result<(Vec<crate::Event>, crate::io::import::ImportReport)> {
        // One-off: the aggregates and the dyad index are never asked for.
        let options = super::ModelOptions { one_off: true, existing: false, read_only: false, ..options.clone() };
        let model = Model::in_memory(&options)?;
        let report = model.import(kind, files, opts)?;
        let mut events = Vec::new();
        let mut pages = model.event_pages(&EventQuery::default());
        let mut token = None;
        loop {
            let (page, next) = pages(token)?;
            events.extend(page);
            match next {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        Ok((events, report))
    }

    /// Where imports write: the store, resolving actors with the dictionary in force.
    pub(super) fn destination(&self) -> crate::io::import::Destination<'_> {
        crate::io::import::Destination { store: self.store(), dictionary: self.dictionary() }
    }

    /// A new file to spool an upload into before [`Model::import_upload`] reads it: in the
    /// store's `uploads/` folder, which the next writable open empties (a process killed mid-
    /// upload leaves nothing behind for long), or the system's temporary folder for a store in
    /// memory. The caller removes it when done.
    pub fn upload_path(&self) -> Result<PathBuf> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = match self.store().backend().path() {
            Some(root) => root.join(crate::store::UPLOADS),
            None => std::env::temp_dir(),
        };
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(dir.join(format!("upload-{}-{n}", std::process::id())))
    }

    /// Imports one uploaded file, spooled at `path`; reports and errors call it `name`.
    pub fn import_upload(
        &self,
        format: crate::io::import::Format,
        path: &Path,
        name: &str,
        opts: &crate::io::import::ImportOptions,
    ) -> Result<crate::io::import::ImportReport> {
        crate::io::import::import_upload(&self.destination(), format, path, name, opts)
    }
}
