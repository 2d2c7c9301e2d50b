//! Checking a store directory and rebuilding its catalog from its segments.
//!
//! [`check`] reads everything (the catalog with SQLite's integrity check, every segment against
//! its checksum and the catalog, every stored document and dictionary entry against its hash)
//! and reports what is wrong, changing nothing. [`repair`] rebuilds the catalog from the segment
//! files, which carry what it needs ([`SegmentMeta`]): the segments that read back whole are
//! taken back in their order; a damaged one, or one a newer segment supersedes, is moved to
//! `quarantine/` (detente never deletes what it cannot prove is garbage); documents, dictionary
//! entries and imported files are salvaged from the old catalog where it can still be read and
//! its rows check out; the old catalog is kept beside the new one, which replaces it in one
//! rename. A repair that stops half way leaves the old catalog in place and its own work
//! noted in `catalog.sqlite.repair`, which the next repair clears first.

use super::dir::{
    CATALOG, CATALOG_SCHEMA, CatalogView, DirBackend, REPAIR_KEEP, StoredActor, disagreement, imports, insert_segment,
    is_of_write, lock_store, now_secs, open_catalog, quarantine, schema_version, segment_files, set_schema_version,
    sync_dir,
};
use super::files::{QUARANTINE, SEGMENTS, SegmentMeta, SegmentName, TMP_EXT};
use super::ipc::read_segment;
use super::{Access, Backend, ImportRecord};
use crate::domain::date::Date;
use crate::domain::document::Document;
use crate::error::{Error, Result};
use rusqlite::{Connection, OpenFlags, params};
use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Events or documents cannot be served as stored: reads refuse the store (or the item).
    Damage,
    /// Not damage: what an interrupted write left (the next writer removes it), an older
    /// format (migrated by the next writer), files a repair set aside.
    Note,
}

/// One thing a check found, about one file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Finding {
    /// Damage or a note.
    pub severity: Severity,
    /// The file it is about.
    pub path: PathBuf,
    /// What is wrong, in words.
    pub problem: String,
}

/// What [`check`] found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CheckReport {
    /// Segments the catalog lists.
    pub segments: usize,
    /// Their rows (removed ones included).
    pub rows: u64,
    /// Stored documents.
    pub documents: usize,
    /// Everything found, damage first.
    pub findings: Vec<Finding>,
}

impl CheckReport {
    /// True when nothing is damaged (notes allowed).
    pub fn healthy(&self) -> bool {
        self.findings.iter().all(|f| f.severity == Severity::Note)
    }

    fn damage(&mut self, path: impl Into<PathBuf>, problem: impl Into<String>) {
        self.findings.push(Finding { severity: Severity::Damage, path: path.into(), problem: problem.into() });
    }

    fn note(&mut self, path: impl Into<PathBuf>, problem: impl Into<String>) {
        self.findings.push(Finding { severity: Severity::Note, path: path.into(), problem: problem.into() });
    }
}

/// Opens a catalog read-only (nothing of it changes, not even a checkpoint).
fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
}

/// Reads every file of a store and reports what is wrong, changing nothing (a writer may run
/// meanwhile; a write in progress shows as a note).
pub fn check(root: &Path) -> Result<CheckReport> {
    let catalog_path = root.join(CATALOG);
    if !catalog_path.exists() && !root.join(SEGMENTS).exists() {
        return Err(Error::NotFound { what: "store", id: root.display().to_string() });
    }
    let mut report = CheckReport::default();
    let mut conn = if catalog_path.exists() {
        match open_read_only(&catalog_path) {
            Ok(c) => Some(c),
            Err(e) => {
                report.damage(&catalog_path, format!("the catalog cannot be opened: {e}"));
                None
            }
        }
    } else {
        report.damage(&catalog_path, "the catalog is missing");
        None
    };
    let version = match conn.as_ref().map(schema_version) {
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            report.damage(&catalog_path, format!("the catalog cannot be read: {e}"));
            conn = None;
            0
        }
        None => 0,
    };
    let current = version == super::SCHEMA_VERSION;
    if conn.is_some() {
        if version == 0 {
            report.damage(&catalog_path, "the catalog holds no tables (an empty or foreign file)");
        } else if version > super::SCHEMA_VERSION {
            report.damage(&catalog_path, format!("schema version {version}, newer than this build's: upgrade detente"));
        } else if !current {
            report.note(
                &catalog_path,
                format!("schema version {version}, an older build's: the next writer migrates it"),
            );
        }
    }
    if let Some(conn) = &conn {
        match integrity(conn) {
            Ok(problems) => problems.into_iter().for_each(|p| report.damage(&catalog_path, format!("SQLite: {p}"))),
            Err(e) => report.damage(&catalog_path, format!("SQLite's integrity check failed: {e}")),
        }
        if current {
            check_documents(conn, &catalog_path, &mut report);
            check_actors(conn, &catalog_path, &mut report);
        }
    }
    // The folder before the catalog, as a load reads them; a listed file found missing is
    // looked for again in a fresh read (a writer may have merged it meanwhile).
    if (1..super::SCHEMA_VERSION).contains(&version) {
        // An older format: its files are only read (they record no place in the store).
        for name in segment_files(root)? {
            let path = root.join(SEGMENTS).join(&name);
            report.segments += 1;
            match read_segment(&path, true) {
                Ok(r) => report.rows += r.batch.num_rows() as u64,
                Err(e) => report.damage(&path, problem_of(e)),
            }
        }
        report.findings.sort_by_key(|f| (f.severity == Severity::Note, f.path.clone()));
        return Ok(report);
    }
    for attempt in 0..2 {
        let mut found = CheckReport::default();
        let complete = check_segments(root, conn.as_mut().filter(|_| current), &mut found)?;
        if complete || attempt == 1 {
            report.segments = found.segments;
            report.rows = found.rows;
            report.findings.extend(found.findings);
            break;
        }
    }
    for entry in fs::read_dir(root.join(QUARANTINE)).into_iter().flatten().flatten() {
        report.note(entry.path(), "set aside by a repair (detente never deletes it)");
    }
    report.findings.sort_by_key(|f| (f.severity == Severity::Note, f.path.clone()));
    Ok(report)
}

/// Checks the segment files against a catalog of this build's format (or on their own); false
/// when a listed file was missing (to be read again).
fn check_segments(root: &Path, conn: Option<&mut Connection>, report: &mut CheckReport) -> Result<bool> {
    let dir = root.join(SEGMENTS);
    let on_disk = segment_files(root)?;
    let view = match conn.map(CatalogView::read) {
        Some(Ok(v)) => Some(v),
        Some(Err(e)) => {
            report.damage(root.join(CATALOG), format!("the catalog's list of segments cannot be read: {e}"));
            None
        }
        None => None,
    };
    let mut complete = true;
    if let Some(view) = &view {
        let mut base = 0u64;
        for (seq, file, rows) in &view.segments {
            let path = dir.join(file);
            report.segments += 1;
            report.rows = report.rows.saturating_add(*rows);
            if !path.exists() {
                report.damage(&path, "the catalog lists this segment, which is missing");
                complete = false;
            } else {
                match read_segment(&path, true) {
                    Err(e) => report.damage(&path, problem_of(e)),
                    Ok(read) => match read.meta {
                        None => report.damage(&path, "it has no record of its place in the store"),
                        Some(meta) => {
                            if let Some(what) = disagreement(&path, &meta, *seq, *rows, base, view.generation) {
                                report.damage(&path, format!("the catalog and the segment disagree: {what}"));
                            }
                        }
                    },
                }
            }
            base = base.saturating_add(*rows);
        }
    }
    let unlisted = view.as_ref().map(|v| v.unlisted(&on_disk));
    let unknown = unlisted.as_ref().map_or(&on_disk, |u| &u.unknown);
    if let Some(u) = &unlisted {
        for name in &u.uncommitted {
            report.note(dir.join(name), "a write in progress, or one that did not commit (the next writer removes it)");
        }
        for name in &u.retired {
            report.note(dir.join(name), "a merged segment the writer has yet to remove");
        }
    }
    for name in unknown {
        let path = dir.join(name);
        if !path.exists() {
            continue;
        }
        let what = match read_segment(&path, true) {
            Ok(r) => format!("not in the catalog; it reads back whole ({} events)", r.batch.num_rows()),
            Err(e) => format!("not in the catalog, and damaged: {}", problem_of(e)),
        };
        report.damage(&path, what);
    }
    for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
        if entry.file_name().to_string_lossy().ends_with(TMP_EXT) {
            report.note(entry.path(), "the temporary file of an interrupted write (the next writer removes it)");
        }
    }
    Ok(complete)
}

/// A store error as a finding's words (the path is the finding's).
fn problem_of(e: Error) -> String {
    match e {
        Error::Corrupt { message, .. } => message.split(". `detente store check`").next().unwrap_or("").to_string(),
        other => other.to_string(),
    }
}

/// SQLite's own check of the catalog's pages and indexes; empty when it finds nothing.
fn integrity(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut st = conn.prepare("PRAGMA integrity_check")?;
    let rows: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(rows.into_iter().filter(|r| r != "ok").collect())
}

/// Documents whose text no longer matches its hash (or cannot be read).
fn check_documents(conn: &Connection, path: &Path, report: &mut CheckReport) {
    let (docs, damaged) = salvage_documents(conn);
    report.documents = docs.len() + damaged.len();
    for id in damaged {
        report.damage(path, format!("document `{id}` is damaged"));
    }
}

fn check_actors(conn: &Connection, path: &Path, report: &mut CheckReport) {
    let (_, damaged) = salvage_actors(conn);
    for id in damaged {
        report.damage(path, format!("dictionary entry {id} is damaged"));
    }
}

/// The documents whose rows check out, and the ids of those that do not (a read that fails part
/// way keeps what it read).
fn salvage_documents(conn: &Connection) -> (Vec<(Document, i64)>, Vec<String>) {
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    let Ok(mut st) = conn.prepare("SELECT id, published, title, text, hash, added FROM documents ORDER BY id") else {
        return (good, vec!["(the table cannot be read)".into()]);
    };
    let Ok(rows) = st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, i64>(5)?,
        ))
    }) else {
        return (good, vec!["(the table cannot be read)".into()]);
    };
    for row in rows {
        match row {
            Ok((id, published, title, text, hash, added)) => match Date::parse(&published) {
                Ok(published) => {
                    let doc = Document { id: id.clone(), published, title, text };
                    if doc.content_hash() as i64 == hash { good.push((doc, added)) } else { bad.push(id) }
                }
                Err(_) => bad.push(id),
            },
            Err(e) => {
                bad.push(format!("(rows after here cannot be read: {e})"));
                break;
            }
        }
    }
    (good, bad)
}

/// The dictionary entries whose rows check out (with their added time), and the ids of those
/// that do not.
fn salvage_actors(conn: &Connection) -> (Vec<(StoredActor, i64)>, Vec<String>) {
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    type Row = rusqlite::Result<(i64, StoredActor, i64, i64)>;
    let read = || -> rusqlite::Result<Vec<Row>> {
        let mut st = conn.prepare(
            "SELECT id, code, kind, names, valid_from, valid_until, office, added, hash FROM actors ORDER BY id",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, StoredActor::from_row(r, 1)?, r.get(7)?, r.get(8)?)))?.collect();
        Ok(rows)
    };
    match read() {
        Ok(rows) => {
            for row in rows {
                match row {
                    Ok((_, a, added, hash)) if a.hash() as i64 == hash => good.push((a, added)),
                    Ok((id, ..)) => bad.push(id.to_string()),
                    Err(e) => {
                        bad.push(format!("(rows after here cannot be read: {e})"));
                        break;
                    }
                }
            }
        }
        Err(e) => bad.push(format!("(the table cannot be read: {e})")),
    }
    (good, bad)
}

/// What [`repair`] did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RepairReport {
    /// True when the check found no damage and nothing was changed.
    pub nothing_to_repair: bool,
    /// Segments the new catalog lists (the catalog's, when there was nothing to repair).
    pub segments: usize,
    /// Their rows (removed ones included).
    pub rows: u64,
    /// Segments the old catalog did not list (or that no catalog listed), taken back.
    pub adopted: Vec<PathBuf>,
    /// Files moved to `quarantine/`, and why.
    pub quarantined: Vec<(PathBuf, String)>,
    /// Files removed as provably left by writes that never committed (or merged away).
    pub removed: Vec<PathBuf>,
    /// Store rows no segment holds any more (`[start, end)`, in the old numbering; the end of a
    /// lost last segment is known only when the old catalog still lists it).
    pub lost_rows: Vec<(u64, u64)>,
    /// Segments rewritten because rows before them were lost (their rows renumbered).
    pub rewritten: usize,
    /// Documents kept.
    pub documents: usize,
    /// Ids of the documents dropped as damaged or unreadable.
    pub documents_dropped: Vec<String>,
    /// Dictionary entries kept.
    pub actors: usize,
    /// Catalog ids of the dictionary entries dropped as damaged or unreadable.
    pub actors_dropped: Vec<String>,
    /// Imported files recorded (from the segments, and from the old catalog when no events
    /// were lost).
    pub imports: usize,
    /// Where the old catalog was kept, if there was one.
    pub previous_catalog: Option<PathBuf>,
}

/// A segment file the repair may take back.
struct Candidate {
    name: String,
    meta: SegmentMeta,
}

/// The new catalog a repair builds, under this name until it replaces the old one.
const REPAIR_CATALOG: &str = "catalog.sqlite.repair";

/// Rebuilds the catalog from the segment files (see the module's doc). Takes the writer's lock:
/// refused while another process writes the store. A store [`check`] finds healthy is left as it
/// is.
pub fn repair(root: &Path) -> Result<RepairReport> {
    let catalog_path = root.join(CATALOG);
    if !catalog_path.exists() && !root.join(SEGMENTS).exists() {
        return Err(Error::NotFound { what: "store", id: root.display().to_string() });
    }
    let lock = lock_store(root)?;
    let mut report = RepairReport::default();
    clear_interrupted_repair(root, &mut report)?;
    let found = check(root)?;
    if found.healthy() {
        return Ok(RepairReport { nothing_to_repair: true, segments: found.segments, rows: found.rows, ..report });
    }
    let t = std::time::Instant::now();
    let dir = root.join(SEGMENTS);
    fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;

    // What the old catalog still says, as far as it reads.
    let mut old = if catalog_path.exists() { open_read_only(&catalog_path).ok() } else { None };
    let version = old.as_ref().and_then(|c| schema_version(c).ok()).unwrap_or(0);
    if version > super::SCHEMA_VERSION {
        return Err(Error::Corrupt {
            path: catalog_path,
            message: format!("schema version {version} is newer than this build's: repair it with a newer detente"),
        });
    }
    if (1..super::SCHEMA_VERSION).contains(&version) {
        return Err(Error::Corrupt {
            path: catalog_path,
            message: format!(
                "schema version {version}, an older build's: open the store for writing once to migrate it, then repair"
            ),
        });
    }
    let older: Vec<String> = segment_files(root)?.into_iter().filter(|n| SegmentName::parse(n).is_none()).collect();
    if let Some(first) = older.first() {
        return Err(Error::Corrupt {
            path: dir.join(first),
            message: format!(
                "{} segment file(s) of an older build's format, which records no place in the store: this repair \
                 cannot place them (move them out of {SEGMENTS}/ to repair the rest)",
                older.len()
            ),
        });
    }
    let view = old.as_mut().and_then(|c| CatalogView::read(c).ok()).unwrap_or_default();
    let (documents, dropped_docs) = old.as_ref().map(salvage_documents).unwrap_or_default();
    let (actors, dropped_actors) = old.as_ref().map(salvage_actors).unwrap_or_default();
    let old_imports = old.as_ref().and_then(|c| imports(c).ok()).unwrap_or_default();
    drop(old);

    // Provably garbage: temporary names, and (when the catalog still says so) the pending write
    // that never committed and merged segments it retired.
    for entry in fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?.flatten() {
        if entry.file_name().to_string_lossy().ends_with(TMP_EXT) {
            fs::remove_file(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
            report.removed.push(entry.path());
        }
    }
    let unlisted = view.unlisted(&segment_files(root)?);
    for name in unlisted.uncommitted.iter().chain(&unlisted.retired) {
        let path = dir.join(name);
        fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        report.removed.push(path);
    }
    let mut candidates = Vec::new();
    for name in segment_files(root)? {
        let path = dir.join(&name);
        let why = match read_segment(&path, true) {
            Err(e @ Error::Corrupt { .. }) => problem_of(e),
            // Not damage (no memory, too many open files): the repair stops, changing nothing more.
            Err(e) => return Err(e),
            Ok(read) => match (read.meta, SegmentName::parse(&name)) {
                (Some(meta), Some(n))
                    if n.seq == meta.seq && n.generation == meta.generation && meta.first_seq <= meta.seq =>
                {
                    candidates.push(Candidate { name, meta });
                    continue;
                }
                _ => "its name and its footer disagree on its place in the store".to_string(),
            },
        };
        report.quarantined.push((quarantine(root, &name, &why)?, why));
    }

    // The newest segment of each run of sequence numbers wins; one that overlaps a newer one's
    // sequence numbers or rows was merged into it (or lost a race with it): set aside.
    candidates.sort_by_key(|c| std::cmp::Reverse((c.meta.generation, c.meta.seq)));
    let mut taken: Vec<Candidate> = Vec::new();
    for c in candidates {
        let end = |m: &SegmentMeta| m.base.saturating_add(m.rows);
        let overlaps = taken.iter().find(|t| {
            let seqs = c.meta.first_seq <= t.meta.seq && t.meta.first_seq <= c.meta.seq;
            let rows = c.meta.rows > 0 && t.meta.rows > 0 && c.meta.base < end(&t.meta) && t.meta.base < end(&c.meta);
            seqs || rows
        });
        match overlaps {
            Some(t) => {
                let why = format!("its rows or writes are also in the newer {}", t.name);
                report.quarantined.push((quarantine(root, &c.name, &why)?, why));
            }
            None => taken.push(c),
        }
    }
    taken.sort_by_key(|c| c.meta.seq);

    // Rows renumbered past any gap: (old first row, rows, new first row), for the removed-rows
    // lists.
    let mut moves: Vec<(u64, u64, u64)> = Vec::new();
    let (mut next, mut expected) = (0u64, 0u64);
    for c in &taken {
        if c.meta.base > expected {
            report.lost_rows.push((expected, c.meta.base));
        }
        moves.push((c.meta.base, c.meta.rows, next));
        next = next.saturating_add(c.meta.rows);
        expected = c.meta.base.saturating_add(c.meta.rows);
    }
    let listed_rows: u64 = view.segments.iter().map(|s| s.2).fold(0, u64::saturating_add);
    if listed_rows > expected {
        report.lost_rows.push((expected, listed_rows));
    }
    let renumber = |row: u32| -> Option<u32> {
        let row = u64::from(row);
        let (old, _, new) = moves.iter().find(|(old, rows, _)| (*old..old.saturating_add(*rows)).contains(&row))?;
        u32::try_from(new + (row - old)).ok()
    };
    // A file whose events were lost can be imported again: only the segments' own records of
    // imported files stand then.
    let lost = !report.lost_rows.is_empty() || !report.quarantined.is_empty();
    let mut import_records: BTreeMap<String, ImportRecord> = BTreeMap::new();
    if !lost {
        import_records.extend(old_imports.into_iter().map(|r| (r.fingerprint.clone(), r)));
    }

    let generation =
        taken.iter().map(|c| c.meta.generation).chain([view.generation]).max().unwrap_or(0).saturating_add(1);
    let new_path = root.join(REPAIR_CATALOG);
    let conn = open_catalog(&new_path)?;
    conn.execute_batch(CATALOG_SCHEMA)?;
    set_schema_version(&conn, super::SCHEMA_VERSION)?;
    let backend = DirBackend::over(root, conn, lock);
    let mut listing = Vec::with_capacity(taken.len());
    let mut retire = Vec::new();
    for (c, (old_base, _, new_base)) in taken.iter().zip(&moves) {
        let listed = view.segments.iter().any(|s| s.1 == c.name);
        if !listed {
            report.adopted.push(dir.join(&c.name));
        }
        let removed: Vec<u32> = c.meta.removed.iter().filter_map(|&r| renumber(r)).collect();
        import_records.extend(c.meta.imports.iter().map(|r| (r.fingerprint.clone(), r.clone())));
        if old_base == new_base && removed == c.meta.removed {
            let bytes = fs::metadata(dir.join(&c.name)).map(|m| m.len()).unwrap_or(0);
            listing.push((c.meta.seq, c.name.clone(), c.meta.rows, bytes));
        } else {
            let read = read_segment(&dir.join(&c.name), true)?;
            let meta = SegmentMeta { base: *new_base, removed, generation, ..c.meta.clone() };
            let conn = backend.conn.lock();
            let (name, bytes, _) = backend.write_segment(&conn, &meta, &read.batch)?;
            listing.push((meta.seq, name, meta.rows, bytes));
            retire.push(c.name.clone());
            report.rewritten += 1;
        }
        report.rows = report.rows.saturating_add(c.meta.rows);
    }
    {
        let mut conn = backend.conn.lock();
        let tx = conn.transaction()?;
        for (seq, name, rows, bytes) in &listing {
            insert_segment(&tx, *seq, name, *rows as usize, *bytes)?;
        }
        for name in &retire {
            tx.execute("INSERT INTO retired(file) VALUES (?1)", params![name])?;
        }
        tx.execute("DELETE FROM pending", [])?;
        for (doc, added) in &documents {
            tx.execute(
                "INSERT INTO documents(id, published, title, text, hash, added) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![doc.id, doc.published.to_string(), doc.title, doc.text, doc.content_hash() as i64, added],
            )?;
        }
        for (a, added) in &actors {
            tx.execute(
                "INSERT INTO actors(code, kind, names, valid_from, valid_until, office, added, hash) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![a.code, a.kind, a.names, a.from, a.until, a.office, added, a.hash() as i64],
            )?;
        }
        for r in import_records.values() {
            tx.execute(
                "INSERT INTO imports(fingerprint, name, format, rows, added) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![r.fingerprint, r.name, r.format, r.rows as i64, now_secs()],
            )?;
        }
        tx.execute("UPDATE meta SET value = ?1 WHERE key = 'generation'", params![generation.to_string()])?;
        tx.commit()?;
    }
    let lock = backend.close()?;
    report.previous_catalog = swap_catalog(root)?;
    // Under the lock still: the segments the new catalog replaced.
    for name in &retire {
        let path = dir.join(name);
        if let Err(e) = fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(file = %path.display(), error = %e, "could not remove a rewritten segment (the next writer will)");
        }
    }
    drop(lock);

    report.segments = listing.len();
    report.documents = documents.len();
    report.documents_dropped = dropped_docs;
    report.actors = actors.len();
    report.actors_dropped = dropped_actors;
    report.imports = import_records.len();
    // What a reader now sees must load.
    DirBackend::open(root, Access::ReadOnly)?.load().map_err(|e| match e {
        Error::Corrupt { path, message } => {
            Error::Internal(format!("the repaired store does not load: {}: {message}", path.display()))
        }
        other => other,
    })?;
    tracing::info!(
        segments = report.segments,
        adopted = report.adopted.len(),
        quarantined = report.quarantined.len(),
        ms = t.elapsed().as_millis() as u64,
        "store repaired"
    );
    Ok(report)
}

/// Clears what a repair that stopped half way left: the segments it rewrote (noted pending in
/// its new catalog, listed by no catalog in force) and that catalog.
fn clear_interrupted_repair(root: &Path, report: &mut RepairReport) -> Result<()> {
    let path = root.join(REPAIR_CATALOG);
    if path.exists() {
        let pending: Vec<String> = open_read_only(&path)
            .and_then(|c| {
                let mut st = c.prepare("SELECT prefix FROM pending")?;
                st.query_map([], |r| r.get(0))?.collect()
            })
            .unwrap_or_default();
        let listed: HashSet<String> = open_read_only(&root.join(CATALOG))
            .ok()
            .and_then(|mut c| CatalogView::read(&mut c).ok())
            .map(|v| v.segments.into_iter().map(|s| s.1).collect())
            .unwrap_or_default();
        for name in segment_files(root)? {
            if !listed.contains(&name) && pending.iter().any(|p| is_of_write(&name, p)) {
                let file = root.join(SEGMENTS).join(&name);
                fs::remove_file(&file).map_err(|e| Error::io(&file, e))?;
                report.removed.push(file);
            }
        }
    }
    for leftover in [REPAIR_CATALOG.to_string(), format!("{REPAIR_CATALOG}-wal"), format!("{REPAIR_CATALOG}-shm")] {
        let p = root.join(leftover);
        if p.exists() {
            fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
        }
    }
    Ok(())
}

/// Puts the repair's catalog in place of the old one in one rename, the old one (and its WAL,
/// which must not meet the new catalog) kept beside under a name of its own. Returns that name.
fn swap_catalog(root: &Path) -> Result<Option<PathBuf>> {
    let catalog = root.join(CATALOG);
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let kept = root.join(format!("{CATALOG}.{REPAIR_KEEP}-{stamp}"));
    let mut any = false;
    if catalog.exists() {
        // A second name for the old catalog: the rename below replaces the first one.
        fs::hard_link(&catalog, &kept)
            .or_else(|_| fs::copy(&catalog, &kept).map(|_| ()))
            .map_err(|e| Error::io(&kept, e))?;
        any = true;
    }
    for suffix in ["-wal", "-shm"] {
        let from = root.join(format!("{CATALOG}{suffix}"));
        if from.exists() {
            let to = PathBuf::from(format!("{}{suffix}", kept.display()));
            fs::rename(&from, &to).map_err(|e| Error::io(&from, e))?;
            any = true;
        }
    }
    let new = root.join(REPAIR_CATALOG);
    fs::rename(&new, &catalog).map_err(|e| Error::io(&catalog, e))?;
    sync_dir(root)?;
    Ok(any.then_some(kept))
}

#[cfg(test)]
mod tests {
    use super::super::tests::ev;
    use super::super::{EventFilter, Store, Write};
    use super::*;
    use crate::domain::columnar::events_to_batch;
    use crate::domain::event::Event;
    use arrow_array::RecordBatch;

    fn open(root: &Path, access: Access) -> Result<Store> {
        Store::open(Box::new(DirBackend::open(root, access)?))
    }

    /// Every live event of a store opened read-only, by id.
    fn events_of(root: &Path) -> Result<Vec<Event>> {
        let store = open(root, Access::ReadOnly)?;
        let v = store.view();
        let mut events = v.events(&v.list(&EventFilter::default(), 100_000, None)?.0);
        events.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(events)
    }

    fn batch(range: std::ops::Range<usize>, code: &str) -> RecordBatch {
        let events: Vec<Event> =
            range.map(|i| ev(&format!("e{i:03}"), "2023-05-10", "TURGOV", "SYRGOV", code)).collect();
        events_to_batch(&events).expect("batch")
    }

    /// A store of 50 events in five segments (compaction held off): 30, then four writes of
    /// five, the last of which replaces an event of the third (a removed row after the second
    /// segment), one with a document and one with an imported file. Returns its events.
    fn build(root: &Path) -> Vec<Event> {
        let store = open(root, Access::ReadWrite).expect("store");
        std::mem::forget(store.defer_compaction());
        store.write(Write { events: Some(batch(0..30, "040")), ..Default::default() }).expect("first");
        let doc = Document {
            id: "moscow".into(),
            published: Date::parse("2023-05-10").expect("date"),
            title: None,
            text: "Turkey and Syria met in Moscow.".into(),
        };
        store
            .write(Write { events: Some(batch(30..35, "040")), documents: vec![doc], ..Default::default() })
            .expect("2");
        let import = ImportRecord {
            fingerprint: "gdelt2:00ff:9".into(),
            name: "a.CSV".into(),
            format: "gdelt2".into(),
            rows: 5,
        };
        store
            .write(Write { events: Some(batch(35..40, "040")), imports: vec![import], ..Default::default() })
            .expect("3");
        store.write(Write { events: Some(batch(40..45, "040")), ..Default::default() }).expect("4");
        let replaced = store.write(Write { events: Some(batch(37..38, "043")), replace: true, ..Default::default() });
        assert_eq!(replaced.expect("replace").replaced, 1);
        drop(store);
        events_of(root).expect("events")
    }

    fn refused(result: Result<Store>) -> String {
        match result {
            Err(Error::Corrupt { message, .. }) => message,
            Err(other) => panic!("expected a damaged store, got {other}"),
            Ok(_) => panic!("expected a damaged store, it opened"),
        }
    }

    #[test]
    fn a_lost_emptied_or_row_less_catalog_costs_no_events() {
        for damage in ["deleted", "emptied", "row-less"] {
            let dir = tempfile::tempdir().expect("tmp");
            let root = dir.path();
            let events = build(root);
            assert_eq!(events.len(), 45);
            let files = segment_files(root).expect("files");
            assert_eq!(files.len(), 5);
            let catalog = root.join(CATALOG);
            match damage {
                "deleted" => fs::remove_file(&catalog).expect("remove"),
                "emptied" => fs::write(&catalog, b"").expect("truncate"),
                _ => {
                    let conn = Connection::open(&catalog).expect("catalog");
                    conn.execute("DELETE FROM segments", []).expect("rows");
                }
            }
            // Neither a writer nor a reader serves it, and nothing is deleted; both name the way out.
            let writing = refused(open(root, Access::ReadWrite));
            let reading = refused(open(root, Access::ReadOnly));
            for message in [&writing, &reading] {
                assert!(message.contains("detente store repair"), "{damage}: {message}");
                assert!(!message.contains("open it for writing"), "{damage}: {message}");
            }
            assert_eq!(segment_files(root).expect("files"), files, "{damage}: no segment removed");
            let found = check(root).expect("check");
            assert!(!found.healthy(), "{damage}: {found:?}");

            let repaired = repair(root).expect("repair");
            assert_eq!((repaired.segments, repaired.rows), (5, 46), "{damage}: {repaired:?}");
            assert!(repaired.quarantined.is_empty() && repaired.lost_rows.is_empty(), "{damage}: {repaired:?}");
            assert_eq!(
                events_of(root).expect("repaired"),
                events,
                "{damage}: every event back, the replaced one still replaced"
            );
            assert_eq!(repaired.imports, 1, "{damage}: the imported file is in its segment");
            // Documents live in the catalog only: kept when it still reads.
            assert_eq!(repaired.documents, usize::from(damage == "row-less"), "{damage}");
            if damage != "deleted" {
                assert!(repaired.previous_catalog.is_some(), "{damage}: the old catalog is kept");
            }
            assert!(check(root).expect("check").healthy(), "{damage}");
            // And it takes writes again.
            let store = open(root, Access::ReadWrite).expect("writable");
            store.write(Write { events: Some(batch(45..46, "040")), ..Default::default() }).expect("write");
            drop(store);
            assert_eq!(events_of(root).expect("events").len(), 46, "{damage}");
            assert!(repair(root).expect("again").nothing_to_repair);
        }
    }

    #[test]
    fn a_flipped_byte_anywhere_in_a_segment_is_a_damaged_store_naming_the_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path();
        let events = build(root);
        let (mut tried, mut caught) = (0, 0);
        for name in segment_files(root).expect("files") {
            let path = root.join(SEGMENTS).join(&name);
            let good = fs::read(&path).expect("bytes");
            for at in (0..good.len()).step_by(41).chain([good.len() - 1]) {
                let mut bad = good.clone();
                bad[at] ^= 1 << (at % 8);
                fs::write(&path, &bad).expect("flip");
                tried += 1;
                match events_of(root) {
                    Err(Error::Corrupt { path: p, .. }) if p == path => caught += 1,
                    other => panic!("{name} byte {at}: {:?}", other.map(|e| e.len())),
                }
            }
            fs::write(&path, &good).expect("restore");
        }
        assert_eq!(caught, tried);
        assert!(tried > 100, "{tried}");
        assert_eq!(events_of(root).expect("restored"), events);
    }

    #[test]
    fn a_damaged_segment_is_set_aside_and_the_rows_after_it_renumbered() {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path();
        let events = build(root);
        // The second segment (events 30-34) damaged; the replacement after it removed a row of
        // the third, which moves down by five.
        let files = segment_files(root).expect("files");
        let second = root.join(SEGMENTS).join(&files[1]);
        let mut bytes = fs::read(&second).expect("bytes");
        bytes[100] ^= 0x40;
        fs::write(&second, &bytes).expect("damage");
        let found = check(root).expect("check");
        assert!(found.findings.iter().any(|f| f.path == second && f.severity == Severity::Damage), "{found:?}");

        let repaired = repair(root).expect("repair");
        assert_eq!(repaired.quarantined.len(), 1);
        assert!(repaired.quarantined[0].0.starts_with(root.join(QUARANTINE)));
        assert_eq!(repaired.lost_rows, [(30, 35)]);
        assert_eq!(repaired.rewritten, 3, "the three segments after it");
        let kept: Vec<Event> = events.into_iter().filter(|e| !("e030".."e035").contains(&e.id.as_str())).collect();
        assert_eq!(events_of(root).expect("repaired"), kept);
        let replaced = kept.iter().find(|e| e.id == "e037").expect("e037");
        assert_eq!(replaced.code, "043", "the replaced version stays removed");
        assert!(check(root).expect("check").healthy());
    }

    #[test]
    fn leftovers_of_interrupted_writes_are_removed_and_unknown_files_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path();
        let events = build(root);
        let segments = root.join(SEGMENTS);
        // A temporary file, and a file of a write noted pending that never committed (the next
        // generation's): provably garbage, removed by the next writer. A note of another
        // generation proves nothing.
        let conn = Connection::open(root.join(CATALOG)).expect("catalog");
        let next = super::super::dir::generation(&conn).expect("generation") + 1;
        let prefix = SegmentName::prefix(9, next);
        fs::write(segments.join(format!("{prefix}.arrow.tmp")), b"half").expect("tmp");
        let first = segments.join(&segment_files(root).expect("files")[0]);
        fs::copy(&first, segments.join(format!("{prefix}-0123456789abcdef.arrow"))).expect("copy");
        conn.execute("INSERT INTO pending(prefix) VALUES (?1)", [&prefix]).expect("pending");
        let stale = SegmentName::prefix(9, next + 5);
        conn.execute("INSERT INTO pending(prefix) VALUES (?1)", [&stale]).expect("pending");
        drop(conn);
        // And an upload a killed service was spooling.
        fs::create_dir_all(root.join(super::super::UPLOADS)).expect("uploads");
        fs::write(root.join(super::super::UPLOADS).join("upload-1-0"), b"half an upload").expect("upload");
        let found = check(root).expect("check");
        assert!(found.healthy() && found.findings.len() == 2, "{found:?}");
        drop(open(root, Access::ReadWrite).expect("writer"));
        assert_eq!(segment_files(root).expect("files").len(), 5);
        assert!(!segments.join(format!("{prefix}.arrow.tmp")).exists());
        assert_eq!(fs::read_dir(root.join(super::super::UPLOADS)).expect("uploads").count(), 0);
        // A segment the catalog knows nothing of (here under a stale note): refused by readers
        // and writers alike, with nothing removed; taken back by a repair only if it fits (a
        // copy of the first does not: set aside).
        let unknown = segments.join(format!("{stale}-0123456789abcdef.arrow"));
        fs::copy(&first, &unknown).expect("copy");
        let conn = Connection::open(root.join(CATALOG)).expect("catalog");
        conn.execute("INSERT INTO pending(prefix) VALUES (?1)", [&stale]).expect("pending");
        drop(conn);
        for access in [Access::ReadOnly, Access::ReadWrite] {
            let message = refused(open(root, access));
            assert!(message.contains("does not list"), "{message}");
        }
        assert!(unknown.exists());
        let repaired = repair(root).expect("repair");
        assert_eq!(repaired.quarantined.len(), 1, "{repaired:?}");
        assert_eq!(events_of(root).expect("events"), events);
    }

    #[test]
    fn a_repair_that_stopped_half_way_is_cleared_by_the_next() {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path();
        let events = build(root);
        let files = segment_files(root).expect("files");
        let second = root.join(SEGMENTS).join(&files[1]);
        let mut bytes = fs::read(&second).expect("bytes");
        bytes[100] ^= 0x40;
        fs::write(&second, &bytes).expect("damage");
        // What an interrupted repair leaves: its new catalog, noting a rewritten segment as
        // pending, and that segment (here a copy of the third, renumbered as it would be).
        let conn = open_catalog(&root.join(REPAIR_CATALOG)).expect("catalog");
        conn.execute_batch(CATALOG_SCHEMA).expect("schema");
        let rewritten = SegmentName::prefix(3, 999);
        conn.execute("INSERT INTO pending(prefix) VALUES (?1)", [&rewritten]).expect("pending");
        drop(conn);
        let third = root.join(SEGMENTS).join(&files[2]);
        let leftover = root.join(SEGMENTS).join(format!("{rewritten}-00000000000000ff.arrow"));
        fs::copy(&third, &leftover).expect("copy");

        let repaired = repair(root).expect("repair");
        assert!(repaired.removed.contains(&leftover), "{repaired:?}");
        assert!(!root.join(REPAIR_CATALOG).exists());
        assert_eq!((repaired.lost_rows.as_slice(), repaired.quarantined.len()), (&[(30, 35)][..], 1), "{repaired:?}");
        let kept: Vec<Event> = events.into_iter().filter(|e| !("e030".."e035").contains(&e.id.as_str())).collect();
        assert_eq!(events_of(root).expect("repaired"), kept);
        // The imported file's events are in the third segment, which kept its record of it.
        assert_eq!(repaired.imports, 1);
    }
}
