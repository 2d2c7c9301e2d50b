//! Measures the coder: on the CAMEO codebook's example sentences, on the PLOVER gold-standard
//! records and on detente's own hand-checked articles. The scoring rules are fixed and written
//! down here (and in eval/README.md) so that numbers stay comparable between versions.

use detente_core::coder::Coder;
use detente_core::taxonomy::{normalize_plover, taxonomy};
use detente_core::{Date, Document, Event};
use serde::Deserialize;
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

/// One expected event at root level with countries.
#[derive(Debug, Clone, Deserialize)]
pub struct Expected {
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
    /// Expected events.
    pub expected: usize,
    /// Expected events found.
    pub found: usize,
    /// Coded events.
    pub coded: usize,
    /// Coded events that match an expected one.
    pub correct: usize,
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

fn matches(e: &Event, x: &Expected) -> bool {
    // An expected target "-" is an event without a target ("Russia denied any involvement").
    let (s, t) = (e.source_country.as_deref().unwrap_or("?"), e.target_country.as_deref().unwrap_or("-"));
    let sym = x.symmetric || !e.directed;
    e.root_code == x.root && ((s == x.source && t == x.target) || (sym && s == x.target && t == x.source))
}

/// Codes an article and compares with its expected events.
pub fn score_article(coder: &Coder, a: &Article) -> ArticleScore {
    let events = coder.code_document(&a.document);
    let mut s = ArticleScore { expected: a.expected.len(), coded: events.len(), ..Default::default() };
    for x in &a.expected {
        if events.iter().any(|e| matches(e, x)) {
            s.found += 1;
            if x.has_features() {
                s.with_features += 1;
                if events.iter().any(|e| matches(e, x) && x.features_match(e)) {
                    s.features_right += 1;
                } else if let Some(e) = events.iter().find(|e| matches(e, x)) {
                    s.wrong_features.push(format!(
                        "{}→{} {} ({}): got date {} {} historical {} planned {} location {:?} topics {:?} group {}",
                        x.source,
                        x.target,
                        x.root,
                        x.note,
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
        } else {
            s.missed.push(format!("{}→{} {} ({})", x.source, x.target, x.root, x.note));
        }
    }
    for e in &events {
        if a.expected.iter().any(|x| matches(e, x)) {
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

/// Percentage helper.
pub fn pct(n: usize, d: usize) -> f64 {
    if d == 0 { 0.0 } else { 100.0 * n as f64 / d as f64 }
}
