//! Coder speed: codes at least 100,000 distinct sentences, generated from templates over the
//! dictionary and the lexicon's vocabulary, on one thread, and reports sentences per second.
//!
//! `cargo run --release -p detente-bench --bin coder_speed [-- SENTENCES] [--token-windows]`:
//! parsing included; with `--token-windows`, the coder of before the parse.

use detente_core::coder::Coder;
use detente_core::domain::actors::NameKind;
use detente_core::{Date, Dictionary, Document};
use std::time::Instant;

// The allocator of the `detente` binary and the Python module, so the numbers are theirs.
#[global_allocator]
static A: detente_core::alloc::Allocator = detente_core::alloc::Allocator;

/// Deterministic xorshift generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[(self.next() % v.len() as u64) as usize]
    }
}

const ACTIONS: &[&str] = &[
    "met",
    "accused",
    "condemned",
    "praised",
    "criticised",
    "attacked",
    "hosted",
    "visited",
    "shelled",
    "welcomed",
    "threatened",
    "sanctioned",
    "invaded",
    "thanked",
    "blamed",
    "recognised",
    "expelled diplomats from",
    "signed an agreement with",
    "held talks with",
    "imposed sanctions on",
    "launched airstrikes against",
    "agreed to restore diplomatic relations with",
    "urged",
    "called on",
    "refused to release the prisoners held by",
    "pledged to send humanitarian aid to",
    "demanded the withdrawal of troops from",
    "offered to mediate between",
    "summoned the ambassador of",
    "deployed troops near",
];
const COMPLEMENTS: &[&str] = &[
    "",
    " to release political prisoners",
    " to hold talks",
    " to lift the sanctions",
    " to withdraw its forces",
    " over the border dispute",
    " after weeks of tension",
    " in a statement",
    " despite objections from the opposition",
];
const ATTRIBUTIONS: &[&str] = &[
    "",
    ", officials said",
    ", according to state media",
    ", the foreign ministry said in a statement on its website",
    ", a government spokesman told reporters in the capital",
    ", two diplomats familiar with the talks said",
];
const DAYS: &[&str] =
    &["on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "last week", "today", "in March"];

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(120_000);
    let windows = std::env::args().any(|a| a == "--token-windows");
    let dict = Dictionary::builtin();
    // Actor phrases: country names, demonym + role, capitals, persons.
    let mut actors: Vec<String> = Vec::new();
    for e in dict.entries() {
        let name = e.canonical().to_string();
        match e.kind {
            NameKind::Country | NameKind::Capital | NameKind::Organisation => actors.push(name),
            NameKind::Demonym => {
                for role in ["government", "army", "foreign minister", "president", "rebels", "police"] {
                    actors.push(format!("the {name} {role}"));
                }
            }
            NameKind::Person => actors.push(name),
            _ => {}
        }
    }
    let mut rng = Rng(0x2545F4914F6CDD1D);
    let mut seen = std::collections::HashSet::new();
    let mut sentences = Vec::with_capacity(n);
    while sentences.len() < n {
        let s = format!(
            "{} {} {} {}{}{}.",
            rng.pick(&actors),
            rng.pick(ACTIONS),
            rng.pick(&actors),
            rng.pick(DAYS),
            rng.pick(COMPLEMENTS),
            rng.pick(ATTRIBUTIONS)
        );
        let mut chars = s.chars();
        let s = match chars.next() {
            Some(c) => c.to_uppercase().chain(chars).collect::<String>(),
            None => continue,
        };
        if seen.insert(s.clone()) {
            sentences.push(s);
        }
    }
    // Documents of 20 sentences, as in a news feed.
    let date = Date::from_ymd(2023, 5, 11).unwrap_or(Date::MIN);
    let docs: Vec<Document> = sentences
        .chunks(20)
        .enumerate()
        .filter_map(|(i, c)| Document::new(Some(&format!("bench-{i}")), date, None, &c.join(" ")).ok())
        .collect();
    let coder = match Coder::builtin().map(|c| if windows { c.token_windows() } else { c }) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let words: usize = sentences.iter().map(|s| s.split_whitespace().count()).sum();
    let start = Instant::now();
    let mut events = 0usize;
    for d in &docs {
        events += coder.code_document(d).len();
    }
    let secs = start.elapsed().as_secs_f64();
    println!("sentences        {}", sentences.len());
    println!("distinct         {}", seen.len());
    println!("words/sentence   {:.1}", words as f64 / sentences.len() as f64);
    println!("events           {events}");
    println!("seconds          {secs:.3}");
    println!("sentences/s      {:.0}", sentences.len() as f64 / secs);
    println!("events/s         {:.0}", events as f64 / secs);
}
