//! The crash campaign: `detente import` and a streamed ingest into `detente serve` killed with
//! SIGKILL at seeded random moments. After every kill the store opens, `store check` finds no
//! damage, it holds a prefix of the input in whole writes (and everything a stream
//! acknowledged), and re-running the same work leaves it exactly as a run that was never
//! killed. `DETENTE_CRASH_KILLS` sets the kills of each kind (default 3; hundreds for a
//! campaign), `DETENTE_CRASH_SEED` the seed.

#![cfg(unix)]

use detente_server::pb::{self, detente_service_client::DetenteServiceClient};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use tokio_stream::StreamExt;

fn detente(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_detente"));
    c.arg("--data").arg(data);
    c
}

fn run(data: &Path, args: &[&str]) -> Output {
    detente(data).args(args).output().expect("run detente")
}

fn kills() -> usize {
    std::env::var("DETENTE_CRASH_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(3)
}

/// xorshift64*, seeded from `DETENTE_CRASH_SEED`.
struct Rng(u64);

impl Rng {
    fn seeded(salt: u64) -> Rng {
        let seed: u64 = std::env::var("DETENTE_CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0xc0ffee);
        Rng((seed ^ salt) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A duration in `[0, max)`.
    fn within(&mut self, max: Duration) -> Duration {
        Duration::from_micros(self.next() % (max.as_micros().max(1) as u64))
    }
}

/// Every stored event as its JSON line, by id.
fn listing(data: &Path) -> Vec<String> {
    let o = run(data, &["events", "list", "--format", "jsonl", "--limit", "10000000"]);
    assert!(o.status.success(), "the store reads after a kill: {}", String::from_utf8_lossy(&o.stderr));
    let mut lines: Vec<String> = String::from_utf8_lossy(&o.stdout).lines().map(str::to_string).collect();
    lines.sort_by_cached_key(|l| id_of(l));
    lines
}

fn id_of(line: &str) -> String {
    serde_json::from_str::<Value>(line).ok().and_then(|v| v["id"].as_str().map(str::to_string)).unwrap_or_default()
}

fn assert_checks(data: &Path) {
    let o = run(data, &["store", "check", "--format", "jsonl"]);
    assert!(
        o.status.success(),
        "store check after a kill: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A GDELT 2.0 row of our own.
fn gdelt_row(id: u64) -> String {
    let countries = ["TUR", "SYR", "RUS", "IRN", "USA", "EGY"];
    let (a, b) = (countries[(id % 6) as usize], countries[((id / 6) % 5 + 1 + id % 6) as usize % 6]);
    let codes = ["040", "043", "036", "112", "190", "057"];
    let mut f = vec![String::new(); 61];
    let date = format!("2023{:02}{:02}", 1 + id % 12, 1 + id % 28);
    for (i, v) in [
        (0, id.to_string()),
        (1, date),
        (5, format!("{a}GOV")),
        (7, a.to_string()),
        (15, format!("{b}GOV")),
        (17, b.to_string()),
        (26, codes[(id % 6) as usize].to_string()),
        (30, "1.0".to_string()),
        (31, (1 + id % 4).to_string()),
    ] {
        f[i] = v;
    }
    f.join("\t")
}

/// Writes `rows` GDELT rows with ids from `first`; returns the ids in file order.
fn gdelt_file(path: &Path, first: u64, rows: u64) -> Vec<String> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("file"));
    for id in first..first + rows {
        writeln!(out, "{}", gdelt_row(id)).expect("row");
    }
    (first..first + rows).map(|id| format!("gdelt:{id}")).collect()
}

#[test]
fn imports_killed_at_random_moments_leave_a_committed_prefix_and_end_exact() {
    let dir = tempfile::tempdir().expect("tmp");
    // One large file written in batches of 4,000 rows, then 20 small ones written in groups.
    let mut files = vec![dir.path().join("big.export.CSV")];
    let mut order = gdelt_file(&files[0], 1, 40_000);
    for i in 0..20 {
        let f = dir.path().join(format!("small{i:02}.export.CSV"));
        order.extend(gdelt_file(&f, 100_000 + i * 1000, 300));
        files.push(f);
    }
    let mut args: Vec<String> = ["import", "gdelt2", "--batch-rows", "4000"].iter().map(|s| s.to_string()).collect();
    args.extend(files.iter().map(|f| f.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // Writes end at these counts of input rows: the large file's batches, then whole small files.
    let boundary = |n: usize| if n <= 40_000 { n.is_multiple_of(4000) } else { (n - 40_000).is_multiple_of(300) };

    let reference = dir.path().join("reference");
    let t = Instant::now();
    assert!(run(&reference, &args).status.success());
    let took = t.elapsed();
    let expected = listing(&reference);
    assert_eq!(expected.len(), order.len());

    let data = dir.path().join("store");
    let mut rng = Rng::seeded(1);
    let mut survived = 0;
    for k in 0..kills() {
        let mut child = detente(&data).args(&args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
        std::thread::sleep(rng.within(took.mul_f64(1.2)));
        let killed = child.try_wait().expect("wait").is_none();
        let _ = child.kill();
        let _ = child.wait();
        if !data.join("catalog.sqlite").exists() {
            continue;
        }
        assert_checks(&data);
        let ids: Vec<String> = listing(&data).iter().map(|l| id_of(l)).collect();
        let mut prefix: Vec<String> = order[..ids.len()].to_vec();
        prefix.sort();
        assert_eq!(ids, prefix, "kill {k}: the store holds a prefix of the input");
        assert!(boundary(ids.len()), "kill {k}: {} rows is not a whole number of writes", ids.len());
        survived += usize::from(killed);
        if ids.len() == order.len() {
            // Done before the kill: the next run starts over, so that kills land all along.
            std::fs::remove_dir_all(&data).expect("start over");
        }
    }
    eprintln!("imports killed mid-run: {survived} of {}", kills());
    let o = run(&data, &args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(listing(&data), expected, "the re-run ends exactly where a clean run does");
    assert_checks(&data);
}

/// Starts `detente serve` on port 0; returns the process and its address.
fn serve(data: &Path) -> (Child, String) {
    let mut child = detente(data)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("announce");
    let addr = line.trim().strip_prefix("listening on ").expect("listening line").to_string();
    (child, addr)
}

const TEXTS: [&str; 3] = [
    "Turkish Foreign Minister Mevlut Cavusoglu met Syrian Foreign Minister Faisal Mekdad in Moscow on Wednesday.",
    "Syria demanded that Turkey withdraw its troops from northern Syria.",
    "Iran and Russia signed an agreement on energy cooperation.",
];

fn document(i: usize) -> pb::IngestStreamRequest {
    pb::IngestStreamRequest {
        document: Some(pb::Document {
            id: format!("doc-{i}"),
            published: Some(detente_server::convert::date_to_pb(
                detente_core::Date::from_ymd(2023, 5, 11).expect("date"),
            )),
            text: TEXTS[i % 3].into(),
            ..Default::default()
        }),
        recode: false,
    }
}

/// Streams documents `0..n` to the server; returns the acknowledgements received before the
/// stream ended (by itself or because the server died).
async fn stream(addr: &str, n: usize) -> Vec<pb::IngestStreamResponse> {
    let Ok(mut client) = DetenteServiceClient::connect(format!("http://{addr}")).await else { return Vec::new() };
    let Ok(answer) = client.ingest_stream(tokio_stream::iter((0..n).map(document))).await else { return Vec::new() };
    let mut acks = Vec::new();
    let mut stream = answer.into_inner();
    while let Some(Ok(ack)) = stream.next().await {
        acks.push(ack);
    }
    acks
}

/// The documents the store holds events of (each text codes to some).
fn stored_documents(data: &Path) -> std::collections::HashSet<String> {
    listing(data)
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok()?["doc_id"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn a_service_killed_mid_stream_keeps_every_acknowledged_document_and_ends_exact() {
    let dir = tempfile::tempdir().expect("tmp");
    let n = 1500;
    let runtime = tokio::runtime::Runtime::new().expect("runtime");

    // A run that is never killed: how long it takes and what it stores.
    let reference = dir.path().join("reference");
    let (mut server, addr) = serve(&reference);
    let t = Instant::now();
    let acks = runtime.block_on(stream(&addr, n));
    let took = t.elapsed();
    assert_eq!(acks.len(), n);
    let _ = server.kill();
    let _ = server.wait();
    let expected = listing(&reference);

    let data = dir.path().join("store");
    let mut rng = Rng::seeded(2);
    let mut acknowledged_before_kill = Vec::new();
    for k in 0..kills() {
        let (mut server, addr) = serve(&data);
        let pid = server.id();
        let delay = rng.within(took.mul_f64(1.2));
        let killer = std::thread::spawn(move || {
            std::thread::sleep(delay);
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        });
        let acks = runtime.block_on(stream(&addr, n));
        killer.join().expect("killer");
        let _ = server.wait();
        assert_checks(&data);
        let stored = stored_documents(&data);
        for a in &acks {
            assert!(stored.contains(&a.id), "kill {k}: acknowledged {} is stored", a.id);
        }
        acknowledged_before_kill.push(acks.len());
        if stored.len() == n {
            // Done before the kill: the next run starts over, so that kills land all along.
            std::fs::remove_dir_all(&data).expect("start over");
        }
    }
    let mid = acknowledged_before_kill.iter().filter(|&&a| a < n).count();
    eprintln!(
        "streams killed mid-run: {mid} of {}; acknowledged before each kill: {acknowledged_before_kill:?} of {n}",
        kills()
    );
    // Sent again in full: every document stored once, exactly as the run never killed.
    let (mut server, addr) = serve(&data);
    let acks = runtime.block_on(stream(&addr, n));
    assert_eq!(acks.len(), n);
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(listing(&data), expected);
    assert_checks(&data);
}
