//! Series latency: an in-memory model of N events (10 million by default) spread over 150
//! countries and ten years, one dense dyad (TUR–SYR, events every day in both directions and
//! symmetric meetings), then the dyad's 10-year daily series asked for repeatedly. Reports the
//! load time and the p50 / p99 / max latency of `Model::relation` for daily and monthly series.
//!
//! `cargo run --release -p detente-bench --bin series_latency [-- EVENTS [QUERIES]]`

use detente_core::relations::{Freq, SeriesOptions};
use detente_core::{AddOptions, Date, Event, Model, ModelOptions};
use std::time::Instant;

/// Deterministic xorshift generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const CODES: &[&str] = &[
    "010", "020", "036", "040", "042", "043", "046", "051", "057", "061", "071", "111", "112", "128", "138", "163",
    "173", "190", "193", "0311", "0874",
];
const ROLES: &[&str] = &["GOV", "MIL", "", "GOV", "OPP", "BUS"];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let total: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10_000_000);
    let queries: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2_000);
    let Some(first) = Date::from_ymd(2014, 1, 1) else { return };
    let days = 3652;

    let model = match Model::in_memory(&ModelOptions::default()) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("model: {e}");
            std::process::exit(1);
        }
    };
    let mut countries: Vec<String> = model
        .dictionary()
        .entries()
        .iter()
        .filter(|e| e.code.len() == 3 && e.code.chars().all(|c| c.is_ascii_uppercase()))
        .map(|e| e.code.clone())
        .collect();
    countries.sort();
    countries.dedup();
    countries.truncate(150);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let t0 = Instant::now();
    let batch = 500_000;
    let mut made = 0usize;
    while made < total {
        let n = batch.min(total - made);
        let mut events = Vec::with_capacity(n);
        for k in 0..n {
            let i = made + k;
            let date = first.add_days(rng.below(days) as i32);
            // One event in 500 is the dense dyad's: ~20,000 over ten years, about 5 a day.
            let (s, t) = if i.is_multiple_of(500) {
                if rng.below(2) == 0 { ("TUR", "SYR") } else { ("SYR", "TUR") }
            } else {
                let a = rng.below(countries.len());
                let b = (a + 1 + rng.below(countries.len() - 1)) % countries.len();
                (countries[a].as_str(), countries[b].as_str())
            };
            let source = format!("{s}{}", ROLES[rng.below(ROLES.len())]);
            let target = format!("{t}{}", ROLES[rng.below(ROLES.len())]);
            match Event::new(format!("e{i}"), date, Some(&source), Some(&target), CODES[rng.below(CODES.len())]) {
                Ok(mut e) => {
                    e.mentions = 1 + rng.below(20) as u32;
                    e.directed = e.code != "040" && e.code != "0874" || !i.is_multiple_of(3);
                    events.push(e);
                }
                Err(e) => {
                    eprintln!("event: {e}");
                    std::process::exit(1);
                }
            }
        }
        if let Err(e) = model.add_events(events, &AddOptions::default()) {
            eprintln!("add: {e}");
            std::process::exit(1);
        }
        made += n;
    }
    let load = t0.elapsed();
    println!(
        "loaded {total} events in {:.1} s ({:.0} events/s)",
        load.as_secs_f64(),
        total as f64 / load.as_secs_f64()
    );

    for (name, freq) in [("daily", Freq::Day), ("monthly", Freq::Month)] {
        let opts = SeriesOptions {
            freq,
            start: Some(first),
            end: Some(first.add_days(days as i32 - 1)),
            ..Default::default()
        };
        let mut times = Vec::with_capacity(queries);
        let mut points = 0;
        let mut events = 0;
        for _ in 0..queries {
            let t = Instant::now();
            let answer = model.relation("TUR", "SYR", &opts);
            times.push(t.elapsed().as_nanos() as f64 / 1000.0);
            match answer {
                Ok(s) => {
                    points = s.points.len();
                    events = s.points.iter().map(|p| p.count).sum::<i64>();
                }
                Err(e) => {
                    eprintln!("relation: {e}");
                    std::process::exit(1);
                }
            }
        }
        times.sort_by(f64::total_cmp);
        let q = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
        println!(
            "{name} TUR-SYR series: {points} points, {events} events; p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs ({queries} queries)",
            q(0.5),
            q(0.99),
            q(1.0)
        );
    }
}
