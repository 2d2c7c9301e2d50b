//! The corruption campaign: bytes of a real store's files (its segments and its catalog) flipped
//! at seeded random places, one at a time; every read of the damaged store must either fail or
//! return exactly what the undamaged store returns — never other data without an error.
//! `DETENTE_CORRUPTION_FLIPS` sets the number of flips (default 240), `DETENTE_CORRUPTION_SEED`
//! the seed; run with `--nocapture` to see the tally.

use crate::domain::actors::{Entry, NameKind};
use crate::domain::document::Document;
use crate::domain::event::Event;
use crate::model::{IngestOptions, Model, ModelOptions};
use crate::{Date, EventQuery};
use std::path::Path;

const DOCS: [(&str, &str); 3] = [
    (
        "moscow",
        "Turkish Foreign Minister Mevlut Cavusoglu met Syrian Foreign Minister Faisal Mekdad in Moscow on \
         Wednesday. Russia hosted the talks.",
    ),
    ("demand", "Syria demanded that Turkey withdraw its troops from northern Syria."),
    ("ruritania", "Ruritania accused Syria of shelling its border towns."),
];

/// A store with every kind of content: events added by hand in several writes (merged as they
/// land), one replaced, coded documents ingested then re-coded (removed rows), and a dictionary
/// entry added through the API.
fn build(root: &Path) {
    let m = Model::open(root, &ModelOptions::default()).expect("store");
    let entry = Entry::user("RUR", NameKind::Country, vec!["Ruritania".into()]);
    m.add_actors(vec![entry]).expect("actor");
    let day = |d: u32| Date::parse(&format!("2023-05-{:02}", 1 + d % 28)).expect("date");
    let pairs = [("TURGOV", "SYRGOV"), ("RUSGOV", "TURGOV"), ("IRNGOV", "SYRMIL"), ("SYRGOV", "TURMIL")];
    let codes = ["040", "043", "036", "112", "190"];
    for w in 0..12u32 {
        let events: Vec<Event> = (0..25u32)
            .map(|i| {
                let n = w * 25 + i;
                let (s, t) = pairs[(n % 4) as usize];
                let mut e =
                    Event::new(format!("x:{n}"), day(n), Some(s), Some(t), codes[(n % 5) as usize]).expect("event");
                e.mentions = 1 + n % 3;
                e
            })
            .collect();
        m.add_events(events, &Default::default()).expect("add");
    }
    let replaced = Event::new("x:7", day(7), Some("SYRGOV"), Some("TURGOV"), "190").expect("event");
    m.add_events(vec![replaced], &crate::AddOptions { replace: true, ..Default::default() }).expect("replace");
    let docs: Vec<Document> = DOCS
        .iter()
        .map(|(id, text)| Document::new(Some(id), Date::parse("2023-05-11").expect("date"), None, text).expect("doc"))
        .collect();
    m.ingest(docs.clone(), &IngestOptions::default()).expect("ingest");
    m.ingest(docs, &IngestOptions { recode: true }).expect("recode");
}

/// Everything a reader gets from the store, as text: every event with every field, each
/// document with its events, an actor added through the API, and a relation series.
fn snapshot(root: &Path) -> crate::Result<String> {
    let m = Model::open(root, &ModelOptions { read_only: true, ..Default::default() })?;
    let mut out = String::new();
    let mut events = m.events(&EventQuery { limit: Some(1_000_000), ..Default::default() })?.events;
    events.sort_by(|a, b| a.id.cmp(&b.id));
    for e in &events {
        out.push_str(&e.to_json().to_string());
        out.push('\n');
    }
    for (id, _) in DOCS {
        let (doc, events) = m.document(id)?;
        out.push_str(&format!("{} {} {:?} {}\n", doc.id, doc.published, doc.title, doc.text));
        for e in events {
            out.push_str(&e.to_json().to_string());
        }
    }
    out.push_str(&m.resolve("Ruritania", None)?.code);
    out.push_str(&format!("{:?}", m.relation("TUR", "SYR", &Default::default())?.points));
    Ok(out)
}

/// xorshift64*, seeded.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// How the flips of one kind of file came out.
#[derive(Debug, Default)]
struct Tally {
    tried: usize,
    /// A damaged-store error.
    corrupt: usize,
    /// Another error (a lookup that no longer finds what is there, a SQLite type error).
    other_error: usize,
    /// The same answers: the byte was not one any answer depends on.
    same: usize,
}

#[test]
fn flipped_bytes_never_return_other_data_without_an_error() {
    let flips: usize = std::env::var("DETENTE_CORRUPTION_FLIPS").ok().and_then(|v| v.parse().ok()).unwrap_or(240);
    let seed: u64 = std::env::var("DETENTE_CORRUPTION_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x5eed);
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    build(root);
    assert!(!root.join("catalog.sqlite-wal").exists(), "the catalog is checkpointed when the writer closes");
    let baseline = snapshot(root).expect("the undamaged store reads");
    assert!(baseline.lines().count() > 300, "{}", baseline.lines().count());
    let catalog = root.join(super::dir::CATALOG);
    let segments: Vec<std::path::PathBuf> = super::dir::segment_files(root)
        .expect("files")
        .into_iter()
        .map(|n| root.join(super::files::SEGMENTS).join(n))
        .collect();
    assert!(segments.len() > 1);

    let mut rng = Rng(seed | 1);
    let (mut in_segments, mut in_catalog) = (Tally::default(), Tally::default());
    for i in 0..flips {
        let (path, tally) = if i % 2 == 0 {
            (&segments[rng.below(segments.len())], &mut in_segments)
        } else {
            (&catalog, &mut in_catalog)
        };
        let good = std::fs::read(path).expect("bytes");
        // A byte that holds something: most of a small catalog's pages is free space.
        let mut at = rng.below(good.len());
        for _ in 0..64 {
            if good[at] != 0 {
                break;
            }
            at = rng.below(good.len());
        }
        let mut bad = good.clone();
        bad[at] ^= (1 + rng.below(255)) as u8;
        std::fs::write(path, &bad).expect("flip");
        tally.tried += 1;
        let read = snapshot(root);
        std::fs::write(path, &good).expect("restore");
        // SQLite may leave a read-only connection's shared-memory file behind: not part of
        // the next try.
        let _ = std::fs::remove_file(root.join("catalog.sqlite-shm"));
        let _ = std::fs::remove_file(root.join("catalog.sqlite-wal"));
        match read {
            Err(crate::Error::Corrupt { .. }) => tally.corrupt += 1,
            Err(e) => {
                if std::env::var_os("DETENTE_CORRUPTION_VERBOSE").is_some() {
                    eprintln!("other error: {e}");
                }
                tally.other_error += 1
            }
            Ok(s) if s == baseline => tally.same += 1,
            Ok(s) => {
                let first = s.lines().zip(baseline.lines()).position(|(a, b)| a != b).unwrap_or(0);
                panic!(
                    "flip {i}: byte {at} of {} changed an answer without an error:\n{}\nwas\n{}",
                    path.display(),
                    s.lines().nth(first).unwrap_or(""),
                    baseline.lines().nth(first).unwrap_or("")
                );
            }
        }
    }
    eprintln!("segments: {in_segments:?}\ncatalog: {in_catalog:?}");
    // Every byte of a segment is covered by its checksum.
    assert_eq!(in_segments.corrupt, in_segments.tried, "{in_segments:?}");
    assert_eq!(snapshot(root).expect("restored"), baseline);
}
