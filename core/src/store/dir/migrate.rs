//! Migrations: bringing the catalog and segments of an older build to [`SCHEMA_VERSION`].

use super::super::files::{SegmentMeta, SegmentName};
use super::super::ipc::read_segment;
use super::catalog::strings;
use super::{
    DirBackend, SCHEMA_VERSION, StoredActor, generation, imports, insert_segment, io, is_of_write, quarantine,
    segment_files, set_schema_version,
};
use crate::error::Result;
use rusqlite::params;
use std::collections::HashSet;
use std::fs;

impl DirBackend {
    /// Brings a catalog of an older build to [`SCHEMA_VERSION`]. Up to 4 the steps change only
    /// the catalog; 4 → 5 rewrites every segment with its checksum and its place in the store.
    pub(super) fn migrate(&self, from: i64) -> Result<()> {
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
}
