//! The gRPC service end to end: a real server on an ephemeral port, a tonic client, every RPC,
//! bad input, the token, TLS, the watch stream, and parity with the command line.

use detente_core::{Model, ModelOptions};
use detente_server::convert::event_from_pb;
use detente_server::pb::{self, detente_service_client::DetenteServiceClient};
use detente_server::proto::google::r#type::Date as GDate;
use detente_server::serve::{ServeOptions, serve};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio_stream::StreamExt;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic::{Code, Request};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};
use tonic_types::StatusExt;

const MOSCOW: &str = "Turkish Foreign Minister Mevlut Cavusoglu met Syrian Foreign Minister Faisal Mekdad in \
                      Moscow on Wednesday. Russia hosted the talks.";
const DEMAND: &str = "Syria demanded that Turkey withdraw its troops from northern Syria.";

struct Running {
    url: String,
    stop: Option<oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Running {
    async fn start(opts: ServeOptions) -> Running {
        let dir = tempfile::tempdir().expect("tempdir");
        let model = Model::open(dir.path(), &ModelOptions::default()).expect("model");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let scheme = if opts.tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            serve(listener, model, opts, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
        });
        Running { url, stop: Some(tx), handle, _dir: dir }
    }

    async fn channel(&self) -> Channel {
        Endpoint::from_shared(self.url.clone())
            .expect("url")
            .timeout(Duration::from_secs(20))
            .connect()
            .await
            .expect("connect")
    }

    async fn client(&self) -> DetenteServiceClient<Channel> {
        DetenteServiceClient::new(self.channel().await).max_decoding_message_size(64 << 20)
    }

    fn data(&self) -> &std::path::Path {
        self._dir.path()
    }

    async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        tokio::time::timeout(Duration::from_secs(20), self.handle).await.expect("stops in time").expect("join");
    }
}

/// A google.type.Date from `YYYY-MM-DD`.
fn d(s: &str) -> Option<GDate> {
    detente_core::Date::parse(s).ok().map(detente_server::convert::date_to_pb)
}

fn doc(id: &str, published: &str, text: &str) -> pb::Document {
    pb::Document { id: id.into(), published: d(published), text: text.into(), ..Default::default() }
}

fn event(id: &str, date: &str, source: &str, target: &str, code: &str) -> pb::Event {
    pb::Event {
        id: id.into(),
        date: d(date),
        source: Some(source.into()),
        target: Some(target.into()),
        code: code.into(),
        ..Default::default()
    }
}

fn field_of(s: &tonic::Status) -> String {
    s.get_details_bad_request().and_then(|b| b.field_violations.first().map(|v| v.field.clone())).unwrap_or_default()
}

#[tokio::test]
async fn every_rpc_answers() {
    let server = Running::start(ServeOptions::default()).await;
    let mut c = server.client().await;

    // Code without storing.
    let coded =
        c.code_text(pb::CodeTextRequest { documents: vec![doc("m", "2023-05-11", MOSCOW)] }).await.expect("code");
    let events = coded.into_inner().events;
    assert!(
        events.iter().any(|e| e.code == "040" && e.source.as_deref() == Some("TURGOV") && e.date == d("2023-05-10"))
    );
    assert!(events.iter().any(|e| e.code == "043" && e.source.as_deref() == Some("RUS")));
    let none = c.list_events(pb::ListEventsRequest::default()).await.expect("list").into_inner();
    assert!(none.events.is_empty(), "coding stores nothing");

    // Ingest, twice: the second time nothing changes.
    let docs = vec![doc("m", "2023-05-11", MOSCOW), doc("d", "2023-05-12", DEMAND)];
    let r = c
        .ingest_documents(pb::IngestDocumentsRequest { documents: docs.clone(), recode: false })
        .await
        .expect("ingest");
    let r = r.into_inner();
    assert_eq!((r.new_documents, r.documents.len()), (2, 2));
    assert!(r.events_added >= 4);
    let again = c.ingest_documents(pb::IngestDocumentsRequest { documents: docs, recode: false }).await.expect("again");
    assert_eq!(again.into_inner().unchanged_documents, 2);

    let got = c
        .get_document(pb::GetDocumentRequest { id: "m".into(), ..Default::default() })
        .await
        .expect("doc")
        .into_inner();
    assert_eq!(got.document.map(|d| d.text), Some(MOSCOW.to_string()));
    assert!(got.events.iter().all(|e| e.doc_id.as_deref() == Some("m") && e.evidence.is_some() && e.span.is_some()));

    // Add events by hand, then page through the dyad.
    let added: Vec<pb::Event> = (0..25)
        .map(|i| event(&format!("x:{i}"), &format!("2023-0{}-15", 1 + i % 6), "TURMIL", "SYRMIL", "190"))
        .collect();
    let a = c.add_events(pb::AddEventsRequest { events: added, replace: false }).await.expect("add").into_inner();
    assert_eq!(a.added, 25);
    let filter = pb::EventFilter { dyad: vec!["TUR".into(), "Syria".into()], ..Default::default() };
    let mut ids = Vec::new();
    let mut token = String::new();
    loop {
        let page = c
            .list_events(pb::ListEventsRequest {
                filter: Some(filter.clone()),
                page_size: 7,
                page_token: token,
                ..Default::default()
            })
            .await
            .expect("page")
            .into_inner();
        assert!(page.events.len() <= 7);
        ids.extend(page.events.into_iter().map(|e| e.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "no event twice across pages");
    assert!(total >= 27, "25 by hand and the coded TUR-SYR events: {total}");

    // The same through the stream, in chunks.
    let mut stream = c
        .stream_events(pb::StreamEventsRequest { filter: Some(filter.clone()), chunk_size: 10, ..Default::default() })
        .await
        .expect("stream")
        .into_inner();
    let mut streamed = 0;
    let mut chunks = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("chunk");
        assert!(chunk.events.len() <= 10);
        streamed += chunk.events.len();
        chunks += 1;
    }
    assert_eq!((streamed, chunks >= 3), (total, true));

    // Relations.
    let opts = pb::SeriesOptions {
        freq: pb::Frequency::Month as i32,
        start: d("2023-01-01"),
        end: d("2023-06-30"),
        ..Default::default()
    };
    let series = c
        .get_relation(pb::GetRelationRequest { a: "TUR".into(), b: "SYR".into(), options: Some(opts) })
        .await
        .expect("relation")
        .into_inner();
    assert_eq!(series.points.len(), 6);
    let may = &series.points[4];
    assert_eq!(may.period, d("2023-05-01"));
    assert!(may.quad1 >= 1 && may.count >= 5, "{may:?}");
    let behind = c
        .get_relation_events(pb::GetRelationEventsRequest {
            a: "TUR".into(),
            b: "SYR".into(),
            options: Some(opts),
            period: d("2023-05-20"),
            ..Default::default()
        })
        .await
        .expect("events behind")
        .into_inner();
    assert_eq!(behind.events.len() as i64, may.count);
    assert_eq!(behind.total_size, may.count);
    // The same events two at a time: every one once, with only the fields asked for.
    let (mut paged, mut token) = (Vec::new(), String::new());
    loop {
        let page = c
            .get_relation_events(pb::GetRelationEventsRequest {
                a: "TUR".into(),
                b: "SYR".into(),
                options: Some(opts),
                period: d("2023-05-20"),
                page_size: 2,
                page_token: token,
                read_mask: Some(prost_types::FieldMask { paths: vec!["id".into(), "date".into()] }),
            })
            .await
            .expect("a page")
            .into_inner();
        assert!(page.events.len() <= 2 && page.events.iter().all(|e| e.code.is_empty() && e.date.is_some()));
        paged.extend(page.events.into_iter().map(|e| e.id));
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    let mut ids: Vec<String> = behind.events.iter().map(|e| e.id.clone()).collect();
    ids.sort();
    paged.sort();
    assert_eq!(paged, ids);
    let shifts = c
        .get_shifts(pb::GetShiftsRequest {
            a: "TUR".into(),
            b: "SYR".into(),
            options: Some(opts),
            penalty: Some(1.0),
            min_size: 1,
            ..Default::default()
        })
        .await
        .expect("shifts")
        .into_inner();
    assert!(shifts.shifts.iter().all(|s| s.direction == pb::ShiftDirection::Thaw as i32 || s.direction == pb::ShiftDirection::Freeze as i32));
    let mediators = c
        .get_mediators(pb::GetMediatorsRequest { a: "TUR".into(), b: "SYR".into(), ..Default::default() })
        .await
        .expect("mediators")
        .into_inner();
    assert_eq!(mediators.mediators.first().map(|m| m.actor.as_str()), Some("RUS"));
    let net = c.get_network(pb::GetNetworkRequest::default()).await.expect("network").into_inner();
    assert!(net.edges.iter().any(|e| e.a == "SYR" && e.b == "TUR"));
    assert!(net.nodes.iter().any(|n| n.actor == "RUS"));

    // Actors.
    let who = c
        .resolve_actor(pb::ResolveActorRequest { name: "Hakan Fidan".into(), date: d("2023-07-01") })
        .await
        .expect("resolve")
        .into_inner();
    assert_eq!(who.code, "TURGOV");
    let page = c
        .list_actors(pb::ListActorsRequest { kind: pb::ActorKind::Country as i32, page_size: 50, ..Default::default() })
        .await
        .expect("actors")
        .into_inner();
    assert_eq!(page.entries.len(), 50);
    assert!(!page.next_page_token.is_empty());
    let next = c
        .list_actors(pb::ListActorsRequest {
            kind: pb::ActorKind::Country as i32,
            page_size: 50,
            page_token: page.next_page_token,
            ..Default::default()
        })
        .await
        .expect("actors")
        .into_inner();
    assert!(next.entries.iter().all(|e| !page.entries.iter().any(|p| p.code == e.code && p.names == e.names)));
    let entry = pb::ActorEntry {
        code: "RUR".into(),
        kind: pb::ActorKind::Country as i32,
        names: vec!["Ruritania".into()],
        ..Default::default()
    };
    c.add_actors(pb::AddActorsRequest { entries: vec![entry] }).await.expect("add actor");
    let rur = c.resolve_actor(pb::ResolveActorRequest { name: "Ruritania".into(), date: None }).await.expect("r");
    assert_eq!(rur.into_inner().code, "RUR");

    // Health.
    let mut health = HealthClient::new(server.channel().await);
    for service in ["", "detente.v1.DetenteService"] {
        let h = health.check(HealthCheckRequest { service: service.into() }).await.expect("health").into_inner();
        assert_eq!(h.status, ServingStatus::Serving as i32);
    }
    server.stop().await;
}

#[tokio::test]
async fn streamed_ingest_acknowledges_each_document() {
    let server = Running::start(ServeOptions::default()).await;
    let mut c = server.client().await;
    let mut requests: Vec<pb::IngestStreamRequest> = (0..40)
        .map(|i| pb::IngestStreamRequest {
            document: Some(doc(&format!("s{i}"), "2023-05-11", if i % 2 == 0 { MOSCOW } else { DEMAND })),
            recode: false,
        })
        .collect();
    // A bad one in the middle: rejected alone, the stream goes on.
    requests[17].document = Some(doc("bad", "2023-05-11", "   "));
    requests[23].document = Some(doc("late", "not a date", DEMAND));
    let acks: Vec<pb::IngestStreamResponse> = c
        .ingest_stream(tokio_stream::iter(requests))
        .await
        .expect("stream")
        .into_inner()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("acks");
    assert_eq!(acks.len(), 40);
    assert!(acks.iter().enumerate().all(|(i, a)| a.sequence == i as i64), "in order");
    assert_eq!(acks[17].status, pb::DocumentStatus::Rejected as i32);
    // A rejection carries the google.rpc.Status the unary call would have: code, field, reason.
    let error_of = |i: usize| -> tonic::Status {
        let e = acks[i].error.clone().expect("an error");
        tonic::Status::with_details(Code::from_i32(e.code), e.message.clone(), prost::Message::encode_to_vec(&e).into())
    };
    assert_eq!((error_of(17).code(), field_of(&error_of(17)).as_str()), (Code::InvalidArgument, "document.text"));
    assert_eq!(field_of(&error_of(23)), "document.published");
    assert_eq!(error_of(17).get_details_error_info().map(|i| i.reason), Some("INVALID_FIELD".into()));
    assert!(acks[0].error.is_none());
    let stored = acks.iter().filter(|a| a.status == pb::DocumentStatus::New as i32).count();
    assert_eq!(stored, 38);
    // Acknowledged means stored: every acknowledged document reads back with its events.
    for a in acks.iter().filter(|a| a.status == pb::DocumentStatus::New as i32) {
        let d = c
            .get_document(pb::GetDocumentRequest { id: a.id.clone(), ..Default::default() })
            .await
            .expect("stored")
            .into_inner();
        assert_eq!(d.events.len() as i64, a.events, "{}", a.id);
    }
    server.stop().await;
}

#[tokio::test]
async fn bad_input_names_its_field() {
    let server = Running::start(ServeOptions { max_request_bytes: 1 << 20, ..Default::default() }).await;
    let mut c = server.client().await;

    let e = c.code_text(pb::CodeTextRequest { documents: vec![doc("", "2023-05-11", "")] }).await.unwrap_err();
    assert_eq!((e.code(), field_of(&e).as_str()), (Code::InvalidArgument, "documents[0].text"));
    let e = c
        .add_events(pb::AddEventsRequest {
            events: vec![event("a", "2023-05-10", "TUR", "SYR", "040"), event("b", "2023-02-30", "TUR", "SYR", "040")],
            replace: false,
        })
        .await
        .unwrap_err();
    assert_eq!((e.code(), field_of(&e).as_str()), (Code::InvalidArgument, "events[1].date"));
    let e = c
        .add_events(pb::AddEventsRequest {
            events: vec![event("c", "2023-05-10", "TUR", "SYR", "999")],
            replace: false,
        })
        .await
        .unwrap_err();
    assert_eq!((e.code(), field_of(&e).as_str()), (Code::InvalidArgument, "events[0].code"));
    assert!(e.message().contains("999"), "{}", e.message());
    // Nothing of a refused batch was stored.
    let all = c.list_events(pb::ListEventsRequest::default()).await.expect("list").into_inner();
    assert!(all.events.is_empty());

    let e = c
        .list_events(pb::ListEventsRequest { page_token: "not-a-token".into(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!((e.code(), field_of(&e).as_str()), (Code::InvalidArgument, "page_token"));
    let bad_filter = pb::EventFilter { start: Some(GDate { year: 2023, month: 2, day: 30 }), ..Default::default() };
    let e = c.list_events(pb::ListEventsRequest { filter: Some(bad_filter), ..Default::default() }).await.unwrap_err();
    assert_eq!(field_of(&e), "filter.start");
    let e = c
        .get_relation(pb::GetRelationRequest { a: "TUR".into(), b: "Ruritania".into(), options: None })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    assert_eq!(e.get_details_resource_info().map(|r| r.resource_name), Some("Ruritania".into()));
    let e = c.get_document(pb::GetDocumentRequest { id: "nope".into(), ..Default::default() }).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let bad_opts = pb::SeriesOptions { freq: 42, ..Default::default() };
    let e = c
        .get_relation(pb::GetRelationRequest { a: "TUR".into(), b: "SYR".into(), options: Some(bad_opts) })
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), "options.freq");

    // Same id, other content: ALREADY_EXISTS unless replacing.
    c.add_events(pb::AddEventsRequest { events: vec![event("k", "2023-05-10", "TUR", "SYR", "040")], replace: false })
        .await
        .expect("add");
    let e = c
        .add_events(pb::AddEventsRequest {
            events: vec![event("k", "2023-05-10", "TUR", "SYR", "111")],
            replace: false,
        })
        .await
        .unwrap_err();
    assert_eq!((e.code(), field_of(&e).as_str()), (Code::AlreadyExists, "events[0].id"));

    // Larger than the server accepts.
    let big = "Turkey criticised Syria. ".repeat(60_000);
    let e = c.code_text(pb::CodeTextRequest { documents: vec![doc("big", "2023-05-11", &big)] }).await.unwrap_err();
    assert_eq!(e.code(), Code::ResourceExhausted, "{e:?}");
    // The server is still fine.
    c.resolve_actor(pb::ResolveActorRequest { name: "Ankara".into(), date: None }).await.expect("still up");
    server.stop().await;
}

#[tokio::test]
async fn the_token_guards_everything_but_health() {
    let server = Running::start(ServeOptions { token: Some("s3cret".into()), ..Default::default() }).await;
    let channel = server.channel().await;
    let ask = |token: Option<&'static str>| {
        let mut c = DetenteServiceClient::new(channel.clone());
        async move {
            let mut req = Request::new(pb::ResolveActorRequest { name: "Ankara".into(), date: None });
            if let Some(t) = token {
                req.metadata_mut().insert("authorization", format!("Bearer {t}").parse().expect("header"));
            }
            c.resolve_actor(req).await.map(|r| r.into_inner().code)
        }
    };
    assert_eq!(ask(None).await.unwrap_err().code(), Code::Unauthenticated);
    assert_eq!(ask(Some("wrong")).await.unwrap_err().code(), Code::Unauthenticated);
    assert_eq!(ask(Some("s3cret")).await.expect("right token"), "TURGOV");
    let mut health = HealthClient::new(channel.clone());
    health.check(HealthCheckRequest { service: String::new() }).await.expect("health needs no token");
    // Reflection is not exempt.
    let mut reflection = tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient::new(channel);
    let req = tonic_reflection::pb::v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(tonic_reflection::pb::v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let e = match reflection.server_reflection_info(tokio_stream::iter([req])).await {
        Err(e) => e,
        Ok(r) => r.into_inner().next().await.and_then(Result::err).expect("refused"),
    };
    assert_eq!(e.code(), Code::Unauthenticated);
    server.stop().await;
}

#[tokio::test]
async fn an_over_size_message_is_resource_exhausted_in_streams_and_calls() {
    let server = Running::start(ServeOptions { max_request_bytes: 64 << 10, ..Default::default() }).await;
    let mut c = server.client().await;
    let big = "Turkey met Syria. ".repeat(6000);
    let requests: Vec<pb::IngestStreamRequest> = (0..9)
        .map(|i| pb::IngestStreamRequest {
            document: Some(doc(&format!("o{i}"), "2023-05-11", if i == 5 { &big } else { MOSCOW })),
            recode: false,
        })
        .collect();
    let mut stream = c.ingest_stream(tokio_stream::iter(requests)).await.expect("stream").into_inner();
    let mut acks = Vec::new();
    let end = loop {
        match stream.next().await {
            Some(Ok(ack)) => acks.push(ack),
            Some(Err(s)) => break Some(s),
            None => break None,
        }
    };
    // The five before it are acknowledged and stored; the stream ends saying why, never OK.
    assert_eq!(acks.len(), 5, "{acks:?}");
    let end = end.expect("the stream ends with an error, not OK");
    assert_eq!(end.code(), Code::ResourceExhausted, "{end:?}");
    for a in &acks {
        c.get_document(pb::GetDocumentRequest { id: a.id.clone(), ..Default::default() }).await.expect("stored");
    }
    // A unary call over the limit: RESOURCE_EXHAUSTED too (tonic alone says OUT_OF_RANGE).
    let e = c.code_text(pb::CodeTextRequest { documents: vec![doc("big", "2023-05-11", &big)] }).await.unwrap_err();
    assert_eq!(e.code(), Code::ResourceExhausted, "{e:?}");
    // A huge value is not echoed back whole (it would not fit the client's header limit).
    let name = "Q".repeat(1 << 15);
    let e = c.resolve_actor(pb::ResolveActorRequest { name, date: None }).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    assert!(e.message().len() < 400 && e.message().contains("32768 characters"), "{}", e.message().len());
    let info = e.get_details_resource_info().expect("resource info");
    assert!(info.resource_name.len() < 400);
    server.stop().await;
}

#[tokio::test]
async fn uploads_are_capped_spooled_in_the_store_and_named_as_sent() {
    let server = Running::start(ServeOptions { max_upload_bytes: 1000, ..Default::default() }).await;
    let mut c = server.client().await;
    let chunk = |i: usize, data: Vec<u8>, name: &str| pb::ImportEventsRequest {
        format: if i == 0 { pb::ImportFormat::Gdelt2 as i32 } else { 0 },
        file_name: name.into(),
        data,
        ..Default::default()
    };
    let big: Vec<pb::ImportEventsRequest> = (0..4).map(|i| chunk(i, vec![b'1'; 400], "big.CSV")).collect();
    let e = c.import_events(tokio_stream::iter(big)).await.unwrap_err();
    assert_eq!(e.code(), Code::ResourceExhausted, "{e:?}");
    // A broken gzip file: the error names the file as sent, never where the server put it.
    let broken = vec![chunk(0, vec![0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8], "day.export.CSV.gz")];
    let e = c.import_events(tokio_stream::iter(broken)).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().contains("day.export.CSV.gz"), "{}", e.message());
    let spool = server.data().join("uploads");
    assert!(
        !e.message().contains(spool.to_str().expect("utf-8")) && !e.message().contains("upload-"),
        "{}",
        e.message()
    );
    // Nothing left behind, whether the upload was refused or imported.
    assert_eq!(std::fs::read_dir(&spool).expect("uploads").count(), 0);
    server.stop().await;
}

#[tokio::test]
async fn tls_with_a_generated_certificate() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("certificate");
    let (pem, key) = (cert.cert.pem(), cert.signing_key.serialize_pem());
    let server =
        Running::start(ServeOptions { tls: Some((pem.clone().into_bytes(), key.into_bytes())), ..Default::default() })
            .await;
    let url = server.url.replace("127.0.0.1", "localhost");
    let tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&pem)).domain_name("localhost");
    let channel = Endpoint::from_shared(url.clone())
        .expect("url")
        .tls_config(tls)
        .expect("tls")
        .connect()
        .await
        .expect("connect");
    let mut c = DetenteServiceClient::new(channel);
    let r = c.resolve_actor(pb::ResolveActorRequest { name: "Damascus".into(), date: None }).await.expect("over tls");
    assert_eq!(r.into_inner().code, "SYRGOV");
    // Plaintext to a TLS server fails.
    let plain = Endpoint::from_shared(url.replace("https", "http")).expect("url").timeout(Duration::from_secs(3));
    if let Ok(ch) = plain.connect().await {
        let mut c = DetenteServiceClient::new(ch);
        assert!(c.resolve_actor(pb::ResolveActorRequest { name: "Damascus".into(), date: None }).await.is_err());
    }
    let healthy = detente_server::serve::healthcheck(
        &server.url.replace("https://", ""),
        Some(pem.into_bytes()),
        "localhost",
        Duration::from_secs(5),
    )
    .await
    .expect("healthcheck");
    assert!(healthy);
    server.stop().await;

    // A self-signed certificate marked as its own authority (as `openssl req -x509` makes
    // them), given to the probe as it is: trusted. Another one: not.
    let self_signed = || {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("cert");
        (cert.pem(), key.serialize_pem())
    };
    let (pem, key) = self_signed();
    let server =
        Running::start(ServeOptions { tls: Some((pem.clone().into_bytes(), key.into_bytes())), ..Default::default() })
            .await;
    let addr = server.url.replace("https://", "");
    let probe = |ca: String| {
        detente_server::serve::healthcheck(&addr, Some(ca.into_bytes()), "localhost", Duration::from_secs(5))
    };
    assert!(probe(pem).await.expect("its own certificate"));
    assert!(probe(self_signed().0).await.is_err(), "another certificate");
    server.stop().await;
}

#[tokio::test]
async fn a_watcher_sees_what_another_client_ingests() {
    let server = Running::start(ServeOptions::default()).await;
    let mut watcher = server.client().await;
    let mut writer = server.client().await;
    // Something before the watch starts is not news.
    writer
        .add_events(pb::AddEventsRequest {
            events: vec![event("old", "2023-01-01", "TUR", "SYR", "040")],
            replace: false,
        })
        .await
        .expect("add");
    let filter = pb::EventFilter { dyad: vec!["SYR".into(), "TUR".into()], ..Default::default() };
    let mut stream = watcher
        .watch_events(pb::WatchEventsRequest { filter: Some(filter), ..Default::default() })
        .await
        .expect("watch")
        .into_inner();
    writer
        .add_events(pb::AddEventsRequest {
            events: vec![
                event("other", "2023-05-01", "USA", "CHN", "111"),
                event("new", "2023-05-01", "SYRGOV", "TURGOV", "112"),
            ],
            replace: false,
        })
        .await
        .expect("add");
    writer
        .ingest_documents(pb::IngestDocumentsRequest { documents: vec![doc("d", "2023-05-12", DEMAND)], recode: false })
        .await
        .expect("ingest");
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let batch = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("a batch in time")
            .expect("open")
            .expect("batch");
        seen.extend(batch.events);
    }
    assert_eq!(seen[0].id, "new");
    assert_eq!(seen[1].doc_id.as_deref(), Some("d"));
    assert!(seen.iter().all(|e| e.id != "old" && e.id != "other"));
    // Shutting down ends the watch with UNAVAILABLE.
    let rest = tokio::spawn(async move {
        let mut last = None;
        while let Some(item) = stream.next().await {
            last = Some(item);
        }
        last
    });
    server.stop().await;
    let last = rest.await.expect("join").expect("an item");
    assert_eq!(last.unwrap_err().code(), Code::Unavailable);
}

#[tokio::test]
async fn coding_over_grpc_matches_the_command_line() {
    let server = Running::start(ServeOptions::default()).await;
    let mut c = server.client().await;
    let text = format!("{MOSCOW} {DEMAND}");
    let grpc = c
        .code_text(pb::CodeTextRequest { documents: vec![doc("parity", "2023-05-11", &text)] })
        .await
        .expect("code")
        .into_inner()
        .events;
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("doc.json");
    std::fs::write(&file, serde_json::json!({"id": "parity", "published": "2023-05-11", "text": text}).to_string())
        .expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_detente"))
        .args(["--data", dir.path().join("store").to_str().expect("path"), "code", file.to_str().expect("path")])
        .args(["--format", "jsonl"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cli: Vec<detente_core::Event> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| detente_core::Event::from_json(&serde_json::from_str(l).expect("json")).expect("event"))
        .collect();
    let grpc: Vec<detente_core::Event> = grpc.into_iter().map(|e| event_from_pb(e).expect("event")).collect();
    assert!(grpc.len() >= 4);
    assert_eq!(grpc, cli);
    server.stop().await;
}

#[tokio::test]
async fn import_an_upload_and_export_a_stream() {
    let server = Running::start(ServeOptions::default()).await;
    let mut c = server.client().await;
    // Two GDELT 2.0 rows of our own and one bad row, uploaded in three chunks.
    let row = |id: &str, a: &str, b: &str, code: &str| {
        let mut f = vec![String::new(); 61];
        for (i, v) in
            [(0, id), (1, "20230510"), (5, a), (7, &a[..3]), (15, b), (17, &b[..3]), (26, code), (30, "1.0"), (31, "3")]
        {
            f[i] = v.to_string();
        }
        f.join("\t")
    };
    let file =
        format!("{}\n{}\nbroken\trow\n", row("501", "TURGOV", "SYRGOV", "040"), row("502", "SYRGOV", "TURGOV", "112"));
    let bytes = file.into_bytes();
    let chunks: Vec<pb::ImportEventsRequest> = bytes
        .chunks(100)
        .enumerate()
        .map(|(i, chunk)| pb::ImportEventsRequest {
            format: if i == 0 { pb::ImportFormat::Gdelt2 as i32 } else { 0 },
            file_name: if i == 0 { "mine.export.CSV".into() } else { String::new() },
            data: chunk.to_vec(),
            ..Default::default()
        })
        .collect();
    let r = c.import_events(tokio_stream::iter(chunks.clone())).await.expect("import").into_inner();
    assert_eq!((r.rows, r.added, r.bad), (3, 2, 1));
    assert_eq!(r.bad_rows[0].line, 3);
    let again = c.import_events(tokio_stream::iter(chunks)).await.expect("again").into_inner();
    assert!(again.already_imported && again.added == 0);
    let bad_format = pb::ImportEventsRequest { format: 42, ..Default::default() };
    let e = c.import_events(tokio_stream::iter([bad_format])).await.unwrap_err();
    assert_eq!((e.code(), field_of(&e).as_str()), (Code::InvalidArgument, "format"));
    let no_format = pb::ImportEventsRequest { data: b"x".to_vec(), ..Default::default() };
    let e = c.import_events(tokio_stream::iter([no_format])).await.unwrap_err();
    assert_eq!((e.code(), field_of(&e).as_str()), (Code::InvalidArgument, "format"));

    // Export as CSV: header and the two events; as Parquet: a Parquet file.
    let filter = pb::EventFilter { dyad: vec!["TUR".into(), "SYR".into()], ..Default::default() };
    let collect = |mut s: tonic::Streaming<pb::ExportEventsResponse>| async move {
        let mut out = Vec::new();
        while let Some(chunk) = s.next().await {
            out.extend(chunk.expect("chunk").data);
        }
        out
    };
    let csv = c
        .export_events(pb::ExportEventsRequest { filter: Some(filter.clone()), format: pb::ExportFormat::Csv as i32 })
        .await
        .expect("export")
        .into_inner();
    let csv = String::from_utf8(collect(csv).await).expect("utf-8");
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("id,date,date_precision,source,target"));
    assert_eq!(lines.len(), 3);
    assert!(lines[1].starts_with("gdelt:501,2023-05-10"));
    let parquet = c
        .export_events(pb::ExportEventsRequest { filter: Some(filter), format: pb::ExportFormat::Parquet as i32 })
        .await
        .expect("export")
        .into_inner();
    let bytes = collect(parquet).await;
    assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"));
    // Collapsed listings are served too.
    let page = c
        .list_events(pb::ListEventsRequest { collapse: true, ..Default::default() })
        .await
        .expect("collapsed")
        .into_inner();
    assert_eq!(page.events.len(), 2);
    server.stop().await;
}

#[tokio::test]
async fn gzip_requests_are_read_and_responses_are_compressed_for_clients_that_accept_it() {
    use tonic::codec::CompressionEncoding::Gzip;
    let server = Running::start(ServeOptions::default()).await;
    let plain = server.client().await;
    let mut gzip = plain.clone().send_compressed(Gzip).accept_compressed(Gzip);
    let req = || pb::CodeTextRequest { documents: vec![doc("gz", "2023-05-11", &MOSCOW.repeat(20))] };
    let answer = gzip.code_text(req()).await.expect("a gzip request is read");
    assert_eq!(answer.metadata().get("grpc-encoding").and_then(|v| v.to_str().ok()), Some("gzip"));
    assert!(answer.get_ref().events.iter().any(|e| e.code == "040"));
    // A client that does not accept gzip gets plain answers.
    let answer = plain.clone().code_text(req()).await.expect("plain");
    assert!(answer.metadata().get("grpc-encoding").is_none());
    server.stop().await;
}

/// The Moscow example as a request.
fn moscow_scenario() -> pb::Scenario {
    let s = detente_core::negotiation::example_scenario("moscow-2023").expect("example");
    pb::Scenario {
        issues: s
            .issues()
            .iter()
            .map(|i| pb::NegotiationIssue {
                id: i.id.clone(),
                label: i.label.clone(),
                min: i.min,
                max: i.max,
                anchors: Vec::new(),
            })
            .collect(),
        stances: s
            .stances()
            .iter()
            .map(|x| pb::Stance {
                actor: x.actor.clone(),
                issue: x.issue.clone(),
                position: x.position,
                salience: x.salience,
                capability: x.capability,
            })
            .collect(),
        salience_scale: pb::SalienceScale::Fraction as i32,
    }
}

#[tokio::test]
async fn the_negotiation_models_stream_their_rounds_and_name_bad_fields() {
    let server = Running::start(ServeOptions::default()).await;
    let mut c = server.client().await;
    let b =
        c.baselines(pb::BaselinesRequest { scenario: Some(moscow_scenario()) }).await.expect("baselines").into_inner();
    assert_eq!(b.baselines[0].power_median, 55.0);
    let mut eum = c
        .run_eum(pb::RunEumRequest { scenario: Some(moscow_scenario()), ..Default::default() })
        .await
        .expect("eum")
        .into_inner();
    let mut rounds = Vec::new();
    while let Some(m) = eum.next().await {
        rounds.push(m.expect("round"));
    }
    assert_eq!(rounds.len(), 11, "round 0 and ten rounds");
    let info = rounds[0].info.as_ref().expect("info in the first message");
    assert_eq!(info.settings.get("profile").map(String::as_str), Some("scholz2011_code"));
    assert_eq!(rounds[10].forecast, Some(55.0));
    let round1 = rounds[1].round.as_ref().expect("round");
    assert_eq!(round1.pairs.len(), 12, "four actors, twelve ordered pairs");
    let mut x = c
        .run_exchange(pb::RunExchangeRequest { scenario: Some(moscow_scenario()), rounds: 2, decide_seed: None })
        .await
        .expect("exchange")
        .into_inner();
    let first = x.next().await.expect("a round").expect("round");
    let e = &first.round.expect("round").exchanges[0];
    assert_eq!(e.i.as_ref().map(|s| s.actor.as_str()), Some("Syria"));
    let mc = c
        .run_monte_carlo(pb::RunMonteCarloRequest {
            scenario: Some(moscow_scenario()),
            model: "eum".into(),
            draws: 100,
            seed: 5,
            ..Default::default()
        })
        .await
        .expect("monte carlo")
        .into_inner();
    // The same draws as the core's own, to the bit.
    let core = detente_core::negotiation::monte_carlo(
        &detente_core::negotiation::example_scenario("moscow-2023").expect("example"),
        &detente_core::negotiation::NegotiationModel::Eum {
            issue: "withdrawal".into(),
            profile: detente_core::negotiation::EumProfile::default(),
        },
        &detente_core::negotiation::Perturbation { draws: 100, seed: 5, ..Default::default() },
    )
    .expect("core");
    assert_eq!(mc.outcomes[0].draws, core.outcomes[0].draws);
    // Salience must be declared; bad stances and options are named.
    let mut undeclared = moscow_scenario();
    undeclared.salience_scale = 0;
    let e = c.baselines(pb::BaselinesRequest { scenario: Some(undeclared) }).await.expect_err("undeclared");
    assert_eq!((e.code(), field_of(&e)), (Code::InvalidArgument, "scenario.salience_scale".to_string()));
    let mut bad = moscow_scenario();
    bad.stances[2].salience = 50.0;
    let e = c.baselines(pb::BaselinesRequest { scenario: Some(bad) }).await.expect_err("bad salience");
    assert_eq!(field_of(&e), "scenario.stances[2].salience");
    let e = c
        .run_eum(pb::RunEumRequest {
            scenario: Some(moscow_scenario()),
            options: [("q".to_string(), "2".to_string())].into(),
            ..Default::default()
        })
        .await
        .expect_err("bad option");
    assert_eq!(field_of(&e), "profile.q");
    server.stop().await;
}
