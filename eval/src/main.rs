//! `cargo run --release -p detente-eval [-- --misses]`: prints the accuracy tables of the coder.

use detente_eval::*;
use std::path::Path;

fn main() {
    let show_misses = std::env::args().any(|a| a == "--misses");
    let coder = match detente_core::coder::Coder::builtin() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let shared = shared_dir();
    match load_cameo(&shared) {
        Ok(ex) => {
            let s = score_cameo(&coder, &ex);
            println!("CAMEO codebook examples ({} sentences)", s.sentences);
            println!("  coded (≥1 event)      {:5.1}%", pct(s.coded, s.sentences));
            println!("  root correct          {:5.1}%", pct(s.root, s.sentences));
            println!("  3-digit correct       {:5.1}%", pct(s.base, s.sentences));
            println!("  full code correct     {:5.1}%", pct(s.full, s.sentences));
            println!(
                "  precision (root)      {:5.1}%  ({} of {} events)",
                pct(s.events_root, s.events),
                s.events_root,
                s.events
            );
            if show_misses {
                for (want, got, text) in &s.misses {
                    println!("    MISS {want} got {got:?}: {text}");
                }
            }
        }
        Err(e) => println!("CAMEO examples skipped: {e}"),
    }
    match load_plover(&shared) {
        Ok(recs) => {
            let s = score_plover(&coder, &recs);
            println!("PLOVER gold records ({} records)", s.records);
            println!("  event type correct    {:5.1}%", pct(s.event, s.records));
            println!(
                "  precision (type)      {:5.1}%  ({} of {} events)",
                pct(s.events_ok, s.events),
                s.events_ok,
                s.events
            );
            println!(
                "  source country found  {:5.1}%  (of {} records with codes)",
                pct(s.source, s.with_source),
                s.with_source
            );
            println!(
                "  target country found  {:5.1}%  (of {} records with codes)",
                pct(s.target, s.with_target),
                s.with_target
            );
            if show_misses {
                for (want, got, text) in &s.misses {
                    println!("    MISS {want} got {got:?}: {text}");
                }
            }
        }
        Err(e) => println!("PLOVER records skipped: {e}"),
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("articles");
    match load_articles(&dir) {
        Ok(articles) => {
            println!("Own articles (root level with countries)");
            println!("  {:<40} {:>9} {:>9} {:>9}", "article", "expected", "precision", "recall");
            let mut t = ArticleScore::default();
            for (name, a) in &articles {
                let s = score_article(&coder, a);
                println!(
                    "  {:<40} {:>9} {:>8.1}% {:>8.1}%",
                    name,
                    s.expected,
                    pct(s.correct, s.coded),
                    pct(s.found, s.expected)
                );
                if show_misses {
                    for m in &s.missed {
                        println!("      missed   {m}");
                    }
                    for m in &s.wrong_features {
                        println!("      features {m}");
                    }
                    for m in &s.spurious {
                        println!("      spurious {m}");
                    }
                }
                t.with_features += s.with_features;
                t.features_right += s.features_right;
                t.expected += s.expected;
                t.found += s.found;
                t.coded += s.coded;
                t.correct += s.correct;
            }
            println!(
                "  {:<40} {:>9} {:>8.1}% {:>8.1}%",
                "all",
                t.expected,
                pct(t.correct, t.coded),
                pct(t.found, t.expected)
            );
            println!(
                "  dates, places, background, groups and topics right: {:.1}% ({} of {} found events that name them)",
                pct(t.features_right, t.with_features),
                t.features_right,
                t.with_features
            );
        }
        Err(e) => println!("articles skipped: {e}"),
    }
}
