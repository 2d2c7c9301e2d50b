//! `detente code` and `detente ingest` as a user runs them.

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn detente(data: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_detente"))
        .arg("--data")
        .arg(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    if let Some(s) = stdin {
        child.stdin.take().map(|mut i| i.write_all(s.as_bytes()));
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("run")
}

fn rows(o: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&o.stdout).lines().map(|l| serde_json::from_str(l).expect("json")).collect()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const TEXT: &str = "Syria’s foreign minister Faisal Mekdad met Turkish Foreign Minister Mevlut Cavusoglu in Moscow. \
                    The Arab League invited Syria to its summit.";

#[test]
fn plain_text_is_coded_with_provenance() {
    let dir = tempfile::tempdir().expect("tmp");
    let o = detente(
        dir.path(),
        &["code", "-", "--published", "2023-05-10", "--doc-id", "d1", "--format", "jsonl"],
        Some(TEXT),
    );
    assert!(o.status.success(), "{}", err(&o));
    let events = rows(&o);
    let meet = events.iter().find(|e| e["code"] == "040").expect("a meeting");
    assert_eq!((meet["source"].as_str(), meet["target"].as_str()), (Some("SYRGOV"), Some("TURGOV")));
    assert_eq!(meet["directed"], false);
    assert_eq!(meet["doc_id"], "d1");
    assert_eq!(meet["sentence"], 0);
    assert!(meet["rule"].as_str().is_some_and(|r| r.starts_with("lexicon/events.txt:")));
    // Spans count Unicode characters, as Python indexes strings.
    let span = (meet["span"][0].as_u64().unwrap_or(0) as usize, meet["span"][1].as_u64().unwrap_or(0) as usize);
    let chars: Vec<char> = TEXT.chars().collect();
    let covered: String = chars[span.0..span.1].iter().collect();
    assert!(covered.starts_with("Syria’s foreign minister") && covered.contains("Cavusoglu"), "{covered}");
    let invite = events.iter().find(|e| e["source"] == "ARL").expect("the invitation");
    assert_eq!((invite["target"].as_str(), invite["code"].as_str()), (Some("SYR"), Some("036")));
    assert_eq!(invite["sentence"], 1);
}

#[test]
fn documents_as_json_and_json_lines_and_their_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let doc = r#"{"id": "a", "published": "2023-05-10", "title": "t", "text": "Turkey accused Syria of shelling its border towns."}"#;
    let o = detente(dir.path(), &["code", "-", "--format", "jsonl"], Some(doc));
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(rows(&o)[0]["code"], "1123");
    let lines = format!("{doc}\n{}\n", doc.replace("\"a\"", "\"b\"").replace("2023-05-10", "2023-02-30"));
    let o = detente(dir.path(), &["code", "-"], Some(&lines));
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("line 2") && err(&o).contains("published"), "{}", err(&o));
    let o = detente(dir.path(), &["code", "-"], Some("Just text without a date."));
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("--published"), "{}", err(&o));
}

#[test]
fn ingest_is_idempotent_and_recode_replaces_events() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("store");
    let file = dir.path().join("docs.jsonl");
    std::fs::write(
        &file,
        r#"{"id": "n1", "published": "2023-05-10", "text": "Russia hosted the foreign ministers of Turkey and Syria. Turkey snubbed Syria."}"#,
    )
    .expect("write");
    let f = file.to_str().unwrap_or_default();
    let o = detente(&data, &["ingest", f, "--format", "jsonl"], None);
    assert!(o.status.success(), "{}", err(&o));
    let r = &rows(&o)[0];
    assert_eq!(r["new_documents"], 1);
    let added = r["events_added"].as_u64().unwrap_or(0);
    assert!(added >= 2, "{r}");
    let o = detente(&data, &["ingest", f, "--format", "jsonl"], None);
    assert_eq!((rows(&o)[0]["unchanged_documents"].as_u64(), rows(&o)[0]["events_added"].as_u64()), (Some(1), Some(0)));

    let o = detente(&data, &["documents", "show", "n1", "--format", "json"], None);
    assert!(o.status.success(), "{}", err(&o));
    let shown: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(shown["events"].as_array().map(Vec::len), Some(added as usize));

    // A user lexicon adds a pattern; re-coding replaces the document's events.
    let lex = dir.path().join("mine.txt");
    std::fs::write(&lex, "@category snub action=111\nsnub T\n").expect("write");
    let o = detente(
        &data,
        &["--lexicon", lex.to_str().unwrap_or_default(), "ingest", f, "--recode", "--format", "jsonl"],
        None,
    );
    assert!(o.status.success(), "{}", err(&o));
    let r = &rows(&o)[0];
    assert_eq!(r["recoded_documents"], 1);
    assert!(r["events_removed"].as_u64().unwrap_or(0) <= added);
    // Re-coded again with the same lexicon: nothing changed, and the report says so.
    let o = detente(
        &data,
        &["--lexicon", lex.to_str().unwrap_or_default(), "ingest", f, "--recode", "--format", "jsonl"],
        None,
    );
    let r = &rows(&o)[0];
    assert_eq!(
        (
            r["unchanged_documents"].as_u64(),
            r["recoded_documents"].as_u64(),
            r["events_added"].as_u64(),
            r["events_removed"].as_u64()
        ),
        (Some(1), Some(0), Some(0), Some(0)),
        "{r}"
    );
    let o = detente(&data, &["events", "list", "--format", "jsonl", "--limit", "100"], None);
    let listed = rows(&o);
    assert!(listed.iter().all(|e| e["doc_id"] == "n1"));
    let snub =
        listed.iter().find(|e| e["rule"].as_str().is_some_and(|r| r.contains("mine.txt"))).expect("the new rule codes");
    assert_eq!(
        (snub["source"].as_str(), snub["target"].as_str(), snub["code"].as_str()),
        (Some("TUR"), Some("SYR"), Some("111"))
    );

    let o = detente(&data, &["documents", "show", "nope"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("document `nope` not found"), "{}", err(&o));
}

#[test]
fn parse_prints_conllu_and_explain_prints_the_trees() {
    let dir = tempfile::tempdir().expect("tmp");
    let o = detente(dir.path(), &["parse", "-"], Some(TEXT));
    assert!(o.status.success(), "{}", err(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let blocks: Vec<&str> = out.split("\n\n").filter(|b| !b.trim().is_empty()).collect();
    assert_eq!(blocks.len(), 2, "{out}");
    assert!(blocks[1].starts_with("# sent_id = 2\n# text = The Arab League invited Syria to its summit."));
    // "invited" is the root; Syria its object.
    let line = |form: &str| {
        blocks[1].lines().find(|l| l.split('\t').nth(1) == Some(form)).map(|l| l.split('\t').collect::<Vec<_>>())
    };
    let invited = line("invited").expect("invited");
    assert_eq!((invited[6], invited[7]), ("0", "root"));
    let syria = line("Syria").expect("Syria");
    assert_eq!((syria[6], syria[7]), (invited[0], "obj"));
    // Nothing was written to the store.
    assert!(!dir.path().join("catalog.sqlite").exists());

    let o = detente(dir.path(), &["code", "--explain", "--published", "2023-05-11", "-"], Some(TEXT));
    assert!(o.status.success(), "{}", err(&o));
    assert!(err(&o).contains("| 1\tSyria\tSyria\tPROPN\tNNP\t"), "{}", err(&o));

    let o = detente(dir.path(), &["parse", "no-such-file.txt"], None);
    assert!(!o.status.success());
    assert!(err(&o).contains("no-such-file.txt"), "{}", err(&o));
}

#[test]
fn documents_are_listed_by_date_and_deleted_with_their_events() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("store");
    let docs = [("wire:2", "2023-05-11"), ("web:1", "2023-05-10"), ("wire:3", "2023-05-12")]
        .iter()
        .map(|(id, day)| serde_json::json!({"id": id, "published": day, "text": TEXT}).to_string())
        .collect::<Vec<_>>()
        .join("\n");
    let o = detente(&data, &["ingest", "-", "--format", "jsonl"], Some(&docs));
    assert!(o.status.success(), "{}", err(&o));
    let o = detente(&data, &["documents", "list", "--format", "jsonl"], None);
    let listed = rows(&o);
    let ids: Vec<&str> = listed.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, ["web:1", "wire:2", "wire:3"]);
    let per_doc = listed[0]["events"].as_u64().expect("events");
    assert!(per_doc > 0);
    // Paged: two, then the rest from the page token it printed.
    let o = detente(&data, &["documents", "list", "--id-prefix", "wire:", "--limit", "1", "--format", "jsonl"], None);
    assert_eq!(rows(&o).len(), 1);
    let token = err(&o).trim().rsplit(' ').next().unwrap_or_default().to_string();
    let o = detente(
        &data,
        &["documents", "list", "--id-prefix", "wire:", "--page-token", &token, "--format", "jsonl"],
        None,
    );
    assert_eq!(rows(&o).iter().filter_map(|r| r["id"].as_str().map(String::from)).collect::<Vec<_>>(), ["wire:3"]);

    let o = detente(&data, &["documents", "delete", "web:1", "--format", "jsonl"], None);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(rows(&o)[0]["events"].as_u64(), Some(per_doc));
    let o = detente(&data, &["events", "list", "--format", "jsonl", "--limit", "1000"], None);
    assert_eq!(rows(&o).len() as u64, 2 * per_doc, "the document's events went with it");
    let o = detente(&data, &["documents", "delete", "web:1"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("web:1"), "{}", err(&o));
}
