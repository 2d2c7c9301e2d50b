use super::*;
use serde_json::json;

fn parse(v: Value) -> Result<Event> {
    let mut e = Event::from_json(&v)?;
    e.normalize(&Dictionary::builtin())?;
    Ok(e)
}

#[test]
fn fills_and_normalises() {
    let e = parse(json!({"id": "x1", "date": "2023-05-10", "source": "ROMGOV", "target": "IGOWSTNAT", "code": "036"}))
        .expect("valid");
    assert_eq!(e.source.as_deref(), Some("ROUGOV"));
    assert_eq!(e.source_raw.as_deref(), Some("ROMGOV"));
    assert_eq!(e.source_country.as_deref(), Some("ROU"));
    assert_eq!(e.target.as_deref(), Some("NAT"));
    assert_eq!(e.target_country.as_deref(), Some("NAT"));
    assert_eq!((e.root_code.as_str(), e.quad_class, e.goldstein), ("03", 1, 4.0));
    assert_eq!(e.plover.as_deref(), Some("AGREE"));
    assert_eq!(e.mentions, 1);
    assert!(e.directed);
}

#[test]
fn month_precision_moves_to_the_first_day() {
    let e = parse(json!({"id": "x", "date": "2022-12-28", "date_precision": "month", "code": "040"})).expect("valid");
    assert_eq!(e.date.to_string(), "2022-12-01");
}

#[test]
fn errors_name_the_field() {
    let cases = [
        (json!({"id": "x", "date": "2023-02-30", "code": "040"}), "date"),
        (json!({"id": "x", "date": "2023-02-01", "code": "999"}), "code"),
        (json!({"id": "x", "date": "2023-02-01", "code": 40}), "code"),
        (json!({"id": "x", "date": "2023-02-01", "code": "040", "quad_class": 3}), "quad_class"),
        (json!({"id": "x", "date": "2023-02-01", "code": "040", "source": "tur"}), "source"),
        (json!({"id": "x", "date": "2023-02-01", "code": "040", "goldstein": 11.0}), "goldstein"),
        (json!({"id": "x", "date": "2023-02-01", "code": "040", "colour": "red"}), "colour"),
        (
            json!({"id": "x", "date": "2023-02-01", "code": "040", "source": "TURGOV", "source_country": "SYR"}),
            "source_country",
        ),
        (json!({"id": "x", "date": "2023-02-01", "code": "040", "span": [5, 2]}), "span"),
        (json!({"id": "x", "code": "040"}), "date"),
    ];
    for (v, field) in cases {
        let e = parse(v.clone()).unwrap_err();
        assert_eq!(e.field(), Some(field), "{v}: {e}");
    }
}

#[test]
fn content_hash_tells_content_apart() {
    let a =
        parse(json!({"id": "x", "date": "2023-05-10", "source": "TUR", "target": "SYR", "code": "040"})).expect("ok");
    let mut b = a.clone();
    assert_eq!(a.content_hash(), b.content_hash());
    b.mentions = 2;
    assert_ne!(a.content_hash(), b.content_hash());
    let mut c = a.clone();
    c.id = "y".into();
    assert_eq!(a.content_hash(), c.content_hash());
}

#[test]
fn json_round_trip() {
    let a = parse(json!({"id": "x", "date": "2023-05-10", "source": "TUR", "target": "SYR", "code": "040",
        "location": {"name": "Moscow", "country": "RUS"}, "topics": ["refugees"], "span": [3, 9]}))
    .expect("ok");
    let back = parse(a.to_json()).expect("round trip");
    assert_eq!(a, back);
}
