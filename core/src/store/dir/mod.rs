//! The embedded store on disk: a directory holding a SQLite catalog (WAL) of documents,
//! dictionary entries, imported files and the list of segments, and the events themselves in
//! immutable Arrow IPC segment files (`segments/{seq}-{generation}-{xxh3}.arrow`, readable by
//! pyarrow and polars; the format is in [`super::ipc`]) that are memory-mapped for reading.
//!
//! Each segment file carries what the catalog knows of it ([`SegmentMeta`]: its place in the
//! store, the rows its writes removed, the files they imported) and names its own checksum, so
//! that damage is found before a value is served and the catalog can be rebuilt from the
//! segments alone ([`super::repair`]).
//!
//! A write lands in four steps: the catalog notes the write as pending (the file name's
//! `{seq}-{generation}` prefix; not synced, as a crash only loses the proof that the file may be
//! removed); the segment is written to `….arrow.tmp`, checked, synced and renamed; then one
//! SQLite transaction records it with the rest of the write and clears the note. Only files
//! provably left by a write that never committed are ever removed: temporary names, and files of
//! a pending note the catalog does not list. A merge of small segments (compaction) lands the
//! same way, its transaction also noting the merged files as retired; they are deleted after.
//! Any other segment file the catalog does not list means the catalog is damaged: the store
//! refuses to open and names `detente store repair`. One process writes at a time (an
//! exclusive lock on `LOCK`); any number read.
//!
//! [`SegmentMeta`]: super::files::SegmentMeta

mod backend;
mod catalog;
mod migrate;
mod segments;

pub(super) use catalog::{
    CATALOG_SCHEMA, CatalogView, StoredActor, generation, imports, insert_segment, open_catalog, schema_version,
    set_schema_version,
};
pub(super) use segments::{disagreement, is_of_write, quarantine, segment_files};

use super::files::{SEGMENTS, TMP_EXT, damaged};
use crate::error::{Error, Result};
use catalog::{IMPORTS_BY_SIZE, catalog_error, check_version, create_catalog};
use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags};
use segments::unknown_files;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The schema version this build writes and reads; older catalogs are migrated on a writable
/// open. 5: segments carry their checksum (in their name) and their place in the store (in
/// their footer); removed rows live in the segments, not the catalog.
pub(crate) const SCHEMA_VERSION: i64 = 5;

/// The catalog's file name.
pub(crate) const CATALOG: &str = "catalog.sqlite";
/// What a repair calls the catalog it replaced (`catalog.sqlite.before-repair-{unix time}`).
pub(super) const REPAIR_KEEP: &str = "before-repair";

pub(super) const LOCK: &str = "LOCK";
/// Where uploads to the service are spooled before they are imported (emptied at every
/// writable open: anything there was left by a process that died).
pub(crate) const UPLOADS: &str = "uploads";

/// How to open a store directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Read and write; fails when another process is writing the store.
    ReadWrite,
    /// Read only; never blocks a writer.
    ReadOnly,
    /// Read and write a store that exists already (maintenance: merging a store's segments
    /// should not create one where the path was mistyped).
    Existing,
}

/// The directory backend.
#[derive(Debug)]
pub(crate) struct DirBackend {
    pub(super) root: PathBuf,
    pub(super) conn: Mutex<Connection>,
    /// Held for the life of a writable store: the OS releases it when the process dies.
    lock: Option<File>,
    /// Set when a commit failed and the catalog could not tell whether it landed.
    halted: std::sync::atomic::AtomicBool,
}

pub(super) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::io(path, e)
}

pub(super) fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Takes the store's writer lock (`LOCK`), or says who holds it.
pub(super) fn lock_store(root: &Path) -> Result<File> {
    let lock_path = root.join(LOCK);
    let lock = File::options().create(true).truncate(false).write(true).open(&lock_path).map_err(io(&lock_path))?;
    match lock.try_lock() {
        Ok(()) => Ok(lock),
        Err(fs::TryLockError::WouldBlock) => Err(Error::Locked {
            path: root.to_path_buf(),
            reason: "another process is writing it (open it read-only, or stop that process)".into(),
        }),
        Err(fs::TryLockError::Error(e)) => Err(Error::io(&lock_path, e)),
    }
}

/// Makes a rename or removal in `dir` durable.
pub(super) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

/// The error for a store without its catalog: no store at all, or (segments there) a damaged one.
fn missing_catalog(root: &Path) -> Error {
    match segment_files(root) {
        Ok(files) if !files.is_empty() => damaged(
            root.join(CATALOG),
            format!("the catalog is missing, while {SEGMENTS}/ holds {} segment file(s)", files.len()),
        ),
        _ => Error::NotFound { what: "store", id: root.display().to_string() },
    }
}

impl DirBackend {
    /// Opens (and for [`Access::ReadWrite`], creates) a store directory.
    pub(crate) fn open(root: &Path, access: Access) -> Result<DirBackend> {
        Self::open_at(root, access).map_err(|e| match e {
            Error::Corrupt { path, message } if path.is_relative() => Error::Corrupt { path: root.join(path), message },
            other => other,
        })
    }

    fn open_at(root: &Path, access: Access) -> Result<DirBackend> {
        let catalog = root.join(CATALOG);
        // A catalog that cannot be looked at (permissions) is that error, not a missing store.
        let exists = catalog.try_exists().map_err(io(&catalog))?;
        if access == Access::ReadOnly {
            if !exists {
                return Err(missing_catalog(root));
            }
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
            let conn = Connection::open_with_flags(&catalog, flags).map_err(|e| catalog_error(&catalog, e))?;
            conn.busy_timeout(Duration::from_secs(10))?;
            let version = schema_version(&conn).map_err(|e| catalog_error(&catalog, e))?;
            check_version(&catalog, version, false)?;
            return Ok(DirBackend {
                root: root.to_path_buf(),
                conn: Mutex::new(conn),
                lock: None,
                halted: Default::default(),
            });
        }
        if access == Access::Existing && !exists {
            return Err(missing_catalog(root));
        }
        fs::create_dir_all(root.join(SEGMENTS)).map_err(io(root))?;
        let lock = lock_store(root)?;
        // Checked again under the lock: another writer may have made it meanwhile.
        if !catalog.try_exists().map_err(io(&catalog))? {
            if !segment_files(root)?.is_empty() {
                return Err(missing_catalog(root));
            }
            create_catalog(root, &catalog)?;
        }
        let conn = open_catalog(&catalog)?;
        let version = schema_version(&conn).map_err(|e| catalog_error(&catalog, e))?;
        check_version(&catalog, version, true)?;
        let backend = DirBackend {
            root: root.to_path_buf(),
            conn: Mutex::new(conn),
            lock: Some(lock),
            halted: Default::default(),
        };
        if version < SCHEMA_VERSION {
            backend.migrate(version)?;
        }
        backend.conn.lock().execute_batch(IMPORTS_BY_SIZE)?;
        backend.recover()?;
        Ok(backend)
    }

    /// A writable backend over a catalog connection other than the store's (a repair builds
    /// its new catalog under another name), holding the store's lock.
    pub(super) fn over(root: &Path, conn: Connection, lock: File) -> DirBackend {
        DirBackend { root: root.to_path_buf(), conn: Mutex::new(conn), lock: Some(lock), halted: Default::default() }
    }

    /// Closes the catalog (its WAL checkpointed into it) and gives back the store's lock.
    pub(super) fn close(self) -> Result<Option<File>> {
        self.conn.into_inner().close().map_err(|(_, e)| Error::from(e))?;
        Ok(self.lock)
    }

    fn catalog_path(&self) -> PathBuf {
        self.root.join(CATALOG)
    }

    fn segment_path(&self, file: &str) -> PathBuf {
        self.root.join(SEGMENTS).join(file)
    }

    /// Removes what writes that never committed left behind, and only that: temporary segment
    /// files, the files of the pending write the catalog does not list, merged segments the
    /// catalog retired, and spooled uploads. When any other segment file is unlisted the
    /// catalog has lost track of events: nothing is removed and the open is refused.
    fn recover(&self) -> Result<()> {
        let dir = self.root.join(SEGMENTS);
        for entry in fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            if entry.file_name().to_string_lossy().ends_with(TMP_EXT) {
                tracing::warn!(file = %entry.path().display(), "removing the temporary file of an interrupted write");
                fs::remove_file(entry.path()).map_err(io(&entry.path()))?;
            }
        }
        let on_disk = segment_files(&self.root)?;
        let view = CatalogView::read(&mut self.conn.lock())?;
        let unlisted = view.unlisted(&on_disk);
        if !unlisted.unknown.is_empty() {
            return Err(unknown_files(&self.root, &unlisted.unknown));
        }
        let mut all_removed = true;
        let removals = unlisted.uncommitted.iter().map(|n| (n, "a segment whose write did not commit"));
        for (name, what) in removals.chain(unlisted.retired.iter().map(|n| (n, "a merged segment"))) {
            let path = dir.join(name);
            tracing::info!(file = %path.display(), "removing {what}");
            if let Err(e) = fs::remove_file(&path) {
                // Its note stays, so that the file is still known for what it is.
                tracing::warn!(file = %path.display(), error = %e, "could not remove {what}");
                all_removed = false;
            }
        }
        if all_removed && (!view.pending.is_empty() || !view.retired.is_empty()) {
            self.conn.lock().execute_batch("DELETE FROM pending; DELETE FROM retired;")?;
        }
        let uploads = self.root.join(UPLOADS);
        if let Ok(entries) = fs::read_dir(&uploads) {
            for entry in entries.flatten() {
                tracing::warn!(file = %entry.path().display(), "removing an upload left by a process that stopped");
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(())
    }

    /// Refuses writes after a commit whose fate the catalog could not tell.
    fn check_not_halted(&self) -> Result<()> {
        if self.halted.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Error::Unavailable(
                "a write failed without the store being able to tell whether it landed: open the store again".into(),
            ));
        }
        Ok(())
    }

    /// Locates catalog errors in this store.
    fn located(&self, e: Error) -> Error {
        match e {
            Error::Corrupt { path, message } if path.is_relative() => {
                Error::Corrupt { path: self.root.join(path), message }
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests;
