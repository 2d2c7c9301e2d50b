//! Decide's input format (the exchange model's tool by Stokman and Thomson): tab-separated,
//! fields quoted with `'`, a tag first — `#A` actor, `#P` issue, `#M` a point of an issue's
//! scale (the lowest and highest points are its ends; 0–100 when none), `#D` a stance (actor,
//! issue, position, salience, power); `#0` and `#/` lines are comments.

use super::scenario::number_at;
use super::{Issue, SalienceScale, Scenario, Stance};
use crate::error::{Error, Location, Result};

/// Reads a Decide input into a scenario, with salience on the declared scale. `name` names the
/// input in errors, which give its line and field.
pub fn read_decide(text: &str, name: &str, salience: SalienceScale) -> Result<Scenario> {
    let mut issues: Vec<Issue> = Vec::new();
    let mut points: Vec<(String, f64, String)> = Vec::new();
    let mut stances: Vec<(u64, Stance)> = Vec::new();
    let mut actors: Vec<String> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i as u64 + 1;
        let fields: Vec<&str> = raw.split('\t').map(|f| f.trim().trim_matches('\'')).collect();
        let at = |field: &str| Location::line(name, line).with_field(field.to_string());
        let get = |k: usize, field: &str| -> Result<&str> {
            fields.get(k).copied().ok_or_else(|| Error::invalid_at(at(field), format!("missing {field}")))
        };
        let number = |k: usize, field: &str| number_at(get(k, field)?, at(field));
        match fields.first().copied().unwrap_or("") {
            "" | "#0" | "#/" => {}
            "#A" => actors.push(get(1, "actor")?.to_string()),
            "#P" => {
                let id = get(1, "issue")?.to_string();
                let label = fields.get(2).filter(|l| !l.is_empty()).map_or(id.clone(), |l| l.to_string());
                issues.push(Issue { id, label, min: 0.0, max: 100.0, anchors: Vec::new() });
            }
            "#M" => {
                let description = fields.get(3).copied().unwrap_or("").to_string();
                points.push((get(1, "issue")?.to_string(), number(2, "point")?, description));
            }
            "#D" => {
                let fraction = salience.fraction_at(number(4, "salience")?, at("salience"))?;
                let stance = Stance {
                    actor: get(1, "actor")?.to_string(),
                    issue: get(2, "issue")?.to_string(),
                    position: number(3, "position")?,
                    salience: fraction,
                    capability: number(5, "power")?,
                };
                stances.push((line, stance));
            }
            other => return Err(Error::invalid_at(at("tag"), format!("`{other}` is not a Decide row tag"))),
        }
    }
    for issue in &mut issues {
        let mine: Vec<&(String, f64, String)> = points.iter().filter(|p| p.0 == issue.id).collect();
        if let (Some(lo), Some(hi)) =
            (mine.iter().map(|p| p.1).min_by(f64::total_cmp), mine.iter().map(|p| p.1).max_by(f64::total_cmp))
        {
            (issue.min, issue.max) = (lo, hi);
        }
        issue.anchors = mine.iter().filter(|p| !p.2.is_empty()).map(|p| (p.1, p.2.clone())).collect();
    }
    // The actors' order is that of the `#A` rows (Decide pairs them in that order).
    stances.sort_by_key(|s| actors.iter().position(|a| *a == s.1.actor).unwrap_or(actors.len()));
    let (lines, stances): (Vec<u64>, Vec<Stance>) = stances.into_iter().unzip();
    Scenario::located(issues, stances, &|i, f| {
        // Decide calls capability "power".
        let f = if f == "capability" { "power" } else { f };
        Location::line(name, lines.get(i).copied().unwrap_or(0)).with_field(f.to_string())
    })
}

/// Writes a scenario in Decide's input format, salience as fractions: what Decide itself runs,
/// and what [`read_decide`] reads back to the same numbers (names lose any `'`, tab or line
/// break, which the format cannot hold, and surrounding spaces; an empty label reads back as
/// the id).
pub fn write_decide(scenario: &Scenario) -> String {
    let quote = |s: &str| format!("'{}'", s.replace(['\'', '\t', '\n'], " "));
    let mut out = String::new();
    for actor in scenario.actors() {
        out.push_str(&format!("#A\t{}\t{}\t''\n", quote(&actor), quote(&actor)));
    }
    for issue in scenario.issues() {
        out.push_str(&format!("#P\t{}\t{}\t''\n", quote(&issue.id), quote(&issue.label)));
        let mut points: Vec<(f64, &str)> = vec![(issue.min, ""), (issue.max, "")];
        for (at, label) in &issue.anchors {
            match points.iter_mut().find(|p| p.0 == *at) {
                Some(p) => p.1 = label,
                None => points.push((*at, label)),
            }
        }
        for (at, label) in points {
            out.push_str(&format!("#M\t{}\t{at}\t{}\n", quote(&issue.id), quote(label)));
        }
    }
    for s in scenario.stances() {
        out.push_str(&format!(
            "#D\t{}\t{}\t{}\t{}\t{}\n",
            quote(&s.actor),
            quote(&s.issue),
            s.position,
            s.salience,
            s.capability
        ));
    }
    out
}
