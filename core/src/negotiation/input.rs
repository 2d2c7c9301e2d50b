//! Reading a scenario from a file, whichever of the three usual shapes it has: Decide's input
//! format (several issues, scales declared), a long table `actor,issue,position,salience,
//! capability` (several issues), or the expected-utility literature's actor table
//! `Actor,Capability,Position,Salience` (one issue). Also the scenarios that ship with detente.

use super::{Issue, SalienceScale, Scenario, Stance, read_decide, scenario::number_at};
use crate::error::{Error, Location, Result};

/// The scenarios that ship with detente, by name: Decide-format text, saliences as fractions.
pub const EXAMPLE_SCENARIOS: [(&str, &str); 1] =
    [("moscow-2023", include_str!("../../data/negotiation/moscow-2023.txt"))];

/// A scenario that ships with detente (see [`EXAMPLE_SCENARIOS`]).
pub fn example_scenario(name: &str) -> Result<Scenario> {
    let (_, text) = EXAMPLE_SCENARIOS.iter().find(|(n, _)| *n == name).ok_or_else(|| {
        let names: Vec<&str> = EXAMPLE_SCENARIOS.iter().map(|e| e.0).collect();
        Error::invalid("example", format!("no example scenario `{name}` (there are {names:?})"))
    })?;
    read_decide(text, name, SalienceScale::Fraction)
}

/// Reads a scenario file of any of the three shapes; `name` names it in errors. Salience is on
/// the declared scale. A table's issue runs over `scale` when given, else from its lowest to
/// its highest position; a one-issue actor table names its issue `issue` (else `issue`).
pub fn read_scenario(
    text: &str,
    name: &str,
    salience: SalienceScale,
    issue: Option<&str>,
    scale: Option<(f64, f64)>,
) -> Result<Scenario> {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    if first.trim_start_matches('\'').starts_with('#') {
        return read_decide(text, name, salience);
    }
    rescale(read_table(text, name, salience, &open_issue(issue.unwrap_or("issue")))?, scale)
}

/// Reads the one-issue actor table of the expected-utility literature: a header
/// `Actor,Capability,Position,Salience` (any order, any case) and a row per actor, with
/// salience on the declared scale, into a scenario of `issue`. `name` names the input in
/// errors, which give its line and column.
pub fn read_actor_table(text: &str, name: &str, issue: Issue, salience: SalienceScale) -> Result<Scenario> {
    read_table(text, name, salience, &issue)
}

/// An issue with no scale yet: wide enough for any position, set afterwards by [`rescale`].
fn open_issue(id: &str) -> Issue {
    Issue { id: id.into(), label: id.into(), min: -f64::MAX / 4.0, max: f64::MAX / 4.0, anchors: Vec::new() }
}

/// Sets every issue's scale to `scale`, or to the span of its positions.
fn rescale(s: Scenario, scale: Option<(f64, f64)>) -> Result<Scenario> {
    let mut issues = s.issues().to_vec();
    for issue in &mut issues {
        let (min, max) = match scale {
            Some(given) => given,
            None => {
                let xs: Vec<f64> = s.stances_on(&issue.id).map(|x| x.position).collect();
                let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                if lo >= hi {
                    return Err(Error::invalid(
                        "scale",
                        format!("everyone on `{}` stands at {lo}: give the issue's scale", issue.id),
                    ));
                }
                (lo, hi)
            }
        };
        (issue.min, issue.max) = (min, max);
    }
    Scenario::new(issues, s.stances().to_vec())
}

/// A table with the columns `actor`, `position`, `salience`, `capability` (or `power`), in any
/// order and case, and `issue` when it holds several issues: a row without that column is a
/// stance on `fallback`, and an issue named in the column gets an open scale.
fn read_table(text: &str, name: &str, salience: SalienceScale, fallback: &Issue) -> Result<Scenario> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| Error::invalid_at(Location::line(name, 1), format!("unreadable header: {e}")))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let find = |wanted: &[&str]| header.iter().position(|h| wanted.contains(&h.as_str()));
    let column = |wanted: &[&str]| {
        find(wanted).ok_or_else(|| {
            Error::invalid_at(Location::line(name, 1), format!("no `{}` column (the header has {header:?})", wanted[0]))
        })
    };
    let (actor, position, salience_at, capability) =
        (column(&["actor"])?, column(&["position"])?, column(&["salience"])?, column(&["capability", "power"])?);
    let issue_at = find(&["issue"]);
    let mut issues: Vec<Issue> = if issue_at.is_none() { vec![fallback.clone()] } else { Vec::new() };
    let mut stances = Vec::new();
    let mut lines = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| {
            let line = e.position().map_or(i as u64 + 2, |p| p.line());
            Error::invalid_at(Location::line(name, line), format!("unreadable row: {e}"))
        })?;
        let line = row.position().map_or(i as u64 + 2, |p| line_of(text, p.byte()));
        let at = |f: &str| Location::line(name, line).with_field(f.to_string());
        let cell = |k: usize| row.get(k).unwrap_or("");
        let issue = match issue_at {
            None => fallback.id.clone(),
            Some(k) => {
                let id = cell(k);
                if !issues.iter().any(|x| x.id == id) {
                    issues.push(open_issue(id));
                }
                id.to_string()
            }
        };
        lines.push(line);
        stances.push(Stance {
            actor: cell(actor).to_string(),
            issue,
            position: number_at(cell(position), at("position"))?,
            salience: salience.fraction_at(number_at(cell(salience_at), at("salience"))?, at("salience"))?,
            capability: number_at(cell(capability), at("capability"))?,
        });
    }
    Scenario::located(issues, stances, &|i, f| {
        Location::line(name, lines.get(i).copied().unwrap_or(0)).with_field(f.to_string())
    })
}

/// The 1-based line of a CSV record that starts at byte `at` of `text`. The reader places a
/// record before the blank lines it skips, so those are skipped here too.
fn line_of(text: &str, at: u64) -> u64 {
    let bytes = text.as_bytes();
    let mut end = (at as usize).min(bytes.len());
    while end < bytes.len() && (bytes[end] == b'\n' || bytes[end] == b'\r') {
        end += 1;
    }
    bytes[..end].iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_shapes_read_alike() {
        let long = "actor,issue,position,salience,capability\nTurkiye,withdrawal,15,80,0.35\nSyria,withdrawal,100,95,0.15\n\
                    Turkiye,returns,90,90,0.35\nSyria,returns,40,40,0.3\n";
        let s = read_scenario(long, "talks.csv", SalienceScale::Percent, None, Some((0.0, 100.0))).expect("long");
        assert_eq!(s.issues().iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["withdrawal", "returns"]);
        assert_eq!(s.stances_on("returns").map(|x| x.salience).collect::<Vec<_>>(), [0.9, 0.4]);
        let table = "Actor,Capability,Position,Salience\nNetherlands,0.08,4,0.8\nFrance,0.16,10,0.6\n";
        let t = read_scenario(table, "ec.csv", SalienceScale::Fraction, Some("emissions"), None).expect("table");
        assert_eq!((t.issues()[0].id.as_str(), t.issues()[0].min, t.issues()[0].max), ("emissions", 4.0, 10.0));
        let e = read_scenario(long, "talks.csv", SalienceScale::Fraction, None, None).expect_err("80 as a fraction");
        assert_eq!((e.location().and_then(|l| l.line), e.field()), (Some(2), Some("salience")));
        let off = read_scenario(long, "talks.csv", SalienceScale::Percent, None, Some((0.0, 50.0))).expect_err("scale");
        assert!(off.to_string().contains("off the scale"), "{off}");
    }

    #[test]
    fn a_bad_stance_is_named_by_its_files_line_and_field() {
        // A blank line before the bad row: the line is the file's, not the record's count.
        let long = "actor,issue,position,salience,capability\nTurkiye,w,15,0.8,0.35\n\nSyria,w,100,0.9,-1\n";
        let e = read_scenario(long, "talks.csv", SalienceScale::Fraction, None, Some((0.0, 100.0))).expect_err("power");
        let loc = e.location().expect("located");
        assert_eq!((loc.input.as_deref(), loc.line, e.field()), (Some("talks.csv"), Some(4), Some("capability")));
        let decide = "#A\tA\n#A\tB\n#P\tw\n#D\tB\tw\t50\t0.5\t1\n#D\tA\tw\t150\t0.5\t1\n";
        let e = read_decide(decide, "talks.txt", SalienceScale::Fraction).expect_err("off the scale");
        let loc = e.location().expect("located");
        assert_eq!(
            (loc.line, e.field()),
            (Some(5), Some("position")),
            "the #D line, not the stance's place after sorting"
        );
    }

    #[test]
    fn runs_are_bounded() {
        let s = example_scenario("moscow-2023").expect("example");
        let mut p = super::super::EumProfile::default();
        assert!(p.set("rounds", "1000000000000").is_err());
        p.stopping = super::super::Stopping::Rounds(super::super::MAX_ROUNDS + 1);
        assert_eq!(super::super::run_eum(&s, "withdrawal", &p).expect_err("too many").field(), Some("profile.rounds"));
        let too_many = super::super::ExchangeOptions { rounds: usize::MAX, ..Default::default() };
        assert!(super::super::run_exchange(&s, &too_many).is_err());
        let overpull = super::super::ExchangeOptions { salience_weight: 0.8, fixed_weight: 0.5, ..Default::default() };
        assert_eq!(super::super::run_exchange(&s, &overpull).expect_err("pull").field(), Some("fixed_weight"));
    }

    #[test]
    fn the_moscow_example_resolves_to_four_actors_on_two_issues() {
        let s = example_scenario("moscow-2023").expect("example");
        assert_eq!(s.actors(), ["Turkiye", "Syria", "Russia", "Iran"]);
        assert_eq!(s.issues().len(), 2);
        assert_eq!(s.issues()[0].anchors.len(), 5);
        assert!(example_scenario("geneva-1954").is_err());
    }
}
