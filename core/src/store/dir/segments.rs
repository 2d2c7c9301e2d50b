//! Segment files on disk: listing them, writing one durably, loading every one the catalog
//! lists, and the checks of a file against its checksum and the catalog.

use super::super::backend::{LoadedSegment, Snapshot};
use super::super::files::{EXT, QUARANTINE, SEGMENTS, SegmentMeta, SegmentName, TMP_EXT, checksum, damaged};
use super::super::ipc::{map_segment, read_mapped_segment, write_segment_file};
use super::catalog::unsynced;
use super::{CatalogView, DirBackend, io, sync_dir};
use crate::error::{Error, Result};
use arrow_array::RecordBatch;
use rusqlite::{Connection, params};
use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The segment files in a store's `segments/` (names ending `.arrow`), sorted.
pub(in crate::store) fn segment_files(root: &Path) -> Result<Vec<String>> {
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

/// True when a segment file name is one a write with this pending prefix makes.
pub(in crate::store) fn is_of_write(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('-'))
}

impl DirBackend {
    /// Writes a segment file durably: noted as pending, written to a temporary name, read back
    /// and checked while the system writes it out (the sync then waits for less), synced and
    /// renamed to its name with its checksum. Returns the name, its size and its batch as read
    /// back. A failure removes what it wrote.
    pub(in crate::store) fn write_segment(
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
    pub(super) fn settle_failed_commit(&self, conn: &Connection, meta: &SegmentMeta, name: &str) -> bool {
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

    /// One consistent read of the catalog and of the segments it lists, each checked against its
    /// checksum and against the catalog.
    pub(super) fn load_once(&self) -> Result<Snapshot> {
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
    pub(super) fn missing_segment(&self, e: &Error) -> bool {
        matches!(e, Error::Io { path, .. } if path.starts_with(self.root.join(SEGMENTS)) && !path.exists())
    }
}

/// Checks a segment file's bytes against the checksum its name records.
pub(super) fn verify_checksum(path: &Path) -> Result<()> {
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
pub(in crate::store) fn disagreement(
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
pub(in crate::store) fn quarantine(root: &Path, name: &str, why: &str) -> Result<PathBuf> {
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
