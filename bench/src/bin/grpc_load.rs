//! gRPC load test, loopback only and bounded in time and count: an in-process server over a
//! fresh store, N concurrent clients mixing ingests (one short article each) with queries
//! (relation series, event listings, actor resolution). Reports requests/s and p50/p99 latency
//! per call, then stops the server and checks that every acknowledged document is stored.
//!
//! `cargo run --release -p detente-bench --bin grpc_load [-- CLIENTS SECONDS MAX_REQUESTS]`

use detente_core::{Model, ModelOptions};
use detente_server::pb::{self, detente_service_client::DetenteServiceClient};
use detente_server::proto::google::r#type::Date as GDate;
use detente_server::serve::{ServeOptions, serve};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const ARTICLES: [&str; 4] = [
    "Turkish Foreign Minister Mevlut Cavusoglu met Syrian Foreign Minister Faisal Mekdad in Moscow on Wednesday. \
     Russia hosted the talks.",
    "Syria demanded that Turkey withdraw its troops from northern Syria.",
    "Iran praised the talks and urged Turkey and Syria to restore ties.",
    "Turkey accused Syrian forces of shelling its border towns, and Russia called for restraint.",
];

#[derive(Default)]
struct Tally {
    latencies: BTreeMap<&'static str, Vec<f64>>,
    errors: u64,
    acknowledged: Vec<String>,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let clients: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(8);
    let seconds: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
    let max_requests: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("store");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let tallies = runtime.block_on(async {
        let model = Model::open(&data, &ModelOptions::default())?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, model, ServeOptions::default(), async {
            let _ = stopped.await;
        }));
        let channel = tonic::transport::Endpoint::from_shared(url)?.connect().await?;
        let issued = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for c in 0..clients {
            let mut client = DetenteServiceClient::new(channel.clone());
            let issued = issued.clone();
            tasks.push(tokio::spawn(async move {
                let mut tally = Tally::default();
                let mut i = 0u64;
                while Instant::now() < deadline && issued.fetch_add(1, Ordering::Relaxed) < max_requests {
                    i += 1;
                    let t = Instant::now();
                    let (name, ok) = match i % 4 {
                        0 | 1 => {
                            let id = format!("load:{c}:{i}");
                            let doc = pb::Document {
                                id: id.clone(),
                                published: Some(GDate {
                                    year: 2023,
                                    month: 1 + (i % 12) as i32,
                                    day: 1 + (i % 28) as i32,
                                }),
                                text: ARTICLES[(i as usize / 2) % ARTICLES.len()].into(),
                                ..Default::default()
                            };
                            let r = client
                                .ingest_documents(pb::IngestDocumentsRequest { documents: vec![doc], recode: false })
                                .await;
                            if r.is_ok() {
                                tally.acknowledged.push(id);
                            }
                            ("IngestDocuments", r.is_ok())
                        }
                        2 => {
                            let opts = pb::SeriesOptions {
                                freq: pb::Frequency::Day as i32,
                                start: Some(GDate { year: 2023, month: 1, day: 1 }),
                                end: Some(GDate { year: 2023, month: 12, day: 31 }),
                                ..Default::default()
                            };
                            let r = client
                                .get_relation(pb::GetRelationRequest {
                                    a: "TUR".into(),
                                    b: "SYR".into(),
                                    options: Some(opts),
                                })
                                .await;
                            ("GetRelation", r.is_ok())
                        }
                        _ => {
                            if i % 8 == 3 {
                                let f =
                                    pb::EventFilter { dyad: vec!["TUR".into(), "SYR".into()], ..Default::default() };
                                let r = client
                                    .list_events(pb::ListEventsRequest {
                                        filter: Some(f),
                                        page_size: 50,
                                        ..Default::default()
                                    })
                                    .await;
                                ("ListEvents", r.is_ok())
                            } else {
                                let r = client
                                    .resolve_actor(pb::ResolveActorRequest {
                                        name: "Faisal Mekdad".into(),
                                        date: Some(GDate { year: 2023, month: 5, day: 10 }),
                                    })
                                    .await;
                                ("ResolveActor", r.is_ok())
                            }
                        }
                    };
                    tally.latencies.entry(name).or_default().push(t.elapsed().as_secs_f64() * 1000.0);
                    if !ok {
                        tally.errors += 1;
                    }
                }
                tally
            }));
        }
        let start = Instant::now();
        let mut all = Vec::new();
        for t in tasks {
            all.push(t.await?);
        }
        let elapsed = start.elapsed();
        let _ = stop.send(());
        server.await??;
        Ok::<_, anyhow::Error>((all, elapsed))
    })?;
    let (tallies, elapsed) = tallies;
    let mut merged: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut errors = 0;
    let mut acknowledged = Vec::new();
    for t in tallies {
        for (k, v) in t.latencies {
            merged.entry(k).or_default().extend(v);
        }
        errors += t.errors;
        acknowledged.extend(t.acknowledged);
    }
    let total: usize = merged.values().map(Vec::len).sum();
    println!(
        "{clients} clients, {:.1} s: {total} requests, {:.0} requests/s, {errors} errors",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    let mut everything = Vec::new();
    for (name, mut v) in merged {
        v.sort_by(f64::total_cmp);
        let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
        println!("  {name:<16} {:>7} calls  p50 {:>7.2} ms  p99 {:>7.2} ms", v.len(), q(0.5), q(0.99));
        everything.extend(v);
    }
    everything.sort_by(f64::total_cmp);
    if !everything.is_empty() {
        let q = |p: f64| everything[((everything.len() - 1) as f64 * p).round() as usize];
        println!("  {:<16} {:>7} calls  p50 {:>7.2} ms  p99 {:>7.2} ms", "all", everything.len(), q(0.5), q(0.99));
    }
    // After the server stopped: every acknowledged document is in the store.
    let model = Model::open(&data, &ModelOptions { read_only: true, ..Default::default() })?;
    let lost: Vec<&String> = acknowledged.iter().filter(|id| model.document(id).is_err()).collect();
    println!(
        "{} documents acknowledged, {} lost after shutdown; store holds {} events",
        acknowledged.len(),
        lost.len(),
        model.len()
    );
    if !lost.is_empty() || errors > 0 {
        anyhow::bail!("load test failed: {} lost, {errors} errors", lost.len());
    }
    Ok(())
}
