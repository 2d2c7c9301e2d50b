//! `cargo run --release -p detente-eval [-- --misses] [--confusion] [--articles DIR] [--token-windows] [--lexicon FILE]`: prints the
//! accuracy tables of the coder. `--articles DIR` scores one folder of articles alone (the held-out
//! test half, for instance).

use detente_eval::*;
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let show_misses = args.iter().any(|a| a == "--misses");
    let show_confusion = args.iter().any(|a| a == "--confusion");
    let only_articles = args.iter().position(|a| a == "--articles").map(|i| args.get(i + 1).cloned());
    // `--lexicon FILE`: a lexicon file read after the built-in ones (to score a user's patterns).
    let extra = args.iter().position(|a| a == "--lexicon").and_then(|i| args.get(i + 1));
    let coder = match extra {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| detente_core::Error::Internal(format!("{path}: {e}")))
            .and_then(|text| {
                let mut files = detente_core::coder::BUILTIN_LEXICON.to_vec();
                files.push((path.as_str(), text.as_str()));
                let lexicon = detente_core::coder::Lexicon::parse(&files)?;
                Ok(detente_core::coder::Coder::new(
                    detente_core::domain::actors::Dictionary::builtin(),
                    std::sync::Arc::new(lexicon),
                ))
            }),
        None => detente_core::coder::Coder::builtin(),
    };
    let coder = match coder {
        // `--token-windows`: the coder of before the parse, to compare.
        Ok(c) if args.iter().any(|a| a == "--token-windows") => c.token_windows(),
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let blocks = OrganisationBlocks::builtin();
    // `--explain NAME`: how the coder read the articles whose file names contain NAME.
    if let Some(name) = args.iter().position(|a| a == "--explain").and_then(|i| args.get(i + 1)) {
        let dir =
            only_articles.clone().flatten().unwrap_or_else(|| format!("{}/blind-dev", env!("CARGO_MANIFEST_DIR")));
        for (file, a) in load_articles(Path::new(&dir)).unwrap_or_default() {
            if file.contains(name.as_str()) {
                println!("{file}\n{}", coder.explain(&a.document));
            }
        }
        return;
    }
    if let Some(dir) = only_articles {
        let Some(dir) = dir else {
            eprintln!("error: --articles needs a folder");
            std::process::exit(2);
        };
        if let Err(e) = article_table(&coder, &blocks, Path::new(&dir), show_misses) {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
        return;
    }
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
            root_table("sentences", &s.by_root);
            if show_confusion {
                confusion_table(&s.confusion);
            }
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
    for folder in ["articles", "blind-dev"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
        if let Err(e) = article_table(&coder, &blocks, &dir, show_misses) {
            println!("articles skipped: {e}");
        }
    }
}

/// Scores every article of a folder and prints a line each, the totals and the per-root table.
fn article_table(
    coder: &detente_core::coder::Coder,
    blocks: &OrganisationBlocks,
    dir: &Path,
    show_misses: bool,
) -> Result<(), String> {
    let articles = load_articles(dir)?;
    println!("Articles in {} (root level with countries)", dir.display());
    println!(
        "  {:<40} {:>8} {:>6} {:>8} {:>9} {:>9} {:>9}",
        "article", "required", "found", "optional", "forbidden", "precision", "recall"
    );
    let mut t = ArticleScore::default();
    for (name, a) in &articles {
        let s = score_article(coder, a, blocks);
        println!(
            "  {:<40} {:>8} {:>6} {:>8} {:>9} {:>8.1}% {:>8.1}%",
            name,
            s.expected,
            s.found,
            format!("{}/{}", s.optional_found, s.optional),
            format!("{}/{}", s.forbidden_present, s.forbidden),
            pct(s.correct, s.coded),
            pct(s.found, s.expected)
        );
        if show_misses {
            for m in &s.missed {
                println!("      missed    {m}");
            }
            for m in &s.forbidden_hits {
                println!("      forbidden {m}");
            }
            for m in &s.wrong_features {
                println!("      features  {m}");
            }
            for m in &s.spurious {
                println!("      spurious  {m}");
            }
        }
        t.add(&s);
    }
    println!(
        "  {:<40} {:>8} {:>6} {:>8} {:>9} {:>8.1}% {:>8.1}%",
        "all",
        t.expected,
        t.found,
        format!("{}/{}", t.optional_found, t.optional),
        format!("{}/{}", t.forbidden_present, t.forbidden),
        pct(t.correct, t.coded),
        pct(t.found, t.expected)
    );
    println!(
        "  required found {:.1}%, forbidden present {:.1}% ({} more not measurable at this level), precision {:.1}% ({} of {} events; {} more marked background)",
        pct(t.found, t.expected),
        pct(t.forbidden_present, t.forbidden),
        t.forbidden_unmeasurable,
        pct(t.correct, t.coded),
        t.correct,
        t.coded,
        t.background
    );
    println!(
        "  dates, places, background, groups and topics right: {:.1}% ({} of {} found events that name them)",
        pct(t.features_right, t.with_features),
        t.features_right,
        t.with_features
    );
    root_table("required events", &t.by_root);
    Ok(())
}

/// Per-root recall and precision: `[expected, found, coded, coded right]` per root.
fn root_table(what: &str, by_root: &std::collections::BTreeMap<String, [usize; 4]>) {
    println!("  {:<6} {:>16} {:>8} {:>16} {:>9}", "root", what, "recall", "events coded", "precision");
    for (root, [n, found, coded, right]) in by_root {
        println!(
            "  {:<6} {:>16} {:>7.0}% {:>16} {:>8.0}%",
            root,
            format!("{found}/{n}"),
            pct(*found, *n),
            format!("{right}/{coded}"),
            pct(*right, *coded)
        );
    }
}

/// Expected root (rows) by the root coded (columns; `--`: nothing).
fn confusion_table(confusion: &std::collections::BTreeMap<(String, String), usize>) {
    let mut cols: Vec<&String> = confusion.keys().map(|(_, got)| got).collect();
    cols.sort();
    cols.dedup();
    let mut rows: Vec<&String> = confusion.keys().map(|(want, _)| want).collect();
    rows.dedup();
    println!("  confusion: expected root (rows) by the root coded (columns)");
    print!("  {:>4}", "");
    for c in &cols {
        print!(" {c:>3}");
    }
    println!();
    for r in rows {
        print!("  {r:>4}");
        for c in &cols {
            match confusion.get(&(r.clone(), (*c).clone())) {
                Some(n) => print!(" {n:>3}"),
                None => print!(" {:>3}", "."),
            }
        }
        println!();
    }
}
