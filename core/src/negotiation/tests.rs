//! The scenario and its baselines against the published inputs: the EC car-emission case of
//! Bueno de Mesquita 1994 (as Scholz, Calbert & Smith 2011 reprint it) and the Sultan case,
//! whose means and medians the reference runs print.

use super::*;
use std::path::PathBuf;

/// The shared reference material: `DETENTE_SHARED`, else `../shared` beside the repository.
pub(super) fn shared(path: &str) -> String {
    let root = std::env::var_os("DETENTE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    let file = root.join("negotiation").join(path);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e} (set DETENTE_SHARED)", file.display()))
}

fn scale(id: &str, min: f64, max: f64) -> Issue {
    Issue { id: id.into(), label: id.into(), min, max, anchors: Vec::new() }
}

/// The EC car-emission case (Scholz Table 1) as the issue `emissions`, years 0 to 10.
pub(super) fn ec_case() -> Scenario {
    let text = shared("eum/scholz_jmckib/inputs/ExampleActors.csv");
    read_actor_table(&text, "ExampleActors.csv", scale("emissions", 0.0, 10.0), SalienceScale::Fraction).expect("EC")
}

#[test]
fn the_ec_and_sultan_inputs_give_the_reference_runs_mean_and_median() {
    let text = shared("eum/scholz_jmckib/inputs/ExampleActors.csv");
    let ec = read_actor_table(&text, "ExampleActors.csv", scale("emissions", 0.0, 10.0), SalienceScale::Fraction)
        .expect("EC");
    let b = &baselines(&ec)[0];
    // The reference log's first lines: "Median position: 7.0", "Mean position: 7.3899…".
    assert_eq!(b.power_median, 7.0);
    assert!((b.power_mean - 7.389955686853766).abs() < 1e-12, "{}", b.power_mean);
    assert!((b.mean - 6.7).abs() < 1e-12, "ten positions summing to 67: {}", b.mean);

    let text = shared("eum/scholz_jmckib/inputs/Sultan.csv");
    let sultan =
        read_actor_table(&text, "Sultan.csv", scale("sultan", 0.0, 20.0), SalienceScale::Fraction).expect("Sultan");
    let b = &baselines(&sultan)[0];
    assert!((b.power_mean - 13.619912134884824).abs() < 1e-12, "{}", b.power_mean);
    assert_eq!(b.power_median, 13.9);
}

#[test]
fn salience_is_read_on_its_declared_scale_never_guessed() {
    let table = "Actor,Capability,Position,Salience\nTurkey,0.3,20,80\nSyria,0.2,100,95\n";
    let e = read_actor_table(table, "talks.csv", scale("withdrawal", 0.0, 100.0), SalienceScale::Fraction)
        .expect_err("80 is no fraction");
    let loc = e.location().expect("located");
    assert_eq!((loc.line, e.field()), (Some(2), Some("salience")));
    assert!(e.to_string().contains("percent"), "{e}");
    let s =
        read_actor_table(table, "talks.csv", scale("withdrawal", 0.0, 100.0), SalienceScale::Percent).expect("percent");
    let saliences: Vec<f64> = s.stances_on("withdrawal").map(|x| x.salience).collect();
    assert_eq!(saliences, [0.8, 0.95]);
}

#[test]
fn bad_scenarios_name_the_stance_and_field() {
    let stance = |actor: &str, position: f64, salience: f64, capability: f64| Stance {
        actor: actor.into(),
        issue: "withdrawal".into(),
        position,
        salience,
        capability,
    };
    let issue = || vec![scale("withdrawal", 0.0, 100.0)];
    let field = |stances: Vec<Stance>| Scenario::new(issue(), stances).expect_err("bad").field().map(String::from);
    assert_eq!(
        field(vec![stance("TUR", 20.0, 0.8, 0.3), stance("SYR", 120.0, 0.9, 0.2)]).as_deref(),
        Some("stances[1].position")
    );
    assert_eq!(
        field(vec![stance("TUR", 20.0, 1.5, 0.3), stance("SYR", 100.0, 0.9, 0.2)]).as_deref(),
        Some("stances[0].salience")
    );
    assert_eq!(
        field(vec![stance("TUR", 20.0, 0.8, -1.0), stance("SYR", 100.0, 0.9, 0.2)]).as_deref(),
        Some("stances[0].capability")
    );
    assert_eq!(
        field(vec![stance("TUR", 20.0, 0.8, 0.3), stance("TUR", 30.0, 0.9, 0.2)]).as_deref(),
        Some("stances[1].actor")
    );
    assert_eq!(field(vec![stance("TUR", 20.0, 0.8, 0.3)]).as_deref(), Some("issues[0]"));
    assert_eq!(
        field(vec![stance("TUR", 20.0, 0.0, 0.3), stance("SYR", 100.0, 0.9, 0.0)]).as_deref(),
        Some("issues[0]")
    );
    let flat = Scenario::new(vec![scale("withdrawal", 5.0, 5.0)], vec![]).expect_err("min = max");
    assert_eq!(flat.field(), Some("issues[0].max"));
}

#[test]
fn the_weighted_median_is_the_position_that_reaches_half_the_weight() {
    // Turkey's 40 % of the weight at 20 and Russia's 20 % at 60 reach half only at 60.
    assert_eq!(weighted_median(&[(100.0, 0.4), (20.0, 0.4), (60.0, 0.2)]), 60.0);
    assert_eq!(weighted_median(&[(20.0, 0.5), (100.0, 0.5)]), 20.0, "exactly half: the lower one");
    assert!(weighted_median(&[(20.0, 0.0)]).is_nan());
}

#[test]
fn decide_inputs_give_the_outcome_decide_starts_from() {
    // Round 0 of Decide's runs: the capability × salience-weighted mean of every issue.
    let expected = shared("decide/expected_mds_by_round.csv");
    let mut checked = 0;
    for (dataset, file) in
        [("sample_data", "sample_data.txt"), ("copenhagen", "copenhagen.csv"), ("cop21", "cop21.csv")]
    {
        let s = read_decide(&shared(&format!("decide/inputs/{file}")), file, SalienceScale::Fraction).expect(file);
        let found = baselines(&s);
        for line in expected.lines().skip(1) {
            let cols: Vec<&str> = line.split(',').collect();
            if cols[0] != dataset || cols[3] != "0" {
                continue;
            }
            let b =
                found.iter().find(|b| b.issue == cols[1]).unwrap_or_else(|| panic!("{dataset}: no issue {}", cols[1]));
            let want: f64 = cols[4].parse().expect("number");
            assert!((b.power_mean - want).abs() < 1e-9, "{dataset} {}: {} vs {want}", cols[1], b.power_mean);
            checked += 1;
        }
    }
    assert!(checked >= 20, "every issue of the three inputs: {checked}");
    let sample = read_decide(&shared("decide/inputs/sample_data.txt"), "sample_data.txt", SalienceScale::Fraction)
        .expect("sample");
    let toll = sample.issues().iter().find(|i| i.id == "tol-hoogte").expect("issue");
    assert_eq!((toll.min, toll.max), (0.5, 7.0), "the scale's ends are its lowest and highest #M points");
}

#[test]
fn a_bad_decide_row_is_named_by_line_and_field() {
    let text = "'#P'\t'withdrawal'\t'Withdrawal'\t''\n'#D'\t'TUR'\t'withdrawal'\t20\tmuch\t0.3\n";
    let e = read_decide(text, "talks.txt", SalienceScale::Fraction).expect_err("salience");
    assert_eq!((e.location().and_then(|l| l.line), e.field()), (Some(2), Some("salience")));
    let e = read_decide("'#X'\t'a'\n", "talks.txt", SalienceScale::Fraction).expect_err("tag");
    assert_eq!(e.field(), Some("tag"));
}

#[test]
fn a_scenario_written_in_decides_format_reads_back_the_same() {
    for file in ["cop21.csv", "copenhagen.csv", "sample_data.txt"] {
        let s = read_decide(&shared(&format!("decide/inputs/{file}")), file, SalienceScale::Fraction).expect(file);
        let again = read_decide(&write_decide(&s), file, SalienceScale::Fraction).expect("written");
        assert_eq!(again.actors(), s.actors(), "{file}");
        assert_eq!(again.stances(), s.stances(), "{file}");
        assert_eq!(
            again.issues().iter().map(|i| (&i.id, i.min, i.max)).collect::<Vec<_>>(),
            s.issues().iter().map(|i| (&i.id, i.min, i.max)).collect::<Vec<_>>()
        );
    }
}
