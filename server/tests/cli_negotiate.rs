//! `detente negotiate`: the models on the EC case and the Moscow example through the command
//! line — tables, the chart, a Monte Carlo that one seed repeats, bad input located, and the
//! pairs' relations from a store.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn detente(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_detente")).arg("--data").arg(data).args(args).output().expect("run detente")
}

fn jsonl(o: &Output) -> Vec<Value> {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).lines().map(|l| serde_json::from_str(l).expect("json line")).collect()
}

fn ec_file() -> PathBuf {
    let root = std::env::var_os("DETENTE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    root.join("negotiation/eum/scholz_jmckib/inputs/ExampleActors.csv")
}

#[test]
fn the_ec_case_gives_the_published_path_and_belgiums_chart() {
    let dir = tempfile::tempdir().expect("dir");
    let ec = ec_file();
    let ec = ec.to_str().expect("path");
    let rounds = jsonl(&detente(dir.path(), &["negotiate", "eum", ec, "--format", "jsonl"]));
    let medians: Vec<f64> = rounds.iter().map(|r| r["median"].as_f64().expect("median")).collect();
    assert_eq!(medians, [7.0, 8.4159, 9.6109, 9.962, 9.962, 9.962, 7.472, 8.8246, 9.6711, 9.6711, 7.0]);
    let chart = jsonl(&detente(
        dir.path(),
        &["negotiate", "eum", ec, "--show", "perspective", "--actor", "Belgium", "--format", "jsonl"],
    ));
    let lux = chart.iter().find(|r| r["other"] == "Luxembourg").expect("Luxembourg");
    assert_eq!((lux["challenge"].as_f64(), lux["reading"].as_str()), (Some(0.606), Some("conflict")));
    let info = jsonl(&detente(dir.path(), &["negotiate", "eum", ec, "--set", "q=0.5", "--show", "info"]));
    let value = |k: &str| info.iter().find(|r| r["key"] == k).map(|r| r["value"].clone());
    assert_eq!((value("profile"), value("q")), (Some("custom".into()), Some("0.5".into())));
    assert!(value("version").is_some());
    // The paper's profile is a different model: it collapses onto 7 in the first round.
    let paper = jsonl(&detente(dir.path(), &["negotiate", "eum", ec, "--profile", "scholz2011_paper"]));
    assert_eq!(paper[1]["mean"], 7.0);
}

#[test]
fn the_moscow_example_under_both_models_with_a_repeatable_spread() {
    let dir = tempfile::tempdir().expect("dir");
    let exchange =
        jsonl(&detente(dir.path(), &["negotiate", "exchange", "example:moscow-2023", "--show", "exchanges"]));
    let first = &exchange[0];
    // The bargain the model finds: Syria gives on refugee returns, Turkiye on withdrawal.
    assert_eq!((first["i_actor"].as_str(), first["i_supply"].as_str()), (Some("Syria"), Some("returns")));
    assert_eq!((first["j_actor"].as_str(), first["j_supply"].as_str()), (Some("Turkiye"), Some("withdrawal")));
    let mc = ["negotiate", "eum", "example:moscow-2023", "--draws", "300", "--seed", "11"];
    let (a, b) = (jsonl(&detente(dir.path(), &mc)), jsonl(&detente(dir.path(), &mc)));
    assert_eq!(a, b, "one seed, one distribution");
    assert_eq!((a[0]["draws"].as_u64(), a[0]["unperturbed"].as_f64()), (Some(300), Some(55.0)));
    let (q05, q95) = (a[0]["q05"].as_f64().expect("q05"), a[0]["q95"].as_f64().expect("q95"));
    assert!(q05 <= 55.0 && 55.0 <= q95, "{q05}..{q95}");
    let chart = detente(dir.path(), &["negotiate", "exchange", "example:moscow-2023", "--show", "chart"]);
    let text = String::from_utf8_lossy(&chart.stdout);
    assert!(text.contains("A withdrawal") && text.contains("B returns"), "{text}");
}

#[test]
fn bad_scenarios_are_located_and_a_store_gives_the_pairs_relations() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("talks.csv");
    std::fs::write(&file, "actor,issue,position,salience,capability\nTurkiye,withdrawal,15,80,0.35\n").expect("write");
    let o = detente(dir.path(), &["negotiate", "baseline", file.to_str().expect("path")]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("talks.csv") && err.contains("percent"), "{err}");
    let o = detente(dir.path(), &["negotiate", "eum", "example:moscow-2023", "--set", "a1=votes"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("profile.a1"), "{}", String::from_utf8_lossy(&o.stderr));
    // The relations beside the forecast come from the store.
    let data = dir.path().join("store");
    let doc = dir.path().join("talks.txt");
    std::fs::write(
        &doc,
        "Turkish Foreign Minister Mevlut Cavusoglu met Syrian Foreign Minister Faisal Mekdad in Moscow.",
    )
    .expect("write");
    let ingest = detente(&data, &["ingest", doc.to_str().expect("path"), "--published", "2023-05-11"]);
    assert!(ingest.status.success(), "{}", String::from_utf8_lossy(&ingest.stderr));
    let pairs = jsonl(&detente(&data, &["negotiate", "eum", "example:moscow-2023", "--show", "relations"]));
    assert_eq!(pairs.len(), 6);
    assert_eq!((pairs[0]["a_code"].as_str(), pairs[0]["b_code"].as_str()), (Some("TUR"), Some("SYR")));
    assert!(pairs[0]["score"].as_f64().is_some_and(|s| s > 0.0), "{}", pairs[0]);
}
