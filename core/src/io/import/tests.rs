//! Each format read into events, bad rows located, strict imports, the real samples.

use super::*;
use crate::Model;
use crate::{EventQuery, ModelOptions};
use std::io::Write;

/// A GDELT row of `width` columns with the given (0-based column, value) pairs.
pub(super) fn gdelt_row(width: usize, cells: &[(usize, &str)]) -> String {
    let mut f = vec![String::new(); width];
    for (i, v) in cells {
        f[*i] = v.to_string();
    }
    f.join("\t")
}

/// A GDELT 2.0 row: id, date, actors (code, name, country), event code, Goldstein, mentions,
/// the action's FIPS country and place, DATEADDED and URL.
// One argument per GDELT column the tests vary: a struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub(super) fn gdelt2(
    id: &str,
    date: &str,
    a1: &str,
    a1country: &str,
    a2: &str,
    a2country: &str,
    code: &str,
    gs: &str,
) -> String {
    gdelt_row(
        61,
        &[
            (0, id),
            (1, date),
            (5, a1),
            (6, "ACTOR ONE"),
            (7, a1country),
            (15, a2),
            (16, "ACTOR TWO"),
            (17, a2country),
            (26, code),
            (27, &code[..code.len().min(3)]),
            (28, &code[..2]),
            (29, "1"),
            (30, gs),
            (31, "4"),
            (51, "4"),
            (52, "Moscow, Moskva, Russia"),
            (53, "RS"),
            (59, "20230511101500"),
            (60, "https://example.org/moscow"),
        ],
    )
}

pub(super) fn write(dir: &std::path::Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write fixture");
    p
}

pub(super) fn model() -> Model {
    Model::in_memory(&ModelOptions::default()).expect("model")
}

#[test]
fn gdelt2_rows_become_events_and_bad_rows_are_located() {
    let dir = tempfile::tempdir().expect("tmp");
    let lines = [
        gdelt2("1001", "20230510", "TURGOV", "TUR", "SYRGOV", "SYR", "040", "1.0"),
        gdelt2("1002", "20230510", "IGOUNO", "", "SYR", "SYR", "043", "2.8"),
        gdelt2("1003", "20230510", "CVL", "", "TURMIL", "TUR", "190", "-10.0"),
        "1004\t20230510\ttoo few columns".to_string(),
        gdelt2("1005", "20231340", "TUR", "TUR", "SYR", "SYR", "040", "1.0"),
        gdelt2("1006", "20230510", "TUR", "TUR", "SYR", "SYR", "999", "1.0"),
    ];
    let mut text = lines.join("\n");
    text.push('\n');
    let mut bytes = text.into_bytes();
    // A row with invalid UTF-8 in a name.
    let mut bad = gdelt2("1007", "20230510", "TUR", "TUR", "SYR", "SYR", "040", "1.0").into_bytes();
    let at = bad.iter().position(|b| *b == b'A').expect("a name");
    bad[at] = 0xff;
    bytes.extend_from_slice(&bad);
    bytes.push(b'\n');
    let path = dir.path().join("sample.export.CSV");
    std::fs::write(&path, &bytes).expect("write");
    let m = model();
    let r = m.import(Format::Gdelt2, std::slice::from_ref(&path), &ImportOptions::default()).expect("import");
    let f = &r.files[0];
    assert_eq!((f.rows, f.added, f.bad), (7, 3, 4), "{r:?}");
    let lines: Vec<u64> = r.bad_rows.iter().map(|b| b.line).collect();
    assert_eq!(lines, [4, 5, 6, 7]);
    assert!(r.bad_rows[0].message.contains("columns"), "{:?}", r.bad_rows[0]);
    assert!(r.bad_rows[1].message.contains("SQLDATE"));
    assert!(r.bad_rows[2].message.contains("999"));
    assert!(r.bad_rows[3].message.contains("UTF-8"));
    let events = m.events(&EventQuery { limit: Some(10), ..Default::default() }).expect("events").events;
    let e = events.iter().find(|e| e.id == "gdelt:1001").expect("1001");
    assert_eq!((e.source.as_deref(), e.target_country.as_deref(), e.mentions), (Some("TURGOV"), Some("SYR"), 4));
    assert_eq!(e.location.as_ref().and_then(|l| l.country.as_deref()), Some("RUS"), "FIPS RS is Russia");
    assert_eq!(e.reported.map(|d| d.to_string()).as_deref(), Some("2023-05-11"));
    assert_eq!(e.doc_id.as_deref(), Some("https://example.org/moscow"));
    assert_eq!(e.origin, crate::Origin::Gdelt);
    let un = events.iter().find(|e| e.id == "gdelt:1002").expect("1002");
    assert_eq!(
        (un.source.as_deref(), un.source_country.as_deref(), un.source_raw.as_deref()),
        (Some("UNO"), Some("UNO"), Some("IGOUNO"))
    );
    let cvl = events.iter().find(|e| e.id == "gdelt:1003").expect("1003");
    assert_eq!((cvl.source.as_deref(), cvl.source_country.as_deref()), (Some("---CVL"), None));
    assert_eq!((cvl.goldstein, cvl.quad_class, cvl.plover.as_deref()), (-10.0, 4, Some("ASSAULT")));
    // The series sees them: the aggregates were built on the way in.
    let s = m.relation("TUR", "SYR", &Default::default()).expect("series");
    assert_eq!(s.points.iter().map(|p| p.count).sum::<i64>(), 1);
    // Filters by origin work on imported batches.
    let q = EventQuery { origin: Some(crate::Origin::Gdelt), limit: Some(10), ..Default::default() };
    assert_eq!(m.events(&q).expect("origin").events.len(), 3);

    // The same file again: nothing read, nothing written.
    let again = m.import(Format::Gdelt2, std::slice::from_ref(&path), &ImportOptions::default()).expect("again");
    assert!(again.files[0].already_imported && again.added() == 0);
    let forced =
        m.import(Format::Gdelt2, &[path], &ImportOptions { force: true, ..Default::default() }).expect("forced");
    assert_eq!((forced.files[0].added, forced.files[0].unchanged), (0, 3));
}

#[test]
fn strict_mode_writes_nothing_of_a_file_with_a_bad_row() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = format!(
        "{}\n{}\n",
        gdelt2("1", "20230510", "TUR", "TUR", "SYR", "SYR", "040", "1.0"),
        gdelt2("2", "2023-05-10", "TUR", "TUR", "SYR", "SYR", "040", "1.0")
    );
    let path = write(dir.path(), "bad.CSV", &text);
    let m = model();
    let e = m
        .import(Format::Gdelt2, std::slice::from_ref(&path), &ImportOptions { strict: true, ..Default::default() })
        .unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
    assert!(e.to_string().contains("line 2"), "{e}");
    assert_eq!(m.view().len(), 0);
    // Without --strict the good row lands.
    assert_eq!(m.import(Format::Gdelt2, &[path], &ImportOptions::default()).expect("lenient").added(), 1);
}

#[test]
fn gdelt1_both_widths_gzip_and_zip() {
    let dir = tempfile::tempdir().expect("tmp");
    // 1.0: geo blocks of seven; ActionGeo country at 51, DATEADDED at 56, SOURCEURL at 57.
    let row = |id: &str, width: usize| {
        gdelt_row(
            width,
            &[
                (0, id),
                (1, "20130401"),
                (5, "USAGOV"),
                (7, "USA"),
                (15, "RUSGOV"),
                (17, "RUS"),
                (26, "0311"),
                (30, "5.2"),
                (31, "2"),
                (51, "RS"),
                (56, "20130402"),
            ],
        )
    };
    let text = |a: &str, b: &str| format!("{}\n{}\n", row(a, 57), row(b, 58));
    let plain = write(dir.path(), "20130401.export.CSV", &text("11", "12"));
    let gz = dir.path().join("20130402.export.CSV.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).expect("gz"), flate2::Compression::fast());
    enc.write_all(text("21", "22").as_bytes()).expect("gz write");
    enc.finish().expect("gz finish");
    let zip_path = dir.path().join("20130403.export.CSV.zip");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&zip_path).expect("zip"));
        z.start_file("20130403.export.CSV", zip::write::SimpleFileOptions::default()).expect("entry");
        z.write_all(text("31", "32").as_bytes()).expect("zip write");
        z.finish().expect("zip finish");
    }
    let m = model();
    let r = m.import(Format::Gdelt1, &[plain, gz, zip_path], &ImportOptions::default()).expect("import");
    assert_eq!(r.files.iter().map(|f| f.added).collect::<Vec<_>>(), [2, 2, 2], "{r:?}");
    let e = m.events(&EventQuery { ids: vec!["gdelt:12".into()], ..Default::default() }).expect("e").events;
    assert_eq!((e[0].code.as_str(), e[0].goldstein), ("0311", 5.2));
    assert_eq!(e[0].location.as_ref().and_then(|l| l.country.as_deref()), Some("RUS"));
    assert_eq!(e[0].reported.map(|d| d.to_string()).as_deref(), Some("2013-04-02"));
    // A 2.0 file read as 1.0 is refused, with the reason and what to do.
    let wrong =
        write(dir.path(), "v2.CSV", &format!("{}\n", gdelt2("9", "20230510", "TUR", "TUR", "SYR", "SYR", "040", "1")));
    let e = m.import(Format::Gdelt1, &[wrong], &ImportOptions::default()).unwrap_err();
    assert!(e.to_string().contains("61 columns") && e.to_string().contains("import it as gdelt2"), "{e}");
}

pub(super) const ICEWS_HEADER: &str = "Event ID\tEvent Date\tSource Name\tSource Sectors\tSource Country\tEvent Text\tCAMEO Code\tIntensity\tTarget Name\tTarget Sectors\tTarget Country\tStory ID\tSentence Number\tPublisher\tCity\tDistrict\tProvince\tCountry\tLatitude\tLongitude";

#[test]
fn icews_names_sectors_and_non_unique_ids() {
    let dir = tempfile::tempdir().expect("tmp");
    let row1 = "900\t2023-05-10\tMevlut Cavusoglu\tExecutive,Foreign Ministry,Government\tTurkey\tConsult\t040\t1\tFaisal Mekdad\tGovernment\tSyria\t77\t1\tAnadolu\tMoscow\tNA\tMoscow\tRussian Federation\t55.75\t37.61";
    let row2 = "900\t2023-05-11\tSyrian Army\tMilitary,Government\tSyria\tDemand\t105\t-5\tTurkey\tNA\tTurkey\t78\t2\tSANA\tNA\tNA\tNA\tNA\tNA\tNA";
    let text = format!("{ICEWS_HEADER}\n{row1}\n{row2}\n{row1}\nNA\t2023-05-12\tx\n");
    let path = write(dir.path(), "events.2023.tab", &text);
    let m = model();
    let r = m.import(Format::Icews, &[path], &ImportOptions::default()).expect("import");
    let f = &r.files[0];
    assert_eq!((f.rows, f.added, f.duplicates, f.unchanged, f.bad), (4, 2, 1, 1, 1), "{r:?}");
    assert_eq!(r.bad_rows[0].line, 5, "header is line 1");
    let events = m.events(&EventQuery { limit: Some(10), ..Default::default() }).expect("e").events;
    assert_eq!(events.len(), 2);
    assert!(
        events[0].id.starts_with("icews:900:")
            && events[1].id.starts_with("icews:900:")
            && events[0].id != events[1].id
    );
    let e = &events[0];
    assert_eq!((e.source.as_deref(), e.target.as_deref(), e.goldstein), (Some("TURGOV"), Some("SYRGOV"), 1.0));
    assert_eq!(e.source_name.as_deref(), Some("Mevlut Cavusoglu"));
    assert_eq!(e.location.as_ref().and_then(|l| l.country.as_deref()), Some("RUS"));
    assert_eq!((e.doc_id.as_deref(), e.sentence), (Some("77"), Some(1)));
    assert_eq!(events[1].source.as_deref(), Some("SYRMIL"));
    // A file without a needed column is refused whole, naming it.
    let broken = write(dir.path(), "broken.tab", "Event ID\tEvent Date\n1\t2023-01-01\n");
    let e = m.import(Format::Icews, &[broken], &ImportOptions::default()).unwrap_err();
    assert_eq!(e.field(), Some("Source Name"));
}

#[test]
fn polecat_types_map_to_cameo_roots() {
    let dir = tempfile::tempdir().expect("tmp");
    let header = "Event ID\tEvent Date\tEvent Type\tEvent Mode\tEvent Intensity\tQuad Code\tContexts\tActor Name\tActor Country\tActor COW\tPrimary Actor Sector\tActor Sectors\tActor Title\tActor Name Raw\tWikipedia Actor ID\tRecipient Name\tRecipient Country\tRecipient COW\tPrimary Recipient Sector\tRecipient Sectors\tRecipient Title\tRecipient Name Raw\tWikipedia Recipient ID\tPlacename\tCity\tDistrict\tProvince\tCountry\tLatitude\tLongitude\tGeoNames ID\tRaw Placename\tFeature Type\tSource\tPublication Date\tStory People\tStory Organizations\tStory Locations\tLanguage\tVersion\tHeadline";
    let mut cells = vec![""; 40];
    let set = |c: &mut Vec<&'static str>, kv: &[(usize, &'static str)]| {
        for (i, v) in kv {
            c[*i] = v;
        }
    };
    set(
        &mut cells,
        &[
            (0, "pc-1"),
            (1, "2023-05-10"),
            (2, "CONSULT"),
            (3, "visit"),
            (8, "TUR"),
            (10, "Government"),
            (16, "SYR"),
            (18, "Government"),
            (23, "Moscow"),
            (27, "RUS"),
            (33, "Anadolu"),
            (34, "2023-05-11"),
        ],
    );
    let row1 = cells.join("\t") + "\t\t";
    let mut cells = vec![""; 40];
    set(&mut cells, &[(0, "pc-2"), (1, "2023-05-12"), (2, "ACCUSE"), (8, "SYR"), (10, "Military"), (16, "TUR")]);
    let row2 = cells.join("\t");
    let mut cells = vec![""; 40];
    set(&mut cells, &[(0, "pc-3"), (1, "2023-05-12"), (2, "DANCE"), (8, "SYR"), (16, "TUR")]);
    let row3 = cells.join("\t");
    let path = write(dir.path(), "ngec_2023-05.txt", &format!("{header}\n{row1}\n{row2}\n{row3}\n"));
    let m = model();
    let r = m.import(Format::Polecat, &[path], &ImportOptions::default()).expect("import");
    assert_eq!((r.added(), r.bad()), (2, 1), "{r:?}");
    assert!(r.bad_rows[0].message.contains("DANCE"));
    let e = m.events(&EventQuery { ids: vec!["polecat:pc-1".into()], ..Default::default() }).expect("e").events;
    assert_eq!(
        (e[0].code.as_str(), e[0].plover.as_deref(), e[0].source.as_deref()),
        ("04", Some("CONSULT"), Some("TURGOV"))
    );
    assert_eq!(e[0].reported.map(|d| d.to_string()).as_deref(), Some("2023-05-11"));
    let e = m.events(&EventQuery { ids: vec!["polecat:pc-2".into()], ..Default::default() }).expect("e").events;
    assert_eq!((e[0].root_code.as_str(), e[0].source.as_deref(), e[0].quad_class), ("11", Some("SYRMIL"), 3));
    assert_eq!(e[0].goldstein, crate::taxonomy().get("11").expect("11").goldstein_gdelt);
}

/// The real samples in ../shared/corpus/samples (skipped when absent, except in CI).
pub(super) fn sample(name: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/samples").join(name);
    if p.exists() {
        return Some(p);
    }
    assert!(std::env::var_os("CI").is_none(), "sample {name} missing in CI");
    None
}

#[test]
fn the_real_samples_import_with_the_expected_counts() {
    let Some(g2) = sample("gdelt2_export_sample.reconstructed.tsv") else { return };
    let Some(g1) = sample("gdelt1_daily_events_sample.reconstructed.tsv") else { return };
    let Some(icews) = sample("icews_events.2018.sample.tab") else { return };
    let m = model();
    let opts = ImportOptions { strict: true, ..Default::default() };
    let r = m.import(Format::Gdelt2, &[g2], &opts).expect("gdelt2");
    assert_eq!((r.rows(), r.added(), r.bad()), (50, 50, 0), "{r:?}");
    let r = m.import(Format::Gdelt1, &[g1], &opts).expect("gdelt1");
    assert_eq!((r.rows(), r.added(), r.bad()), (50, 50, 0), "{r:?}");
    let r = m.import(Format::Icews, &[icews], &opts).expect("icews");
    let f = &r.files[0];
    assert_eq!((f.rows, f.bad), (3705, 0), "{r:?}");
    assert_eq!(f.added + f.unchanged, 3705);
    assert_eq!(f.unchanged, f.duplicates, "exact duplicates are the rows stored once");
    eprintln!("ICEWS sample: {} rows, {} exact duplicates, {} events", f.rows, f.duplicates, f.added);
    assert_eq!(m.view().len() as u64, 100 + f.added);
}
