//! Syntax speed: tags, lemmatizes and parses news sentences on one thread and reports sentences
//! and words per second (min and median of several runs), the model's load time and its memory.
//!
//! The sentences are those of the evaluation articles (`eval/articles`), the seed article and
//! the examples: real news prose of about 25 words a sentence.
//!
//! `cargo run --release -p detente-bench --bin syntax_speed [-- RUNS]`

use std::path::Path;
use std::time::Instant;

use detente_core::syntax::{SyntaxModel, words};

// The allocator of the `detente` binary, so the bench measures what users run.
#[global_allocator]
static ALLOCATOR: detente_core::alloc::Allocator = detente_core::alloc::Allocator;

fn news_sentences(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut texts: Vec<String> = detente_eval::load_articles(&root.join("eval/articles"))
        .map_err(anyhow::Error::msg)?
        .into_iter()
        .map(|(_, a)| a.document.text)
        .collect();
    for f in ["examples/moscow-talks-2023.txt", "examples/moscow-defence-2022.txt"] {
        texts.push(std::fs::read_to_string(root.join(f))?);
    }
    let mut out = Vec::new();
    for t in &texts {
        let (sentences, _) = detente_core::syntax::sentences::split(t);
        out.extend(sentences.iter().map(|s| t[s.start..s.end].to_string()));
    }
    Ok(out)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() -> anyhow::Result<()> {
    let runs: usize = std::env::args().nth(1).map(|a| a.parse()).transpose()?.unwrap_or(7);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let before = rss_kib();
    let started = Instant::now();
    let model = SyntaxModel::embedded()?;
    let load = started.elapsed().as_secs_f64();
    let memory = rss_kib().saturating_sub(before);
    let sentences = news_sentences(&root)?;
    anyhow::ensure!(!sentences.is_empty(), "no sentences found under {}", root.display());
    // Words as the parser sees them, split beforehand: the bench times tagging, lemmas and parsing.
    let split: Vec<Vec<&str>> = sentences
        .iter()
        .map(|s| {
            let tokens = detente_core::domain::text::tokenize(s);
            words::words(s, &tokens).iter().map(|w| &s[w.start..w.end]).collect()
        })
        .collect();
    let words_total: usize = split.iter().map(Vec::len).sum();
    println!(
        "model: loaded in {:.3} s, {:.0} MB resident; {} sentences, {:.1} words each",
        load,
        memory as f64 / 1024.0,
        split.len(),
        words_total as f64 / split.len() as f64
    );
    // Each run parses the set enough times for ~20,000 sentences.
    let repeat = (20_000 / split.len()).max(1);
    let mut rates = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let mut n = 0usize;
        for _ in 0..repeat {
            for s in &split {
                n += model.analyse(s).len();
            }
        }
        let el = t.elapsed().as_secs_f64();
        rates.push(((repeat * split.len()) as f64 / el, n as f64 / el));
    }
    rates.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (min, median) = (rates[0], rates[rates.len() / 2]);
    println!("tag + lemma + parse, one thread, {runs} runs of {} sentences:", repeat * split.len());
    println!("  min    {:>8.0} sentences/s {:>9.0} words/s", min.0, min.1);
    println!("  median {:>8.0} sentences/s {:>9.0} words/s", median.0, median.1);
    Ok(())
}
