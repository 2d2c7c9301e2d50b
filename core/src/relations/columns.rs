//! What each output column of the relation analytics means — its range and how it is computed,
//! in one line — for every front-end to show where the numbers appear (`--help`, docstrings).

/// A column's name and meaning.
pub type Column = (&'static str, &'static str);

/// The columns of a relation series (`relation`, `Model.relation`).
pub const SERIES: &[Column] = &[
    ("period", "first day of the period (YYYY-MM-DD); the series lists every period, empty ones too"),
    (
        "count",
        "events between the two actors in the period (either direction unless directed; announced events left out)",
    ),
    ("quad1", "of them, verbal cooperation (CAMEO roots 01-05)"),
    ("quad2", "material cooperation (roots 06-09)"),
    ("quad3", "verbal conflict (roots 10-14)"),
    ("quad4", "material conflict (roots 15-20)"),
    (
        "goldstein_sum",
        "sum of the events' Goldstein values (each -10 ... +10): the period's net tone, growing with volume",
    ),
    ("goldstein_mean", "goldstein_sum / count, -10 ... +10 (0 when the period is empty)"),
    ("cooperation_share", "(quad1 + quad2) / count, 0 ... 1 (0 when empty)"),
    ("mentions", "reports behind the events (GDELT's NumMentions; 1 per coded event)"),
    (
        "score",
        "the relation's level, -10 ... +10: the mean Goldstein value of every event so far, each weighted 1/2 per \
         half-life of age (90 days unless told); through empty periods it carries its last level",
    ),
    (
        "score_weight",
        "the events behind the score, decayed the same way: it fades through empty periods (a score with little \
         weight is old news; 0: no evidence yet)",
    ),
    ("volume", "with normalize: events of either actor with anyone in the period"),
    ("intensity", "with normalize: 100 x goldstein_sum / volume"),
];

/// The columns of shifts (`shifts`, `Model.shifts`).
pub const SHIFTS: &[Column] = &[
    ("period", "the first period after the change"),
    ("direction", "thaw (the level rises) or freeze (it falls)"),
    ("magnitude", "|after - before|, in Goldstein units (0 ... 20)"),
    ("before", "the event-weighted mean Goldstein value of the periods since the previous change"),
    ("after", "the same for the periods up to the next change"),
    (
        "events",
        "the events that explain it: those of the periods around the change whose Goldstein sign agrees with the \
         direction, strongest |Goldstein| x mentions first",
    ),
];

/// The columns of a mediator ranking (`mediators`, `Model.mediators`).
pub const MEDIATORS: &[Column] = &[
    ("actor", "the third party (country or organisation)"),
    (
        "score",
        "5 x mediations (x 1.5 when toward both sides) + 2 x offers + 3 x hosted + appeals + 0.5 x ln(1 + \
         min(cooperation_a, cooperation_b)) while the dyad is hostile or improving; 0 and up",
    ),
    ("mediations", "mediation events (CAMEO 045) from it toward either side"),
    ("offers", "its offers to mediate and calls to accept mediation (039, 028) toward either side"),
    ("hosted", "meetings it hosted that both sides attended"),
    ("appeals", "its appeals (root 02), counted when made to both sides"),
    ("cooperation_a", "its cooperative events (QuadClass 1-2, either direction) with the first actor"),
    ("cooperation_b", "the same with the second actor"),
    ("events", "ids of the events behind the score"),
];

/// The columns of a network's nodes (`network`, `Model.network().nodes`).
pub const NODES: &[Column] = &[
    ("actor", "country or organisation code"),
    ("bloc", "its bloc: 0, 1, ... by size (signed Louvain: allies together, rivals apart)"),
    ("degree", "actors it has an edge with"),
    ("events", "events on its edges"),
    ("strength", "sum of |weight| over its edges"),
    ("centrality", "degree / (actors - 1), 0 ... 1"),
    ("betweenness", "share of shortest paths between other actors that pass through it, 0 ... 1"),
    ("constraint", "Burt's constraint, 0 ... 1 and up: low for a broker between partners who are not linked"),
];

/// The columns of a network's edges (`network --table edges`, `Model.network().edges`).
pub const EDGES: &[Column] = &[
    ("a", "one actor (the smaller code)"),
    ("b", "the other actor"),
    ("events", "events between them (either direction, symmetric events once)"),
    ("goldstein_sum", "sum of their Goldstein values"),
    ("weight", "goldstein_sum / events, -10 ... +10: the signed weight"),
    ("sign", "+1 (cooperative), -1 (hostile) or 0"),
];

/// The columns of a table by its name: `series`, `shifts`, `mediators`, `nodes`, `edges`, or
/// `parse` (the syntax table of [`crate::syntax::parse_table`]).
pub fn of(kind: &str) -> crate::Result<&'static [Column]> {
    Ok(match kind {
        "series" => SERIES,
        "shifts" => SHIFTS,
        "mediators" => MEDIATORS,
        "nodes" => NODES,
        "edges" => EDGES,
        "parse" => crate::syntax::COLUMNS,
        other => return Err(crate::Error::invalid("kind", format!("`{other}` has no columns"))),
    })
}

/// Columns as an aligned list for help texts.
pub fn describe(columns: &[Column]) -> String {
    let width = columns.iter().map(|c| c.0.len()).max().unwrap_or(0);
    columns.iter().map(|(name, what)| format!("  {name:width$}  {what}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_the_tables_have_is_described() {
        let series = crate::relations::Series {
            a: "TUR".into(),
            b: "SYR".into(),
            freq: crate::relations::Freq::Month,
            directed: false,
            exact: false,
            points: Vec::new(),
        };
        let batch = series.to_batch().expect("batch");
        let names: Vec<&str> = SERIES.iter().map(|c| c.0).collect();
        for f in batch.schema().fields() {
            // The mentions-weighted score's numerator is not an output column of its own.
            if f.name() != "goldstein_mentions_sum" {
                assert!(names.contains(&f.name().as_str()), "{} undescribed", f.name());
            }
        }
        let shifts = crate::relations::shifts_to_batch(&[]).expect("batch");
        let names: Vec<&str> = SHIFTS.iter().map(|c| c.0).collect();
        assert!(shifts.schema().fields().iter().all(|f| names.contains(&f.name().as_str())));
        let mediators = crate::relations::mediators_to_batch(&[]).expect("batch");
        let names: Vec<&str> = MEDIATORS.iter().map(|c| c.0).collect();
        assert!(
            mediators.schema().fields().iter().all(|f| names.contains(&f.name().as_str())),
            "{:?}",
            mediators.schema()
        );
        assert!(
            describe(EDGES)
                .lines()
                .any(|l| l.trim_start().starts_with("sign ") && l.ends_with("+1 (cooperative), -1 (hostile) or 0"))
        );
    }
}
