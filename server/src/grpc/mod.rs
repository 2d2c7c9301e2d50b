//! The gRPC service: each RPC converts its request, calls one core function off the async
//! threads, and converts the answer. Streams stop when the client goes away and end with
//! UNAVAILABLE when the service shuts down.

mod negotiation;
mod streams;

use crate::convert::{self, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, events_to_pb, page_size};
use crate::pb::{self, detente_service_server::DetenteService};
use crate::status::{Fields, invalid, status};
use detente_core::paging::PageRequest;
use detente_core::{ActorQuery, AddOptions, Date, DocumentQuery, IngestOptions, Model};
use std::pin::Pin;
use tokio::sync::watch;
use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};

/// Event ids given per mediator, unless asked.
const DEFAULT_MEDIATOR_IDS: usize = 20;

/// Documents per unary request.
pub const MAX_DOCUMENTS: usize = 1000;

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

/// Fields chosen by a read mask (`None`: all).
type Mask = Option<Vec<&'static str>>;

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
        streams::ingest_stream(self, req).await
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
        streams::stream_events(self, req).await
    }

    type WatchEventsStream = BoxStream<pb::WatchEventsResponse>;

    async fn watch_events(&self, req: Request<pb::WatchEventsRequest>) -> Answer<Self::WatchEventsStream> {
        streams::watch_events(self, req).await
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
        streams::import_events(self, req).await
    }

    type ExportEventsStream = BoxStream<pb::ExportEventsResponse>;

    async fn export_events(&self, req: Request<pb::ExportEventsRequest>) -> Answer<Self::ExportEventsStream> {
        streams::export_events(self, req).await
    }

    async fn baselines(&self, req: Request<pb::BaselinesRequest>) -> Answer<pb::BaselinesResponse> {
        negotiation::baselines(self, req).await
    }

    type RunEumStream = BoxStream<pb::RunEumResponse>;

    async fn run_eum(&self, req: Request<pb::RunEumRequest>) -> Answer<Self::RunEumStream> {
        negotiation::run_eum(self, req).await
    }

    type RunExchangeStream = BoxStream<pb::RunExchangeResponse>;

    async fn run_exchange(&self, req: Request<pb::RunExchangeRequest>) -> Answer<Self::RunExchangeStream> {
        negotiation::run_exchange(self, req).await
    }

    async fn run_monte_carlo(&self, req: Request<pb::RunMonteCarloRequest>) -> Answer<pb::RunMonteCarloResponse> {
        negotiation::run_monte_carlo(self, req).await
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
