//! The SQLite catalog: its schema, opening and creating it, what it says of the segments, the
//! dictionary entries and imported files it keeps, and the transaction that records a commit.

use super::super::backend::{Commit, ImportRecord};
use super::super::files::damaged;
use super::{CATALOG, SCHEMA_VERSION, io, is_of_write, now_secs, sync_dir};
use crate::domain::actors::Entry;
use crate::error::{Error, Result};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashSet;
use std::fs::{self, File};
use std::path::Path;
use std::time::Duration;

/// Imported files by format and size (the last part of their fingerprint), for
/// [`Backend::imported_size`](super::super::Backend::imported_size): an import of thousands
/// of files asks once per file.
pub(super) const IMPORTS_BY_SIZE: &str =
    "CREATE INDEX IF NOT EXISTS imports_by_size ON imports(format, substr(fingerprint, length(format) + 19))";

/// The catalog of this build, made in one transaction.
pub(in crate::store) const CATALOG_SCHEMA: &str = "
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

/// Opens a catalog for writing: WAL, and FULL synchronous commits (a commit that returned is on
/// disk, so an acknowledged write survives a crash).
pub(in crate::store) fn open_catalog(path: &Path) -> Result<Connection> {
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
pub(super) fn create_catalog(root: &Path, path: &Path) -> Result<()> {
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

/// What the catalog says of the segments, read in one transaction.
#[derive(Debug, Default)]
pub(in crate::store) struct CatalogView {
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
pub(in crate::store) struct Unlisted {
    /// Files of the write noted as pending (the next generation's), which did not commit.
    pub uncommitted: Vec<String>,
    /// Merged segments the catalog retired.
    pub retired: Vec<String>,
    /// Anything else: the catalog has lost track of them.
    pub unknown: Vec<String>,
}

impl CatalogView {
    /// Reads the view in one read transaction.
    pub(crate) fn read(conn: &mut Connection) -> Result<CatalogView> {
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
    pub(crate) fn unlisted(&self, on_disk: &[String]) -> Unlisted {
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

/// Runs catalog statements without waiting for the disk (`synchronous = NORMAL`): notes whose
/// loss in a power cut costs only the proof that a file may be removed, never an event.
pub(super) fn unsynced<T>(conn: &Connection, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let out = f(conn);
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(out?)
}

/// The first column of a query's rows.
pub(super) fn strings<C: FromIterator<String>>(conn: &Connection, sql: &str) -> Result<C> {
    let mut st = conn.prepare(sql)?;
    let rows = st.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<C>>()?;
    Ok(rows)
}

/// Imported files the catalog records.
pub(in crate::store) fn imports(conn: &Connection) -> Result<Vec<ImportRecord>> {
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
pub(super) fn decode_names(s: &str) -> Vec<String> {
    let sep = if s.contains(NAME_END) { NAME_END } else { ';' };
    s.split(sep).map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect()
}

pub(in crate::store) struct StoredActor {
    pub code: String,
    pub kind: String,
    pub names: String,
    pub from: Option<String>,
    pub until: Option<String>,
    pub office: Option<String>,
}

impl StoredActor {
    /// The columns `code, kind, names, valid_from, valid_until, office` from `at` on.
    pub(crate) fn from_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<StoredActor> {
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
    pub(crate) fn hash(&self) -> u64 {
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
pub(super) fn check_version(catalog: &Path, version: i64, writable: bool) -> Result<()> {
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

pub(in crate::store) fn schema_version(conn: &Connection) -> rusqlite::Result<i64> {
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

pub(in crate::store) fn set_schema_version(conn: &Connection, version: i64) -> Result<()> {
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?1)", params![version.to_string()])?;
    Ok(())
}

/// Lists a segment file in the catalog.
pub(in crate::store) fn insert_segment(conn: &Connection, seq: u64, file: &str, rows: usize, bytes: u64) -> Result<()> {
    conn.execute(
        "INSERT INTO segments(seq, file, rows, bytes, created) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![seq as i64, file, rows as i64, bytes as i64, now_secs()],
    )?;
    Ok(())
}

/// Counts one more write; returns the new count.
pub(super) fn bump_generation(conn: &Connection) -> Result<u64> {
    let g = generation(conn)?.saturating_add(1);
    conn.execute("UPDATE meta SET value = ?1 WHERE key = 'generation'", params![g.to_string()])?;
    Ok(g)
}

pub(in crate::store) fn generation(conn: &Connection) -> Result<u64> {
    let g: String = conn.query_row("SELECT value FROM meta WHERE key='generation'", [], |r| r.get(0))?;
    g.parse().map_err(|_| damaged(CATALOG, format!("the catalog's generation `{g}` is not a number")))
}

/// Records a commit's catalog rows in one transaction; returns the new generation.
pub(super) fn record_commit(
    conn: &mut Connection,
    c: &Commit,
    segment: Option<(u64, &str, usize, u64, &str)>,
) -> Result<u64> {
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
