//! Latency of every read RPC on a store of 10,000 events (issue 22's target: ≤ 5 ms p50 and
//! ≤ 20 ms p99 single-client): an in-process server over loopback, the store filled with
//! deterministic events among twelve countries plus one coded article, then each read RPC called
//! in turn by one client, and again by 8 clients at once. Prints p50/p99 in milliseconds.
//!
//! `cargo run --release -p detente-bench --bin read_latency [-- EVENTS CALLS]`

use detente_core::{AddOptions, Event, Model, ModelOptions};
use detente_server::pb::{self, detente_service_client::DetenteServiceClient};
use detente_server::proto::google::r#type::Date as GDate;
use detente_server::serve::{ServeOptions, serve};
use std::time::{Duration, Instant};
use tonic::transport::Channel;

const COUNTRIES: [&str; 12] = ["TUR", "SYR", "RUS", "IRN", "USA", "FRA", "ISR", "EGY", "CHN", "IND", "QAT", "ARE"];
const CODES: [&str; 10] = ["040", "043", "036", "057", "112", "190", "0311", "1011", "045", "111"];
const ARTICLE: &str = "Turkish Foreign Minister Mevlut Cavusoglu met Syrian Foreign Minister Faisal Mekdad in \
                       Moscow on Wednesday. Russia hosted the talks.";

/// Deterministic events; every tenth a meeting of three parties hosted by a fourth (mediators).
fn events(n: usize) -> Vec<Event> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .filter_map(|i| {
            let a = COUNTRIES[(next() % 12) as usize];
            let b = COUNTRIES[(COUNTRIES.iter().position(|c| *c == a).unwrap_or(0) + 1 + (next() % 11) as usize) % 12];
            let v = serde_json::json!({
                "id": format!("b:{i}"),
                "date": format!("20{:02}-{:02}-{:02}", 15 + next() % 9, 1 + next() % 12, 1 + next() % 28),
                "source": format!("{a}GOV"), "target": format!("{b}GOV"),
                "code": CODES[(next() % 10) as usize], "mentions": 1 + next() % 5,
            });
            Event::from_json(&v).ok()
        })
        .collect()
}

/// The series options of the relation calls: 2015 to 2023, monthly.
fn nine_years() -> Option<pb::SeriesOptions> {
    Some(pb::SeriesOptions { start: d(2015, 1, 1), end: d(2023, 12, 31), ..Default::default() })
}

/// A google.type.Date.
fn d(year: i32, month: i32, day: i32) -> Option<GDate> {
    Some(GDate { year, month, day })
}

type Call = (&'static str, fn(DetenteServiceClient<Channel>) -> futures_util::future::BoxFuture<'static, bool>);

fn calls() -> Vec<Call> {
    use futures_util::FutureExt;
    vec![
        ("ListEvents", |mut c| {
            async move {
                let f = pb::EventFilter { dyad: vec!["TUR".into(), "SYR".into()], ..Default::default() };
                c.list_events(pb::ListEventsRequest { filter: Some(f), page_size: 100, ..Default::default() })
                    .await
                    .is_ok()
            }
            .boxed()
        }),
        ("GetEvent", |mut c| {
            async move { c.get_event(pb::GetEventRequest { id: "b:4242".into(), ..Default::default() }).await.is_ok() }
                .boxed()
        }),
        ("BatchGetEvents", |mut c| {
            async move {
                let ids = (0..50).map(|i| format!("b:{}", i * 97)).collect();
                c.batch_get_events(pb::BatchGetEventsRequest { ids, ..Default::default() }).await.is_ok()
            }
            .boxed()
        }),
        ("GetDocument", |mut c| {
            async move {
                c.get_document(pb::GetDocumentRequest { id: "bench:doc".into(), ..Default::default() }).await.is_ok()
            }
            .boxed()
        }),
        ("GetRelation", |mut c| {
            async move {
                let options = nine_years();
                c.get_relation(pb::GetRelationRequest { a: "TUR".into(), b: "SYR".into(), options }).await.is_ok()
            }
            .boxed()
        }),
        ("GetRelationEvents", |mut c| {
            async move {
                let r = pb::GetRelationEventsRequest {
                    a: "TUR".into(),
                    b: "SYR".into(),
                    options: None,
                    period: d(2019, 5, 1),
                    ..Default::default()
                };
                c.get_relation_events(r).await.is_ok()
            }
            .boxed()
        }),
        ("GetShifts", |mut c| {
            async move {
                let options = nine_years();
                c.get_shifts(pb::GetShiftsRequest { a: "TUR".into(), b: "SYR".into(), options, ..Default::default() })
                    .await
                    .is_ok()
            }
            .boxed()
        }),
        ("GetMediators", |mut c| {
            async move {
                let r = pb::GetMediatorsRequest { a: "TUR".into(), b: "SYR".into(), ..Default::default() };
                c.get_mediators(r).await.is_ok()
            }
            .boxed()
        }),
        ("GetNetwork", |mut c| {
            async move {
                let r = pb::GetNetworkRequest { start: d(2019, 1, 1), end: d(2019, 12, 31), ..Default::default() };
                c.get_network(r).await.is_ok()
            }
            .boxed()
        }),
        ("ListMediatorEvents", |mut c| {
            async move {
                let r = pb::ListMediatorEventsRequest {
                    a: "TUR".into(),
                    b: "SYR".into(),
                    mediator: "RUS".into(),
                    ..Default::default()
                };
                c.list_mediator_events(r).await.is_ok()
            }
            .boxed()
        }),
        ("ListDocuments", |mut c| {
            async move {
                c.list_documents(pb::ListDocumentsRequest { page_size: 100, ..Default::default() }).await.is_ok()
            }
            .boxed()
        }),
        ("ResolveActor", |mut c| {
            async move {
                c.resolve_actor(pb::ResolveActorRequest { name: "Faisal Mekdad".into(), date: d(2023, 5, 10) })
                    .await
                    .is_ok()
            }
            .boxed()
        }),
        ("ListActors", |mut c| {
            async move {
                c.list_actors(pb::ListActorsRequest {
                    kind: pb::ActorKind::Person as i32,
                    page_size: 100,
                    ..Default::default()
                })
                .await
                .is_ok()
            }
            .boxed()
        }),
    ]
}

fn quantile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * q).round() as usize]
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let per: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(200);
    let dir = tempfile::tempdir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let model = Model::open(&dir.path().join("store"), &ModelOptions::default())?;
        model.add_events(events(n), &AddOptions::default())?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, model, ServeOptions::default(), async {
            let _ = stopped.await;
        }));
        let channel = tonic::transport::Endpoint::from_shared(url)?.timeout(Duration::from_secs(60)).connect().await?;
        let mut c = DetenteServiceClient::new(channel.clone());
        let doc = pb::Document {
            id: "bench:doc".into(),
            published: d(2023, 5, 11),
            text: ARTICLE.into(),
            ..Default::default()
        };
        c.ingest_documents(pb::IngestDocumentsRequest { documents: vec![doc], recode: false }).await?;
        println!("{n} events; {per} calls each; milliseconds");
        println!("{:<18} {:>8} {:>8} {:>10} {:>10}", "rpc", "p50 x1", "p99 x1", "p50 x8", "p99 x8");
        for (name, call) in calls() {
            // One client, one call at a time (after 10 warm-up calls).
            let mut one = Vec::with_capacity(per);
            for i in 0..per + 10 {
                let t = Instant::now();
                if !call(c.clone()).await {
                    anyhow::bail!("{name} failed");
                }
                if i >= 10 {
                    one.push(t.elapsed().as_secs_f64() * 1e3);
                }
            }
            // Eight clients at once, each `per / 8` calls (at least 25).
            let mut tasks = Vec::new();
            for _ in 0..8 {
                let client = DetenteServiceClient::new(channel.clone());
                tasks.push(tokio::spawn(async move {
                    let mut v = Vec::new();
                    for _ in 0..(per / 8).max(25) {
                        let t = Instant::now();
                        let ok = call(client.clone()).await;
                        v.push((ok, t.elapsed().as_secs_f64() * 1e3));
                    }
                    v
                }));
            }
            let mut eight = Vec::new();
            for t in tasks {
                for (ok, ms) in t.await? {
                    if !ok {
                        anyhow::bail!("{name} failed under load");
                    }
                    eight.push(ms);
                }
            }
            println!(
                "{name:<18} {:>8.2} {:>8.2} {:>10.2} {:>10.2}",
                quantile(&mut one, 0.5),
                quantile(&mut one, 0.99),
                quantile(&mut eight, 0.5),
                quantile(&mut eight, 0.99)
            );
        }
        let _ = stop.send(());
        server.await??;
        Ok::<_, anyhow::Error>(())
    })
}
