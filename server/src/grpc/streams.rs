//! The streaming RPCs: a streamed ingest acknowledging each durable document, event streams,
//! the watch (replay, then follow, with progress), and file uploads and exports in chunks.

use super::{Answer, BoxStream, Mask, Service, blocking, io_status, mask, stopped, transport};
use crate::convert::{self, DEFAULT_CHUNK, MAX_CHUNK, events_to_pb, page_size};
use crate::pb;
use crate::status::{Fields, invalid, status};
use detente_core::{Document, Error, IngestOptions, Model};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

/// `IngestStream`: documents in as they come, each acknowledged once durable (or rejected with
/// its status), in batches written as one.
pub(super) async fn ingest_stream(
    service: &Service,
    req: Request<Streaming<pb::IngestStreamRequest>>,
) -> Answer<BoxStream<pb::IngestStreamResponse>> {
    service.running()?;
    let inbound = req.into_inner();
    let (tx, rx) = mpsc::channel(STREAM_BATCH * 2);
    let model = service.model.clone();
    let mut stopping = service.stopping.clone();
    // One task reads the client's messages as they come (HTTP/2 buffers unread small
    // frames against a budget, and a client streaming fast outruns the durable writes),
    // holding up to READ_AHEAD_BYTES; this one writes them, whatever has arrived each time.
    let mut queued = read_ahead(inbound, service.stopping.clone());
    tokio::spawn(async move {
        let mut sequence = 0u64;
        loop {
            let first = tokio::select! {
                biased;
                _ = stopped(&mut stopping) => {
                    let _ = tx.send(Err(Status::unavailable("the service is shutting down: resend the documents not acknowledged"))).await;
                    return;
                }
                next = queued.recv() => next,
            };
            let mut failed = None;
            let mut batch = Vec::new();
            match first {
                Some(Ok(m)) => batch.push(m),
                Some(Err(s)) => failed = Some(s),
                None => return,
            }
            // Whatever else has already arrived joins the same durable write.
            while failed.is_none() && batch.len() < STREAM_BATCH {
                match queued.try_recv() {
                    Ok(Ok(m)) => batch.push(m),
                    Ok(Err(s)) => failed = Some(s),
                    Err(_) => break,
                }
            }
            if !batch.is_empty() {
                let base = sequence;
                sequence += batch.len() as u64;
                let m = model.clone();
                // Each document holds its share of the read-ahead until it is written.
                let (docs, _shares): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
                let acks = match blocking(move || Ok(ingest_batch(&m, base, docs))).await {
                    Ok(acks) => acks,
                    Err(s) => {
                        let _ = tx.send(Err(s)).await;
                        return;
                    }
                };
                for ack in acks {
                    if tx.send(Ok(ack)).await.is_err() {
                        return;
                    }
                }
            }
            if let Some(s) = failed {
                // The documents before it are acknowledged; the stream ends with the reason.
                tracing::warn!(code = ?s.code(), error = %s.message(), "a streamed ingest ended by its client's stream");
                let _ = tx.send(Err(s)).await;
                return;
            }
        }
    });
    Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
}

/// `StreamEvents`: every matching event, in chunks.
pub(super) async fn stream_events(
    service: &Service,
    req: Request<pb::StreamEventsRequest>,
) -> Answer<BoxStream<pb::StreamEventsResponse>> {
    let r = req.into_inner();
    let fields = mask(r.read_mask.as_ref())?;
    let mut q = convert::query_from_pb(r.filter).map_err(|e| status(e, Fields::nested("filter")))?;
    q.limit =
        Some(page_size(r.chunk_size, "chunk_size", DEFAULT_CHUNK, MAX_CHUNK).map_err(|e| status(e, Fields::TOP))?);
    // The first chunk here, so that a bad filter is the call's error rather than the stream's.
    let first_q = q.clone();
    let first = service.run(Fields::nested("filter"), move |m| m.events(&first_q)).await?;
    let (tx, rx) = mpsc::channel(4);
    let model = service.model.clone();
    let stopping = service.stopping.clone();
    tokio::spawn(async move {
        let mut page = first;
        loop {
            let events = events_to_pb(&page.events, fields.as_deref());
            if tx.send(Ok(pb::StreamEventsResponse { events })).await.is_err() {
                return;
            }
            let Some(cursor) = page.next_cursor.take() else { return };
            if *stopping.borrow() {
                let _ = tx.send(Err(Status::unavailable("the service is shutting down"))).await;
                return;
            }
            q.cursor = Some(cursor);
            let (m, q2) = (model.clone(), q.clone());
            match blocking(move || m.events(&q2).map_err(|e| status(e, Fields::nested("filter")))).await {
                Ok(p) => page = p,
                Err(s) => {
                    let _ = tx.send(Err(s)).await;
                    return;
                }
            }
        }
    });
    Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
}

/// `WatchEvents`: the changes after a revision replayed, then followed, with progress
/// notifications while idle.
pub(super) async fn watch_events(
    service: &Service,
    req: Request<pb::WatchEventsRequest>,
) -> Answer<BoxStream<pb::WatchEventsResponse>> {
    let r = req.into_inner();
    let chosen = mask(r.read_mask.as_ref())?;
    let q = convert::query_from_pb(r.filter).map_err(|e| status(e, Fields::nested("filter")))?;
    if r.start_revision < 0 {
        return Err(invalid("start_revision", "a revision is never negative"));
    }
    let every = Duration::from_secs(
        convert::count(r.progress_interval_seconds, "progress_interval_seconds", DEFAULT_PROGRESS_SECONDS)
            .map_err(|e| status(e, Fields::TOP))? as u64,
    );
    let mut commits = service.commits.clone();
    // Seen first, revision second: a write in between wakes the loop and is read from there.
    let _ = *commits.borrow_and_update();
    let start = r.start_revision as u64;
    let fields = Fields::nested_keeping("filter", &["start_revision"]);
    let (filter, mut revision) = service
        .run(fields, move |m| {
            let f = m.filter(&q)?;
            let from = if start == 0 { m.revision() } else { start };
            // A revision the service cannot replay fails the call itself, not the stream.
            m.check_revision(from)?;
            Ok((f, from))
        })
        .await?;
    let (tx, rx) = mpsc::channel(16);
    let model = service.model.clone();
    let mut stopping = service.stopping.clone();
    tokio::spawn(async move {
        // A replay ends with a progress notification: the client knows it has caught up.
        // Then one whenever nothing was sent for `every` (other filters' writes included).
        let mut progress_due = start != 0;
        let mut last_sent = Instant::now();
        loop {
            let (m, f) = (model.clone(), filter.clone());
            let read = blocking(move || m.changes_since(&f, revision).map_err(|e| status(e, fields)));
            let (changes, now) = match read.await {
                Ok(r) => r,
                Err(s) => {
                    let _ = tx.send(Err(s)).await;
                    return;
                }
            };
            for c in &changes {
                if !send_changes(&tx, c, &chosen).await {
                    return;
                }
                last_sent = Instant::now();
            }
            revision = now;
            if progress_due || last_sent.elapsed() >= every {
                if !send_progress(&tx, revision).await {
                    return;
                }
                last_sent = Instant::now();
            }
            progress_due = false;
            tokio::select! {
                changed = commits.changed() => if changed.is_err() { return },
                _ = tokio::time::sleep_until(last_sent + every) => progress_due = true,
                _ = stopped(&mut stopping) => {
                    let _ = tx.send(Err(Status::unavailable("the service is shutting down: watch again elsewhere or later, from the last revision you saw complete"))).await;
                    return;
                }
                _ = tx.closed() => return,
            }
        }
    });
    Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
}

/// `ImportEvents`: a file uploaded in chunks, spooled, then imported.
pub(super) async fn import_events(
    service: &Service,
    req: Request<Streaming<pb::ImportEventsRequest>>,
) -> Answer<pb::ImportEventsResponse> {
    use tokio::io::AsyncWriteExt;
    service.running()?;
    let mut inbound = req.into_inner();
    let first = inbound
        .message()
        .await
        .map_err(transport)?
        .ok_or_else(|| invalid("format", "an empty stream: the first message names the format"))?;
    let kind = convert::import_format_from_pb(first.format).map_err(|e| status(e, Fields::TOP))?;
    let name = if first.file_name.trim().is_empty() { "upload".to_string() } else { first.file_name.clone() };
    let opts = detente_core::io::import::ImportOptions {
        strict: first.strict,
        force: first.force,
        replace: first.replace,
        ..Default::default()
    };
    // Imports read files (and uploads may be larger than memory): spool inside the store,
    // then import. The guard removes the file however this call ends (a client that goes
    // away drops it); what a killed process leaves, the store's next writable open removes.
    let spool = Spool(service.run(Fields::TOP, |m| m.upload_path()).await?);
    let limit = service.upload_limit;
    let spooled = async {
        let mut file = tokio::fs::File::create(&spool.0).await.map_err(|e| io_status("spool the upload", e))?;
        let mut size = first.data.len() as u64;
        file.write_all(&first.data).await.map_err(|e| io_status("spool the upload", e))?;
        while let Some(m) = inbound.message().await.map_err(transport)? {
            size += m.data.len() as u64;
            if size > limit {
                return Err(Status::resource_exhausted(format!(
                    "the upload is larger than this server takes ({limit} bytes); import the file where it lies, or split it"
                )));
            }
            file.write_all(&m.data).await.map_err(|e| io_status("spool the upload", e))?;
        }
        file.flush().await.map_err(|e| io_status("spool the upload", e))
    };
    spooled.await?;
    tracing::info!(file = %name, kind = kind.as_str(), "importing an upload");
    let (path, upload) = (spool.0.clone(), name.clone());
    let report = service.run(Fields::TOP, move |m| m.import_upload(kind, &path, &upload, &opts)).await?;
    drop(spool);
    let f = report.files.first().cloned().unwrap_or_default();
    Ok(Response::new(pb::ImportEventsResponse {
        rows: f.rows as i64,
        added: f.added as i64,
        unchanged: f.unchanged as i64,
        duplicates: f.duplicates as i64,
        bad: f.bad as i64,
        bad_rows: report
            .bad_rows
            .iter()
            .map(|b| pb::BadRow { line: b.line as i64, message: b.message.clone() })
            .collect(),
        already_imported: f.already_imported,
    }))
}

/// `ExportEvents`: the matching events as a Parquet or CSV file, in chunks.
pub(super) async fn export_events(
    service: &Service,
    req: Request<pb::ExportEventsRequest>,
) -> Answer<BoxStream<pb::ExportEventsResponse>> {
    use detente_core::io::export::ExportFormat;
    let r = req.into_inner();
    let q = convert::query_from_pb(r.filter).map_err(|e| status(e, Fields::nested("filter")))?;
    let format = match pb::ExportFormat::try_from(r.format) {
        Ok(pb::ExportFormat::Unspecified | pb::ExportFormat::Parquet) => ExportFormat::Parquet,
        Ok(pb::ExportFormat::Csv) => ExportFormat::Csv,
        Err(_) => return Err(invalid("format", format!("{} is not an export format", r.format))),
    };
    // A bad filter is the call's error, before any byte is sent.
    let check = q.clone();
    service.run(Fields::nested("filter"), move |m| m.filter(&check).map(|_| ())).await?;
    let (tx, rx) = mpsc::channel(4);
    let model = service.model.clone();
    tokio::task::spawn_blocking(move || {
        let writer = ChunkWriter { tx: tx.clone(), buf: Vec::with_capacity(EXPORT_CHUNK) };
        match model.write_events(&q, format, writer) {
            Ok((mut w, n)) => {
                tracing::debug!(events = n, "exported");
                let _ = w.send();
            }
            Err(e) => {
                let _ = tx.blocking_send(Err(status(e, Fields::nested("filter"))));
            }
        }
    });
    Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
}

/// Documents ingested together in one durable write of a streamed ingest, at most.
pub(super) const STREAM_BATCH: usize = 256;

/// Bytes of a streamed ingest's documents read ahead of the writes, at most.
pub(super) const READ_AHEAD_BYTES: usize = 64 << 20;

/// A document read ahead, holding its share of the read-ahead allowance (in KiB) until written.
pub(super) type Queued = (pb::IngestStreamRequest, tokio::sync::OwnedSemaphorePermit);

/// Reads a request stream as its messages arrive, into a queue bounded by their size; ends the
/// queue with the stream's error (an over-size message: RESOURCE_EXHAUSTED), or when the
/// service stops.
pub(super) fn read_ahead(
    mut inbound: Streaming<pb::IngestStreamRequest>,
    mut stopping: watch::Receiver<bool>,
) -> mpsc::UnboundedReceiver<Result<Queued, Status>> {
    use prost::Message as _;
    let (tx, rx) = mpsc::unbounded_channel();
    let allowance = std::sync::Arc::new(tokio::sync::Semaphore::new(READ_AHEAD_BYTES >> 10));
    tokio::spawn(async move {
        loop {
            let next = tokio::select! {
                biased;
                _ = stopped(&mut stopping) => return,
                next = inbound.next() => next,
            };
            let m = match next {
                Some(Ok(m)) => m,
                Some(Err(s)) => {
                    let _ = tx.send(Err(transport(s)));
                    return;
                }
                None => return,
            };
            // A message's share: its KiB, at least one, at most the whole allowance.
            let kib = (m.encoded_len() >> 10).clamp(1, READ_AHEAD_BYTES >> 10) as u32;
            let Ok(permit) = allowance.clone().acquire_many_owned(kib).await else { return };
            if tx.send(Ok((m, permit))).is_err() {
                return;
            }
        }
    });
    rx
}

/// Resolves once the service begins to shut down.
/// Seconds between a watch's progress notifications while idle, unless the client asks.
pub(super) const DEFAULT_PROGRESS_SECONDS: usize = 10;

pub(super) type WatchSender = mpsc::Sender<Result<pb::WatchEventsResponse, Status>>;

/// Sends one write's changes, in chunks, the last marked complete; false when the client left.
pub(super) async fn send_changes(tx: &WatchSender, c: &detente_core::Changes, mask: &Mask) -> bool {
    let (added, removed) = (events_to_pb(&c.added, mask.as_deref()), events_to_pb(&c.removed, mask.as_deref()));
    let chunks = added.len().div_ceil(DEFAULT_CHUNK).max(removed.len().div_ceil(DEFAULT_CHUNK)).max(1);
    let (mut added, mut removed) = (added.into_iter(), removed.into_iter());
    for i in 0..chunks {
        let msg = pb::WatchEventsResponse {
            events: added.by_ref().take(DEFAULT_CHUNK).collect(),
            removed_events: removed.by_ref().take(DEFAULT_CHUNK).collect(),
            revision: c.revision as i64,
            revision_complete: i + 1 == chunks,
            progress_notification: false,
        };
        if tx.send(Ok(msg)).await.is_err() {
            return false;
        }
    }
    true
}

/// Sends a progress notification at `revision`; false when the client left.
pub(super) async fn send_progress(tx: &WatchSender, revision: u64) -> bool {
    let msg = pb::WatchEventsResponse {
        revision: revision as i64,
        revision_complete: true,
        progress_notification: true,
        ..Default::default()
    };
    tx.send(Ok(msg)).await.is_ok()
}

/// Writes an export into the response stream in chunks of about a megabyte.
pub(super) struct ChunkWriter {
    tx: mpsc::Sender<Result<pb::ExportEventsResponse, Status>>,
    buf: Vec<u8>,
}

impl ChunkWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let data = std::mem::replace(&mut self.buf, Vec::with_capacity(EXPORT_CHUNK));
        self.tx
            .blocking_send(Ok(pb::ExportEventsResponse { data }))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= EXPORT_CHUNK {
            self.send()?;
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Bytes per message of an export.
pub(super) const EXPORT_CHUNK: usize = 1 << 20;

/// An upload's spool file, removed when dropped.
pub(super) struct Spool(std::path::PathBuf);

impl Drop for Spool {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.0)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(file = %self.0.display(), error = %e, "could not remove a spooled upload");
        }
    }
}

/// Ingests one batch of a stream and acknowledges each document in order. Documents that do not
/// convert are rejected alone; if the batch's write fails, its documents are written one by one
/// so that only the offending ones are rejected.
pub(super) fn ingest_batch(
    model: &Model,
    base: u64,
    batch: Vec<pb::IngestStreamRequest>,
) -> Vec<pb::IngestStreamResponse> {
    let mut acks: Vec<Option<pb::IngestStreamResponse>> = vec![None; batch.len()];
    let mut good: Vec<(usize, Document, bool)> = Vec::new();
    for (i, r) in batch.into_iter().enumerate() {
        let doc = r.document.unwrap_or_default();
        match convert::document_from_pb(&doc) {
            Ok(d) => good.push((i, d, r.recode)),
            Err(e) => acks[i] = Some(rejected(base + i as u64, doc.id, e)),
        }
    }
    let same_recode = good.windows(2).all(|w| w[0].2 == w[1].2);
    let together = same_recode && good.len() > 1 && {
        let docs: Vec<Document> = good.iter().map(|g| g.1.clone()).collect();
        let recode = good.first().is_some_and(|g| g.2);
        match model.ingest(docs, &IngestOptions { recode }) {
            Ok(report) => {
                for ((i, _, _), o) in good.iter().zip(&report.documents) {
                    acks[*i] = Some(accepted(base + *i as u64, o));
                }
                true
            }
            Err(e) => {
                tracing::debug!(error = %e, "batch refused; ingesting its documents one by one");
                false
            }
        }
    };
    if !together {
        for (i, d, recode) in good {
            let id = d.id.clone();
            acks[i] = Some(match model.ingest(vec![d], &IngestOptions { recode }) {
                Ok(report) => match report.documents.first() {
                    Some(o) => accepted(base + i as u64, o),
                    None => {
                        rejected(base + i as u64, id, Error::Internal("no outcome for an ingested document".into()))
                    }
                },
                Err(e) => rejected(base + i as u64, id, e),
            });
        }
    }
    acks.into_iter().flatten().collect()
}

pub(super) fn accepted(sequence: u64, o: &detente_core::DocumentOutcome) -> pb::IngestStreamResponse {
    pb::IngestStreamResponse {
        sequence: sequence as i64,
        id: o.id.clone(),
        status: convert::status_to_pb(o.status) as i32,
        events: o.events as i64,
        ..Default::default()
    }
}

pub(super) fn rejected(sequence: u64, id: String, e: Error) -> pb::IngestStreamResponse {
    let s = status(e, Fields::nested("document"));
    // The status's details are an encoded google.rpc.Status carrying code, message and details.
    let error = <tonic_types::pb::Status as prost::Message>::decode(s.details()).unwrap_or_else(|_| {
        tonic_types::pb::Status { code: s.code() as i32, message: s.message().to_string(), details: Vec::new() }
    });
    pb::IngestStreamResponse {
        sequence: sequence as i64,
        id,
        status: pb::DocumentStatus::Rejected as i32,
        events: 0,
        error: Some(error),
    }
}
