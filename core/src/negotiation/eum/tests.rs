//! The expected-utility model against the reference runs of `shared/negotiation/eum`: the EC
//! car-emission case round by round (risk exponents, probabilities, both expected-utility
//! matrices, offers accepted, positions, median and mean), the published mean series and
//! Belgium's published perspective chart, the Sultan case where nothing moves; and the model's
//! invariants as property tests.

use super::*;
use crate::negotiation::tests::{ec_case, shared};
use crate::negotiation::{Issue, SalienceScale, Stance, read_actor_table};
use proptest::prelude::*;
use serde_json::Value;

const EXACT: f64 = 1e-9;

fn close(what: &str, got: f64, want: f64, tolerance: f64) {
    assert!((got - want).abs() <= tolerance, "{what}: {got} against {want}");
}

fn detail(name: &str) -> Value {
    serde_json::from_str(&shared(&format!("eum/scholz_jmckib/outputs/{name}.detail.json"))).expect("detail json")
}

/// Every number of every round of the reference's detail file, against our trace.
fn check_against_detail(run: &EumRun, reference: &Value) {
    let names: Vec<&str> = reference["actors"].as_array().expect("actors").iter().filter_map(Value::as_str).collect();
    assert_eq!(run.actors, names);
    let rounds = reference["rounds"].as_array().expect("rounds");
    assert_eq!(run.rounds.len(), rounds.len());
    for (ours, theirs) in run.rounds.iter().zip(rounds) {
        let k = ours.round;
        for (i, name) in names.iter().enumerate() {
            close(&format!("round {k} r of {name}"), ours.risk[i], theirs["r"][name].as_f64().expect("r"), EXACT);
            close(
                &format!("round {k} position of {name}"),
                ours.positions[i],
                theirs["positions_after"][name].as_f64().expect("position"),
                EXACT,
            );
            for j in (0..names.len()).filter(|&j| j != i) {
                let cell = |m: &str| theirs[m][i][j].as_f64().expect("cell");
                close(&format!("round {k} P[{i}][{j}]"), ours.probability[i][j], cell("P"), EXACT);
                close(&format!("round {k} E^i(U_ij)[{i}][{j}]"), ours.eu_challenge[i][j], cell("eu_ij"), EXACT);
                close(
                    &format!("round {k} E^i(U_ji)[{i}][{j}]"),
                    ours.eu_challenged[i][j],
                    cell("eu_ji_perceived"),
                    EXACT,
                );
            }
            let want = &theirs["accepted"][name];
            match ours.accepted[i] {
                None => assert!(want.is_null(), "round {k}: {name} accepted nothing, the reference {want}"),
                Some(o) => {
                    assert_eq!(o.kind.name(), want["type"].as_str().expect("type"), "round {k} {name}");
                    assert_eq!(names[o.proposer], want["proposer"].as_str().expect("proposer"), "round {k} {name}");
                    close(
                        &format!("round {k} {name} eu_self"),
                        o.eu_self,
                        want["eu_self"].as_f64().expect("eu"),
                        EXACT,
                    );
                    close(
                        &format!("round {k} {name} eu_other"),
                        o.eu_other,
                        want["eu_other"].as_f64().expect("eu"),
                        EXACT,
                    );
                    close(&format!("round {k} {name} to"), o.position, want["position"].as_f64().expect("to"), EXACT);
                }
            }
            let made = ours.offers.iter().filter(|o| o.receiver == i).count();
            assert_eq!(made, theirs["offers"][name].as_array().expect("offers").len(), "round {k}: offers to {name}");
        }
        close(&format!("round {k} median"), ours.median, theirs["median_after"].as_f64().expect("median"), EXACT);
        close(&format!("round {k} mean"), ours.mean, theirs["mean_after"].as_f64().expect("mean"), EXACT);
    }
}

#[test]
fn the_ec_case_follows_the_reference_trajectory_round_by_round() {
    let run = run_eum(&ec_case(), "emissions", &EumProfile::default()).expect("run");
    assert_eq!(run.profile.name, "scholz2011_code");
    check_against_detail(&run, &detail("ExampleActors"));
    // The round-1 moves the notes list: Belgium compromises with France, 7 → 8.4159; Luxembourg
    // loses a confrontation to Belgium; Ireland to Luxembourg.
    let first = &run.rounds[0];
    let moved: Vec<(&str, &str, &str)> = first
        .accepted
        .iter()
        .flatten()
        .map(|o| (run.actors[o.receiver].as_str(), o.kind.name(), run.actors[o.proposer].as_str()))
        .collect();
    assert_eq!(
        moved,
        [
            ("Belgium", "compromise", "France"),
            ("Luxembourg", "confrontation", "Belgium"),
            ("Ireland", "confrontation", "Luxembourg")
        ]
    );
    assert_eq!(run.forecast, 7.0, "the median after round 10");
}

#[test]
fn the_mean_series_is_within_the_published_figures_reading() {
    // The reference trajectory (matched to 1e-9 above) is within 0.06 of the figure as
    // transcribed in every round but round 1, where it is 7.4613 against 7.4 (pixel-measured
    // 7.399): 0.062. That gap is the reference's own, so round 1 is held to 0.065 and said so.
    let run = run_eum(&ec_case(), "emissions", &EumProfile::default()).expect("run");
    let published = shared("eum/published_reference/ec_mean_position_by_round_scholz2011.csv");
    let means = run.means();
    let mut rows = 0;
    for line in published.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let round: usize = cells[0].parse().expect("round");
        let (transcribed, measured): (f64, f64) = (cells[1].parse().expect("mean"), cells[2].parse().expect("mean"));
        let tolerance = if round == 1 { 0.065 } else { 0.06 };
        close(&format!("mean of round {round}"), means[round], transcribed, tolerance);
        close(&format!("mean of round {round}, measured"), means[round], measured, tolerance);
        rows += 1;
    }
    assert_eq!(rows, 11);
}

#[test]
fn belgiums_round_one_perspective_matches_bueno_de_mesquitas_chart() {
    let run = run_eum(&ec_case(), "emissions", &EumProfile::default()).expect("run");
    let chart = run.perspective("Belgium", 1).expect("chart");
    let published = shared("eum/published_reference/ec_belgium_perspective_bdm1994.csv");
    for line in published.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let name = if cells[0] == "United Kingdom" { "UK" } else { cells[0] };
        let point = chart.iter().find(|p| p.other == name).unwrap_or_else(|| panic!("{name} on the chart"));
        let (x, y, tolerance): (f64, f64, f64) =
            (cells[1].parse().expect("x"), cells[2].parse().expect("y"), cells[3].parse().expect("tolerance"));
        close(&format!("{name} x"), point.challenge, x, tolerance);
        close(&format!("{name} y"), point.challenged, y, tolerance);
    }
    assert!(run.perspective("Belgium", 11).is_err() && run.perspective("Atlantis", 1).is_err());
}

#[test]
fn in_the_sultan_case_nothing_moves_in_ten_rounds() {
    let text = shared("eum/scholz_jmckib/inputs/Sultan.csv");
    let issue = Issue { id: "oil".into(), label: "oil price".into(), min: 0.0, max: 30.0, anchors: Vec::new() };
    let sultan = read_actor_table(&text, "Sultan.csv", issue, SalienceScale::Fraction).expect("Sultan");
    let run = run_eum(&sultan, "oil", &EumProfile::default()).expect("run");
    check_against_detail(&run, &detail("Sultan"));
    assert_eq!(run.rounds.len(), 10);
    assert!(run.rounds.iter().all(|r| r.positions == run.initial && r.accepted.iter().all(Option::is_none)));
    assert_eq!(run.forecast, 13.9);
}

#[test]
fn the_papers_probability_puts_every_rival_in_belgiums_positive_half() {
    // The notes' argument for the code's P: with the pair's share of votes (A1 a) and nothing
    // else changed, Belgium expects to gain from challenging anyone, x from +0.23 to +0.88,
    // unlike the published chart.
    let mut profile = EumProfile::default();
    profile.set("probability", "pair_share").expect("a1");
    let run = run_eum(&ec_case(), "emissions", &profile).expect("run");
    let chart = run.perspective("Belgium", 1).expect("chart");
    let rivals: Vec<f64> =
        chart.iter().filter(|p| p.other != "Ireland" && p.other != "Greece").map(|p| p.challenge).collect();
    let (low, high) =
        (rivals.iter().copied().fold(f64::INFINITY, f64::min), rivals.iter().copied().fold(0.0, f64::max));
    close("lowest x", low, 0.23, 0.01);
    close("highest x", high, 0.88, 0.01);
}

#[test]
fn the_papers_profile_runs_where_the_reference_code_divides_by_zero() {
    let run = run_eum(&ec_case(), "emissions", &EumProfile::scholz2011_paper()).expect("run");
    assert_eq!(run.rounds.len(), 10);
    for r in &run.rounds {
        assert!(r.risk.iter().all(|r| (0.5..=2.0).contains(r)), "{:?}", r.risk);
        assert!(r.positions.iter().all(|x| (4.0..=10.0).contains(x)));
    }
    // As printed, the model collapses onto Belgium's and Greece's 7 in the first round, where
    // every danger is equal (the guard's case) from then on.
    assert!(run.means()[1..].iter().all(|m| (m - 7.0).abs() < 1e-9), "{:?}", run.means());
    assert!(run.rounds[1..].iter().all(|r| r.risk.iter().all(|&x| x == 1.0)));
}

#[test]
fn options_are_set_by_name_or_number_and_recorded() {
    let mut p = EumProfile::default();
    p.set("a1", "pair_share").expect("a1");
    p.set("q", "0.5").expect("q");
    p.set("t", "eftekhari").expect("t");
    p.set("tolerance", "0.01").expect("tolerance");
    assert_eq!(p.name, "custom");
    let mut again = EumProfile::default();
    for (key, value) in p.options() {
        again.set(key, &value).expect(key);
    }
    assert_eq!(again, p);
    let e = p.set("probability", "votes").expect_err("no such rule");
    assert_eq!(e.field(), Some("profile.probability"));
    assert!(p.set("a14", "x").is_err() && p.set("q", "1.5").is_err() && p.set("rounds", "0").is_err());
    assert!(EumProfile::named("bdm1994").is_err());
    // Q < 1 brings the status-quo drift in: the run differs and stays well defined.
    let run = run_eum(&ec_case(), "emissions", &p).expect("run");
    assert!(run.forecast.is_finite() && run.rounds.len() <= 10);
}

fn stance(actor: String, position: f64, salience: f64, capability: f64) -> Stance {
    Stance { actor, issue: "i".into(), position, salience, capability }
}

fn scenario_of(rows: &[(f64, f64, f64)], min: f64, max: f64) -> Option<Scenario> {
    let issue = Issue { id: "i".into(), label: "i".into(), min, max, anchors: Vec::new() };
    let stances = rows.iter().enumerate().map(|(k, &(x, s, c))| stance(format!("a{k}"), x, s, c)).collect();
    Scenario::new(vec![issue], stances).ok()
}

fn actors() -> impl Strategy<Value = Vec<(f64, f64, f64)>> {
    // Positions on a coarse grid, so that equal positions (and ties) occur.
    prop::collection::vec(((0u8..=10).prop_map(|x| f64::from(x) * 10.0), 0.05f64..1.0, 0.05f64..1.0), 2..9)
}

fn profiles() -> impl Strategy<Value = EumProfile> {
    prop_oneof![Just(EumProfile::scholz2011_code()), Just(EumProfile::scholz2011_paper())]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn risk_and_probability_stay_in_their_ranges(rows in actors(), profile in profiles()) {
        let Some(s) = scenario_of(&rows, 0.0, 100.0) else { return Ok(()) };
        let run = run_eum(&s, "i", &profile).expect("run");
        for r in &run.rounds {
            let x = run.positions(r.round - 1).expect("positions");
            for (i, ri) in r.risk.iter().enumerate() {
                prop_assert!((0.5 - 1e-12..=2.0 + 1e-12).contains(ri), "r = {}", ri);
                for (j, p) in r.probability[i].iter().enumerate() {
                    prop_assert!((0.0..=1.0).contains(p), "P = {}", p);
                    if x[i] == x[j] { prop_assert_eq!(*p, 0.0); }
                }
            }
            prop_assert!(r.eu_challenge.iter().flatten().chain(r.eu_challenged.iter().flatten()).all(|v| v.is_finite()));
        }
        prop_assert!(run.forecast.is_finite());
    }

    #[test]
    fn identical_actors_get_identical_rows(rows in actors(), profile in profiles()) {
        let mut rows = rows;
        rows.push(rows[0]);
        let Some(s) = scenario_of(&rows, 0.0, 100.0) else { return Ok(()) };
        let run = run_eum(&s, "i", &profile).expect("run");
        let (a, b) = (0, rows.len() - 1);
        for r in &run.rounds {
            prop_assert_eq!(r.risk[a], r.risk[b]);
            prop_assert_eq!(r.positions[a], r.positions[b]);
            for j in (0..rows.len()).filter(|&j| j != a && j != b) {
                prop_assert_eq!(r.probability[a][j], r.probability[b][j]);
                prop_assert_eq!(r.eu_challenge[a][j], r.eu_challenge[b][j]);
                prop_assert_eq!(r.eu_challenged[a][j], r.eu_challenged[b][j]);
            }
        }
    }

    #[test]
    fn results_do_not_depend_on_the_scales_units(rows in actors(), scale in 0.01f64..50.0, shift in -500.0f64..500.0, profile in profiles()) {
        let Some(s) = scenario_of(&rows, 0.0, 100.0) else { return Ok(()) };
        let moved: Vec<(f64, f64, f64)> = rows.iter().map(|&(x, sal, c)| (x * scale + shift, sal, c)).collect();
        let Some(t) = scenario_of(&moved, shift, 100.0 * scale + shift) else { return Ok(()) };
        let (a, b) = (run_eum(&s, "i", &profile).expect("run"), run_eum(&t, "i", &profile).expect("run"));
        let tolerance = 1e-6 * (1.0 + scale);
        prop_assert_eq!(a.rounds.len(), b.rounds.len());
        for (ra, rb) in a.rounds.iter().zip(&b.rounds) {
            for (ea, eb) in ra.eu_challenge.iter().flatten().zip(rb.eu_challenge.iter().flatten()) {
                prop_assert!((ea - eb).abs() < 1e-9, "E {} against {}", ea, eb);
            }
            for (xa, xb) in ra.positions.iter().zip(&rb.positions) {
                prop_assert!((xa * scale + shift - xb).abs() < tolerance, "{} → {} against {}", xa, xa * scale + shift, xb);
            }
        }
        prop_assert!((a.forecast * scale + shift - b.forecast).abs() < tolerance);
    }
}

#[test]
fn one_position_for_everyone_or_one_danger_for_everyone_is_no_division_by_zero() {
    // max = min of positions: Δ = 0, nobody has anything to challenge.
    let same = scenario_of(&[(40.0, 0.5, 0.3), (40.0, 0.9, 0.2), (40.0, 0.2, 0.6)], 0.0, 100.0).expect("scenario");
    for profile in [EumProfile::scholz2011_code(), EumProfile::scholz2011_paper()] {
        let run = run_eum(&same, "i", &profile).expect("run");
        assert!(run.rounds.iter().all(|r| r.positions == [40.0; 3] && r.risk == [1.0; 3]));
        assert_eq!(run.forecast, 40.0);
    }
    // Two symmetric actors: equal dangers, max = min in the risk update.
    let pair = scenario_of(&[(0.0, 0.5, 0.5), (100.0, 0.5, 0.5)], 0.0, 100.0).expect("scenario");
    let run = run_eum(&pair, "i", &EumProfile::default()).expect("run");
    assert_eq!(run.rounds[0].risk, [1.0, 1.0]);
    let mut guarded = EumProfile::default();
    guarded.set("risk_guard", "0.001").expect("guard");
    let run = run_eum(&pair, "i", &guarded).expect("run");
    assert!(run.rounds[0].risk.iter().all(|r| r.is_finite()));
}
