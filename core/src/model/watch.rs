//! Following the store: its revision, the changes of each write since a revision, and
//! waiting for the next write.

use super::Model;
use super::requests::Changes;
use crate::error::{Error, Result};
use crate::store::EventFilter;

impl Model {
    /// The store's revision: every committed write raises it. A listing read at this revision
    /// and a watch from it together see every change once.
    pub fn revision(&self) -> u64 {
        self.view().revision()
    }

    /// The changes after `revision` that match a filter, write by write (oldest first, writes
    /// with no matching change left out), with the revision they reach: the events each write
    /// stored and those it removed (a re-code, a replacement, a delete), as they were. A
    /// revision older than this process can replay is [`Error::RevisionTooOld`]; one beyond the
    /// store's is bad input.
    pub fn changes_since(&self, filter: &EventFilter, revision: u64) -> Result<(Vec<Changes>, u64)> {
        self.check_revision(revision)?;
        let view = self.view();
        // A write between the check and this read only moves the log's end: the revision stays
        // replayable unless 4,096 writes came in between.
        let (rows, now) = view
            .changes_since(filter, revision)
            .ok_or(Error::RevisionTooOld { revision, oldest: view.oldest_revision() })?;
        let changes = rows
            .into_iter()
            .map(|c| Changes { revision: c.revision, added: view.events(&c.added), removed: view.events(&c.removed) })
            .collect();
        Ok((changes, now))
    }

    /// Waits until a write takes the store past `revision`, or `timeout` passes; the revision
    /// then (still `revision` when nothing was written). A follower calls this, then
    /// [`Model::changes_since`], and sleeps between writes instead of polling.
    pub fn wait_for_change(&self, revision: u64, timeout: std::time::Duration) -> u64 {
        self.inner.store.wait_for_write(revision, timeout)
    }

    /// Ok when a watch can replay the changes after `revision` ([`Model::changes_since`]).
    pub fn check_revision(&self, revision: u64) -> Result<()> {
        if self.inner.following.load(std::sync::atomic::Ordering::Relaxed) {
            // A refresh reads in the writer's state, not its write log: nothing to replay.
            return Err(Error::Unavailable(
                "this replica reads another process's writes and keeps no change log: watch the writer".into(),
            ));
        }
        let view = self.view();
        if revision > view.revision() {
            return Err(Error::invalid(
                "start_revision",
                format!("revision {revision} is beyond the store's ({})", view.revision()),
            ));
        }
        if revision < view.oldest_revision() {
            return Err(Error::RevisionTooOld { revision, oldest: view.oldest_revision() });
        }
        Ok(())
    }

    /// Keeps a read-only model up to date with the store's writer (another process: a batch
    /// job, a `serve`): every `every`, picks up what it committed ([`Model::refresh`], which
    /// tells the commit listeners and waiters as a write would). Stops when the handle is dropped.
    /// Watches of a following model are refused ([`Model::check_revision`]): it has the writer's
    /// state, not its change log.
    /// A refresh reads the catalog only when the store's generation moved, then reloads the
    /// segments' state and rebuilds the in-memory indexes: its cost grows with the store.
    pub fn follow_writer(&self, every: std::time::Duration) -> Result<Follower> {
        self.inner.following.store(true, std::sync::atomic::Ordering::Relaxed);
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let model = self.clone();
        let thread = std::thread::Builder::new()
            .name("detente-follow".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    match model.refresh() {
                        Ok(true) => tracing::info!(revision = model.revision(), "picked up the writer's commits"),
                        Ok(false) => {}
                        // A catalog caught mid-write or a file gone by a merge: the next turn reads again.
                        Err(e) => tracing::warn!(error = %e, "could not read the writer's commits yet"),
                    }
                }
            })
            .map_err(|e| Error::Internal(format!("starting the follower thread: {e}")))?;
        Ok(Follower { stop: Some(stop), thread: Some(thread) })
    }

    /// Calls `listener` after every write that changed the store (events, documents, actors),
    /// once it is durable and visible to readers. Keep it short: it runs on the writer's thread.
    pub fn on_commit(&self, listener: impl Fn() + Send + Sync + 'static) {
        self.inner.store.on_commit(Box::new(listener));
    }
}

/// The thread of [`Model::follow_writer`]; dropping it stops the thread.
#[derive(Debug)]
pub struct Follower {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Follower {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
