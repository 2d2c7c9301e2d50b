//! The durable part of the store behind an interface, so that a server-grade backend can be
//! added later: the embedded directory backend (SQLite catalog + Arrow IPC segments) and an
//! in-memory one.

use crate::domain::actors::Entry;
use crate::domain::document::Document;
use crate::error::{Error, Result};
use arrow_array::RecordBatch;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::path::Path;

/// A segment of events as loaded: its sequence number and its rows.
#[derive(Debug, Clone)]
pub struct LoadedSegment {
    /// Sequence number, increasing with every write.
    pub seq: u64,
    /// The events.
    pub batch: RecordBatch,
}

/// Everything needed to rebuild the in-memory state.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Segments in sequence order.
    pub segments: Vec<LoadedSegment>,
    /// Global row numbers of events removed by later writes (replaced or re-coded).
    pub tombstones: Vec<u32>,
    /// Write counter at the time of the snapshot.
    pub generation: u64,
}

/// One atomic write: all of it lands, or none of it.
#[derive(Debug, Default)]
pub struct Commit {
    /// New events.
    pub batch: Option<RecordBatch>,
    /// Rows removed.
    pub tombstones: Vec<u32>,
    /// Documents stored (replacing same-id ones).
    pub documents: Vec<Document>,
    /// Dictionary entries stored.
    pub actors: Vec<Entry>,
    /// Imported files recorded (so that importing one again is a no-op).
    pub imports: Vec<ImportRecord>,
    /// Documents deleted, by id.
    pub removed_documents: Vec<String>,
    /// Dictionary entries replaced in place, each with its `id`.
    pub updated_actors: Vec<Entry>,
    /// Dictionary entries deleted, by id.
    pub removed_actors: Vec<i64>,
}

/// An imported file, by the fingerprint of its content.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImportRecord {
    /// Format, content hash and length (`gdelt2:…:…`).
    pub fingerprint: String,
    /// The file's name when imported.
    pub name: String,
    /// The format.
    pub format: String,
    /// Its data rows.
    pub rows: u64,
}

/// What a commit produced.
#[derive(Debug)]
pub struct Committed {
    /// The new segment as it will be read from now on (memory-mapped for the directory backend).
    pub segment: Option<LoadedSegment>,
    /// The new write counter.
    pub generation: u64,
}

/// The durable storage of a store.
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// Reads everything needed to rebuild the in-memory state.
    fn load(&self) -> Result<Snapshot>;
    /// Applies one write atomically and durably.
    fn commit(&self, commit: Commit) -> Result<Committed>;
    /// Replaces adjacent segments (`run`: every one of a run, in order, as (sequence number,
    /// rows)) by one segment holding their rows in the same order, atomically and durably
    /// (compaction). The new segment takes the last one's place, so rows keep their numbers. A
    /// run that is not the store's, segment for segment and row for row, is refused; once the
    /// merge is committed, no error is returned.
    fn merge_segments(&self, run: &[(u64, usize)], batch: &RecordBatch) -> Result<Committed>;
    /// A stored document.
    fn document(&self, id: &str) -> Result<Option<Document>>;
    /// True when a file with this fingerprint was imported.
    fn imported(&self, fingerprint: &str) -> Result<bool>;
    /// True when a file of this format and size (the last part of its fingerprint) was
    /// imported: only then is a file's content worth hashing before it is read.
    fn imported_size(&self, format: &str, bytes: u64) -> Result<bool>;
    /// The content hashes of stored documents among `ids`.
    fn document_hashes(&self, ids: &[&str]) -> Result<HashMap<String, u64>>;
    /// Dictionary entries added through the API, in the order added, each with its id.
    fn actor_entries(&self) -> Result<Vec<Entry>>;
    /// Stored documents matching `q`, by (publication date, id), after its key: at most
    /// `q.limit` of them, and how many match in all.
    fn documents(&self, q: &DocumentListing) -> Result<(Vec<DocumentSummary>, usize)>;
    /// The current write counter (changes when another process writes).
    fn generation(&self) -> Result<u64>;
    /// The directory, for stores on disk.
    fn path(&self) -> Option<&Path>;
    /// False when opened read-only.
    fn writable(&self) -> bool;
    /// Bytes on disk (0 in memory).
    fn size_on_disk(&self) -> u64;
}

/// Refuses a merge whose batch does not hold the run's rows.
pub(super) fn check_merge(run: &[(u64, usize)], batch: &RecordBatch) -> Result<()> {
    let rows: usize = run.iter().map(|r| r.1).sum();
    if run.len() < 2 || rows != batch.num_rows() {
        return Err(Error::Internal(format!("a merge of {} rows for the {rows} of {run:?}", batch.num_rows())));
    }
    Ok(())
}

/// Which stored documents a listing wants: a publication window, an id prefix, the key after
/// which the page starts, and its size.
#[derive(Debug, Clone, Default)]
pub struct DocumentListing {
    /// First publication day.
    pub start: Option<crate::Date>,
    /// Last publication day.
    pub end: Option<crate::Date>,
    /// The start of the ids.
    pub id_prefix: Option<String>,
    /// The (publication date, id) the page starts after.
    pub after: Option<(crate::Date, String)>,
    /// Documents on the page.
    pub limit: usize,
    /// Whether the texts are wanted.
    pub with_text: bool,
}

impl DocumentListing {
    fn matches(&self, d: &Document) -> bool {
        self.start.is_none_or(|s| d.published >= s)
            && self.end.is_none_or(|e| d.published <= e)
            && self.id_prefix.as_deref().is_none_or(|p| d.id.starts_with(p))
    }
}

/// A stored document as a listing gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentSummary {
    /// The document (its text empty unless asked for).
    pub document: Document,
    /// When it was stored, in seconds since the Unix epoch.
    pub added: i64,
}

/// A backend that keeps everything in memory (the in-memory Model).
#[derive(Debug, Default)]
pub(crate) struct MemoryBackend {
    inner: Mutex<MemoryInner>,
}

#[derive(Debug, Default)]
struct MemoryInner {
    segments: Vec<LoadedSegment>,
    tombstones: Vec<u32>,
    documents: HashMap<String, (Document, i64)>,
    actors: Vec<Entry>,
    next_actor: i64,
    imports: std::collections::HashSet<String>,
    generation: u64,
}

impl Backend for MemoryBackend {
    fn load(&self) -> Result<Snapshot> {
        let m = self.inner.lock();
        Ok(Snapshot { segments: m.segments.clone(), tombstones: m.tombstones.clone(), generation: m.generation })
    }

    fn commit(&self, c: Commit) -> Result<Committed> {
        let mut m = self.inner.lock();
        m.generation += 1;
        let segment = c.batch.map(|batch| LoadedSegment { seq: m.generation, batch });
        if let Some(s) = &segment {
            m.segments.push(s.clone());
        }
        m.tombstones.extend(c.tombstones);
        let now = super::dir::now_secs();
        for id in &c.removed_documents {
            m.documents.remove(id);
        }
        for d in c.documents {
            m.documents.insert(d.id.clone(), (d, now));
        }
        m.actors.retain(|a| a.id.is_none_or(|id| !c.removed_actors.contains(&id)));
        for u in c.updated_actors {
            if let Some(a) = m.actors.iter_mut().find(|a| a.id == u.id) {
                *a = u;
            }
        }
        for mut a in c.actors {
            m.next_actor += 1;
            a.id = Some(m.next_actor);
            a.origin = format!("store:{}", m.next_actor);
            m.actors.push(a);
        }
        m.imports.extend(c.imports.into_iter().map(|r| r.fingerprint));
        Ok(Committed { segment, generation: m.generation })
    }

    fn merge_segments(&self, run: &[(u64, usize)], batch: &RecordBatch) -> Result<Committed> {
        check_merge(run, batch)?;
        let mut m = self.inner.lock();
        let start = m.segments.iter().position(|s| Some(s.seq) == run.first().map(|r| r.0));
        let range = start.map(|i| i..i + run.len()).filter(|r| {
            m.segments
                .get(r.clone())
                .is_some_and(|segs| segs.iter().map(|s| (s.seq, s.batch.num_rows())).eq(run.iter().copied()))
        });
        let (Some(range), Some(&(last, _))) = (range, run.last()) else {
            return Err(Error::Internal(format!("segments {run:?} are not a run of the store's")));
        };
        m.generation += 1;
        let segment = LoadedSegment { seq: last, batch: batch.clone() };
        m.segments.splice(range, [segment.clone()]);
        Ok(Committed { segment: Some(segment), generation: m.generation })
    }

    fn imported(&self, fingerprint: &str) -> Result<bool> {
        Ok(self.inner.lock().imports.contains(fingerprint))
    }

    fn imported_size(&self, format: &str, bytes: u64) -> Result<bool> {
        let (head, tail) = (format!("{format}:"), format!(":{bytes}"));
        Ok(self.inner.lock().imports.iter().any(|f| f.starts_with(&head) && f.ends_with(&tail)))
    }

    fn document(&self, id: &str) -> Result<Option<Document>> {
        Ok(self.inner.lock().documents.get(id).map(|d| d.0.clone()))
    }

    fn document_hashes(&self, ids: &[&str]) -> Result<HashMap<String, u64>> {
        let m = self.inner.lock();
        Ok(ids.iter().filter_map(|id| m.documents.get(*id).map(|d| (d.0.id.clone(), d.0.content_hash()))).collect())
    }

    fn actor_entries(&self) -> Result<Vec<Entry>> {
        Ok(self.inner.lock().actors.clone())
    }

    fn documents(&self, q: &DocumentListing) -> Result<(Vec<DocumentSummary>, usize)> {
        let m = self.inner.lock();
        let mut all: Vec<&(Document, i64)> = m.documents.values().filter(|d| q.matches(&d.0)).collect();
        all.sort_by(|x, y| (x.0.published, &x.0.id).cmp(&(y.0.published, &y.0.id)));
        let total = all.len();
        let page = all
            .into_iter()
            .filter(|d| q.after.as_ref().is_none_or(|(p, id)| (d.0.published, &d.0.id) > (*p, id)))
            .take(q.limit)
            .map(|(d, added)| {
                let mut document = d.clone();
                if !q.with_text {
                    document.text.clear();
                }
                DocumentSummary { document, added: *added }
            })
            .collect();
        Ok((page, total))
    }

    fn generation(&self) -> Result<u64> {
        Ok(self.inner.lock().generation)
    }

    fn path(&self) -> Option<&Path> {
        None
    }

    fn writable(&self) -> bool {
        true
    }

    fn size_on_disk(&self) -> u64 {
        0
    }
}
