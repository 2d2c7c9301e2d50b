//! The pipeline: field splitting, shared dictionaries, fingerprints and skipped files, units of
//! pieces, first rows, conflicts.

use super::fields::some_fields_portable;
use super::parser::MAX_LINE_BYTES;
use super::pipeline::pieces_per_unit;
use super::tests::{gdelt_row, gdelt2, model, write};
use super::*;
use crate::Model;
use crate::{EventQuery, ModelOptions};
use std::hash::Hasher as _;

/// A splitter of only the wanted fields.
type SomeFields = for<'a> fn(&'a str, u64, &mut [&'a str; 64]) -> usize;

#[test]
fn fields_split_like_a_plain_split_at_every_length() {
    // Tabs at every offset around the 64-byte blocks, empty fields, a trailing tab, and
    // characters of two and three bytes (Turkish and Arabic names) across block edges.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    // Sparse tabs, and dense ones (rows of more than 64 fields).
    for (len, tab_every) in (0..300).map(|l| (l, 7)).chain((0..300).map(|l| (l, 2))) {
        let mut out = Vec::new();
        let line: String = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if x.is_multiple_of(tab_every) {
                    return '\t';
                }
                match x % 7 {
                    1 => 'ş',
                    2 => 'ح',
                    _ => char::from(b'a' + (x % 26) as u8),
                }
            })
            .collect();
        fields(&line, &mut out);
        let expected: Vec<&str> = line.split('\t').collect();
        assert_eq!(out, expected, "line of {len} characters");
        // Only some fields kept: every wanted one, whatever the others and the blocks hold.
        for wanted in [u64::MAX, 0, 1, 1 << 40 | 1 << 3, x, x >> 32] {
            // The variant this CPU runs, and the portable one every CPU can.
            let split: [SomeFields; 2] = [some_fields, some_fields_portable];
            for split in split {
                let mut some = [""; 64];
                assert_eq!(split(&line, wanted, &mut some), expected.len(), "line of {len} characters");
                for (i, field) in expected.iter().enumerate().take(64).filter(|(i, _)| (wanted >> i) & 1 == 1) {
                    assert_eq!(some[i], *field, "field {i} of a line of {len} characters, wanted {wanted:#x}");
                }
            }
        }
    }
}

#[test]
fn imported_columns_share_one_dictionary_entry_per_value() {
    // 40 rows, two actors, two URLs alternating in runs: each distinct value stored once.
    let mut text = String::new();
    for i in 0..40 {
        let (a, b) = if i % 2 == 0 { ("TUR", "SYR") } else { ("SYR", "TUR") };
        let row = gdelt2(&format!("{}", 900 + i), "20230510", a, a, b, b, "040", "1.0");
        let url = format!("https://example.org/story-{}", i / 10);
        text.push_str(&row.replace("https://example.org/moscow", &url));
        text.push('\n');
    }
    let g = gdelt::Gdelt::new(Format::Gdelt2, text.as_bytes());
    let dict = crate::Dictionary::builtin();
    let mut lookup = lookup::Lookup::new(&dict);
    let parsed = g.parse(text.as_bytes().into(), &mut lookup, Format::Gdelt2).expect("parsed");
    let batch = parsed.batch.expect("rows");
    assert_eq!(batch.num_rows(), 40);
    use arrow_array::Array;
    let dict_len = |name: &str| {
        let col = batch.column_by_name(name).expect(name);
        let d = col.as_any().downcast_ref::<arrow_array::DictionaryArray<arrow_array::types::Int32Type>>().expect(name);
        (d.values().len(), d.null_count())
    };
    assert_eq!(dict_len("source"), (2, 0));
    assert_eq!(dict_len("target_country"), (2, 0));
    assert_eq!(dict_len("doc_id"), (4, 0));
    assert_eq!(dict_len("code"), (1, 0));
    // GDELT rows carry no raw code here (it equals the normalised one): all null.
    assert_eq!(dict_len("source_raw"), (0, 40));
    let events = crate::domain::columnar::EventColumns::new(batch).expect("columns");
    assert_eq!(events.event(3).source.as_deref(), Some("SYR"));
    assert_eq!(events.event(3).doc_id.as_deref(), Some("https://example.org/story-0"));
    assert_eq!(events.event(39).doc_id.as_deref(), Some("https://example.org/story-3"));
}

#[test]
fn cached_keys_belong_to_their_own_columns() {
    // One lookup (as a worker keeps for its piece) used for two sets of columns whose
    // dictionaries fill in different orders: the second must not reuse the first's keys.
    let text_a = format!("{}\n", gdelt2("1", "20230510", "TUR", "TUR", "SYR", "SYR", "040", "1.0"));
    let text_b = format!(
        "{}\n{}\n",
        gdelt2("2", "20230510", "RUS", "RUS", "IRN", "IRN", "190", "-10"),
        gdelt2("3", "20230510", "TUR", "TUR", "SYR", "SYR", "040", "1.0")
    );
    let g = gdelt::Gdelt::new(Format::Gdelt2, text_a.as_bytes());
    let dict = crate::Dictionary::builtin();
    let mut lookup = lookup::Lookup::new(&dict);
    let a = g.parse(text_a.as_bytes().into(), &mut lookup, Format::Gdelt2).expect("a").batch.expect("rows");
    let b = g.parse(text_b.as_bytes().into(), &mut lookup, Format::Gdelt2).expect("b").batch.expect("rows");
    let a = crate::domain::columnar::EventColumns::new(a).expect("a");
    let b = crate::domain::columnar::EventColumns::new(b).expect("b");
    assert_eq!((a.event(0).source.as_deref(), a.event(0).code.as_str()), (Some("TUR"), "040"));
    let (first, second) = (b.event(0), b.event(1));
    assert_eq!(
        (first.source.as_deref(), first.target.as_deref(), first.code.as_str()),
        (Some("RUS"), Some("IRN"), "190")
    );
    assert_eq!(
        (second.source.as_deref(), second.target.as_deref(), second.code.as_str()),
        (Some("TUR"), Some("SYR"), "040")
    );
    assert_eq!(second.source_country.as_deref(), Some("TUR"));
}

#[test]
fn a_line_without_ends_is_one_bad_row() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("huge.CSV");
    let mut text = gdelt2("1", "20230510", "TUR", "TUR", "SYR", "SYR", "040", "1.0");
    text.push('\n');
    text.push_str(&"x".repeat(MAX_LINE_BYTES + 10));
    text.push('\n');
    text.push_str(&gdelt2("2", "20230511", "TUR", "TUR", "SYR", "SYR", "040", "1.0"));
    std::fs::write(&path, text).expect("write");
    let model = crate::Model::in_memory(&ModelOptions::default()).expect("model");
    let r = model.import(Format::Gdelt2, &[path], &ImportOptions::default()).expect("import");
    assert_eq!((r.rows(), r.added(), r.bad()), (3, 2, 1));
    assert_eq!(r.bad_rows[0].line, 2);
    assert!(r.bad_rows[0].message.contains("bytes"), "{}", r.bad_rows[0].message);
}

#[test]
fn a_file_is_skipped_only_when_the_same_content_was_imported() {
    let dir = tempfile::tempdir().expect("tmp");
    let rows = |last: &str| {
        format!(
            "{}\n{}\n",
            gdelt2("2001", "20230510", "TURGOV", "TUR", "SYRGOV", "SYR", "040", "1.0"),
            gdelt2(last, "20230511", "RUSGOV", "RUS", "IRNGOV", "IRN", "043", "2.8")
        )
    };
    let a = write(dir.path(), "a.CSV", &rows("2002"));
    // The same size and format, another row: read, not taken for `a`.
    let b = write(dir.path(), "b.CSV", &rows("2003"));
    let header = "GLOBALEVENTID\tSQLDATE\n";
    let c = write(dir.path(), "c.CSV", &format!("{header}{}", rows("2004")));
    // Many pieces (tests cut them at 4 KiB), over several rounds.
    let many: String = (3000..3200)
        .map(|id| gdelt2(&id.to_string(), "20230512", "TURGOV", "TUR", "SYRGOV", "SYR", "040", "1.0") + "\n")
        .collect();
    assert!(many.len() > 5 * PIECE_BYTES);
    let d = write(dir.path(), "d.CSV", &many);
    let m = model();
    let r = m.import(Format::Gdelt2, &[a.clone(), b.clone(), c.clone(), d.clone()], &ImportOptions::default());
    assert_eq!(
        r.expect("import").files.iter().map(|f| (f.already_imported, f.added)).collect::<Vec<_>>(),
        [(false, 2), (false, 1), (false, 1), (false, 200)]
    );
    // The fingerprint the parsing threads made of their pieces' hashes is the one a later
    // import takes before reading (the header included).
    for path in [&a, &b, &c, &d] {
        let bytes = std::fs::read(path).expect("read");
        let body_start = if bytes[0].is_ascii_digit() { 0 } else { header.len() };
        let key = format!("gdelt2:{:016x}:{}", hash_plain(&bytes, body_start, |_| {}), bytes.len());
        assert!(m.store().backend().imported(&key).expect("catalog"), "{}", path.display());
    }
    let copy = write(dir.path(), "copy-of-a.CSV", &rows("2002"));
    let again = m.import(Format::Gdelt2, &[copy, b, d], &ImportOptions::default()).expect("again");
    assert!(again.files.iter().all(|f| f.already_imported && f.added == 0), "{again:?}");
}

#[test]
fn gdelt_names_and_places_are_each_rows_own() {
    // Names and places are cached with the fields they come from: the same actor code under
    // two names, one actor's fields as source here and target there, one place name in two
    // countries. Every event must carry its own row's values.
    let row = |id: &str, a1: (&str, &str), a2: (&str, &str), place: (&str, &str)| {
        gdelt_row(
            61,
            &[
                (0, id),
                (1, "20230510"),
                (5, a1.0),
                (6, a1.1),
                (7, &a1.0[..3]),
                (15, a2.0),
                (16, a2.1),
                (17, &a2.0[..3]),
                (26, "040"),
                (30, "1.0"),
                (31, "2"),
                (52, place.0),
                (53, place.1),
                (59, "20230511101500"),
                (60, "https://example.org/a"),
            ],
        )
    };
    let rows = [
        ("1", ("TURGOV", "TURKEY"), ("SYRGOV", "SYRIA"), ("Moscow, Moskva, Russia", "RS")),
        ("2", ("TURGOV", "ANKARA"), ("SYRGOV", "SYRIA"), ("Moscow, Moskva, Russia", "RS")),
        ("3", ("SYRGOV", "SYRIA"), ("TURGOV", "TURKEY"), ("Moscow, Idaho, United States", "US")),
        ("4", ("TURGOV", "TURKEY"), ("TURGOV", "ANKARA"), ("Moscow", "RS")),
        ("5", ("SYRGOV", "DAMASCUS"), ("SYRGOV", "SYRIA"), ("Moscow", "US")),
    ];
    let text: String = rows.iter().map(|(id, a, b, p)| row(id, *a, *b, *p) + "\n").collect();
    let dir = tempfile::tempdir().expect("tmp");
    let m = model();
    // One thread: one piece, one set of caches for every row.
    let opts = ImportOptions { threads: Some(1), ..Default::default() };
    let r = m.import(Format::Gdelt2, &[write(dir.path(), "names.CSV", &text)], &opts).expect("import");
    assert_eq!(r.added(), 5, "{r:?}");
    for (id, a, b, place) in rows {
        let q = EventQuery { ids: vec![format!("gdelt:{id}")], ..Default::default() };
        let e = m.events(&q).expect("event").events.remove(0);
        let got_place =
            e.location.as_ref().map(|l| (l.name.clone().unwrap_or_default(), l.country.clone().unwrap_or_default()));
        let iso = if place.1 == "RS" { "RUS" } else { "USA" };
        assert_eq!(
            (e.source_name.as_deref(), e.target_name.as_deref(), got_place),
            (Some(a.1), Some(b.1), Some((place.0.to_string(), iso.to_string()))),
            "row {id}"
        );
    }
}

#[test]
fn a_file_recorded_by_its_whole_hash_in_an_older_store_is_still_known() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = format!("{}\n", gdelt2("4001", "20230510", "TURGOV", "TUR", "SYRGOV", "SYR", "040", "1.0"));
    let path = write(dir.path(), "old.CSV", &text);
    let m = model();
    // How stores before piece fingerprints recorded a file: the xxh3 of all its bytes.
    let old = format!("gdelt2:{:016x}:{}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()), text.len());
    let record =
        crate::store::ImportRecord { fingerprint: old, name: "old.CSV".into(), format: "gdelt2".into(), rows: 1 };
    m.store().write(crate::store::Write { imports: vec![record], ..Default::default() }).expect("record");
    let r = m.import(Format::Gdelt2, &[path], &ImportOptions::default()).expect("import");
    assert!(r.files[0].already_imported && r.added() == 0, "{r:?}");
}

#[test]
fn duplicates_are_counted_within_a_file_whatever_was_stored_before() {
    let dir = tempfile::tempdir().expect("tmp");
    let row = |id: &str| gdelt2(id, "20230510", "TURGOV", "TUR", "SYRGOV", "SYR", "040", "1.0");
    let a = write(dir.path(), "a.CSV", &format!("{}\n{}\n", row("5001"), row("5002")));
    // 5001 was stored by `a`; here it comes twice (one repeat), with 5003 twice (one repeat),
    // pieces apart.
    let padding: String = (6000..6060).map(|id| row(&id.to_string()) + "\n").collect();
    assert!(padding.len() > 2 * PIECE_BYTES);
    let b = write(
        dir.path(),
        "b.CSV",
        &format!("{}\n{}\n{padding}{}\n{}\n", row("5001"), row("5003"), row("5001"), row("5003")),
    );
    let m = model();
    // Small pieces and one-row writes: repeats found in the same write and across writes.
    let opts = ImportOptions { batch_rows: 1, threads: Some(1), ..Default::default() };
    m.import(Format::Gdelt2, &[a], &opts).expect("a");
    let r = m.import(Format::Gdelt2, std::slice::from_ref(&b), &opts).expect("b");
    let f = &r.files[0];
    assert_eq!((f.rows, f.added, f.unchanged, f.duplicates), (64, 61, 3, 2), "{r:?}");
    // Read again in full: every row is stored, and the same two are repeats.
    let again = m.import(Format::Gdelt2, &[b], &ImportOptions { force: true, ..opts }).expect("again");
    let f = &again.files[0];
    assert_eq!((f.added, f.unchanged, f.duplicates), (0, 64, 2), "{again:?}");
}

#[test]
fn small_files_written_together_are_counted_as_one_by_one() {
    // Four small files imported in one call share one write; each reports what it would alone.
    let dir = tempfile::tempdir().expect("tmp");
    let row = |id: &str, code: &str| gdelt2(id, "20230510", "TURGOV", "TUR", "SYRGOV", "SYR", code, "1.0");
    let file = |name: &str, rows: &[(&str, &str)]| {
        let text: String = rows.iter().map(|(id, code)| row(id, code) + "\n").collect();
        write(dir.path(), name, &text)
    };
    let files = [
        // 7001 twice: a duplicate within the file.
        file("a.CSV", &[("7001", "040"), ("7002", "040"), ("7001", "040")]),
        // 7001 again: stored by `a`, unchanged but no duplicate of this file; 7003 twice.
        file("b.CSV", &[("7001", "040"), ("7003", "043"), ("7003", "043")]),
        // `a` again, byte for byte: already imported (it waits in the same write).
        file("c.CSV", &[("7001", "040"), ("7002", "040"), ("7001", "040")]),
        // 7002 twice, stored by `a`: unchanged twice, the second a duplicate.
        file("d.CSV", &[("7002", "040"), ("7004", "040"), ("7002", "040")]),
    ];
    let counts = |r: &ImportReport| -> Vec<(u64, u64, u64, u64, bool)> {
        r.files.iter().map(|f| (f.rows, f.added, f.unchanged, f.duplicates, f.already_imported)).collect()
    };
    let together = model();
    let opts = ImportOptions::default();
    let r = together.import(Format::Gdelt2, &files, &opts).expect("together");
    let alone = model();
    let mut one_by_one = ImportReport::default();
    for f in &files {
        one_by_one.files.extend(alone.import(Format::Gdelt2, std::slice::from_ref(f), &opts).expect("alone").files);
    }
    assert_eq!(counts(&r), counts(&one_by_one));
    assert_eq!(counts(&r), [(3, 2, 1, 1, false), (3, 1, 2, 1, false), (0, 0, 0, 0, true), (3, 1, 2, 1, false)]);
    assert_eq!(together.view().segment_count(), 1, "one write");
    assert_eq!(together.view().len(), 4);
    // Every file is recorded: importing them again reads none.
    let again = together.import(Format::Gdelt2, &files, &opts).expect("again");
    assert!(again.files.iter().all(|f| f.already_imported), "{again:?}");
    // An id stored with other content is a bad row of its file, with its line; the rest of the
    // files land.
    let fine = file("e.CSV", &[("7005", "040")]);
    let clash = file("f.CSV", &[("7006", "040"), ("7003", "190")]);
    let r = together.import(Format::Gdelt2, &[fine, clash], &opts).expect("lenient");
    assert_eq!(counts(&r), [(1, 1, 0, 0, false), (2, 1, 0, 0, false)]);
    assert_eq!(r.files[1].bad, 1);
    assert!(r.bad_rows[0].file.ends_with("f.CSV") && r.bad_rows[0].line == 2, "{r:?}");
    assert_eq!(together.view().len(), 6);
    // Strict: a conflict refuses its file, naming it and its line; the files before it in the
    // same call land, as they would one by one.
    let strict = ImportOptions { strict: true, ..opts.clone() };
    let fine = file("g.CSV", &[("7007", "040")]);
    let clash = file("h.CSV", &[("7008", "040"), ("7003", "190")]);
    let err = together.import(Format::Gdelt2, &[fine, clash], &strict).unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::Conflict);
    assert!(err.to_string().contains("h.CSV") && err.to_string().contains("line 2"), "{err}");
    assert_eq!(together.view().len(), 7, "g.CSV landed, nothing of h.CSV");
}

#[test]
fn units_of_several_pieces_read_as_single_pieces_do() {
    let dir = tempfile::tempdir().expect("tmp");
    let bad_lines = [57u64, 133, 398];
    let text: String = (1..=400u64)
        .map(|line| {
            let row = if bad_lines.contains(&line) {
                format!("{line}\t20230510\ttoo few columns")
            } else {
                gdelt2(&(5000 + line).to_string(), "20230510", "TURGOV", "TUR", "SYRGOV", "SYR", "040", "1.0")
            };
            row + "\n"
        })
        .collect();
    let path = write(dir.path(), "units.CSV", &text);
    // Writes of 100 rows: a unit takes about 100 rows' worth of 4 KiB pieces.
    let opts = ImportOptions { batch_rows: 100, threads: Some(2), ..Default::default() };
    let per_unit = pieces_per_unit(text.as_bytes(), opts.batch_rows, 2);
    assert!(per_unit > 1, "the test needs units of several pieces, got {per_unit}");
    let by_units = model();
    let r = by_units.import(Format::Gdelt2, std::slice::from_ref(&path), &opts).expect("import");
    assert_eq!((r.files[0].rows, r.files[0].added, r.files[0].bad), (400, 397, 3), "{r:?}");
    assert_eq!(r.bad_rows.iter().map(|b| b.line).collect::<Vec<_>>(), bad_lines);
    // The fingerprint is still made of the pieces' hashes.
    let key = format!("gdelt2:{:016x}:{}", hash_plain(text.as_bytes(), 0, |_| {}), text.len());
    assert!(by_units.store().backend().imported(&key).expect("catalog"));
    // The same events, in the same order, as one piece per unit (writes of one row).
    let by_pieces = model();
    let one = ImportOptions { batch_rows: 1, threads: Some(2), ..Default::default() };
    assert_eq!(pieces_per_unit(text.as_bytes(), one.batch_rows, 2), 1);
    by_pieces.import(Format::Gdelt2, std::slice::from_ref(&path), &one).expect("import by pieces");
    let all = EventQuery { limit: Some(1000), ..Default::default() };
    let ids = |m: &Model| m.events(&all).expect("events").events.into_iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(ids(&by_units).len(), 397);
    assert_eq!(ids(&by_units), ids(&by_pieces));
}

#[test]
fn fingerprints_hash_as_the_stores_xxh3_does() {
    // Files imported by earlier builds were fingerprinted with xxhash-rust's XXH3: the same
    // values, whole and streamed in uneven parts, at every size class (short, mid, stripes,
    // blocks of 1 KiB and more).
    let mut byte = crate::testing::below(0x2545_f491_4f6c_dd1d);
    let data: Vec<u8> = (0..300_000).map(|_| byte(256) as u8).collect();
    for len in [0, 1, 3, 4, 8, 9, 16, 17, 128, 129, 240, 241, 1024, 1025, 4096, 65_537, 300_000] {
        let part = &data[..len];
        let reference = xxhash_rust::xxh3::xxh3_64(part);
        assert_eq!(Xxh3::oneshot(part), reference, "{len} bytes at once");
        let mut streamed = Xxh3::with_seed(0);
        for chunk in part.chunks(777) {
            streamed.write(chunk);
        }
        assert_eq!(streamed.finish(), reference, "{len} bytes in parts");
    }
}

#[test]
fn units_and_the_main_thread_give_back_every_block_once() {
    // A mapped input of 1 MiB (plus a tail) cut into units: what the main thread gives back,
    // after each unit's thread gave back its own blocks, reaches each unit's last whole block
    // without a gap, and a unit inside one block (a short last one) takes its block along.
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("input");
    std::fs::write(&path, vec![b'x'; (1 << 20) + 1000]).expect("write");
    let (input, _) = open(&path, "gdelt.CSV").expect("open");
    let mut released = 0;
    for (span, frontier) in [
        (100..300_000, 262_144),
        (300_000..1_000_000, 983_040),
        (1_000_000..1_040_000, 983_040),
        (1_040_000..1_049_576, 1_048_576),
    ] {
        released = input.release_unit_start(released, span.clone());
        assert_eq!(released, frontier, "after {span:?}");
    }
    // The bytes read as they were.
    assert!(input.iter().all(|&b| b == b'x'));
}

#[test]
fn a_first_row_behind_a_byte_order_mark_or_a_space_is_a_row_and_a_header_is_known_by_name() {
    let dir = tempfile::tempdir().expect("tmp");
    let rows = [
        gdelt2("2001", "20230510", "TURGOV", "TUR", "SYRGOV", "SYR", "040", "1.0"),
        gdelt2("2002", "20230510", "SYRGOV", "SYR", "TURGOV", "TUR", "043", "2.8"),
    ]
    .join("\n");
    let header = format!("GLOBALEVENTID\tSQLDATE{}\n", "\tx".repeat(59));
    for (name, text, added, first_bad_line) in [
        ("bom.CSV", format!("\u{feff}{rows}\n"), 2, None),
        ("space.CSV", format!(" {rows}\n"), 2, None),
        ("header.CSV", format!("{header}{rows}\n"), 2, None),
        ("bom-header.CSV", format!("\u{feff}{header}{rows}\n"), 2, None),
    ] {
        let path = write(dir.path(), name, &text);
        let r = model().import(Format::Gdelt2, &[path], &ImportOptions::default()).expect(name);
        assert_eq!(r.files[0].added, added, "{name}: {r:?}");
        assert_eq!(r.bad_rows.first().map(|b| b.line), first_bad_line, "{name}: {r:?}");
    }
    // Junk is not a silently skipped "header": a file none of whose rows is an event row is an
    // error naming it and its first bad row, with a guess at what it is.
    let junk = write(dir.path(), "junk.CSV", "hello world\n");
    let e = model().import(Format::Gdelt2, &[junk], &ImportOptions::default()).unwrap_err();
    assert!(
        e.to_string().contains("line 1") && e.to_string().contains("no row of this file is a GDELT 2.0 event row"),
        "{e}"
    );
    let mentions = write(
        dir.path(),
        "20230510.mentions.CSV",
        &format!("{}\n{}\n", "1\t".repeat(15) + "x", "2\t".repeat(15) + "y"),
    );
    let e = model().import(Format::Gdelt2, &[mentions], &ImportOptions::default()).unwrap_err();
    assert!(e.to_string().contains("mentions file"), "{e}");
    // No rows and no header: an error, as is a directory.
    for (path, says) in [
        (write(dir.path(), "empty.CSV", ""), "no rows"),
        (write(dir.path(), "blank.CSV", "\n \n"), "no rows"),
        (dir.path().to_path_buf(), "directory"),
    ] {
        let e = model().import(Format::Gdelt2, &[path], &ImportOptions::default()).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
        assert!(e.to_string().contains(says), "{e}");
    }
}

#[test]
fn a_row_whose_id_is_stored_with_other_content_is_a_bad_row_with_its_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let m = model();
    let first = write(
        dir.path(),
        "first.CSV",
        &format!(
            "{}\n{}\n",
            gdelt2("3001", "20230510", "TURGOV", "TUR", "SYRGOV", "SYR", "040", "1.0"),
            gdelt2("3002", "20230510", "TURGOV", "TUR", "SYRGOV", "SYR", "040", "1.0")
        ),
    );
    m.import(Format::Gdelt2, &[first], &ImportOptions::default()).expect("first");
    // 3002 comes back with another code on line 3, among new rows.
    let text = format!(
        "{}\n{}\n{}\n",
        gdelt2("3003", "20230511", "TURGOV", "TUR", "SYRGOV", "SYR", "040", "1.0"),
        gdelt2("3004", "20230511", "TURGOV", "TUR", "SYRGOV", "SYR", "040", "1.0"),
        gdelt2("3002", "20230510", "TURGOV", "TUR", "SYRGOV", "SYR", "190", "-10.0"),
    );
    let second = write(dir.path(), "second.CSV", &text);
    let r = m.import(Format::Gdelt2, std::slice::from_ref(&second), &ImportOptions::default()).expect("lenient");
    assert_eq!((r.files[0].added, r.files[0].bad), (2, 1), "{r:?}");
    assert_eq!((r.bad_rows[0].file.as_str(), r.bad_rows[0].line), (second.to_str().expect("utf-8"), 3));
    assert!(r.bad_rows[0].message.contains("gdelt:3002"), "{:?}", r.bad_rows[0]);
    let code = |m: &Model| {
        let q = EventQuery { ids: vec!["gdelt:3002".into()], limit: Some(5), ..Default::default() };
        m.events(&q).expect("events").events[0].code.clone()
    };
    assert_eq!(code(&m), "040", "the stored event stays");
    // Strict: the file is refused, the error naming its line; nothing of it is written.
    let again = write(dir.path(), "third.CSV", &text.replace("3003", "3005").replace("3004", "3006"));
    let strict = ImportOptions { strict: true, ..Default::default() };
    let e = m.import(Format::Gdelt2, std::slice::from_ref(&again), &strict).unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::Conflict);
    assert!(e.to_string().contains("line 3"), "{e}");
    assert_eq!(
        m.events(&EventQuery { ids: vec!["gdelt:3005".into()], ..Default::default() }).expect("q").events.len(),
        0
    );
    // Replace: the new content wins.
    let replace = ImportOptions { replace: true, ..Default::default() };
    let r = m.import(Format::Gdelt2, &[again], &replace).expect("replace");
    assert_eq!((r.files[0].added, r.files[0].bad), (3, 0), "{r:?}");
    assert_eq!(code(&m), "190");
}
