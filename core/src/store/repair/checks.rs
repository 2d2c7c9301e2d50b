//! [`check`]: reading every file of a store (catalog, segments, documents, dictionary entries)
//! and reporting what is wrong, changing nothing; and the salvage of catalog rows a repair keeps.

use super::super::SCHEMA_VERSION;
use super::super::dir::{CATALOG, CatalogView, StoredActor, disagreement, schema_version, segment_files};
use super::super::files::{QUARANTINE, SEGMENTS, TMP_EXT};
use super::super::ipc::read_segment;
use crate::domain::date::Date;
use crate::domain::document::Document;
use crate::error::{Error, Result};
use rusqlite::{Connection, OpenFlags};
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
pub(super) fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
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
    let current = version == SCHEMA_VERSION;
    if conn.is_some() {
        if version == 0 {
            report.damage(&catalog_path, "the catalog holds no tables (an empty or foreign file)");
        } else if version > SCHEMA_VERSION {
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
    if (1..SCHEMA_VERSION).contains(&version) {
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
pub(super) fn problem_of(e: Error) -> String {
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
pub(super) fn salvage_documents(conn: &Connection) -> (Vec<(Document, i64)>, Vec<String>) {
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
pub(super) fn salvage_actors(conn: &Connection) -> (Vec<(StoredActor, i64)>, Vec<String>) {
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
