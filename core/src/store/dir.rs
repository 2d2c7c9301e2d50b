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

use super::backend::{
    Backend, Commit, Committed, DocumentListing, DocumentSummary, ImportRecord, LoadedSegment, Snapshot, check_merge,
};
use super::files::{EXT, QUARANTINE, SEGMENTS, SegmentMeta, SegmentName, TMP_EXT, checksum, damaged};
use super::ipc::{map_segment, read_mapped_segment, read_meta, read_segment, write_segment_file};
use crate::domain::actors::{Entry, Layer, NameKind};
use crate::domain::columnar::event_schema;
use crate::domain::date::Date;
use crate::domain::document::Document;
use crate::error::{Error, Result};
use arrow_array::RecordBatch;
use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The schema version this build writes and reads; older catalogs are migrated on a writable
/// open. 5: segments carry their checksum (in their name) and their place in the store (in
/// their footer); removed rows live in the segments, not the catalog.
pub const SCHEMA_VERSION: i64 = 5;

/// The catalog's file name.
pub(super) const CATALOG: &str = "catalog.sqlite";
/// What a repair calls the catalog it replaced (`catalog.sqlite.before-repair-{unix time}`).
pub(super) const REPAIR_KEEP: &str = "before-repair";

/// Imported files by format and size (the last part of their fingerprint), for
/// [`Backend::imported_size`]: an import of thousands of files asks once per file.
const IMPORTS_BY_SIZE: &str =
    "CREATE INDEX IF NOT EXISTS imports_by_size ON imports(format, substr(fingerprint, length(format) + 19))";
pub(super) const LOCK: &str = "LOCK";
/// Where uploads to the service are spooled before they are imported (emptied at every
/// writable open: anything there was left by a process that died).
pub const UPLOADS: &str = "uploads";

/// The catalog of this build, made in one transaction.
pub(super) const CATALOG_SCHEMA: &str = "
    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE segments(seq INTEGER PRIMARY KEY, file TEXT NOT NULL UNIQUE, rows INTEGER NOT NULL,
                          bytes INTEGER NOT NULL, created INTEGER NOT NULL);
    CREATE TABLE documents(id TEXT PRIMARY KEY, published TEXT NOT NULL, title TEXT, text TEXT NOT NULL,
                           hash INTEGER NOT NULL, added INTEGER NOT NULL);
    CREATE TABLE actors(id INTEGER PRIMARY KEY, code TEXT NOT NULL, kind TEXT NOT NULL, names TEXT NOT NULL,
                        valid_from TEXT, valid_until TEXT, office TEXT, added INTEGER NOT NULL,
                        hash INTEGER NOT NULL);
    CREATE TABLE imports(fingerprint TEXT PRIMARY KEY, name TEXT NOT NULL, format TEXT NOT NULL,
                         rows INTEGER NOT NULL, added INTEGER NOT NULL);
    CREATE TABLE pending(prefix TEXT PRIMARY KEY);
    CREATE TABLE retired(file TEXT PRIMARY KEY);
    INSERT INTO meta VALUES ('generation', '0');";

/// How to open a store directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
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
pub struct DirBackend {
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

/// Opens a catalog for writing: WAL, and FULL synchronous commits (a commit that returned is on
/// disk, so an acknowledged write survives a crash).
pub(super) fn open_catalog(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(|e| catalog_error(path, e))?;
    let setup = || -> rusqlite::Result<()> {
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")
    };
    setup().map_err(|e| catalog_error(path, e))?;
    Ok(conn)
}

/// A catalog error: damage (SQLite finds the file malformed, or not a database) is a damaged
/// store; anything else as it comes.
pub(super) fn catalog_error(path: &Path, e: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    match e.sqlite_error_code() {
        Some(DatabaseCorrupt | NotADatabase) => damaged(path, format!("the catalog is damaged ({e})")),
        _ => Error::from(e),
    }
}

/// Creates an empty catalog at `path` in one step: built under a temporary name and renamed, so
/// that a reader never meets a catalog without its tables.
fn create_catalog(root: &Path, path: &Path) -> Result<()> {
    // The WAL of a catalog that is gone must not meet the new one (SQLite would replay it into
    // it): set aside, not deleted.
    for suffix in ["-wal", "-shm"] {
        let stale = root.join(format!("{CATALOG}{suffix}"));
        if stale.exists() {
            let aside = root.join(format!("{CATALOG}{suffix}.orphan-{}", now_secs()));
            tracing::warn!(file = %stale.display(), to = %aside.display(), "setting aside the WAL of a catalog that is gone");
            fs::rename(&stale, &aside).map_err(io(&stale))?;
        }
    }
    let tmp = path.with_extension("sqlite.new");
    for leftover in [tmp.clone(), tmp.with_extension("new-wal"), tmp.with_extension("new-shm")] {
        if leftover.exists() {
            fs::remove_file(&leftover).map_err(io(&leftover))?;
        }
    }
    {
        let mut conn = open_catalog(&tmp)?;
        let tx = conn.transaction()?;
        tx.execute_batch(CATALOG_SCHEMA)?;
        tx.execute_batch(IMPORTS_BY_SIZE)?;
        set_schema_version(&tx, SCHEMA_VERSION)?;
        tx.commit()?;
        // Closing checkpoints the WAL into the file and removes it.
        conn.close().map_err(|(_, e)| Error::from(e))?;
    }
    File::open(&tmp).and_then(|f| f.sync_all()).map_err(io(&tmp))?;
    fs::rename(&tmp, path).map_err(io(path))?;
    sync_dir(root)
}

/// Makes a rename or removal in `dir` durable.
pub(super) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

/// The segment files in a store's `segments/` (names ending `.arrow`), sorted.
pub(super) fn segment_files(root: &Path) -> Result<Vec<String>> {
    let dir = root.join(SEGMENTS);
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&dir, e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let name = entry.map_err(io(&dir))?.file_name().to_string_lossy().into_owned();
        if name.ends_with(EXT) {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
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
    pub fn open(root: &Path, access: Access) -> Result<DirBackend> {
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

    /// Writes a segment file durably: noted as pending, written to a temporary name, read back
    /// and checked while the system writes it out (the sync then waits for less), synced and
    /// renamed to its name with its checksum. Returns the name, its size and its batch as read
    /// back. A failure removes what it wrote.
    pub(super) fn write_segment(
        &self,
        conn: &Connection,
        meta: &SegmentMeta,
        batch: &RecordBatch,
    ) -> Result<(String, u64, RecordBatch)> {
        let prefix = SegmentName::prefix(meta.seq, meta.generation);
        unsynced(conn, |c| c.execute("INSERT OR REPLACE INTO pending(prefix) VALUES (?1)", params![prefix]))?;
        let dir = self.root.join(SEGMENTS);
        let tmp = dir.join(format!("{prefix}{TMP_EXT}"));
        let mut renamed = None;
        let written = self.write_file(&tmp, meta, batch, &mut renamed);
        if written.is_err() {
            let mut removed = true;
            for path in std::iter::once(&tmp).chain(renamed.as_ref()) {
                if let Err(e) = fs::remove_file(path)
                    && e.kind() != std::io::ErrorKind::NotFound
                {
                    tracing::warn!(file = %path.display(), error = %e, "could not remove a failed write's file");
                    removed = false;
                }
            }
            // A file left behind keeps its note: it is still known for what it is.
            if removed {
                let _ = unsynced(conn, |c| c.execute("DELETE FROM pending WHERE prefix = ?1", params![prefix]));
            }
        }
        written
    }

    fn write_file(
        &self,
        tmp: &Path,
        meta: &SegmentMeta,
        batch: &RecordBatch,
        renamed: &mut Option<PathBuf>,
    ) -> Result<(String, u64, RecordBatch)> {
        let t = std::time::Instant::now();
        let file = File::create(tmp).map_err(io(tmp))?;
        let out = write_segment_file(BufWriter::with_capacity(1 << 20, file), batch, meta)?;
        let file = out.into_inner().map_err(|e| Error::io(tmp, e.into_error()))?;
        // Test hook: the write fails with its file written (a full disk, an I/O error).
        if std::env::var_os("DETENTE_FAULT_FAIL_SEGMENT_WRITE").is_some() {
            return Err(Error::io(tmp, std::io::Error::other("injected failure (DETENTE_FAULT_FAIL_SEGMENT_WRITE)")));
        }
        start_writeback(&file);
        let encoded = t.elapsed();
        let mmap = map_segment(tmp)?;
        let name = SegmentName { seq: meta.seq, generation: meta.generation, checksum: checksum(&mmap) }.file();
        // Its pages are not mapped in after the check (an import would otherwise hold every
        // segment it wrote in its resident memory). The map outlives the rename.
        let written = read_mapped_segment(tmp, mmap, true)?;
        let checked = t.elapsed();
        file.sync_all().map_err(io(tmp))?;
        let synced = t.elapsed();
        let bytes = file.metadata().map_err(io(tmp))?.len();
        drop(file);
        let path = self.segment_path(&name);
        fs::rename(tmp, &path).map_err(io(&path))?;
        *renamed = Some(path);
        // The rename is durable once the directory is synced.
        sync_dir(&self.root.join(SEGMENTS))?;
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        tracing::debug!(
            bytes,
            written_ms = ms(encoded),
            checked_ms = ms(checked - encoded),
            synced_ms = ms(synced - checked),
            renamed_ms = ms(t.elapsed() - synced),
            "segment written"
        );
        Ok((name, bytes, written.batch))
    }

    /// After a commit transaction failed: when the catalog lists the segment after all, the
    /// commit landed (true); when it does not, the segment and its pending note are removed
    /// (false). When the catalog cannot say, both stay for the next writable open to settle,
    /// and this backend takes no more writes (its view of the store may be behind).
    fn settle_failed_commit(&self, conn: &Connection, meta: &SegmentMeta, name: &str) -> bool {
        let listed =
            conn.query_row("SELECT count(*) FROM segments WHERE file = ?1", params![name], |r| r.get::<_, i64>(0));
        match listed {
            Ok(n) if n > 0 => true,
            Ok(_) => {
                let path = self.segment_path(name);
                match fs::remove_file(&path) {
                    Ok(()) => {
                        let prefix = SegmentName::prefix(meta.seq, meta.generation);
                        let _ = unsynced(conn, |c| c.execute("DELETE FROM pending WHERE prefix = ?1", params![prefix]));
                    }
                    Err(e) => {
                        tracing::warn!(file = %path.display(), error = %e, "could not remove a segment whose commit failed")
                    }
                }
                false
            }
            Err(e) => {
                tracing::error!(error = %e, "a commit failed and the catalog cannot say whether it landed: no more writes until the store is opened again");
                self.halted.store(true, std::sync::atomic::Ordering::Relaxed);
                false
            }
        }
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

    /// One consistent read of the catalog and of the segments it lists, each checked against its
    /// checksum and against the catalog.
    fn load_once(&self) -> Result<Snapshot> {
        // The folder first, the catalog second: a file that appears in between was noted pending
        // (or listed) before it was made, so it is known by the time the catalog is read.
        let on_disk = segment_files(&self.root)?;
        let view = CatalogView::read(&mut self.conn.lock())?;
        let unknown: Vec<String> =
            view.unlisted(&on_disk).unknown.into_iter().filter(|n| self.segment_path(n).exists()).collect();
        if !unknown.is_empty() {
            return Err(unknown_files(&self.root, &unknown));
        }
        let CatalogView { segments: files, generation, .. } = view;
        // Every file mapped first, checked after: a merge that removes files listed here can
        // only do so in the moments between the catalog's read and these maps.
        let mapped = files
            .into_iter()
            .map(|(seq, file, rows)| {
                let path = self.segment_path(&file);
                map_segment(&path).map(|m| (seq, rows, path, m))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut segments = Vec::with_capacity(mapped.len());
        let mut tombstones = Vec::new();
        let mut base = 0u64;
        for (seq, rows, path, mmap) in mapped {
            // Checked, then let go of: a query maps back in only the columns it reads, and a
            // store larger than memory opens.
            let read = read_mapped_segment(&path, mmap, true)?;
            let meta = read.meta.ok_or_else(|| damaged(&path, "it has no record of its place in the store"))?;
            if let Some(what) = disagreement(&path, &meta, seq, rows, base, generation) {
                return Err(damaged(&path, format!("the catalog and the segment disagree: {what}")));
            }
            base = base.saturating_add(rows);
            tombstones.extend_from_slice(&meta.removed);
            segments.push(LoadedSegment { seq, batch: read.batch });
        }
        Ok(Snapshot { segments, tombstones, generation })
    }

    /// True when `e` is about a segment file that does not exist (any more).
    fn missing_segment(&self, e: &Error) -> bool {
        matches!(e, Error::Io { path, .. } if path.starts_with(self.root.join(SEGMENTS)) && !path.exists())
    }

    /// Brings a catalog of an older build to [`SCHEMA_VERSION`]. Up to 4 the steps change only
    /// the catalog; 4 → 5 rewrites every segment with its checksum and its place in the store.
    fn migrate(&self, from: i64) -> Result<()> {
        let mut conn = self.conn.lock();
        let mut version = from;
        while version < 4 {
            let tx = conn.transaction()?;
            // 2: imported files, so that importing the same file again writes nothing. 3 and 4
            // changed what segment files may hold (null-type columns), not the catalog.
            if version == 1 {
                tx.execute_batch(
                    "CREATE TABLE imports(fingerprint TEXT PRIMARY KEY, name TEXT NOT NULL, format TEXT NOT NULL,
                                          rows INTEGER NOT NULL, added INTEGER NOT NULL);",
                )?;
            }
            version += 1;
            set_schema_version(&tx, version)?;
            tx.commit()?;
        }
        drop(conn);
        self.migrate_to_5()
    }

    /// 4 → 5: every segment rewritten under its checksum's name with its [`SegmentMeta`] (the
    /// rows removed so far and the files imported go into the segments that follow them), and
    /// dictionary entries given their hash; the old files retired in the same transaction.
    fn migrate_to_5(&self) -> Result<()> {
        let t = std::time::Instant::now();
        {
            let mut conn = self.conn.lock();
            let tx = conn.transaction()?;
            tx.execute_batch(
                "CREATE TABLE IF NOT EXISTS pending(prefix TEXT PRIMARY KEY);
                 CREATE TABLE IF NOT EXISTS retired(file TEXT PRIMARY KEY);",
            )?;
            let has_hash: bool =
                tx.query_row("SELECT count(*) FROM pragma_table_info('actors') WHERE name = 'hash'", [], |r| {
                    r.get::<_, i64>(0).map(|n| n > 0)
                })?;
            if !has_hash {
                tx.execute_batch("ALTER TABLE actors ADD COLUMN hash INTEGER NOT NULL DEFAULT 0")?;
            }
            let actors: Vec<(i64, StoredActor)> = {
                let mut st = tx.prepare("SELECT id, code, kind, names, valid_from, valid_until, office FROM actors")?;
                st.query_map([], |r| Ok((r.get(0)?, StoredActor::from_row(r, 1)?)))?.collect::<rusqlite::Result<_>>()?
            };
            for (id, a) in actors {
                tx.execute("UPDATE actors SET hash = ?1 WHERE id = ?2", params![a.hash() as i64, id])?;
            }
            tx.commit()?;
        }
        // A migration interrupted before may have left rewritten files: pending, so removed.
        self.recover_pending()?;
        let mut conn = self.conn.lock();
        let listed: Vec<(u64, String, u64)> = {
            let mut st = conn.prepare("SELECT seq, file, rows FROM segments ORDER BY seq")?;
            st.query_map([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?, r.get::<_, i64>(2)? as u64)))?
                .collect::<rusqlite::Result<_>>()?
        };
        let has_tombstones: bool = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'tombstones'",
            [],
            |r| r.get::<_, i64>(0).map(|n| n > 0),
        )?;
        let mut tombstones: Vec<(u32, u64)> = Vec::new();
        if has_tombstones {
            let mut st = conn.prepare("SELECT row, seq FROM tombstones ORDER BY seq")?;
            tombstones = st
                .query_map([], |r| Ok((r.get::<_, i64>(0)? as u32, r.get::<_, i64>(1)? as u64)))?
                .collect::<rusqlite::Result<_>>()?;
        }
        let imports = imports(&conn)?;
        // Older builds deleted what their catalog did not list; this one sets it aside.
        let names: HashSet<&str> = listed.iter().map(|l| l.1.as_str()).collect();
        for name in segment_files(&self.root)? {
            if !names.contains(name.as_str()) && SegmentName::parse(&name).is_none() {
                quarantine(&self.root, &name, "not in the catalog of an older build")?;
            }
        }
        let generation = generation(&conn)?.saturating_add(1);
        let mut rewritten = Vec::with_capacity(listed.len());
        let (mut base, mut previous) = (0u64, 0u64);
        for (i, (seq, file, rows)) in listed.iter().enumerate() {
            let last = i + 1 == listed.len();
            let read = read_segment(&self.segment_path(file), true)?;
            let removed = tombstones.iter().filter(|t| (t.1 > previous && t.1 <= *seq) || (last && t.1 > *seq));
            let meta = SegmentMeta {
                format: SCHEMA_VERSION,
                seq: *seq,
                first_seq: previous + 1,
                base,
                rows: *rows,
                generation,
                removed: removed.map(|t| t.0).collect(),
                imports: if last { imports.clone() } else { Vec::new() },
            };
            let (name, bytes, _) = self.write_segment(&conn, &meta, &read.batch)?;
            rewritten.push((*seq, name, *rows, bytes));
            base += rows;
            previous = *seq;
        }
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM segments", [])?;
        for (seq, name, rows, bytes) in &rewritten {
            insert_segment(&tx, *seq, name, *rows as usize, *bytes)?;
        }
        for (_, file, _) in &listed {
            tx.execute("INSERT OR REPLACE INTO retired(file) VALUES (?1)", params![file])?;
        }
        tx.execute_batch("DROP TABLE IF EXISTS tombstones; DELETE FROM pending;")?;
        tx.execute("UPDATE meta SET value = ?1 WHERE key = 'generation'", params![generation.to_string()])?;
        set_schema_version(&tx, SCHEMA_VERSION)?;
        tx.commit()?;
        drop(conn);
        tracing::info!(segments = listed.len(), ms = t.elapsed().as_millis() as u64, "store migrated to format 5");
        Ok(())
    }

    /// Removes the files of pending writes the catalog does not list, and clears the notes.
    fn recover_pending(&self) -> Result<()> {
        let conn = self.conn.lock();
        let pending: Vec<String> = strings(&conn, "SELECT prefix FROM pending")?;
        if pending.is_empty() {
            return Ok(());
        }
        let listed: HashSet<String> = strings(&conn, "SELECT file FROM segments")?;
        for name in segment_files(&self.root)? {
            if !listed.contains(&name) && pending.iter().any(|p| is_of_write(&name, p)) {
                let path = self.segment_path(&name);
                fs::remove_file(&path).map_err(io(&path))?;
            }
        }
        conn.execute("DELETE FROM pending", [])?;
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

/// `DETENTE_FAULT_COMMIT_DELAY_MS`: a test hook that makes every commit slower, as a slow disk
/// would (the service's streams must hold up under it).
fn fault_commit_delay() -> Option<u64> {
    static DELAY: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    *DELAY.get_or_init(|| std::env::var("DETENTE_FAULT_COMMIT_DELAY_MS").ok().and_then(|v| v.parse().ok()))
}

/// True when a segment file name is one a write with this pending prefix makes.
pub(super) fn is_of_write(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('-'))
}

/// What the catalog says of the segments, read in one transaction.
#[derive(Debug, Default)]
pub(super) struct CatalogView {
    /// (seq, file, rows), in order.
    pub segments: Vec<(u64, String, u64)>,
    /// Prefixes of writes noted as pending.
    pub pending: Vec<String>,
    /// Merged segments retired.
    pub retired: HashSet<String>,
    /// The write counter.
    pub generation: u64,
}

/// The segment files the catalog does not list, by what they provably are.
#[derive(Debug, Default)]
pub(super) struct Unlisted {
    /// Files of the write noted as pending (the next generation's), which did not commit.
    pub uncommitted: Vec<String>,
    /// Merged segments the catalog retired.
    pub retired: Vec<String>,
    /// Anything else: the catalog has lost track of them.
    pub unknown: Vec<String>,
}

impl CatalogView {
    /// Reads the view in one read transaction.
    pub fn read(conn: &mut Connection) -> Result<CatalogView> {
        let tx = conn.transaction()?;
        let segments: Vec<(u64, String, u64)> = {
            let mut st = tx.prepare("SELECT seq, file, rows FROM segments ORDER BY seq")?;
            st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))?
                .map(|row| {
                    let (seq, file, rows) = row?;
                    let seq = u64::try_from(seq).map_err(|_| damaged(CATALOG, format!("segment number {seq}")))?;
                    let rows = u64::try_from(rows).map_err(|_| damaged(CATALOG, format!("{rows} rows in {file}")))?;
                    Ok((seq, file, rows))
                })
                .collect::<Result<_>>()?
        };
        let pending: Vec<String> = strings(&tx, "SELECT prefix FROM pending")?;
        let retired: HashSet<String> = strings(&tx, "SELECT file FROM retired")?;
        let generation = generation(&tx)?;
        tx.commit()?;
        Ok(CatalogView { segments, pending, retired, generation })
    }

    /// Sorts the files of `on_disk` the catalog does not list. A pending note counts only for
    /// the write of the next generation, the only one that can be in progress.
    pub fn unlisted(&self, on_disk: &[String]) -> Unlisted {
        let listed: HashSet<&str> = self.segments.iter().map(|s| s.1.as_str()).collect();
        let next = self.generation.saturating_add(1);
        let pending: Vec<&String> = self
            .pending
            .iter()
            .filter(|p| p.split_once('-').and_then(|(_, g)| g.parse::<u64>().ok()) == Some(next))
            .collect();
        let mut out = Unlisted::default();
        for name in on_disk.iter().filter(|n| !listed.contains(n.as_str())) {
            if pending.iter().any(|p| is_of_write(name, p)) {
                out.uncommitted.push(name.clone());
            } else if self.retired.contains(name) {
                out.retired.push(name.clone());
            } else {
                out.unknown.push(name.clone());
            }
        }
        out
    }
}

/// Checks a segment file's bytes against the checksum its name records.
fn verify_checksum(path: &Path) -> Result<()> {
    let name = SegmentName::of(path).ok_or_else(|| damaged(path, "its name records no checksum"))?;
    let found = checksum(&map_segment(path)?);
    if found != name.checksum {
        return Err(damaged(
            path,
            format!("the segment is damaged: its bytes hash to {found:016x}, not {:016x}", name.checksum),
        ));
    }
    Ok(())
}

/// The error for segment files the catalog does not list.
pub(super) fn unknown_files(root: &Path, unknown: &[String]) -> Error {
    let names: Vec<&str> = unknown.iter().take(5).map(String::as_str).collect();
    damaged(
        root.join(SEGMENTS).join(names.first().copied().unwrap_or_default()),
        format!(
            "{} segment file(s) the catalog does not list ({}{}): the catalog has lost track of events",
            unknown.len(),
            names.join(", "),
            if unknown.len() > names.len() { ", …" } else { "" }
        ),
    )
}

/// Where a segment's footer and name disagree with the catalog's entry for it (number `seq`,
/// `rows` rows, first row `base`, written by a generation at most `generation`).
pub(super) fn disagreement(
    path: &Path,
    meta: &SegmentMeta,
    seq: u64,
    rows: u64,
    base: u64,
    generation: u64,
) -> Option<String> {
    let name = SegmentName::of(path);
    if name.is_none_or(|n| n.seq != seq || n.generation != meta.generation) || meta.seq != seq {
        Some(format!("the catalog lists it as segment {seq}, which its name or footer is not"))
    } else if meta.rows != rows {
        Some(format!("{} rows where the catalog says {rows}", meta.rows))
    } else if meta.base != base {
        Some(format!("its first row is {} where the catalog's order makes it {base}", meta.base))
    } else if meta.generation > generation {
        Some(format!("generation {} is newer than the catalog's {generation}", meta.generation))
    } else if meta.first_seq > meta.seq {
        Some(format!("it holds writes {} to {}", meta.first_seq, meta.seq))
    } else if meta.removed.iter().any(|&r| u64::from(r) >= base.saturating_add(rows)) {
        Some("it removes rows after its own".to_string())
    } else {
        None
    }
}

/// Moves a file out of `segments/` into `quarantine/` (never deleted); returns where it went.
pub(super) fn quarantine(root: &Path, name: &str, why: &str) -> Result<PathBuf> {
    let dir = root.join(QUARANTINE);
    fs::create_dir_all(&dir).map_err(io(&dir))?;
    let from = root.join(SEGMENTS).join(name);
    let mut to = dir.join(name);
    let mut n = 1;
    while to.exists() {
        to = dir.join(format!("{name}.{n}"));
        n += 1;
    }
    fs::rename(&from, &to).map_err(io(&from))?;
    tracing::warn!(from = %from.display(), to = %to.display(), reason = why, "segment set aside");
    Ok(to)
}

/// Runs catalog statements without waiting for the disk (`synchronous = NORMAL`): notes whose
/// loss in a power cut costs only the proof that a file may be removed, never an event.
fn unsynced<T>(conn: &Connection, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let out = f(conn);
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(out?)
}

/// The first column of a query's rows.
fn strings<C: FromIterator<String>>(conn: &Connection, sql: &str) -> Result<C> {
    let mut st = conn.prepare(sql)?;
    let rows = st.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<C>>()?;
    Ok(rows)
}

/// Imported files the catalog records.
pub(super) fn imports(conn: &Connection) -> Result<Vec<ImportRecord>> {
    let mut st = conn.prepare("SELECT fingerprint, name, format, rows FROM imports ORDER BY added, fingerprint")?;
    let rows = st
        .query_map([], |r| {
            Ok(ImportRecord {
                fingerprint: r.get(0)?,
                name: r.get(1)?,
                format: r.get(2)?,
                rows: r.get::<_, i64>(3)? as u64,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// A dictionary entry as the catalog keeps it, and the hash that finds a changed byte in it.
/// Separates (and ends) the names of a stored entry: unlike `;`, which older catalogs used and
/// names may hold, no name holds it.
const NAME_END: char = '\u{1f}';

/// Names as the catalog keeps them: each followed by [`NAME_END`].
fn encode_names(names: &[String]) -> String {
    names.iter().map(|n| format!("{n}{NAME_END}")).collect()
}

/// Names as the catalog keeps them: ended by [`NAME_END`], or (written before it) joined by `;`.
fn decode_names(s: &str) -> Vec<String> {
    let sep = if s.contains(NAME_END) { NAME_END } else { ';' };
    s.split(sep).map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect()
}

pub(super) struct StoredActor {
    pub code: String,
    pub kind: String,
    pub names: String,
    pub from: Option<String>,
    pub until: Option<String>,
    pub office: Option<String>,
}

impl StoredActor {
    /// The columns `code, kind, names, valid_from, valid_until, office` from `at` on.
    pub fn from_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<StoredActor> {
        Ok(StoredActor {
            code: r.get(at)?,
            kind: r.get(at + 1)?,
            names: r.get(at + 2)?,
            from: r.get(at + 3)?,
            until: r.get(at + 4)?,
            office: r.get(at + 5)?,
        })
    }

    fn of(a: &Entry) -> StoredActor {
        StoredActor {
            code: a.code.clone(),
            kind: a.kind.as_str().to_string(),
            names: encode_names(&a.names),
            from: a.from.map(|d| d.to_string()),
            until: a.until.map(|d| d.to_string()),
            office: a.office.clone(),
        }
    }

    /// XXH3 of the fields, each followed by a separator no field holds.
    pub fn hash(&self) -> u64 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        let opt = |s: &Option<String>| s.clone().unwrap_or_else(|| "\u{0}".into());
        for field in [&self.code, &self.kind, &self.names, &opt(&self.from), &opt(&self.until), &opt(&self.office)] {
            h.update(field.as_bytes());
            h.update(&[0xff]);
        }
        h.digest()
    }
}

/// Refuses a catalog this build cannot use: none (an empty file), a newer one, or (read-only)
/// an older one.
fn check_version(catalog: &Path, version: i64, writable: bool) -> Result<()> {
    if version == 0 {
        return Err(damaged(catalog, "the catalog holds no tables (an empty or foreign file)"));
    }
    if version > SCHEMA_VERSION {
        return Err(Error::Corrupt {
            path: catalog.to_path_buf(),
            message: format!("schema version {version} is newer than this build's ({SCHEMA_VERSION}): upgrade detente"),
        });
    }
    if version < SCHEMA_VERSION && !writable {
        return Err(Error::Corrupt {
            path: catalog.to_path_buf(),
            message: format!(
                "schema version {version}, written by an older build: open it for writing once to migrate it to {SCHEMA_VERSION}"
            ),
        });
    }
    Ok(())
}

/// Asks the system to start writing a file out now, so that the sync after the file's check
/// waits for less. Linux only; elsewhere the sync does all of it.
#[cfg(target_os = "linux")]
fn start_writeback(file: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: a valid open descriptor; the call only schedules writes, and when it fails the sync
    // that follows writes everything anyway.
    let _ = unsafe { libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE) };
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_: &File) {}

pub(super) fn schema_version(conn: &Connection) -> rusqlite::Result<i64> {
    let has_meta: bool =
        conn.query_row("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'", [], |r| {
            r.get::<_, i64>(0)
        })? > 0;
    if !has_meta {
        return Ok(0);
    }
    let v: Option<String> =
        conn.query_row("SELECT value FROM meta WHERE key='schema_version'", [], |r| r.get(0)).optional()?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
}

pub(super) fn set_schema_version(conn: &Connection, version: i64) -> Result<()> {
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?1)", params![version.to_string()])?;
    Ok(())
}

/// Lists a segment file in the catalog.
pub(super) fn insert_segment(conn: &Connection, seq: u64, file: &str, rows: usize, bytes: u64) -> Result<()> {
    conn.execute(
        "INSERT INTO segments(seq, file, rows, bytes, created) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![seq as i64, file, rows as i64, bytes as i64, now_secs()],
    )?;
    Ok(())
}

/// Counts one more write; returns the new count.
fn bump_generation(conn: &Connection) -> Result<u64> {
    let g = generation(conn)?.saturating_add(1);
    conn.execute("UPDATE meta SET value = ?1 WHERE key = 'generation'", params![g.to_string()])?;
    Ok(g)
}

pub(super) fn generation(conn: &Connection) -> Result<u64> {
    let g: String = conn.query_row("SELECT value FROM meta WHERE key='generation'", [], |r| r.get(0))?;
    g.parse().map_err(|_| damaged(CATALOG, format!("the catalog's generation `{g}` is not a number")))
}

/// Records a commit's catalog rows in one transaction; returns the new generation.
fn record_commit(conn: &mut Connection, c: &Commit, segment: Option<(u64, &str, usize, u64, &str)>) -> Result<u64> {
    // Whatever a note before left it at, an acknowledged write is on disk when this returns.
    conn.pragma_update(None, "synchronous", "FULL")?;
    let tx = conn.transaction()?;
    let now = now_secs();
    if let Some((seq, file, rows, bytes, prefix)) = segment {
        insert_segment(&tx, seq, file, rows, bytes)?;
        tx.execute("DELETE FROM pending WHERE prefix = ?1", params![prefix])?;
    }
    {
        let mut st = tx.prepare(
            "INSERT OR REPLACE INTO documents(id, published, title, text, hash, added) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for d in &c.documents {
            st.execute(params![d.id, d.published.to_string(), d.title, d.text, d.content_hash() as i64, now])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO actors(code, kind, names, valid_from, valid_until, office, added, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for a in &c.actors {
            let s = StoredActor::of(a);
            st.execute(params![s.code, s.kind, s.names, s.from, s.until, s.office, now, s.hash() as i64])?;
        }
        let mut st = tx.prepare(
            "UPDATE actors SET code = ?1, kind = ?2, names = ?3, valid_from = ?4, valid_until = ?5, office = ?6, hash = ?7 WHERE id = ?8",
        )?;
        for a in &c.updated_actors {
            let s = StoredActor::of(a);
            st.execute(params![s.code, s.kind, s.names, s.from, s.until, s.office, s.hash() as i64, a.id])?;
        }
        let mut st = tx.prepare("DELETE FROM actors WHERE id = ?1")?;
        for id in &c.removed_actors {
            st.execute(params![id])?;
        }
        let mut st = tx.prepare("DELETE FROM documents WHERE id = ?1")?;
        for id in &c.removed_documents {
            st.execute(params![id])?;
        }
        let mut st = tx.prepare(
            "INSERT OR REPLACE INTO imports(fingerprint, name, format, rows, added) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for r in &c.imports {
            st.execute(params![r.fingerprint, r.name, r.format, r.rows as i64, now])?;
        }
    }
    let g = bump_generation(&tx)?;
    tx.commit()?;
    Ok(g)
}

impl Backend for DirBackend {
    fn load(&self) -> Result<Snapshot> {
        // A writer that compacts deletes the segments it merged once its catalog lists the merged
        // one: a file listed here and gone when opened means the list changed, so read it again
        // (again and again while the writer keeps changing it; a file still missing from an
        // unchanged catalog is damage).
        let (mut attempt, mut stalled) = (0u32, 0u32);
        loop {
            let before = self.generation().ok();
            match self.load_once() {
                Err(e) if self.missing_segment(&e) && stalled < 8 && attempt < 1000 => {
                    attempt += 1;
                    let changed = self.generation().ok() != before;
                    stalled = if changed { 0 } else { stalled + 1 };
                    tracing::debug!(attempt, "a segment was merged while the store was read; reading again");
                    std::thread::sleep(Duration::from_millis(if changed { 1 } else { 5 << stalled }));
                }
                Err(e) if self.missing_segment(&e) => {
                    let path = match &e {
                        Error::Io { path, .. } => path.clone(),
                        _ => self.root.join(SEGMENTS),
                    };
                    return Err(damaged(path, "the catalog lists this segment, which is missing"));
                }
                loaded => return loaded.map_err(|e| self.located(e)),
            }
        }
    }

    fn merge_segments(&self, run: &[(u64, usize)], batch: &RecordBatch) -> Result<Committed> {
        let (Some(&(first, _)), Some(&(last, _))) = (run.first(), run.last()) else {
            return Err(Error::Internal("a merge of no segments".into()));
        };
        check_merge(run, batch)?;
        self.check_not_halted()?;
        let mut conn = self.conn.lock();
        let listed: Vec<(u64, usize, String)> = {
            let mut st =
                conn.prepare("SELECT seq, rows, file FROM segments WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq")?;
            st.query_map(params![first as i64, last as i64], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as usize, r.get::<_, String>(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?
        };
        // The catalog must hold exactly these segments, of these sizes: the writer's view of the
        // store is then the catalog's, and the merge keeps every row's number.
        if !listed.iter().map(|(seq, rows, _)| (*seq, *rows)).eq(run.iter().copied()) {
            return Err(Error::Internal(format!("segments {run:?} are not a run of the catalog's")));
        }
        // The files merged must still be what was loaded: damage since (their pages are read
        // again from the disk) would otherwise be written into the merged file under a fresh
        // checksum, and the damaged originals deleted.
        let mut metas: Vec<SegmentMeta> = Vec::with_capacity(listed.len());
        for (seq, rows, file) in &listed {
            let path = self.segment_path(file);
            verify_checksum(&path)?;
            let meta = read_meta(&path)?.ok_or_else(|| damaged(&path, "it has no record of its place in the store"))?;
            let base = metas.last().map_or(meta.base, |m| m.base.saturating_add(m.rows));
            if let Some(what) = disagreement(&path, &meta, *seq, *rows as u64, base, u64::MAX) {
                return Err(damaged(&path, format!("the catalog and the segment disagree: {what}")));
            }
            metas.push(meta);
        }
        let meta = SegmentMeta {
            format: SCHEMA_VERSION,
            seq: last,
            first_seq: metas[0].first_seq,
            base: metas[0].base,
            rows: batch.num_rows() as u64,
            generation: generation(&conn)?.saturating_add(1),
            removed: metas.iter().flat_map(|m| m.removed.iter().copied()).collect(),
            imports: metas.iter().flat_map(|m| m.imports.iter().cloned()).collect(),
        };
        let (name, bytes, merged) = self.write_segment(&conn, &meta, batch)?;
        // Crash-test hook: the process dies with the merged segment written but not committed.
        if std::env::var_os("DETENTE_FAULT_ABORT_BEFORE_MERGE").is_some() {
            std::process::abort();
        }
        let prefix = SegmentName::prefix(meta.seq, meta.generation);
        let committed = (|| -> Result<u64> {
            let tx = conn.transaction()?;
            tx.execute("DELETE FROM segments WHERE seq BETWEEN ?1 AND ?2", params![first as i64, last as i64])?;
            insert_segment(&tx, last, &name, batch.num_rows(), bytes)?;
            tx.execute("DELETE FROM pending WHERE prefix = ?1", params![prefix])?;
            for (_, _, file) in &listed {
                tx.execute("INSERT OR REPLACE INTO retired(file) VALUES (?1)", params![file])?;
            }
            let g = bump_generation(&tx)?;
            tx.commit()?;
            Ok(g)
        })();
        let g = match committed {
            Ok(g) => g,
            Err(e) if self.settle_failed_commit(&conn, &meta, &name) => {
                tracing::warn!(error = %e, "a merge reported an error but landed");
                generation(&conn)?
            }
            Err(e) => return Err(self.located(e)),
        };
        // Readers that mapped them keep reading them; one that has yet to open them reads the
        // catalog again. A file left behind is removed when the store is next opened to write.
        for (_, _, file) in &listed {
            let path = self.segment_path(file);
            match fs::remove_file(&path) {
                Ok(()) => {
                    let _ = unsynced(&conn, |c| c.execute("DELETE FROM retired WHERE file = ?1", params![file]));
                }
                Err(e) => tracing::warn!(file = %path.display(), error = %e, "could not remove a merged segment"),
            }
        }
        Ok(Committed { segment: Some(LoadedSegment { seq: last, batch: merged }), generation: g })
    }

    fn commit(&self, c: Commit) -> Result<Committed> {
        self.check_not_halted()?;
        // Test hook: a slow disk, each commit taking this much longer.
        if let Some(ms) = fault_commit_delay() {
            std::thread::sleep(Duration::from_millis(ms));
        }
        let mut conn = self.conn.lock();
        let (seq, base): (i64, i64) =
            conn.query_row("SELECT coalesce(max(seq), 0) + 1, coalesce(sum(rows), 0) FROM segments", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        // Rows removed without new events still get a segment (of no rows): the segments are
        // where removals are kept.
        let empty;
        let batch = match &c.batch {
            Some(b) => Some(b),
            None if !c.tombstones.is_empty() => {
                empty = RecordBatch::new_empty(event_schema());
                Some(&empty)
            }
            None => None,
        };
        let written = match batch {
            Some(b) => {
                let meta = SegmentMeta {
                    format: SCHEMA_VERSION,
                    seq: seq as u64,
                    first_seq: seq as u64,
                    base: base as u64,
                    rows: b.num_rows() as u64,
                    generation: generation(&conn)?.saturating_add(1),
                    removed: c.tombstones.clone(),
                    imports: c.imports.clone(),
                };
                let (name, bytes, written) = self.write_segment(&conn, &meta, b)?;
                Some((meta, name, bytes, written))
            }
            None => None,
        };
        // Crash-test hook: the process dies with the segment written but not committed.
        if written.is_some() && std::env::var_os("DETENTE_FAULT_ABORT_BEFORE_COMMIT").is_some() {
            std::process::abort();
        }
        let prefix = written.as_ref().map(|w| SegmentName::prefix(w.0.seq, w.0.generation));
        let listing = written
            .as_ref()
            .zip(prefix.as_deref())
            .map(|((m, name, bytes, _), prefix)| (m.seq, name.as_str(), m.rows as usize, *bytes, prefix));
        let g = match record_commit(&mut conn, &c, listing) {
            Ok(g) => g,
            Err(e) => match &written {
                Some((meta, name, _, _)) if self.settle_failed_commit(&conn, meta, name) => {
                    tracing::warn!(error = %e, "a commit reported an error but landed");
                    generation(&conn)?
                }
                _ => return Err(self.located(e)),
            },
        };
        drop(conn);
        let segment = written.map(|(meta, _, _, batch)| LoadedSegment { seq: meta.seq, batch });
        Ok(Committed { segment, generation: g })
    }

    fn imported(&self, fingerprint: &str) -> Result<bool> {
        let conn = self.conn.lock();
        let n: i64 =
            conn.query_row("SELECT count(*) FROM imports WHERE fingerprint = ?1", params![fingerprint], |r| r.get(0))?;
        Ok(n > 0)
    }

    fn imported_size(&self, format: &str, bytes: u64) -> Result<bool> {
        let conn = self.conn.lock();
        // Fingerprints are `format:hash:bytes`; format names hold no LIKE wildcards.
        // The size is what follows `format:` and 16 hex digits: the expression `IMPORTS_BY_SIZE`
        // indexes, so that this is a look-up, not a scan of every file imported.
        let found: bool = conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM imports WHERE format = ?1 AND substr(fingerprint, length(format) + 19) = ?2)",
            params![format, bytes.to_string()],
            |r| r.get(0),
        )?;
        Ok(found)
    }

    fn document(&self, id: &str) -> Result<Option<Document>> {
        let conn = self.conn.lock();
        let row = conn
            .query_row("SELECT id, published, title, text, hash FROM documents WHERE id = ?1", params![id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .optional()
            .map_err(|e| catalog_error(&self.catalog_path(), e))?;
        let Some((id, published, title, text, hash)) = row else { return Ok(None) };
        let damaged_doc = || damaged(self.catalog_path(), format!("document `{id}` is damaged in the catalog"));
        let published = Date::parse(&published).map_err(|_| damaged_doc())?;
        let doc = Document { id: id.clone(), published, title, text };
        if doc.content_hash() as i64 != hash {
            return Err(damaged_doc());
        }
        Ok(Some(doc))
    }

    fn documents(&self, q: &DocumentListing) -> Result<(Vec<DocumentSummary>, usize)> {
        let conn = self.conn.lock();
        let catalog = self.catalog_path();
        let (start, end) = (q.start.map(|d| d.to_string()), q.end.map(|d| d.to_string()));
        let (after_date, after_id) = q.after.as_ref().map(|(d, id)| (d.to_string(), id.clone())).unzip();
        // Dates are stored as YYYY-MM-DD, so their text order is their order.
        const FILTER: &str = "(?1 IS NULL OR published >= ?1) AND (?2 IS NULL OR published <= ?2)
             AND (?3 IS NULL OR substr(id, 1, length(?3)) = ?3)";
        // id, published, title, text (empty unless asked for), hash, added.
        type Row = (String, String, Option<String>, String, i64, i64);
        let read = || -> rusqlite::Result<(Vec<Row>, i64)> {
            let total: i64 = conn.query_row(
                &format!("SELECT count(*) FROM documents WHERE {FILTER}"),
                params![start, end, q.id_prefix],
                |r| r.get(0),
            )?;
            let mut st = conn.prepare(&format!(
                "SELECT id, published, title, CASE WHEN ?6 THEN text ELSE '' END, hash, added FROM documents
                 WHERE {FILTER} AND (?4 IS NULL OR (published, id) > (?4, ?5))
                 ORDER BY published, id LIMIT ?7"
            ))?;
            let rows = st
                .query_map(params![start, end, q.id_prefix, after_date, after_id, q.with_text, q.limit as i64], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((rows, total))
        };
        let (rows, total) = read().map_err(|e| catalog_error(&catalog, e))?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, published, title, text, hash, added) in rows {
            let damaged_doc = || damaged(&catalog, format!("document `{id}` is damaged in the catalog"));
            let published = Date::parse(&published).map_err(|_| damaged_doc())?;
            let document = Document { id: id.clone(), published, title, text };
            // Only the text's hash is kept: a listing without texts cannot check it.
            if q.with_text && document.content_hash() as i64 != hash {
                return Err(damaged_doc());
            }
            out.push(DocumentSummary { document, added });
        }
        Ok((out, total as usize))
    }

    fn document_hashes(&self, ids: &[&str]) -> Result<HashMap<String, u64>> {
        let conn = self.conn.lock();
        let mut st = conn.prepare("SELECT hash FROM documents WHERE id = ?1")?;
        let mut out = HashMap::new();
        for id in ids {
            if let Some(h) = st.query_row(params![id], |r| r.get::<_, i64>(0)).optional()? {
                out.insert(id.to_string(), h as u64);
            }
        }
        Ok(out)
    }

    fn actor_entries(&self) -> Result<Vec<Entry>> {
        let conn = self.conn.lock();
        let catalog = self.catalog_path();
        let read = || -> rusqlite::Result<Vec<(i64, StoredActor, i64)>> {
            let mut st = conn.prepare(
                "SELECT id, code, kind, names, valid_from, valid_until, office, hash FROM actors ORDER BY id",
            )?;
            st.query_map([], |r| Ok((r.get(0)?, StoredActor::from_row(r, 1)?, r.get(7)?)))?.collect()
        };
        let rows = read().map_err(|e| catalog_error(&catalog, e))?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, a, hash) in rows {
            let bad = || damaged(&catalog, format!("dictionary entry {id} (`{}`) is damaged in the catalog", a.code));
            if a.hash() as i64 != hash {
                return Err(bad());
            }
            let date = |s: &Option<String>| s.as_deref().map(Date::parse).transpose().map_err(|_| bad());
            out.push(Entry {
                kind: NameKind::parse(&a.kind).ok_or_else(bad)?,
                names: decode_names(&a.names),
                from: date(&a.from)?,
                until: date(&a.until)?,
                office: a.office.clone(),
                code: a.code,
                layer: Layer::Store,
                origin: format!("store:{id}"),
                id: Some(id),
            });
        }
        Ok(out)
    }

    fn generation(&self) -> Result<u64> {
        generation(&self.conn.lock()).map_err(|e| self.located(e))
    }

    fn path(&self) -> Option<&Path> {
        Some(&self.root)
    }

    fn writable(&self) -> bool {
        self.lock.is_some()
    }

    fn size_on_disk(&self) -> u64 {
        fn walk(p: &Path) -> u64 {
            fs::read_dir(p)
                .map(|rd| {
                    rd.flatten()
                        .map(|e| match e.metadata() {
                            Ok(m) if m.is_dir() => walk(&e.path()),
                            Ok(m) => m.len(),
                            Err(_) => 0,
                        })
                        .sum()
                })
                .unwrap_or(0)
        }
        walk(&self.root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::columnar::events_to_batch;

    fn batch() -> RecordBatch {
        let ev = |id, s, t| super::super::tests::ev(id, "2023-05-10", s, t, "040");
        events_to_batch(&[ev("a", "TURGOV", "SYRGOV"), ev("b", "RUSGOV", "IRNGOV"), ev("c", "TURGOV", "RUSGOV")])
            .expect("batch")
    }

    #[test]
    fn merged_segments_replace_their_run_and_a_missing_file_is_a_located_error() {
        let dir = tempfile::tempdir().expect("tmp");
        let backend = DirBackend::open(dir.path(), Access::ReadWrite).expect("open");
        let seqs: Vec<u64> = (0..3)
            .map(|_| {
                let c = backend.commit(Commit { batch: Some(batch()), ..Default::default() }).expect("commit");
                c.segment.expect("segment").seq
            })
            .collect();
        let two = arrow_select::concat::concat_batches(&event_schema(), &[batch(), batch()]).expect("concat");
        // Not a run of the catalog's, or not its rows: refused, nothing changed.
        assert!(backend.merge_segments(&[(seqs[0], 3), (seqs[2], 3)], &two).is_err());
        assert!(backend.merge_segments(&[(seqs[1], 2), (seqs[2], 4)], &two).is_err());
        assert!(backend.merge_segments(&[(seqs[1], 3), (seqs[2], 3)], &batch()).is_err());
        assert_eq!(fs::read_dir(dir.path().join(SEGMENTS)).expect("dir").count(), 3);
        let merged = backend.merge_segments(&[(seqs[1], 3), (seqs[2], 3)], &two).expect("merge");
        assert_eq!(merged.segment.as_ref().map(|s| s.seq), Some(seqs[2]), "in the last one's place");
        let loaded = backend.load().expect("load");
        assert_eq!(
            loaded.segments.iter().map(|s| (s.seq, s.batch.num_rows())).collect::<Vec<_>>(),
            [(seqs[0], 3), (seqs[2], 6)]
        );
        assert_eq!(loaded.generation, merged.generation);
        let files = fs::read_dir(dir.path().join(SEGMENTS)).expect("dir").count();
        assert_eq!(files, 2, "the merged files are removed");
        // A segment file gone without the catalog changing: the load gives up with the file named
        // and the way out.
        let first = backend.segment_path(&listed(&backend)[0]);
        fs::remove_file(&first).expect("remove");
        match backend.load() {
            Err(Error::Corrupt { path, message }) => {
                assert_eq!(path, first);
                assert!(message.contains("missing") && message.contains("store repair"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    /// The files the catalog lists, in order.
    fn listed(backend: &DirBackend) -> Vec<String> {
        strings(&backend.conn.lock(), "SELECT file FROM segments ORDER BY seq").expect("files")
    }

    /// Writes a store as the build before format 5 left it: two segments named by sequence
    /// number (the second's middle row removed), a dictionary entry, an imported file, and an
    /// orphan file of a write that never committed.
    fn write_format_4(root: &Path) {
        fs::create_dir_all(root.join(SEGMENTS)).expect("dir");
        let conn = Connection::open(root.join(CATALOG)).expect("catalog");
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE segments(seq INTEGER PRIMARY KEY, file TEXT NOT NULL UNIQUE, rows INTEGER NOT NULL,
                                   bytes INTEGER NOT NULL, created INTEGER NOT NULL);
             CREATE TABLE tombstones(row INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
             CREATE TABLE documents(id TEXT PRIMARY KEY, published TEXT NOT NULL, title TEXT, text TEXT NOT NULL,
                                    hash INTEGER NOT NULL, added INTEGER NOT NULL);
             CREATE TABLE actors(id INTEGER PRIMARY KEY, code TEXT NOT NULL, kind TEXT NOT NULL, names TEXT NOT NULL,
                                 valid_from TEXT, valid_until TEXT, office TEXT, added INTEGER NOT NULL);
             CREATE TABLE imports(fingerprint TEXT PRIMARY KEY, name TEXT NOT NULL, format TEXT NOT NULL,
                                  rows INTEGER NOT NULL, added INTEGER NOT NULL);
             INSERT INTO meta VALUES ('generation', '7'), ('schema_version', '4');
             INSERT INTO segments VALUES (1, '00000001.arrow', 3, 0, 0), (3, '00000003-6.arrow', 3, 0, 0);
             INSERT INTO tombstones VALUES (4, 3);
             INSERT INTO actors VALUES (1, 'RUR', 'country', 'Ruritania', NULL, NULL, NULL, 0);
             INSERT INTO imports VALUES ('gdelt2:00000000000000ff:10', 'a.CSV', 'gdelt2', 3, 0);",
        )
        .expect("format 4 catalog");
        for name in ["00000001.arrow", "00000003-6.arrow", "00000004.arrow"] {
            let file = File::create(root.join(SEGMENTS).join(name)).expect("file");
            let mut w = arrow_ipc::writer::FileWriter::try_new(file, &event_schema()).expect("writer");
            w.write(&batch()).expect("write");
            w.finish().expect("finish");
        }
    }

    #[test]
    fn a_store_of_format_4_is_migrated_on_writing_and_newer_ones_are_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        write_format_4(dir.path());
        // Read-only: an older store is named as such, with what to do.
        match DirBackend::open(dir.path(), Access::ReadOnly) {
            Err(Error::Corrupt { message, .. }) => assert!(message.contains("open it for writing once"), "{message}"),
            other => panic!("{other:?}"),
        }
        let backend = DirBackend::open(dir.path(), Access::ReadWrite).expect("migrated");
        let loaded = backend.load().expect("load");
        assert_eq!(loaded.segments.iter().map(|s| (s.seq, s.batch.num_rows())).collect::<Vec<_>>(), [(1, 3), (3, 3)]);
        assert_eq!(loaded.tombstones, [4], "the removed row kept, now in the segments");
        assert!(loaded.generation > 7);
        let files = listed(&backend);
        assert!(files.iter().all(|f| SegmentName::parse(f).is_some()), "{files:?}");
        let last = read_meta(&backend.segment_path(&files[1])).expect("meta").expect("some");
        assert_eq!((last.base, last.rows, last.removed.as_slice()), (3, 3, &[4u32][..]));
        assert_eq!(last.imports.len(), 1, "the imported files recorded in the segments");
        assert_eq!(backend.actor_entries().expect("entries")[0].code, "RUR");
        // The old files are gone; the orphan an older build would have deleted is set aside.
        assert_eq!(segment_files(dir.path()).expect("files"), files);
        assert!(dir.path().join(QUARANTINE).join("00000004.arrow").exists());
        assert_eq!(schema_version(&backend.conn.lock()).expect("version"), SCHEMA_VERSION);
        drop(backend);
        assert_eq!(
            DirBackend::open(dir.path(), Access::ReadOnly).expect("read").load().expect("load").segments.len(),
            2
        );

        // A store a newer build wrote: refused either way, with a word on what to do.
        let conn = Connection::open(dir.path().join(CATALOG)).expect("catalog");
        set_schema_version(&conn, SCHEMA_VERSION + 1).expect("version");
        drop(conn);
        for access in [Access::ReadOnly, Access::ReadWrite] {
            match DirBackend::open(dir.path(), access) {
                Err(Error::Corrupt { message, .. }) => assert!(message.contains("upgrade detente"), "{message}"),
                other => panic!("{access:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_reader_racing_the_creation_of_a_store_sees_none_or_all_of_it() {
        for _ in 0..20 {
            let dir = tempfile::tempdir().expect("tmp");
            let root = dir.path().join("store");
            let done = std::sync::atomic::AtomicBool::new(false);
            std::thread::scope(|s| {
                s.spawn(|| {
                    drop(DirBackend::open(&root, Access::ReadWrite).expect("create"));
                    done.store(true, std::sync::atomic::Ordering::SeqCst);
                });
                loop {
                    let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                    match DirBackend::open(&root, Access::ReadOnly) {
                        Ok(b) => assert_eq!(b.load().expect("load").segments.len(), 0),
                        Err(Error::NotFound { .. }) => assert!(!finished, "made, yet not found"),
                        Err(e) => panic!("a reader met a store half made: {e}"),
                    }
                    if finished {
                        break;
                    }
                }
            });
        }
    }
}
