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

mod checks;
#[cfg(test)]
mod tests;

pub use checks::{CheckReport, Finding, Severity, check};

use super::dir::{
    CATALOG, CATALOG_SCHEMA, CatalogView, DirBackend, REPAIR_KEEP, imports, insert_segment, is_of_write, lock_store,
    now_secs, open_catalog, quarantine, schema_version, segment_files, set_schema_version, sync_dir,
};
use super::files::{SEGMENTS, SegmentMeta, SegmentName, TMP_EXT};
use super::ipc::read_segment;
use super::{Access, Backend, ImportRecord};
use crate::error::{Error, Result};
use checks::{open_read_only, problem_of, salvage_actors, salvage_documents};
use rusqlite::params;
use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

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
