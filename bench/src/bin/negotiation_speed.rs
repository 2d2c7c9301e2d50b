//! Negotiation models, release build, one thread: the expected-utility model for 10 rounds on
//! the EC case, the exchange model for 10 rounds on COP21, and a 10,000-draw Monte Carlo of the
//! EC case. Prints the median of repeated runs.
//!
//!     cargo run --release -p detente-bench --bin negotiation_speed [-- SHARED_DIR]
//!
//! The comparison with the Python references (same inputs, same process) is
//! `bench/negotiation_vs_reference.py`.

use detente_core::negotiation::{
    EumProfile, ExchangeOptions, Issue, NegotiationModel, Perturbation, SalienceScale, monte_carlo, read_actor_table,
    read_decide, run_eum, run_exchange,
};
use std::path::PathBuf;
use std::time::Instant;

fn median_seconds(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let shared = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
        .join("negotiation");
    let ec_text = std::fs::read_to_string(shared.join("eum/scholz_jmckib/inputs/ExampleActors.csv"))?;
    let issue = Issue { id: "emissions".into(), label: "emissions".into(), min: 0.0, max: 10.0, anchors: Vec::new() };
    let ec = read_actor_table(&ec_text, "ExampleActors.csv", issue, SalienceScale::Fraction)?;
    let cop21 = read_decide(
        &std::fs::read_to_string(shared.join("decide/inputs/cop21.csv"))?,
        "cop21",
        SalienceScale::Fraction,
    )?;

    let profile = EumProfile::default();
    let eum = median_seconds(201, || {
        let run = run_eum(&ec, "emissions", &profile).expect("eum");
        assert_eq!(run.forecast, 7.0);
    });
    let decide = ExchangeOptions::decide(0);
    let exchange = median_seconds(21, || {
        run_exchange(&cop21, &decide).expect("exchange");
    });
    let default = ExchangeOptions::default();
    let exchange_binary = median_seconds(21, || {
        run_exchange(&cop21, &default).expect("exchange");
    });
    let model = NegotiationModel::Eum { issue: "emissions".into(), profile };
    let p = Perturbation { draws: 10_000, seed: 1, ..Perturbation::default() };
    let mc = median_seconds(5, || {
        monte_carlo(&ec, &model, &p).expect("monte carlo");
    });
    println!("| run | median time |");
    println!("| --- | --- |");
    println!("| EUM, EC case, 10 rounds (full trace) | {:.1} µs |", eum * 1e6);
    println!("| Equal Gain, COP21, 10 rounds (Decide mode: 28-digit decimals) | {:.2} ms |", exchange * 1e3);
    println!("| Equal Gain, COP21, 10 rounds (default: binary floats) | {:.2} ms |", exchange_binary * 1e3);
    println!("| Monte Carlo, EC case, 10,000 draws of EUM | {:.3} s |", mc);
    Ok(())
}
