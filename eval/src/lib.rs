//! Measures the coder: on the CAMEO codebook's example sentences, on the PLOVER gold-standard
//! records and on detente's own hand-checked articles. The scoring rules are fixed and written
//! down here (and in eval/README.md) so that numbers stay comparable between versions.

use detente_core::coder::Coder;
use detente_core::domain::taxonomy::{normalize_plover, taxonomy};
use detente_core::{Date, Document, Event};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Where the shared test material is: `DETENTE_SHARED`, else `../shared` from the repository root.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("DETENTE_SHARED") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    }
}

/// Decodes Windows-1252 bytes (the CAMEO example file is not UTF-8).
pub fn decode_cp1252(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    bytes.iter().map(|&b| if (0x80..0xa0).contains(&b) { HIGH[(b - 0x80) as usize] } else { b as char }).collect()
}

/// One CAMEO codebook example: the sentence and its code.
#[derive(Debug, Clone)]
pub struct CameoExample {
    /// Expected CAMEO code.
    pub code: String,
    /// The example sentence, without the codebook's appended "Note: …".
    pub text: String,
}

/// Reads `gold/cameo_manual_examples.csv`.
pub fn load_cameo(shared: &Path) -> Result<Vec<CameoExample>, String> {
    let path = shared.join("corpus/gold/cameo_manual_examples.csv");
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = decode_cp1252(&bytes);
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().map_err(|e| e.to_string())?.clone();
    let col = |n: &str| headers.iter().position(|h| h == n).ok_or(format!("no column {n}"));
    let (ci, ei) = (col("code")?, col("example")?);
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        let example = rec.get(ei).unwrap_or("NA").trim();
        if example == "NA" || example.is_empty() {
            continue;
        }
        let text = match example.find("Note:") {
            Some(i) => example[..i].trim(),
            None => example,
        };
        out.push(CameoExample { code: rec.get(ci).unwrap_or("").trim().to_string(), text: text.to_string() });
    }
    Ok(out)
}

/// One PLOVER gold record.
#[derive(Debug, Clone)]
pub struct PloverRecord {
    /// The sentence.
    pub text: String,
    /// The event type in PLOVER 0.8 names.
    pub event: String,
    /// Source country codes (3-letter), when the record gives codes.
    pub sources: Vec<String>,
    /// Target country codes.
    pub targets: Vec<String>,
}

/// Reads `gold/PLOVER_GSR_CAMEO.json` (record 0 is a header).
pub fn load_plover(shared: &Path) -> Result<Vec<PloverRecord>, String> {
    let path = shared.join("corpus/gold/PLOVER_GSR_CAMEO.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let codes = |x: &serde_json::Value| -> Vec<String> {
        let list = match x {
            serde_json::Value::Array(a) => a.clone(),
            serde_json::Value::Null => Vec::new(),
            other => vec![other.clone()],
        };
        list.iter()
            .filter_map(|a| a.get("code").and_then(|c| c.as_str()).or_else(|| a.as_str()))
            .map(|c| c.trim().to_uppercase())
            .filter(|c| c.len() >= 3 && c.chars().all(|ch| ch.is_ascii_uppercase()))
            .map(|c| c[..3].to_string())
            .collect()
    };
    let mut out = Vec::new();
    for rec in v.as_array().ok_or("expected a list")? {
        let (Some(text), Some(event)) =
            (rec.get("text").and_then(|t| t.as_str()), rec.get("event").and_then(|e| e.as_str()))
        else {
            continue;
        };
        let Some(event) = normalize_plover(event) else { continue };
        out.push(PloverRecord {
            text: text.to_string(),
            event: event.to_string(),
            sources: codes(rec.get("source").unwrap_or(&serde_json::Value::Null)),
            targets: codes(rec.get("target").unwrap_or(&serde_json::Value::Null)),
        });
    }
    Ok(out)
}

/// Codes one sentence as a document of its own (dated 2000-01-01: the gold sentences come from
/// the CAMEO manual's era).
pub fn code_sentence(coder: &Coder, text: &str) -> Vec<Event> {
    let date = Date::from_ymd(2000, 1, 1).unwrap_or(Date::MIN);
    match Document::new(Some("gold"), date, None, text) {
        Ok(doc) => coder.code_document(&doc),
        Err(_) => Vec::new(),
    }
}

/// Scores on the CAMEO examples.
#[derive(Debug, Clone, Default)]
pub struct CameoScore {
    /// Sentences.
    pub sentences: usize,
    /// Sentences with at least one event.
    pub coded: usize,
    /// Sentences with an event of the expected root.
    pub root: usize,
    /// … of the expected 3-digit code.
    pub base: usize,
    /// … of the expected full code.
    pub full: usize,
    /// Events coded.
    pub events: usize,
    /// Events whose root is the expected one.
    pub events_root: usize,
    /// Misses, for error analysis: (expected, coded codes, text).
    pub misses: Vec<(String, Vec<String>, String)>,
    /// Per CAMEO root: (sentences, of them with the root found, events coded with the root, of
    /// them in a sentence of that root).
    pub by_root: BTreeMap<String, [usize; 4]>,
    /// (expected root, root coded) → sentences; the root coded is the expected one when found,
    /// else the first event's, else `--`.
    pub confusion: BTreeMap<(String, String), usize>,
}

/// Runs the coder over the CAMEO examples.
pub fn score_cameo(coder: &Coder, examples: &[CameoExample]) -> CameoScore {
    let mut s = CameoScore { sentences: examples.len(), ..Default::default() };
    for ex in examples {
        let events = code_sentence(coder, &ex.text);
        let codes: Vec<String> = events.iter().map(|e| e.code.clone()).collect();
        let prefix = |c: &str, n: usize| c[..c.len().min(n)].to_string();
        s.coded += usize::from(!codes.is_empty());
        let root_ok = codes.iter().any(|c| prefix(c, 2) == prefix(&ex.code, 2));
        s.root += usize::from(root_ok);
        s.base += usize::from(codes.iter().any(|c| prefix(c, 3) == prefix(&ex.code, 3)));
        s.full += usize::from(codes.contains(&ex.code));
        s.events += codes.len();
        s.events_root += codes.iter().filter(|c| prefix(c, 2) == prefix(&ex.code, 2)).count();
        let want = prefix(&ex.code, 2);
        let r = s.by_root.entry(want.clone()).or_default();
        r[0] += 1;
        r[1] += usize::from(root_ok);
        for c in &codes {
            let r = s.by_root.entry(prefix(c, 2)).or_default();
            r[2] += 1;
            r[3] += usize::from(prefix(c, 2) == want);
        }
        let got = if root_ok {
            want.clone()
        } else {
            codes.first().map(|c| prefix(c, 2)).unwrap_or_else(|| "--".to_string())
        };
        *s.confusion.entry((want, got)).or_default() += 1;
        if !root_ok {
            s.misses.push((ex.code.clone(), codes, ex.text.clone()));
        }
    }
    s
}

/// Scores on the PLOVER records.
#[derive(Debug, Clone, Default)]
pub struct PloverScore {
    /// Records.
    pub records: usize,
    /// Records with an event of the gold PLOVER type.
    pub event: usize,
    /// Events coded.
    pub events: usize,
    /// Events of the gold type.
    pub events_ok: usize,
    /// Records with source codes.
    pub with_source: usize,
    /// … where an event has a gold source country.
    pub source: usize,
    /// Records with target codes.
    pub with_target: usize,
    /// … where an event has a gold target country.
    pub target: usize,
    /// Misses: (gold type, coded types, text).
    pub misses: Vec<(String, Vec<String>, String)>,
}

/// The PLOVER type of a coded event, through the crosswalk.
pub fn plover_of(e: &Event) -> Option<String> {
    taxonomy().get(&e.code).ok().and_then(|c| c.plover.as_ref()).map(|p| p.event.clone())
}

/// Runs the coder over the PLOVER records.
pub fn score_plover(coder: &Coder, records: &[PloverRecord]) -> PloverScore {
    let mut s = PloverScore { records: records.len(), ..Default::default() };
    for r in records {
        let events = code_sentence(coder, &r.text);
        let types: Vec<String> = events.iter().filter_map(plover_of).collect();
        let ok = types.contains(&r.event);
        s.event += usize::from(ok);
        s.events += events.len();
        s.events_ok += types.iter().filter(|t| **t == r.event).count();
        if !r.sources.is_empty() {
            s.with_source += 1;
            s.source +=
                usize::from(events.iter().any(|e| e.source_country.as_ref().is_some_and(|c| r.sources.contains(c))));
        }
        if !r.targets.is_empty() {
            s.with_target += 1;
            s.target +=
                usize::from(events.iter().any(|e| e.target_country.as_ref().is_some_and(|c| r.targets.contains(c))));
        }
        if !ok {
            s.misses.push((r.event.clone(), types, r.text.clone()));
        }
    }
    s
}

/// An article of our own with hand-checked expected events.
#[derive(Debug, Clone, Deserialize)]
pub struct Article {
    /// The document.
    pub document: Document,
    /// What the episode was (for people reading the file).
    #[serde(default)]
    pub about: String,
    /// Expected events.
    pub expected: Vec<Expected>,
}

/// How an expected event counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// An unmistakable main event: missing it is a miss (articles without statuses are all
    /// required).
    #[default]
    Required,
    /// Defensible but minor or ambiguous: finding it is right, missing it is no miss.
    Optional,
    /// What a coder must not present as happening now: background as present, planned as done,
    /// the mediator as a party, a negated act, a wrong source.
    Forbidden,
}

/// One expected event at root level with countries.
#[derive(Debug, Clone, Deserialize)]
pub struct Expected {
    /// Required, optional or forbidden; articles whose expectations carry no status are scored by
    /// the first rules (every expectation required, background events counted like others).
    #[serde(default)]
    pub status: Option<Status>,
    /// Source country.
    pub source: String,
    /// Target country; `-` for an event without a target.
    pub target: String,
    /// CAMEO root.
    pub root: String,
    /// Symmetric: either orientation matches.
    #[serde(default)]
    pub symmetric: bool,
    /// Why (which sentence).
    #[serde(default)]
    pub note: String,
    /// Expected date (YYYY-MM-DD, the first day of the period for coarser precisions).
    #[serde(default)]
    pub date: Option<String>,
    /// Expected precision: day, month, year.
    #[serde(default)]
    pub precision: Option<String>,
    /// Expected background flag.
    #[serde(default)]
    pub historical: Option<bool>,
    /// Expected announced-future flag.
    #[serde(default)]
    pub planned: Option<bool>,
    /// Expected location country.
    #[serde(default)]
    pub location: Option<String>,
    /// Topics the event must carry (others may be there too).
    #[serde(default)]
    pub topics: Vec<String>,
    /// The event belongs to a multilateral group (a meeting or a mediation).
    #[serde(default)]
    pub grouped: Option<bool>,
}

impl Expected {
    /// True when the expectation checks more than root and countries.
    pub fn has_features(&self) -> bool {
        self.date.is_some()
            || self.precision.is_some()
            || self.historical.is_some()
            || self.planned.is_some()
            || self.location.is_some()
            || !self.topics.is_empty()
            || self.grouped.is_some()
    }

    /// True when an event has every feature this expectation names.
    pub fn features_match(&self, e: &Event) -> bool {
        self.date.as_deref().is_none_or(|d| e.date.to_string() == d)
            && self.precision.as_deref().is_none_or(|p| e.date_precision.as_str() == p)
            && self.historical.is_none_or(|h| e.historical == h)
            && self.planned.is_none_or(|p| e.planned == p)
            && self
                .location
                .as_deref()
                .is_none_or(|l| e.location.as_ref().and_then(|x| x.country.as_deref()) == Some(l))
            && self.topics.iter().all(|t| e.topics.contains(t))
            && self.grouped.is_none_or(|g| e.group.is_some() == g)
    }
}

/// Reads the articles in a directory (`*.json`).
pub fn load_articles(dir: &Path) -> Result<Vec<(String, Article)>, String> {
    let mut out = Vec::new();
    let mut entries: Vec<_> =
        std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if p.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        let a: Article = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?;
        out.push((p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), a));
    }
    Ok(out)
}

/// Precision and recall of one article at root level with countries.
#[derive(Debug, Clone, Default)]
pub struct ArticleScore {
    /// Required events.
    pub expected: usize,
    /// Required events found (by an event not marked background).
    pub found: usize,
    /// Optional events.
    pub optional: usize,
    /// Optional events found.
    pub optional_found: usize,
    /// Forbidden events that the matching can tell from the required and optional ones.
    pub forbidden: usize,
    /// … present: matched by an event marked neither background nor planned.
    pub forbidden_present: usize,
    /// Forbidden events with the same root and countries as a required or optional one: not
    /// measurable at this level, left out of `forbidden`.
    pub forbidden_unmeasurable: usize,
    /// Coded events not marked background (precision is over these).
    pub coded: usize,
    /// Coded events marked background (a correct background event is no error; they are counted
    /// apart).
    pub background: usize,
    /// Current coded events that match a required or optional event.
    pub correct: usize,
    /// Forbidden events present, for error analysis.
    pub forbidden_hits: Vec<String>,
    /// Per CAMEO root: (required, required found, current events coded, of them correct).
    pub by_root: BTreeMap<String, [usize; 4]>,
    /// Expected events not found.
    pub missed: Vec<String>,
    /// Coded events matching nothing.
    pub spurious: Vec<String>,
    /// Found expected events that name features (date, place, topics…).
    pub with_features: usize,
    /// … whose features are all right.
    pub features_right: usize,
    /// Features wrong, for error analysis.
    pub wrong_features: Vec<String>,
}

/// The region block of organisations' full PETRARCH codes (NAT → IGOWSTNAT → `WST`), which is
/// what GDELT's country field holds for them and what the blind articles expect.
#[derive(Debug, Clone, Default)]
pub struct OrganisationBlocks(HashMap<String, String>);

impl OrganisationBlocks {
    /// From the built-in dictionary's `full` lines.
    pub fn builtin() -> OrganisationBlocks {
        let mut map = HashMap::new();
        for table in detente_core::domain::actors::builtin_tables() {
            for line in table.lines() {
                let cols: Vec<&str> = line.split('\t').collect();
                if let [full, "full", bare, ..] = cols.as_slice()
                    && (full.starts_with("IGO") || full.starts_with("NGO"))
                    && full.len() >= 6
                {
                    map.insert(bare.trim().to_string(), full[3..6].to_string());
                }
            }
        }
        OrganisationBlocks(map)
    }

    /// True when a coded country code stands for the expected one: equal, or the expected code
    /// is the coded organisation's block.
    pub fn same(&self, coded: &str, expected: &str) -> bool {
        coded == expected || self.0.get(coded).is_some_and(|b| b == expected)
    }
}

fn matches(e: &Event, x: &Expected, blocks: &OrganisationBlocks) -> bool {
    // An expected target "-" is an event without a target ("Russia denied any involvement").
    let (s, t) = (e.source_country.as_deref().unwrap_or("?"), e.target_country.as_deref().unwrap_or("-"));
    let sym = x.symmetric || !e.directed;
    let same = |c: &str, x: &str| blocks.same(c, x);
    e.root_code == x.root
        && ((same(s, &x.source) && same(t, &x.target)) || (sym && same(s, &x.target) && same(t, &x.source)))
}

impl Expected {
    /// The status, required when none is given.
    pub fn status(&self) -> Status {
        self.status.unwrap_or_default()
    }
}

/// Two expectations that the matching cannot tell apart (same root and countries).
fn same_key(a: &Expected, b: &Expected) -> bool {
    a.root == b.root
        && ((a.source == b.source && a.target == b.target)
            || ((a.symmetric || b.symmetric) && a.source == b.target && a.target == b.source))
}

/// Codes an article and compares with its expected events. Rules (fixed; eval/README.md): an
/// expected event is found when a coded event has its root and countries; an organisation matches
/// the code of its region block. Where expectations carry statuses, only events not marked
/// background count: they find required and optional events and make the precision, and a
/// forbidden event is present when such an event is also not marked planned.
pub fn score_article(coder: &Coder, a: &Article, blocks: &OrganisationBlocks) -> ArticleScore {
    let all = coder.code_document(&a.document);
    let graded = a.expected.iter().any(|x| x.status.is_some());
    let (events, background): (Vec<&Event>, Vec<&Event>) = all.iter().partition(|e| !graded || !e.historical);
    let mut s = ArticleScore { coded: events.len(), background: background.len(), ..Default::default() };
    let describe = |x: &Expected| format!("{}→{} {} ({})", x.source, x.target, x.root, x.note);
    for x in &a.expected {
        let hit = events.iter().find(|e| matches(e, x, blocks));
        match x.status() {
            Status::Required => {
                s.expected += 1;
                let r = s.by_root.entry(x.root.clone()).or_default();
                r[0] += 1;
                if hit.is_some() {
                    r[1] += 1;
                }
            }
            Status::Optional => s.optional += 1,
            Status::Forbidden => {}
        }
        match (x.status(), hit) {
            (Status::Forbidden, _) if a.expected.iter().any(|y| y.status() != Status::Forbidden && same_key(x, y)) => {
                s.forbidden_unmeasurable += 1;
            }
            (Status::Forbidden, _) => {
                s.forbidden += 1;
                if let Some(e) = events.iter().find(|e| matches(e, x, blocks) && !e.planned) {
                    s.forbidden_present += 1;
                    s.forbidden_hits.push(format!("{} ← {}", describe(x), e.evidence.as_deref().unwrap_or("")));
                }
            }
            (Status::Required, None) => s.missed.push(describe(x)),
            (Status::Optional, None) => {}
            (status, Some(_)) => {
                if status == Status::Required {
                    s.found += 1;
                } else {
                    s.optional_found += 1;
                }
                if x.has_features() {
                    s.with_features += 1;
                    if events.iter().any(|e| matches(e, x, blocks) && x.features_match(e)) {
                        s.features_right += 1;
                    } else if let Some(e) = hit {
                        s.wrong_features.push(format!(
                            "{}: got date {} {} historical {} planned {} location {:?} topics {:?} group {}",
                            describe(x),
                            e.date,
                            e.date_precision.as_str(),
                            e.historical,
                            e.planned,
                            e.location.as_ref().and_then(|l| l.country.clone()),
                            e.topics,
                            e.group.is_some()
                        ));
                    }
                }
            }
        }
    }
    for e in &events {
        let ok = a.expected.iter().any(|x| x.status() != Status::Forbidden && matches(e, x, blocks));
        let r = s.by_root.entry(e.root_code.clone()).or_default();
        r[2] += 1;
        if ok {
            r[3] += 1;
            s.correct += 1;
        } else {
            s.spurious.push(format!(
                "{}→{} {} [{}] {}",
                e.source.as_deref().unwrap_or("?"),
                e.target.as_deref().unwrap_or("?"),
                e.code,
                e.rule.as_deref().unwrap_or(""),
                e.evidence.as_deref().unwrap_or("")
            ));
        }
    }
    s
}

impl ArticleScore {
    /// Adds another article's counts (the lists of misses are not carried).
    pub fn add(&mut self, o: &ArticleScore) {
        self.expected += o.expected;
        self.found += o.found;
        self.optional += o.optional;
        self.optional_found += o.optional_found;
        self.forbidden += o.forbidden;
        self.forbidden_present += o.forbidden_present;
        self.forbidden_unmeasurable += o.forbidden_unmeasurable;
        self.coded += o.coded;
        self.background += o.background;
        self.correct += o.correct;
        self.with_features += o.with_features;
        self.features_right += o.features_right;
        for (root, v) in &o.by_root {
            let r = self.by_root.entry(root.clone()).or_default();
            for i in 0..4 {
                r[i] += v[i];
            }
        }
    }
}

/// Percentage helper.
pub fn pct(n: usize, d: usize) -> f64 {
    if d == 0 { 0.0 } else { 100.0 * n as f64 / d as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisations_match_their_region_block() {
        let b = OrganisationBlocks::builtin();
        assert!(b.same("NAT", "WST"), "NATO is IGOWSTNAT");
        assert!(b.same("WAS", "WAF"), "ECOWAS is IGOWAFBUSWAS");
        assert!(b.same("UNO", "UNO"));
        assert!(!b.same("NAT", "USA"));
        assert!(!b.same("RUS", "WST"));
    }

    fn article(text: &str, expected: &str) -> Article {
        let json = format!(
            r#"{{"document": {{"id": "t", "published": "2022-04-05", "text": {}}}, "expected": {expected}}}"#,
            serde_json::Value::String(text.to_string())
        );
        serde_json::from_str(&json).expect("test article")
    }

    #[test]
    fn statuses_count_apart_and_background_leaves_precision() {
        let coder = Coder::builtin().expect("coder");
        let a = article(
            "Iraqi troops invaded Kuwait on Tuesday. Iraq invaded Iran in 1980.",
            r#"[{"source": "IRQ", "target": "KWT", "root": "19", "status": "required"},
                {"source": "USA", "target": "IRQ", "root": "11", "status": "optional"},
                {"source": "IRQ", "target": "IRN", "root": "19", "status": "forbidden"},
                {"source": "KWT", "target": "IRQ", "root": "19", "status": "forbidden"}]"#,
        );
        let s = score_article(&coder, &a, &OrganisationBlocks::builtin());
        assert_eq!((s.expected, s.found, s.optional, s.optional_found), (1, 1, 1, 0));
        assert_eq!((s.forbidden, s.forbidden_present), (2, 0), "1980 is background: {:?}", s.forbidden_hits);
        assert_eq!(s.background, 1);
        assert_eq!((s.coded, s.correct), (1, 1));
        assert_eq!(s.by_root.get("19"), Some(&[1, 1, 1, 1]));
    }
}
