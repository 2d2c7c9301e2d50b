//! The `detente actors` commands, run as a user runs them.

use std::process::Command;

fn detente(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_detente")).args(args).output().expect("run detente");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout.lines().next().unwrap_or("null")).expect("one JSON line")
}

#[test]
fn resolves_offices_on_a_date() {
    let (code, out, _) =
        detente(&["actors", "resolve", "Mevlut Cavusoglu", "--date", "2023-05-10", "--format", "jsonl"]);
    assert_eq!(code, 0);
    let v = json(&out);
    assert_eq!(v["code"], "TURGOV");
    assert_eq!(v["office"], "foreign minister");

    let (_, out, _) = detente(&["actors", "resolve", "Hakan Fidan", "--date", "2023-05-10", "--format", "jsonl"]);
    let v = json(&out);
    assert_eq!((v["code"].as_str(), v["office"].as_str()), (Some("TURSPY"), Some("head of intelligence")));
}

#[test]
fn unknown_names_and_bad_dates_fail_with_one_line() {
    let (code, out, err) = detente(&["actors", "resolve", "Ruritania"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(err.trim(), "error: unknown actor `Ruritania`");
    let (code, _, err) = detente(&["actors", "resolve", "Ankara", "--date", "2023-13-01"]);
    assert_eq!(code, 2);
    assert!(err.contains("2023-13-01"), "{err}");
}

#[test]
fn user_dictionary_file_extends_and_its_errors_name_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("mine.tsv");
    std::fs::write(&good, "RUR\tcountry\tRuritania\nXYZGOV\tcapital\tAnkara\n").expect("write");
    let (code, out, _) = detente(&[
        "--actors",
        good.to_str().unwrap_or_default(),
        "actors",
        "resolve",
        "Ruritania",
        "--format",
        "jsonl",
    ]);
    assert_eq!(code, 0);
    assert_eq!(json(&out)["code"], "RUR");
    let (_, out, _) =
        detente(&["--actors", good.to_str().unwrap_or_default(), "actors", "resolve", "Ankara", "--format", "jsonl"]);
    assert_eq!(json(&out)["code"], "XYZGOV");

    let bad = dir.path().join("bad.tsv");
    std::fs::write(&bad, "RUR\tcountry\tRuritania\nRURGOV\tperson\tRudolf\t2020-02-31\n").expect("write");
    let (code, _, err) = detente(&["--actors", bad.to_str().unwrap_or_default(), "actors", "resolve", "Ankara"]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.tsv, line 2, field `from`"), "{err}");
}

#[test]
fn a_stored_entry_is_added_updated_and_deleted_by_its_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("store");
    let data = data.to_str().unwrap_or_default();
    let (code, out, err) =
        detente(&["--data", data, "actors", "add", "ZQRGOV", "body", "Zed Government", "--format", "jsonl"]);
    assert_eq!(code, 0, "{err}");
    let id = json(&out)["id"].as_i64().expect("the stored entry's id");
    // Adding it again stores it once, under the same id.
    let (_, out, _) =
        detente(&["--data", data, "actors", "add", "ZQRGOV", "body", "Zed Government", "--format", "jsonl"]);
    assert_eq!(json(&out)["id"].as_i64(), Some(id));
    let (_, out, _) = detente(&["--data", data, "actors", "list", "--user-only", "--format", "jsonl"]);
    assert_eq!(out.lines().count(), 1);
    let ids = id.to_string();
    let (code, _, err) =
        detente(&["--data", data, "actors", "update", &ids, "ZQRMIL", "body", "Zed Government", "--format", "jsonl"]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = detente(&["--data", data, "actors", "resolve", "Zed Government", "--format", "jsonl"]);
    assert_eq!(json(&out)["code"], "ZQRMIL");
    let (code, out, _) = detente(&["--data", data, "actors", "delete", &ids, "--format", "jsonl"]);
    assert_eq!((code, json(&out)["deleted"].as_str()), (0, Some("ZQRMIL")));
    let (code, _, err) = detente(&["--data", data, "actors", "resolve", "Zed Government"]);
    assert_eq!(code, 2, "{err}");
    // Deleting it again, or a built-in entry's id, says there is no such user entry.
    let (code, _, err) = detente(&["--data", data, "actors", "delete", &ids]);
    assert_eq!(code, 2);
    assert!(err.contains(&ids), "{err}");
}
