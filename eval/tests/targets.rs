//! The coder's accuracy targets, as regressions guards. The gold sets are read from the shared
//! test material (DETENTE_SHARED, default ../shared): under CI (CI=true) their absence is a
//! failure, elsewhere the gold tests are skipped with a message.

use detente_eval::*;
use std::path::Path;

fn coder() -> detente_core::coder::Coder {
    detente_core::coder::Coder::builtin().expect("built-in lexicon")
}

/// The shared directory, or None (skipping) outside CI when it is missing.
fn shared() -> Option<std::path::PathBuf> {
    let dir = shared_dir();
    if dir.join("corpus/gold").is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("the shared test material is missing at {} (set DETENTE_SHARED)", dir.display());
    }
    eprintln!("skipping: no shared test material at {} (set DETENTE_SHARED)", dir.display());
    None
}

#[test]
fn cameo_codebook_examples_meet_the_targets() {
    let Some(dir) = shared() else { return };
    let examples = load_cameo(&dir).expect("examples");
    assert_eq!(examples.len(), 277);
    let s = score_cameo(&coder(), &examples);
    let (root, base, precision) = (pct(s.root, s.sentences), pct(s.base, s.sentences), pct(s.events_root, s.events));
    eprintln!("CAMEO examples: root {root:.1}%, 3-digit {base:.1}%, precision {precision:.1}%");
    assert!(root >= 80.0, "root-level accuracy {root:.1}% < 80%");
    assert!(base >= 60.0, "3-digit accuracy {base:.1}% < 60%");
    assert!(precision >= 70.0, "precision {precision:.1}% < 70%");
}

#[test]
fn plover_gold_records_meet_the_target() {
    let Some(dir) = shared() else { return };
    let records = load_plover(&dir).expect("records");
    assert!(records.len() > 300);
    let s = score_plover(&coder(), &records);
    let (event, precision) = (pct(s.event, s.records), pct(s.events_ok, s.events));
    eprintln!("PLOVER: event type {event:.1}%, precision {precision:.1}%");
    assert!(event >= 70.0, "PLOVER event type accuracy {event:.1}% < 70%");
    // 67, not 70, since the converted PETRARCH-2 verb patterns (issue 21): they code secondary
    // acts of the records' sentences too ("setting fire" in a riot), which this precision counts
    // as wrong; type accuracy rose by one point, precision fell by 2.4 (71.4 -> 69.0).
    assert!(precision >= 67.0, "PLOVER precision {precision:.1}% < 67%");
}

#[test]
fn own_articles_are_coded_as_hand_checked() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("articles");
    let articles = load_articles(&dir).expect("articles");
    assert!(articles.len() >= 8);
    let c = coder();
    let blocks = OrganisationBlocks::builtin();
    let (mut expected, mut found, mut coded, mut correct) = (0, 0, 0, 0);
    for (name, a) in &articles {
        let s = score_article(&c, a, &blocks);
        assert!(
            s.found * 2 >= s.expected,
            "{name}: only {} of {} expected events found: {:?}",
            s.found,
            s.expected,
            s.missed
        );
        expected += s.expected;
        found += s.found;
        coded += s.coded;
        correct += s.correct;
    }
    let (p, r) = (pct(correct, coded), pct(found, expected));
    eprintln!("own articles: precision {p:.1}%, recall {r:.1}%");
    assert!(p >= 75.0, "precision {p:.1}% on our own articles");
    assert!(r >= 75.0, "recall {r:.1}% on our own articles");
}

/// The blind development half (issue 21): floors a little under what the coder reaches, so a
/// change that loses ground on unseen news fails here. The test half is scored once, apart.
#[test]
fn blind_development_articles_hold_their_floors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("blind-dev");
    let articles = load_articles(&dir).expect("articles");
    assert_eq!(articles.len(), 20);
    let (c, blocks) = (coder(), OrganisationBlocks::builtin());
    let mut t = ArticleScore::default();
    for (_, a) in &articles {
        t.add(&score_article(&c, a, &blocks));
    }
    let (found, forbidden, precision) =
        (pct(t.found, t.expected), pct(t.forbidden_present, t.forbidden), pct(t.correct, t.coded));
    eprintln!("blind dev: required found {found:.1}%, forbidden present {forbidden:.1}%, precision {precision:.1}%");
    assert!(found >= 35.0, "required found {found:.1}% < 35%");
    assert!(forbidden <= 8.0, "forbidden present {forbidden:.1}% > 8%");
    assert!(precision >= 25.0, "precision {precision:.1}% < 25%");
}
