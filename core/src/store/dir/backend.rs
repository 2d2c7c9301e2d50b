//! The [`Backend`] trait for [`DirBackend`]: loading, committing and merging segments, and the
//! catalog's reads of imported files, documents and dictionary entries.

use super::super::backend::{
    Backend, Commit, Committed, DocumentListing, DocumentSummary, LoadedSegment, Snapshot, check_merge,
};
use super::super::files::{SEGMENTS, SegmentMeta, SegmentName, damaged};
use super::super::ipc::read_meta;
use super::catalog::{StoredActor, bump_generation, catalog_error, decode_names, record_commit, unsynced};
use super::segments::verify_checksum;
use super::{DirBackend, SCHEMA_VERSION, disagreement, generation, insert_segment};
use crate::domain::actors::{Entry, Layer, NameKind};
use crate::domain::columnar::event_schema;
use crate::domain::date::Date;
use crate::domain::document::Document;
use crate::error::{Error, Result};
use arrow_array::RecordBatch;
use rusqlite::{OptionalExtension, params};
use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::time::Duration;

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

/// `DETENTE_FAULT_COMMIT_DELAY_MS`: a test hook that makes every commit slower, as a slow disk
/// would (the service's streams must hold up under it).
fn fault_commit_delay() -> Option<u64> {
    static DELAY: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    *DELAY.get_or_init(|| std::env::var("DETENTE_FAULT_COMMIT_DELAY_MS").ok().and_then(|v| v.parse().ok()))
}
