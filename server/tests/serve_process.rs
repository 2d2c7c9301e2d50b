//! `detente serve` as a process: it announces its address, answers `detente healthcheck`, and on
//! SIGTERM in the middle of a streamed ingest it stops cleanly (exit 0) having stored everything
//! it acknowledged, and nothing by halves.

#![cfg(unix)]

use detente_core::{Model, ModelOptions};
use detente_server::pb::{self, detente_service_client::DetenteServiceClient};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio_stream::StreamExt;

const TEXTS: [&str; 2] = [
    "Turkish Foreign Minister Mevlut Cavusoglu met Syrian Foreign Minister Faisal Mekdad in Moscow on Wednesday. \
     Russia hosted the talks.",
    "Syria demanded that Turkey withdraw its troops from northern Syria.",
];

fn detente() -> Command {
    Command::new(env!("CARGO_BIN_EXE_detente"))
}

/// Starts `detente serve` on port 0, with `extra` options, and reads the address it announces.
fn start(data: &std::path::Path, extra: &[&str]) -> (Child, String) {
    let mut child = detente()
        .args(["--data", data.to_str().expect("path"), "serve", "--addr", "127.0.0.1:0", "--drain-seconds", "20"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("announce");
    let addr = line.trim().strip_prefix("listening on ").expect("listening line").to_string();
    (child, addr)
}

fn wait(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let t = Instant::now();
    while t.elapsed() < limit {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn sigterm_during_a_streamed_ingest_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("store");
    let (mut child, addr) = start(&data, &[]);

    let probe = detente().args(["healthcheck", "--addr", &addr]).output().expect("healthcheck");
    assert!(probe.status.success(), "{}", String::from_utf8_lossy(&probe.stderr));
    assert_eq!(String::from_utf8_lossy(&probe.stdout).trim(), "serving");

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let pid = child.id();
    let (acks, end) = runtime.block_on(async move {
        let mut client = DetenteServiceClient::connect(format!("http://{addr}")).await.expect("connect");
        // Documents keep coming until the server ends the stream.
        let requests = tokio_stream::iter(0..100_000u32).map(|i| pb::IngestStreamRequest {
            document: Some(pb::Document {
                id: format!("doc-{i}"),
                published: Some(detente_server::convert::date_to_pb(
                    detente_core::Date::from_ymd(2023, 5, 11).expect("date"),
                )),
                text: TEXTS[(i % 2) as usize].into(),
                ..Default::default()
            }),
            recode: false,
        });
        let mut stream = client.ingest_stream(requests).await.expect("stream").into_inner();
        let mut acks = Vec::new();
        let mut end = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(ack) => {
                    acks.push(ack);
                    if acks.len() == 150 {
                        let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
                    }
                }
                Err(status) => {
                    end = Some(status);
                    break;
                }
            }
        }
        (acks, end)
    });
    let status = wait(&mut child, Duration::from_secs(60)).expect("the server exits after SIGTERM");
    assert!(status.success(), "exit status {status:?}");
    assert!(acks.len() >= 150 && acks.len() < 100_000, "{} acknowledged", acks.len());
    assert_eq!(end.map(|s| s.code()), Some(tonic::Code::Unavailable), "the stream says why it ended");
    assert!(acks.iter().enumerate().all(|(i, a)| a.sequence == i as i64));

    // After the exit: every acknowledged document is there with all its events; any other
    // document is either absent or complete.
    let model = Model::open(&data, &ModelOptions { read_only: true, ..Default::default() }).expect("reopen");
    let per_text: Vec<usize> = TEXTS
        .iter()
        .map(|t| {
            let d =
                detente_core::Document::new(Some("x"), detente_core::Date::parse("2023-05-11").expect("d"), None, t)
                    .expect("doc");
            model.code(&[d]).len()
        })
        .collect();
    for a in &acks {
        assert_eq!(a.status, pb::DocumentStatus::New as i32);
        let (_, events) = model.document(&a.id).expect("acknowledged document stored");
        assert_eq!(events.len() as i64, a.events);
        assert_eq!(events.len(), per_text[(a.sequence % 2) as usize]);
    }
    let mut extra = 0;
    for i in acks.len()..acks.len() + 2000 {
        if let Ok((_, events)) = model.document(&format!("doc-{i}")) {
            extra += 1;
            assert_eq!(events.len(), per_text[i % 2], "doc-{i} is whole");
        }
    }
    assert!(extra <= 256, "at most one unacknowledged batch (256 documents): {extra}");
    eprintln!("{} acknowledged before the stream ended; {extra} stored but not acknowledged", acks.len());

    let gone = detente().args(["healthcheck", "--addr", "127.0.0.1:1", "--timeout", "1"]).output().expect("run");
    assert_eq!(gone.status.code(), Some(1), "no server: the probe fails");
}

#[test]
fn an_empty_token_is_refused_and_a_token_file_loses_its_newline() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("store");
    for (args, env) in [(vec!["--token", ""], None), (vec![], Some("\n"))] {
        let mut cmd = detente();
        cmd.args(["--data", data.to_str().expect("path"), "serve", "--addr", "127.0.0.1:0"]).args(&args);
        if let Some(v) = env {
            cmd.env("DETENTE_TOKEN", v);
        }
        let o = cmd.output().expect("run");
        assert!(!o.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("is empty"), "{}", String::from_utf8_lossy(&o.stderr));
    }
    // A token file as `echo s3cret > file` writes it: the newline is not part of the token.
    let file = dir.path().join("token");
    std::fs::write(&file, "s3cret\n").expect("token file");
    let (mut child, addr) = start(&data, &["--token-file", file.to_str().expect("path")]);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let codes = runtime.block_on(async move {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .expect("url")
            .connect()
            .await
            .expect("connect");
        let mut codes = Vec::new();
        for token in ["s3cret", "s3cret\n"] {
            let mut client = DetenteServiceClient::new(channel.clone());
            let mut req = tonic::Request::new(pb::ResolveActorRequest { name: "Ankara".into(), date: None });
            if let Ok(v) = format!("Bearer {}", token.trim_end()).parse() {
                req.metadata_mut().insert("authorization", v);
            }
            codes.push(client.resolve_actor(req).await.map(|_| tonic::Code::Ok).unwrap_or_else(|s| s.code()));
        }
        let mut client = DetenteServiceClient::new(channel);
        let bare = pb::ResolveActorRequest { name: "Ankara".into(), date: None };
        codes.push(client.resolve_actor(bare).await.map(|_| tonic::Code::Ok).unwrap_or_else(|s| s.code()));
        codes
    });
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    assert!(wait(&mut child, Duration::from_secs(30)).is_some_and(|s| s.success()));
    assert_eq!(codes, [tonic::Code::Ok, tonic::Code::Ok, tonic::Code::Unauthenticated]);
}

fn watch_event(id: &str, code: &str) -> pb::Event {
    pb::Event {
        id: id.into(),
        date: Some(detente_server::convert::date_to_pb(detente_core::Date::from_ymd(2023, 5, 10).expect("date"))),
        source: Some("TUR".into()),
        target: Some("SYR".into()),
        code: code.into(),
        ..Default::default()
    }
}

/// The changes `detente watch` printed: (revision, change, code) per line.
fn changes(stdout: &str) -> Vec<(i64, String, String)> {
    stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            (
                v["revision"].as_i64().expect("revision"),
                v["change"].as_str().unwrap_or_default().to_string(),
                v["event"]["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_watch_command_replays_a_gap_follows_writes_and_says_where_to_resume() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("store");
    let (mut child, addr) = start(&data, &["--token", "s3cret"]);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let channel = runtime.block_on(async {
        tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .expect("url")
            .connect()
            .await
            .expect("connect")
    });
    let call = |write: u8| {
        let mut client = DetenteServiceClient::with_interceptor(channel.clone(), |mut r: tonic::Request<()>| {
            r.metadata_mut().insert("authorization", "Bearer s3cret".parse().expect("header"));
            Ok(r)
        });
        runtime.block_on(async move {
            match write {
                0 => client
                    .add_events(pb::AddEventsRequest { events: vec![watch_event("w0", "040")], replace: false })
                    .await
                    .map(|_| ()),
                1 => {
                    let events = vec![watch_event("w1", "111"), watch_event("w2", "190")];
                    client.add_events(pb::AddEventsRequest { events, replace: false }).await.map(|_| ())
                }
                2 => client
                    .add_events(pb::AddEventsRequest { events: vec![watch_event("w1", "112")], replace: true })
                    .await
                    .map(|_| ()),
                3 => client
                    .delete_events(pb::DeleteEventsRequest { ids: vec!["w2".into()], ..Default::default() })
                    .await
                    .map(|_| ()),
                _ => client
                    .add_events(pb::AddEventsRequest { events: vec![watch_event("w3", "036")], replace: false })
                    .await
                    .map(|_| ()),
            }
            .expect("write");
        })
    };
    call(0);
    let start = runtime.block_on(async {
        let mut client = DetenteServiceClient::with_interceptor(channel.clone(), |mut r: tonic::Request<()>| {
            r.metadata_mut().insert("authorization", "Bearer s3cret".parse().expect("header"));
            Ok(r)
        });
        client
            .list_events(pb::ListEventsRequest { page_size: 1, ..Default::default() })
            .await
            .expect("list")
            .into_inner()
            .revision
    });
    // Three writes in the gap: two added, one replaced by a new version, one deleted.
    for w in 1..=3 {
        call(w);
    }
    let since = start.to_string();
    let replay = detente()
        .args(["watch", "--addr", &addr, "--token", "s3cret", "--since", &since, "--until-caught-up"])
        .output()
        .expect("watch");
    assert!(replay.status.success(), "{}", String::from_utf8_lossy(&replay.stderr));
    let seen = changes(&String::from_utf8_lossy(&replay.stdout));
    let what: Vec<(&str, &str)> = seen.iter().map(|(_, c, code)| (c.as_str(), code.as_str())).collect();
    assert_eq!(what, [("added", "111"), ("added", "190"), ("added", "112"), ("removed", "111"), ("removed", "190")]);
    assert!(seen.iter().all(|(r, _, _)| *r > start));
    let last = seen.last().map(|s| s.0).expect("changes");
    // Resuming from the last revision seen: nothing again.
    let again = detente()
        .args(["watch", "--addr", &addr, "--token", "s3cret", "--since", &last.to_string(), "--until-caught-up"])
        .output()
        .expect("watch");
    assert!(again.status.success() && again.stdout.is_empty(), "{}", String::from_utf8_lossy(&again.stdout));
    // A wrong token is refused, saying so.
    let refused =
        detente().args(["watch", "--addr", &addr, "--token", "nope", "--since", &since]).output().expect("watch");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("Unauthenticated"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // Following: a write after the watch began arrives; the server's shutdown ends the watch with
    // the revision to resume from.
    let mut follower = detente()
        .args(["watch", "--addr", &addr, "--token", "s3cret", "--progress", "--progress-seconds", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("watch");
    let mut lines = BufReader::new(follower.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a progress line").expect("read");
    assert!(first.contains("\"progress\":true"), "{first}");
    call(4);
    let added = lines.map(|l| l.expect("read")).find(|l| !l.contains("\"progress\"")).expect("the new event");
    assert_eq!(changes(&added)[0].1, "added");
    assert_eq!(changes(&added)[0].2, "036");
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let status = wait(&mut follower, Duration::from_secs(10)).expect("the watch ends with the server");
    assert!(!status.success());
    let mut err = String::new();
    std::io::Read::read_to_string(&mut follower.stderr.take().expect("stderr"), &mut err).expect("stderr");
    assert!(err.contains("resume with --since"), "{err}");
    wait(&mut child, Duration::from_secs(30)).expect("the server exits");
}

/// A GDELT 2.0 row of our own: two governments, one code.
fn gdelt_row(id: &str, date: &str, a: &str, b: &str, code: &str) -> String {
    let mut f = vec![""; 61];
    for (i, v) in [(0, id), (1, date), (5, a), (7, &a[..3]), (15, b), (17, &b[..3]), (26, code), (31, "1"), (53, "SY")]
    {
        f[i] = v;
    }
    f.join("\t")
}

/// Starts `detente serve --read-only` on port 0, polling every 100 ms.
fn start_replica(data: &std::path::Path) -> (Child, String) {
    start(data, &["--read-only", "--poll-ms", "100"])
}

fn import(data: &std::path::Path, dir: &std::path::Path, name: &str, rows: &[String]) {
    let file = dir.join(name);
    std::fs::write(&file, rows.join("\n") + "\n").expect("write");
    let out = detente()
        .args(["--data", data.to_str().expect("path"), "import", "gdelt2", file.to_str().expect("path")])
        .output()
        .expect("import");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn read_only_replicas_serve_a_batch_jobs_store_and_pick_up_its_commits() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("store");
    import(&data, dir.path(), "a.export.CSV", &[gdelt_row("1", "20230510", "TURGOV", "SYRGOV", "043")]);
    let mut replicas = [start_replica(&data), start_replica(&data)];

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let count = |addr: String| {
        runtime.block_on(async move {
            let mut c = DetenteServiceClient::connect(format!("http://{addr}")).await.expect("connect");
            c.list_events(pb::ListEventsRequest::default()).await.expect("list").into_inner().events.len()
        })
    };
    for (_, addr) in &replicas {
        assert_eq!(count(addr.clone()), 1);
    }
    // The batch job writes while both replicas serve: they do not block it, and see its commit.
    let more: Vec<String> = (2..6).map(|i| gdelt_row(&i.to_string(), "20230511", "RUSGOV", "IRNGOV", "042")).collect();
    import(&data, dir.path(), "b.export.CSV", &more);
    for (_, addr) in &replicas {
        let t = Instant::now();
        while count(addr.clone()) != 5 {
            assert!(t.elapsed() < Duration::from_secs(20), "replica {addr} did not pick up the commit");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    // A replica refuses writes, saying why.
    let refused = runtime.block_on({
        let addr = replicas[0].1.clone();
        async move {
            let mut c = DetenteServiceClient::connect(format!("http://{addr}")).await.expect("connect");
            let e = pb::Event {
                id: "x".into(),
                date: Some(detente_server::convert::date_to_pb(
                    detente_core::Date::from_ymd(2023, 5, 12).expect("date"),
                )),
                source: Some("TUR".into()),
                target: Some("SYR".into()),
                code: "040".into(),
                ..Default::default()
            };
            c.add_events(pb::AddEventsRequest { events: vec![e], replace: false }).await.expect_err("read-only")
        }
    });
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition, "{refused:?}");
    // Changes are watched on the writer: a replica has its state, not its change log.
    let watch = runtime.block_on({
        let addr = replicas[1].1.clone();
        async move {
            let mut c = DetenteServiceClient::connect(format!("http://{addr}")).await.expect("connect");
            match c.watch_events(pb::WatchEventsRequest::default()).await {
                Err(status) => status,
                Ok(stream) => {
                    let mut stream = stream.into_inner();
                    loop {
                        match stream.next().await {
                            Some(Err(status)) => break status,
                            Some(Ok(_)) => continue,
                            None => panic!("the watch ended without saying why"),
                        }
                    }
                }
            }
        }
    });
    assert_eq!(watch.code(), tonic::Code::Unavailable, "{watch:?}");
    assert!(watch.message().contains("watch the writer"), "{watch:?}");
    for (child, _) in &mut replicas {
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        assert!(wait(child, Duration::from_secs(20)).is_some_and(|s| s.success()));
    }
}
