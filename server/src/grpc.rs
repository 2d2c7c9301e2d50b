//! The gRPC service: each RPC converts its request, calls one core function off the async
//! threads, and converts the answer. Streams stop when the client goes away and end with
//! UNAVAILABLE when the service shuts down.

use crate::convert::{self, DEFAULT_CHUNK, DEFAULT_PAGE_SIZE, MAX_CHUNK, MAX_PAGE_SIZE, events_to_pb, page_size};
use crate::pb::{self, detente_service_server::DetenteService};
use crate::status::{Fields, invalid, status};
use detente_core::paging::PageRequest;
use detente_core::{ActorQuery, AddOptions, Date, Document, DocumentQuery, Error, IngestOptions, Model};
use std::pin::Pin;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

/// Event ids given per mediator, unless asked.
const DEFAULT_MEDIATOR_IDS: usize = 20;

/// Documents per unary request.
pub const MAX_DOCUMENTS: usize = 1000;
/// Documents ingested together in one durable write of a streamed ingest, at most.
const STREAM_BATCH: usize = 256;
/// Bytes of a streamed ingest's documents read ahead of the writes, at most.
const READ_AHEAD_BYTES: usize = 64 << 20;

/// A document read ahead, holding its share of the read-ahead allowance (in KiB) until written.
type Queued = (pb::IngestStreamRequest, tokio::sync::OwnedSemaphorePermit);

/// Reads a request stream as its messages arrive, into a queue bounded by their size; ends the
/// queue with the stream's error (an over-size message: RESOURCE_EXHAUSTED), or when the
/// service stops.
fn read_ahead(
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

type Answer<T> = Result<Response<T>, Status>;
type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// The service: the model, the shutdown signal, and the commit counter watch streams follow.
#[derive(Clone)]
pub struct Service {
    model: Model,
    stopping: watch::Receiver<bool>,
    commits: watch::Receiver<u64>,
    /// Bytes an uploaded file may have.
    upload_limit: u64,
}

impl Service {
    /// A service over a model; `stopping` turns true when the server begins to shut down;
    /// uploads may hold up to `upload_limit` bytes.
    pub fn new(model: Model, stopping: watch::Receiver<bool>, upload_limit: u64) -> Service {
        let (tx, commits) = watch::channel(0u64);
        // Runs on the writer's thread after each durable write: bump the counter watchers wait on.
        model.on_commit(move || {
            tx.send_modify(|n| *n = n.wrapping_add(1));
        });
        Service { model, stopping, commits, upload_limit }
    }

    fn running(&self) -> Result<(), Status> {
        if *self.stopping.borrow() {
            Err(Status::unavailable("the service is shutting down; retry elsewhere or later"))
        } else {
            Ok(())
        }
    }

    /// Runs core work on the blocking pool, mapping its error with `fields`.
    async fn run<T, F>(&self, fields: Fields, f: F) -> Result<T, Status>
    where
        T: Send + 'static,
        F: FnOnce(Model) -> detente_core::Result<T> + Send + 'static,
    {
        self.running()?;
        let model = self.model.clone();
        blocking(move || f(model).map_err(|e| status(e, fields))).await
    }
}

/// Resolves once the service begins to shut down.
/// Seconds between a watch's progress notifications while idle, unless the client asks.
const DEFAULT_PROGRESS_SECONDS: usize = 10;

type WatchSender = mpsc::Sender<Result<pb::WatchEventsResponse, Status>>;

/// Fields chosen by a read mask (`None`: all).
type Mask = Option<Vec<&'static str>>;

/// Sends one write's changes, in chunks, the last marked complete; false when the client left.
async fn send_changes(tx: &WatchSender, c: &detente_core::Changes, mask: &Mask) -> bool {
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
async fn send_progress(tx: &WatchSender, revision: u64) -> bool {
    let msg = pb::WatchEventsResponse {
        revision: revision as i64,
        revision_complete: true,
        progress_notification: true,
        ..Default::default()
    };
    tx.send(Ok(msg)).await.is_ok()
}

async fn stopped(stopping: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not Send: drop it here.
    let _ = stopping.wait_for(|s| *s).await.map(|_| ());
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, Status> + Send + 'static) -> Result<T, Status> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Status::internal(format!("worker failed: {e}")))?
}

/// Converts the items of a batch request, naming the first bad one (`documents[2].published`).
fn items<P, T>(
    list: Vec<P>,
    name: &'static str,
    max: usize,
    f: impl Fn(P) -> detente_core::Result<T>,
) -> Result<Vec<T>, Status> {
    if list.len() > max {
        return Err(invalid(name, format!("{} items, at most {max} per request (stream larger batches)", list.len())));
    }
    list.into_iter()
        .enumerate()
        .map(|(i, p)| f(p).map_err(|e| status(e.at("request", i as u64 + 1), Fields::items(name))))
        .collect()
}

/// The fields a request's read mask chooses.
fn mask(m: Option<&prost_types::FieldMask>) -> Result<Mask, Status> {
    convert::read_mask(m).map_err(|e| status(e, Fields::TOP))
}

/// A core date field of a request (unset: `None`).
fn date(d: Option<&crate::proto::google::r#type::Date>, field: &str) -> Result<Option<Date>, Status> {
    convert::date_from_pb(d, field).map_err(|e| status(e, Fields::TOP))
}

/// A page request from a request's size and token.
fn page_request(size: i32, token: String) -> Result<PageRequest, Status> {
    let size = page_size(size, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE).map_err(|e| status(e, Fields::TOP))?;
    Ok(PageRequest { size, token: Some(token).filter(|t| !t.is_empty()) })
}

/// The ids of a batch request on events, at most [`MAX_DOCUMENTS`] (the core checks the rest).
fn event_ids(ids: Vec<String>) -> Result<Vec<String>, Status> {
    if ids.len() > MAX_DOCUMENTS {
        return Err(invalid("ids", format!("{} ids in one call; at most {MAX_DOCUMENTS}", ids.len())));
    }
    Ok(ids)
}

fn actor_pair(a: &str, b: &str) -> Result<(), Status> {
    if a.trim().is_empty() {
        return Err(invalid("a", "the first actor is empty"));
    }
    if b.trim().is_empty() {
        return Err(invalid("b", "the second actor is empty"));
    }
    Ok(())
}

#[tonic::async_trait]
impl DetenteService for Service {
    async fn code_text(&self, req: Request<pb::CodeTextRequest>) -> Answer<pb::CodeTextResponse> {
        let docs = items(req.into_inner().documents, "documents", MAX_DOCUMENTS, |d| convert::document_from_pb(&d))?;
        let events = self.run(Fields::TOP, move |m| Ok(m.code(&docs))).await?;
        Ok(Response::new(pb::CodeTextResponse { events: events_to_pb(&events, None) }))
    }

    async fn ingest_documents(&self, req: Request<pb::IngestDocumentsRequest>) -> Answer<pb::IngestDocumentsResponse> {
        let r = req.into_inner();
        let docs = items(r.documents, "documents", MAX_DOCUMENTS, |d| convert::document_from_pb(&d))?;
        let opts = IngestOptions { recode: r.recode };
        let report = self.run(Fields::items("documents"), move |m| m.ingest(docs, &opts)).await?;
        Ok(Response::new(pb::IngestDocumentsResponse {
            new_documents: report.new_documents as i64,
            unchanged_documents: report.unchanged_documents as i64,
            recoded_documents: report.recoded_documents as i64,
            events_added: report.events_added as i64,
            events_removed: report.events_removed as i64,
            documents: report.documents.iter().map(convert::outcome_to_pb).collect(),
        }))
    }

    type IngestStreamStream = BoxStream<pb::IngestStreamResponse>;

    async fn ingest_stream(
        &self,
        req: Request<Streaming<pb::IngestStreamRequest>>,
    ) -> Answer<Self::IngestStreamStream> {
        self.running()?;
        let inbound = req.into_inner();
        let (tx, rx) = mpsc::channel(STREAM_BATCH * 2);
        let model = self.model.clone();
        let mut stopping = self.stopping.clone();
        // One task reads the client's messages as they come (HTTP/2 buffers unread small
        // frames against a budget, and a client streaming fast outruns the durable writes),
        // holding up to READ_AHEAD_BYTES; this one writes them, whatever has arrived each time.
        let mut queued = read_ahead(inbound, self.stopping.clone());
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

    async fn get_document(&self, req: Request<pb::GetDocumentRequest>) -> Answer<pb::GetDocumentResponse> {
        let r = req.into_inner();
        let fields = mask(r.read_mask.as_ref())?;
        if r.id.trim().is_empty() {
            return Err(invalid("id", "the document id is empty"));
        }
        let id = r.id;
        let (doc, events) = self.run(Fields::TOP, move |m| m.document(id.trim())).await?;
        let mut document = convert::document_to_pb(&doc);
        document.event_count = events.len() as i64;
        Ok(Response::new(pb::GetDocumentResponse {
            document: Some(document),
            events: events_to_pb(&events, fields.as_deref()),
        }))
    }

    async fn list_documents(&self, req: Request<pb::ListDocumentsRequest>) -> Answer<pb::ListDocumentsResponse> {
        let r = req.into_inner();
        let q = DocumentQuery {
            start: date(r.start.as_ref(), "start")?,
            end: date(r.end.as_ref(), "end")?,
            id_prefix: Some(r.id_prefix).filter(|p| !p.is_empty()),
            with_text: r.view == pb::DocumentView::Full as i32,
        };
        if pb::DocumentView::try_from(r.view).is_err() {
            return Err(invalid("view", format!("{} is not a document view", r.view)));
        }
        let page = page_request(r.page_size, r.page_token)?;
        let found = self.run(Fields::TOP, move |m| m.documents(&q, &page)).await?;
        Ok(Response::new(pb::ListDocumentsResponse {
            documents: found.items.iter().map(convert::document_entry_to_pb).collect(),
            next_page_token: found.next_page_token.unwrap_or_default(),
            total_size: found.total_size as i64,
        }))
    }

    async fn delete_document(&self, req: Request<pb::DeleteDocumentRequest>) -> Answer<pb::DeleteDocumentResponse> {
        let id = req.into_inner().id;
        if id.trim().is_empty() {
            return Err(invalid("id", "the document id is empty"));
        }
        let n = self.run(Fields::TOP, move |m| m.delete_document(id.trim())).await?;
        Ok(Response::new(pb::DeleteDocumentResponse { events_deleted: n as i64 }))
    }

    async fn get_event(&self, req: Request<pb::GetEventRequest>) -> Answer<pb::GetEventResponse> {
        let r = req.into_inner();
        let fields = mask(r.read_mask.as_ref())?;
        if r.id.trim().is_empty() {
            return Err(invalid("id", "the event id is empty"));
        }
        let id = r.id;
        let mut events = self.run(Fields::TOP, move |m| m.events_by_id(&[id])).await?;
        Ok(Response::new(pb::GetEventResponse {
            event: events.pop().as_ref().map(|e| convert::event_to_pb_masked(e, fields.as_deref())),
        }))
    }

    async fn batch_get_events(&self, req: Request<pb::BatchGetEventsRequest>) -> Answer<pb::BatchGetEventsResponse> {
        let r = req.into_inner();
        let fields = mask(r.read_mask.as_ref())?;
        let ids = event_ids(r.ids)?;
        let events = self.run(Fields::TOP, move |m| m.events_by_id(&ids)).await?;
        Ok(Response::new(pb::BatchGetEventsResponse { events: events_to_pb(&events, fields.as_deref()) }))
    }

    async fn delete_events(&self, req: Request<pb::DeleteEventsRequest>) -> Answer<pb::DeleteEventsResponse> {
        let r = req.into_inner();
        let ids = event_ids(r.ids)?;
        let query = r.filter.map(|f| convert::query_from_pb(Some(f))).transpose();
        let query = query.map_err(|e| status(e, Fields::nested("filter")))?;
        // The filter's own fields are nested; the choice between ids and filter is not.
        let fields = Fields::nested_keeping("filter", &["ids", "filter", "confirm"]);
        let deleted = self.run(fields, move |m| m.delete_events(&ids, query.as_ref(), r.confirm)).await?;
        Ok(Response::new(pb::DeleteEventsResponse { deleted: deleted as i64 }))
    }

    async fn add_events(&self, req: Request<pb::AddEventsRequest>) -> Answer<pb::AddEventsResponse> {
        let r = req.into_inner();
        let events = items(r.events, "events", usize::MAX, convert::event_from_pb)?;
        let opts = AddOptions { replace: r.replace, input: Some("request".into()), lines: Vec::new() };
        let report = self.run(Fields::items("events"), move |m| m.add_events(events, &opts)).await?;
        Ok(Response::new(pb::AddEventsResponse {
            added: report.summary.added as i64,
            unchanged: report.summary.unchanged as i64,
            replaced: report.summary.replaced as i64,
            unknown_actors: report.unknown_actors,
        }))
    }

    async fn list_events(&self, req: Request<pb::ListEventsRequest>) -> Answer<pb::ListEventsResponse> {
        let r = req.into_inner();
        let fields = mask(r.read_mask.as_ref())?;
        let q = convert::query_from_pb(r.filter).map_err(|e| status(e, Fields::nested("filter")))?;
        let mut q = q.order_by(&r.order_by).map_err(|e| status(e, Fields::TOP))?;
        q.limit = Some(
            page_size(r.page_size, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
                .map_err(|e| status(e, Fields::TOP))?,
        );
        q.cursor = Some(r.page_token).filter(|t| !t.is_empty());
        q.collapse = r.collapse;
        let page = self.run(Fields::nested("filter"), move |m| m.events(&q)).await?;
        Ok(Response::new(pb::ListEventsResponse {
            events: events_to_pb(&page.events, fields.as_deref()),
            next_page_token: page.next_cursor.unwrap_or_default(),
            revision: page.revision as i64,
        }))
    }

    type StreamEventsStream = BoxStream<pb::StreamEventsResponse>;

    async fn stream_events(&self, req: Request<pb::StreamEventsRequest>) -> Answer<Self::StreamEventsStream> {
        let r = req.into_inner();
        let fields = mask(r.read_mask.as_ref())?;
        let mut q = convert::query_from_pb(r.filter).map_err(|e| status(e, Fields::nested("filter")))?;
        q.limit =
            Some(page_size(r.chunk_size, "chunk_size", DEFAULT_CHUNK, MAX_CHUNK).map_err(|e| status(e, Fields::TOP))?);
        // The first chunk here, so that a bad filter is the call's error rather than the stream's.
        let first_q = q.clone();
        let first = self.run(Fields::nested("filter"), move |m| m.events(&first_q)).await?;
        let (tx, rx) = mpsc::channel(4);
        let model = self.model.clone();
        let stopping = self.stopping.clone();
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

    type WatchEventsStream = BoxStream<pb::WatchEventsResponse>;

    async fn watch_events(&self, req: Request<pb::WatchEventsRequest>) -> Answer<Self::WatchEventsStream> {
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
        let mut commits = self.commits.clone();
        // Seen first, revision second: a write in between wakes the loop and is read from there.
        let _ = *commits.borrow_and_update();
        let start = r.start_revision as u64;
        let fields = Fields::nested_keeping("filter", &["start_revision"]);
        let (filter, mut revision) = self
            .run(fields, move |m| {
                let f = m.filter(&q)?;
                let from = if start == 0 { m.revision() } else { start };
                // A revision the service cannot replay fails the call itself, not the stream.
                m.check_revision(from)?;
                Ok((f, from))
            })
            .await?;
        let (tx, rx) = mpsc::channel(16);
        let model = self.model.clone();
        let mut stopping = self.stopping.clone();
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

    async fn get_relation(&self, req: Request<pb::GetRelationRequest>) -> Answer<pb::GetRelationResponse> {
        let r = req.into_inner();
        actor_pair(&r.a, &r.b)?;
        let opts = convert::series_options_from_pb(r.options).map_err(|e| status(e, Fields::SERIES))?;
        let series = self.run(Fields::SERIES, move |m| m.relation(&r.a, &r.b, &opts)).await?;
        Ok(Response::new(convert::series_to_pb(&series)))
    }

    async fn get_relation_events(
        &self,
        req: Request<pb::GetRelationEventsRequest>,
    ) -> Answer<pb::GetRelationEventsResponse> {
        let r = req.into_inner();
        actor_pair(&r.a, &r.b)?;
        let opts = convert::series_options_from_pb(r.options).map_err(|e| status(e, Fields::SERIES))?;
        let period =
            date(r.period.as_ref(), "period")?.ok_or_else(|| invalid("period", "missing period (any day of it)"))?;
        let fields = mask(r.read_mask.as_ref())?;
        let page = page_request(r.page_size, r.page_token)?;
        let found = self.run(Fields::SERIES, move |m| m.relation_events_page(&r.a, &r.b, &opts, period, &page)).await?;
        Ok(Response::new(pb::GetRelationEventsResponse {
            events: events_to_pb(&found.items, fields.as_deref()),
            next_page_token: found.next_page_token.unwrap_or_default(),
            total_size: found.total_size as i64,
        }))
    }

    async fn get_shifts(&self, req: Request<pb::GetShiftsRequest>) -> Answer<pb::GetShiftsResponse> {
        let r = req.into_inner();
        actor_pair(&r.a, &r.b)?;
        let shift_opts = convert::shift_options_from_pb(&r).map_err(|e| status(e, Fields::TOP))?;
        let opts = convert::series_options_from_pb(r.options).map_err(|e| status(e, Fields::SERIES))?;
        let shifts = self.run(Fields::SERIES, move |m| m.shifts(&r.a, &r.b, &opts, &shift_opts)).await?;
        Ok(Response::new(pb::GetShiftsResponse { shifts: shifts.iter().map(convert::shift_to_pb).collect() }))
    }

    async fn get_mediators(&self, req: Request<pb::GetMediatorsRequest>) -> Answer<pb::GetMediatorsResponse> {
        let r = req.into_inner();
        actor_pair(&r.a, &r.b)?;
        let (start, end) = (date(r.start.as_ref(), "start")?, date(r.end.as_ref(), "end")?);
        let limit = convert::count(r.limit, "limit", detente_core::relations::mediators::DEFAULT_LIMIT)
            .map_err(|e| status(e, Fields::TOP))?;
        let ids = convert::count(r.event_ids_per_mediator, "event_ids_per_mediator", DEFAULT_MEDIATOR_IDS)
            .map_err(|e| status(e, Fields::TOP))?
            .min(MAX_PAGE_SIZE);
        let found =
            self.run(Fields::TOP, move |m| m.mediators(&r.a, &r.b, start, end, limit.min(MAX_PAGE_SIZE))).await?;
        Ok(Response::new(pb::GetMediatorsResponse {
            mediators: found.iter().map(|x| convert::mediator_to_pb(x, ids)).collect(),
        }))
    }

    async fn list_mediator_events(
        &self,
        req: Request<pb::ListMediatorEventsRequest>,
    ) -> Answer<pb::ListMediatorEventsResponse> {
        let r = req.into_inner();
        actor_pair(&r.a, &r.b)?;
        if r.mediator.trim().is_empty() {
            return Err(invalid("mediator", "the mediator is empty"));
        }
        let (start, end) = (date(r.start.as_ref(), "start")?, date(r.end.as_ref(), "end")?);
        let fields = mask(r.read_mask.as_ref())?;
        let page = page_request(r.page_size, r.page_token)?;
        let found =
            self.run(Fields::TOP, move |m| m.mediator_events(&r.a, &r.b, start, end, &r.mediator, &page)).await?;
        Ok(Response::new(pb::ListMediatorEventsResponse {
            events: events_to_pb(&found.items, fields.as_deref()),
            next_page_token: found.next_page_token.unwrap_or_default(),
            total_size: found.total_size as i64,
        }))
    }

    async fn get_network(&self, req: Request<pb::GetNetworkRequest>) -> Answer<pb::GetNetworkResponse> {
        let r = req.into_inner();
        let (start, end) = (date(r.start.as_ref(), "start")?, date(r.end.as_ref(), "end")?);
        let min_events = convert::count(r.min_events, "min_events", 1).map_err(|e| status(e, Fields::TOP))? as i64;
        let page = page_request(r.page_size, r.page_token)?;
        let net = self.run(Fields::TOP, move |m| m.network_page(start, end, min_events, &page)).await?;
        Ok(Response::new(convert::network_to_pb(&net)))
    }

    async fn resolve_actor(&self, req: Request<pb::ResolveActorRequest>) -> Answer<pb::ResolveActorResponse> {
        let r = req.into_inner();
        if r.name.trim().is_empty() {
            return Err(invalid("name", "the name is empty"));
        }
        let on = date(r.date.as_ref(), "date")?;
        let res = self.run(Fields::TOP, move |m| m.resolve(&r.name, on)).await?;
        Ok(Response::new(convert::resolution_to_pb(&res)))
    }

    async fn list_actors(&self, req: Request<pb::ListActorsRequest>) -> Answer<pb::ListActorsResponse> {
        let r = req.into_inner();
        let q = ActorQuery {
            kind: convert::kind_from_pb(r.kind, "kind")
                .map_err(|e| status(e, Fields::TOP))?
                .map(|k| k.as_str().to_string()),
            code: Some(r.code).filter(|c| !c.is_empty()),
            user_only: r.user_only,
            limit: Some(
                page_size(r.page_size, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
                    .map_err(|e| status(e, Fields::TOP))?,
            ),
            cursor: Some(r.page_token).filter(|t| !t.is_empty()),
        };
        let page = self.run(Fields::TOP, move |m| m.actors(&q)).await?;
        Ok(Response::new(pb::ListActorsResponse {
            entries: page.entries.iter().map(convert::entry_to_pb).collect(),
            next_page_token: page.next_cursor.unwrap_or_default(),
            total_size: page.total_size as i64,
        }))
    }

    async fn import_events(
        &self,
        req: Request<Streaming<pb::ImportEventsRequest>>,
    ) -> Answer<pb::ImportEventsResponse> {
        use tokio::io::AsyncWriteExt;
        self.running()?;
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
        let spool = Spool(self.run(Fields::TOP, |m| m.upload_path()).await?);
        let limit = self.upload_limit;
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
        let report = self.run(Fields::TOP, move |m| m.import_upload(kind, &path, &upload, &opts)).await?;
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

    type ExportEventsStream = BoxStream<pb::ExportEventsResponse>;

    async fn export_events(&self, req: Request<pb::ExportEventsRequest>) -> Answer<Self::ExportEventsStream> {
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
        self.run(Fields::nested("filter"), move |m| m.filter(&check).map(|_| ())).await?;
        let (tx, rx) = mpsc::channel(4);
        let model = self.model.clone();
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

    async fn add_actors(&self, req: Request<pb::AddActorsRequest>) -> Answer<pb::AddActorsResponse> {
        let entries = items(req.into_inner().entries, "entries", MAX_DOCUMENTS, |e| convert::entry_from_pb(&e))?;
        if entries.is_empty() {
            return Err(invalid("entries", "no entries to add"));
        }
        let report = self.run(Fields::items("entries"), move |m| m.add_actor_entries(entries)).await?;
        Ok(Response::new(pb::AddActorsResponse {
            added: report.added as i64,
            entries: report.entries.iter().map(convert::entry_to_pb).collect(),
        }))
    }

    async fn update_actor(&self, req: Request<pb::UpdateActorRequest>) -> Answer<pb::UpdateActorResponse> {
        let p = req.into_inner().entry.ok_or_else(|| invalid("entry", "the entry is required"))?;
        let entry = convert::entry_from_pb(&p).map_err(|e| status(e, Fields::nested("entry")))?;
        let stored = self.run(Fields::nested("entry"), move |m| m.update_actor(p.id, entry)).await?;
        Ok(Response::new(pb::UpdateActorResponse { entry: Some(convert::entry_to_pb(&stored)) }))
    }

    async fn delete_actor(&self, req: Request<pb::DeleteActorRequest>) -> Answer<pb::DeleteActorResponse> {
        let id = req.into_inner().id;
        let old = self.run(Fields::TOP, move |m| m.delete_actor(id)).await?;
        Ok(Response::new(pb::DeleteActorResponse { entry: Some(convert::entry_to_pb(&old)) }))
    }
}

/// Writes an export into the response stream in chunks of about a megabyte.
struct ChunkWriter {
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
const EXPORT_CHUNK: usize = 1 << 20;

/// An upload's spool file, removed when dropped.
struct Spool(std::path::PathBuf);

impl Drop for Spool {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.0)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(file = %self.0.display(), error = %e, "could not remove a spooled upload");
        }
    }
}

/// A local I/O failure while serving, without the server's paths.
fn io_status(what: &str, e: std::io::Error) -> Status {
    tracing::error!(error = %e, "could not {what}");
    Status::unavailable(format!("the server could not {what} ({})", e.kind()))
}

/// A status the transport gave on a request stream, in the gRPC convention: a message over
/// the size limit is RESOURCE_EXHAUSTED (tonic says OUT_OF_RANGE).
pub fn transport(s: Status) -> Status {
    if s.code() == tonic::Code::OutOfRange {
        return Status::resource_exhausted(s.message().to_string());
    }
    s
}

/// Ingests one batch of a stream and acknowledges each document in order. Documents that do not
/// convert are rejected alone; if the batch's write fails, its documents are written one by one
/// so that only the offending ones are rejected.
fn ingest_batch(model: &Model, base: u64, batch: Vec<pb::IngestStreamRequest>) -> Vec<pb::IngestStreamResponse> {
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

fn accepted(sequence: u64, o: &detente_core::DocumentOutcome) -> pb::IngestStreamResponse {
    pb::IngestStreamResponse {
        sequence: sequence as i64,
        id: o.id.clone(),
        status: convert::status_to_pb(o.status) as i32,
        events: o.events as i64,
        ..Default::default()
    }
}

fn rejected(sequence: u64, id: String, e: Error) -> pb::IngestStreamResponse {
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
