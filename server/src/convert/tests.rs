use super::*;
use detente_core::{DatePrecision, Event, Place};
use proptest::prelude::*;

fn any_date() -> impl Strategy<Value = Option<GDate>> {
    proptest::option::of((any::<i32>(), -2i32..15, -2i32..40).prop_map(|(year, month, day)| GDate { year, month, day }))
}

fn any_event() -> impl Strategy<Value = pb::Event> {
    let s = || proptest::option::of("\\PC{0,12}");
    (
        ("\\PC{0,12}", any_date(), any::<i32>(), s(), s()),
        ("\\PC{0,6}", "\\PC{0,3}", any::<Option<bool>>(), any::<u32>(), any::<Option<f64>>()),
        (proptest::collection::vec("\\PC{0,8}", 0..3), any::<Option<u32>>(), any::<i64>(), any::<i32>()),
        (any::<Option<(u32, u32)>>(), any_date(), s()),
    )
        .prop_map(|(a, b, c, d)| pb::Event {
            id: a.0,
            date: a.1,
            date_precision: a.2,
            source: a.3,
            target: a.4,
            code: b.0,
            root_code: b.1,
            directed: b.2,
            quad_class: b.3,
            goldstein: b.4,
            topics: c.0,
            sentence: c.1,
            mentions: c.2,
            origin: c.3,
            span: d.0.map(|(start, end)| pb::Span { start, end }),
            reported: d.1,
            plover: d.2,
            ..Default::default()
        })
}

proptest! {
    // Whatever a client sends, conversion and the core's checks answer without panicking.
    #[test]
    fn no_event_message_panics(p in any_event()) {
        let dict = detente_core::Dictionary::builtin();
        if let Ok(mut e) = event_from_pb(p) {
            let _ = e.normalize(&dict);
        }
    }

    #[test]
    fn no_filter_or_options_panic(
        dyad in proptest::collection::vec("\\PC{0,8}", 0..4),
        start in any_date(), end in any_date(), freq in any::<i32>(), quads in proptest::collection::vec(any::<u32>(), 0..3),
        half in any::<Option<f64>>(), origin in any::<i32>(),
    ) {
        let f = pb::EventFilter { dyad, start, end, quad_classes: quads, origin, ..Default::default() };
        let _ = query_from_pb(Some(f));
        let o = pb::SeriesOptions { freq, start, end, half_life_days: half, ..Default::default() };
        let _ = series_options_from_pb(Some(o));
    }

    #[test]
    fn no_document_or_entry_panics(id in "\\PC{0,8}", published in any_date(), text in "\\PC{0,40}", kind in any::<i32>()) {
        let _ = document_from_pb(&pb::Document { id, published, text, ..Default::default() });
        let _ = entry_from_pb(&pb::ActorEntry { code: "RUR".into(), kind, names: vec!["Ruritania".into()], valid_from: published, ..Default::default() });
    }
}

fn ymd(year: i32, month: i32, day: i32) -> Option<GDate> {
    Some(GDate { year, month, day })
}

#[test]
fn an_event_survives_the_round_trip() {
    let dict = detente_core::Dictionary::builtin();
    let mut e = Event::new("x:1", Date::parse("2023-05-10").expect("date"), Some("TURGOV"), Some("SYRGOV"), "040")
        .expect("event");
    e.directed = false;
    e.topics = vec!["refugees".into()];
    e.location = Some(Place { name: Some("Moscow".into()), country: Some("RUS".into()) });
    e.span = Some([3, 40]);
    e.origin = Origin::Gdelt;
    e.date_precision = DatePrecision::Month;
    e.normalize(&dict).expect("normalize");
    let p = event_to_pb(&e);
    assert_eq!(p.date, ymd(2023, 5, 1), "a month's date is its first day");
    assert_eq!(p.origin, pb::Origin::Gdelt as i32);
    assert_eq!(p.date_precision, pb::DatePrecision::Month as i32);
    let mut back = event_from_pb(p).expect("back");
    back.normalize(&dict).expect("normalize");
    assert_eq!(back, e);
}

#[test]
fn every_kind_and_origin_has_its_enum_value() {
    for k in [
        "country",
        "demonym",
        "capital",
        "region",
        "organisation",
        "group",
        "body",
        "role",
        "person",
        "place",
        "legacy",
        "full",
    ] {
        let kind = NameKind::from_name(k).expect("kind");
        let n = kind_to_pb(kind);
        assert_ne!(n, 0, "{k}");
        assert_eq!(kind_from_pb(n, "kind").expect("back"), Some(kind));
    }
    for o in ["coder", "gdelt", "icews", "polecat", "manual"] {
        let origin = Origin::parse(o).expect("origin");
        let n = number(origin.as_str(), "ORIGIN_", pb::Origin::from_str_name);
        assert_eq!(origin_from_pb(n, "origin").expect("back"), Some(origin));
    }
    assert_eq!(origin_from_pb(0, "origin").expect("unset"), None);
    assert_eq!(number("thaw", "SHIFT_DIRECTION_", pb::ShiftDirection::from_str_name), pb::ShiftDirection::Thaw as i32);
}

#[test]
fn a_mask_keeps_only_the_fields_named() {
    let e = Event::new("x:1", Date::parse("2023-05-10").expect("date"), Some("TURGOV"), Some("SYRGOV"), "040")
        .expect("event");
    let fields = read_mask(Some(&prost_types::FieldMask { paths: vec!["id".into(), "code".into()] })).expect("mask");
    let m = event_to_pb_masked(&e, fields.as_deref());
    assert_eq!((m.id.as_str(), m.code.as_str(), m.date, m.source), ("x:1", "040", None, None));
    let bad = read_mask(Some(&prost_types::FieldMask { paths: vec!["id".into(), "colour".into()] }));
    assert_eq!(bad.err().and_then(|e| e.field().map(String::from)).as_deref(), Some("read_mask.paths[1]"));
}

#[test]
fn every_field_of_the_record_can_be_masked_out() {
    let s = |x: &str| Some(x.to_string());
    let full = pb::Event {
        id: "x".into(),
        date: ymd(2023, 5, 10),
        date_precision: 1,
        source: s("TUR"),
        target: s("SYR"),
        source_country: s("TUR"),
        target_country: s("SYR"),
        source_name: s("Turkey"),
        target_name: s("Syria"),
        source_raw: s("TUR"),
        target_raw: s("SYR"),
        code: "040".into(),
        root_code: "04".into(),
        directed: Some(false),
        plover: s("CONSULT"),
        quad_class: 1,
        goldstein: Some(1.0),
        location: Some(pb::Location { name: "Moscow".into(), country: "RUS".into() }),
        topics: vec!["refugees".into()],
        historical: true,
        planned: true,
        group: s("g"),
        participants: vec!["TUR".into()],
        reported: ymd(2023, 5, 11),
        doc_id: s("d"),
        sentence: Some(1),
        evidence: s("text"),
        span: Some(pb::Span { start: 1, end: 2 }),
        rule: s("r"),
        mentions: 2,
        origin: 2,
    };
    for f in detente_core::domain::event::FIELDS {
        let mut m = full.clone();
        clear_field(&mut m, f);
        assert_ne!(m, full, "`{f}` is not cleared");
    }
}

#[test]
fn bad_fields_are_named() {
    let bad = |p: pb::Event| event_from_pb(p).err().and_then(|e| e.field().map(String::from));
    assert_eq!(
        bad(pb::Event { date: ymd(2023, 13, 1), code: "040".into(), ..Default::default() }).as_deref(),
        Some("date")
    );
    assert_eq!(
        bad(pb::Event { date: ymd(2023, 2, 0), code: "040".into(), ..Default::default() }).as_deref(),
        Some("date")
    );
    assert_eq!(bad(pb::Event { code: "040".into(), ..Default::default() }).as_deref(), Some("date"));
    assert_eq!(
        bad(pb::Event { date: ymd(2023, 1, 1), reported: ymd(2023, 2, 30), ..Default::default() }).as_deref(),
        Some("reported")
    );
    assert_eq!(
        bad(pb::Event { date: ymd(2023, 1, 1), quad_class: 7, ..Default::default() }).as_deref(),
        Some("quad_class")
    );
    assert_eq!(bad(pb::Event { date: ymd(2023, 1, 1), origin: 42, ..Default::default() }).as_deref(), Some("origin"));
    assert_eq!(
        bad(pb::Event { date: ymd(2023, 1, 1), mentions: -1, ..Default::default() }).as_deref(),
        Some("mentions")
    );
    let f = pb::EventFilter { dyad: vec!["TUR".into()], ..Default::default() };
    assert_eq!(query_from_pb(Some(f)).err().and_then(|e| e.field().map(String::from)).as_deref(), Some("dyad"));
    let o = pb::SeriesOptions { freq: 99, ..Default::default() };
    assert_eq!(
        series_options_from_pb(Some(o)).err().and_then(|e| e.field().map(String::from)).as_deref(),
        Some("freq")
    );
}
