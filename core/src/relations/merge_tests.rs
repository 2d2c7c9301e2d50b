//! Mergeable aggregates, proven: events split any way into parts, each part aggregated on its
//! own (as Spark or Dask workers do), the parts merged — and the merged set answers series,
//! network and shifts exactly as a store of all the events does.

use super::{Freq, SeriesOptions, ShiftOptions};
use crate::aggregates::AggregateSet;
use crate::{AddOptions, Date, Dictionary, Event, Model, ModelOptions};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Governments of the 2023 Moscow talks and one outsider; codes across the four quad classes
/// and the low-information roots.
const ACTORS: [&str; 5] = ["TURGOV", "SYRGOV", "RUSGOV", "IRNGOV", "USAGOV"];
const CODES: [&str; 12] = ["010", "020", "036", "040", "042", "043", "057", "111", "112", "163", "173", "190"];

/// One generated event: source, target (indices), code, day within 2023, mentions, planned, part.
type Drawn = (usize, usize, usize, i32, u32, bool, usize);

fn events(drawn: &[Drawn]) -> Vec<(Event, usize)> {
    let dict = Dictionary::builtin();
    let start = Date::parse("2023-01-01").expect("date");
    drawn
        .iter()
        .enumerate()
        .filter(|(_, d)| d.0 != d.1)
        .map(|(i, &(s, t, c, day, mentions, planned, part))| {
            let mut e = Event::new(format!("g{i}"), start.add_days(day), Some(ACTORS[s]), Some(ACTORS[t]), CODES[c])
                .expect("event");
            e.mentions = mentions;
            e.planned = planned;
            e.normalize(&dict).expect("normalize");
            (e, part)
        })
        .collect()
}

fn check(drawn: Vec<Drawn>, parts: usize) -> Result<(), TestCaseError> {
    let all = events(&drawn);
    let mut split: Vec<Vec<Event>> = vec![Vec::new(); parts];
    for (e, part) in &all {
        split[part % parts].push(e.clone());
    }
    let mut merged = AggregateSet::default();
    for events in &split {
        merged.merge(&AggregateSet::from_events(events));
    }
    let everything: Vec<Event> = all.iter().map(|(e, _)| e.clone()).collect();
    let whole = AggregateSet::from_events(&everything);
    prop_assert_eq!(merged.to_batch().expect("batch"), whole.to_batch().expect("batch"));

    let model = Model::in_memory(&ModelOptions::default()).expect("model");
    model.add_events(everything, &AddOptions::default()).expect("add");
    for (a, b) in [("TUR", "SYR"), ("RUS", "IRN"), ("SYR", "USA")] {
        for (freq, directed, drop_low_info, normalize) in
            [(Freq::Month, false, false, false), (Freq::Week, true, true, false), (Freq::Day, false, false, true)]
        {
            let opts = SeriesOptions { freq, directed, drop_low_info, normalize, ..Default::default() };
            let ours = merged.relation(a, b, &opts).expect("series from aggregates");
            let store = model.relation(a, b, &opts).expect("series from the store");
            prop_assert_eq!(&ours.points, &store.points, "{}-{} {:?}", a, b, opts);

            // Shifts: the same changes; the events that explain them need the events.
            for shift in [
                ShiftOptions { penalty: Some(2.0), ..Default::default() },
                ShiftOptions { weighted: false, ..Default::default() },
            ] {
                let ours = merged.shifts(a, b, &opts, &shift).expect("shifts from aggregates");
                let mut store = model.shifts(a, b, &opts, &shift).expect("shifts from the store");
                for s in &mut store {
                    s.events.clear();
                }
                prop_assert_eq!(ours, store);
            }
        }
    }
    prop_assert_eq!(merged.network(None, None, 1).expect("network"), model.network(None, None, 1).expect("network"));
    let window = (Date::parse("2023-03-01").ok(), Date::parse("2023-08-31").ok());
    prop_assert_eq!(
        merged.network(window.0, window.1, 2).expect("network"),
        model.network(window.0, window.1, 2).expect("network")
    );
    Ok(())
}

#[test]
fn aggregates_of_any_split_merge_into_the_stores_series_shifts_and_network() {
    let mut runner = TestRunner::new(Config { cases: 24, ..Default::default() });
    let event = (0..5usize, 0..5usize, 0..12usize, 0..365i32, 1..20u32, proptest::bool::weighted(0.1), 0..8usize);
    let strategy = (proptest::collection::vec(event, 1..120), 1..6usize);
    runner.run(&strategy, |(drawn, parts)| check(drawn, parts)).expect("property");
}

#[test]
fn what_aggregates_cannot_answer_is_refused_with_what_it_needs() {
    let set = AggregateSet::from_events(
        &events(&[(0, 1, 3, 10, 1, false, 0)]).into_iter().map(|(e, _)| e).collect::<Vec<_>>(),
    );
    let weighted = set.shifts("TUR", "SYR", &SeriesOptions::default(), &ShiftOptions::default());
    assert_eq!(weighted.expect_err("default weighted penalty").field(), Some("penalty"));
    let err = set.mediators().expect_err("mediators");
    assert_eq!(err.field(), Some("mediators"));
    assert!(err.to_string().contains("need the events"), "{err}");
    let exact = SeriesOptions { exact: true, ..Default::default() };
    assert_eq!(set.relation("TUR", "SYR", &exact).expect_err("exact").field(), Some("exact"));
}
