//! What spans sentences: coreference ("the country", "the two countries", "its troops", a
//! surname after the full name), multilateral meetings (one consultation per pair with a shared
//! group, the host's hosting events), dates and their precision, background and announced
//! events, places, topics, and the same event mentioned twice.
//!
//! This file codes a document sentence by sentence and merges what was told twice; `coref`
//! resolves references, `time_place` dates and places events, `acts` finds the authors of acts
//! named as objects and `meetings` groups multilateral meetings.

mod acts;
mod coref;
mod meetings;
mod time_place;

use super::engine::{self, CodedSentence, SentenceEvent};
use super::lexicon::Lexicon;
use super::mentions::MentionFinder;
use super::time::{self, Direction};
use crate::domain::date::{Date, DatePrecision};
use crate::domain::document::Document;
use crate::domain::event::{Event, Origin, ReportKey};
use crate::domain::taxonomy::{QuadScheme, taxonomy};
use crate::domain::text::{CharOffsets, Token, TokenKind};
use crate::syntax::SyntaxModel;
use crate::syntax::sentences;
use acts::note_act;
use coref::Coref;
use meetings::{Meeting, expand_hosting, group_sentence, share_topics};
use std::collections::HashMap;
use time_place::{date_of, past_perfect, past_tense, place_of};
use xxhash_rust::xxh3::Xxh3;

const MEETING_NOUNS: &[&str] =
    &["meeting", "talks", "discussions", "summit", "gathering", "conference", "negotiations", "consultations"];

/// Topics of a sentence, in the order they appear.
fn topics_of(lex: &Lexicon, toks: &[Token]) -> Vec<String> {
    let keys: Vec<&str> = toks.iter().map(|t| t.key.as_str()).collect();
    let eq = |k: &str, p: &str| k == p || k.strip_suffix('s') == Some(p) || p.strip_suffix('s') == Some(k);
    let mut found: Vec<(usize, String)> = Vec::new();
    for (name, phrases, _) in &lex.topics {
        let first = phrases
            .iter()
            .filter_map(|p| {
                (0..keys.len())
                    .find(|&i| i + p.len() <= keys.len() && p.iter().enumerate().all(|(k, w)| eq(keys[i + k], w)))
            })
            .min();
        if let Some(pos) = first {
            found.push((pos, name.clone()));
        }
    }
    found.sort();
    found.into_iter().map(|x| x.1).collect()
}

/// Whether the sentence talks about a meeting already reported ("the talks", "during the meeting").
fn refers_to_meeting(toks: &[Token]) -> bool {
    toks.windows(2)
        .any(|w| matches!(w[0].key.as_str(), "the" | "this" | "that") && MEETING_NOUNS.contains(&w[1].key.as_str()))
}

/// Codes a whole document.
pub(crate) fn code_document(
    finder: &MentionFinder,
    lex: &Lexicon,
    syntax: Option<&SyntaxModel>,
    doc: &Document,
) -> Vec<Event> {
    code_document_traced(finder, lex, syntax, doc, None)
}

/// Codes a whole document, keeping each coded sentence (actors after coreference, events,
/// skipped matches) in `trace` when given.
pub(crate) fn code_document_traced(
    finder: &MentionFinder,
    lex: &Lexicon,
    syntax: Option<&SyntaxModel>,
    doc: &Document,
    mut trace: Option<&mut Vec<CodedSentence>>,
) -> Vec<Event> {
    let text = doc.text.as_str();
    let (sents, _datelines) = sentences::split(text);
    let offsets = CharOffsets::new(text);
    let dict = finder.dictionary();
    let published = doc.published;
    let mut coref = Coref::default();
    let mut events: Vec<Event> = Vec::new();
    let mut meetings: Vec<Meeting> = Vec::new();
    // The acts reported so far (predicate lemma, root, source code and name), for objects that
    // name an act instead of its author ("condemned the invasion").
    let mut acts: Vec<(String, String, String, Option<String>)> = Vec::new();
    let mut reference = published;
    let mut paragraph = usize::MAX;
    let mut background_paragraph = false;
    for (si, sent) in sents.iter().enumerate() {
        if sent.paragraph != paragraph {
            paragraph = sent.paragraph;
            background_paragraph = false;
        }
        let coded =
            engine::code_sentence_with(finder, lex, syntax, text, sent.start..sent.end, published, &mut |toks, ms| {
                coref.resolve(finder, toks, ms)
            });
        let exprs = time::find(&coded.tokens);
        let topics = topics_of(lex, &coded.tokens);
        let about_meeting = refers_to_meeting(&coded.tokens);
        let mut sentence_background = false;
        let first_event = events.len();
        for e in &coded.events {
            let Ok(code) = taxonomy().get(&e.code) else { continue };
            let (date, precision, historical) =
                event_date(lex, &coded, e, &exprs, published, &mut reference, background_paragraph);
            sentence_background |= historical;
            let span = [offsets.char_index(e.span.0) as u32, offsets.char_index(e.span.1) as u32];
            let country = |c: &Option<String>| c.as_deref().and_then(|c| dict.country_of(c));
            let mut e = e.clone();
            note_act(&mut e, code.root(), &mut acts, dict);
            events.push(Event {
                id: event_id(&doc.id, &e, si, span[0]),
                date: date.truncate(precision),
                date_precision: precision,
                source_country: country(&e.source),
                target_country: country(&e.target),
                source: e.source.clone(),
                target: e.target.clone(),
                source_name: e.source_name.clone(),
                target_name: e.target_name.clone(),
                source_raw: None,
                target_raw: None,
                code: code.code.clone(),
                root_code: code.root().to_string(),
                directed: !e.symmetric,
                plover: code.plover.as_ref().map(|p| p.event.clone()),
                quad_class: code.quad(QuadScheme::Gdelt).unwrap_or(0),
                goldstein: code.goldstein_gdelt,
                location: place_of(finder, &coded, &e, text),
                topics: topics.clone(),
                historical,
                planned: e.planned,
                group: None,
                participants: Vec::new(),
                reported: Some(published),
                doc_id: Some(doc.id.clone()),
                sentence: Some(si as u32),
                evidence: Some(text[sent.start..sent.end].to_string()),
                span: Some(span),
                rule: Some(e.rule.clone()),
                mentions: 1,
                origin: Origin::Coder,
            });
        }
        // A sentence in the past perfect, or one reaching back ("since 2017"), is background; so
        // are the sentences after it in its paragraph.
        let perfect_sentence =
            coded.tokens.windows(2).any(|w| w[0].key == "had" && w[1].kind == TokenKind::Word && w[1].key != "to");
        background_paragraph |= perfect_sentence || exprs.iter().any(|x| time::is_background(&x.kind));
        // "Italy hosted the talks": hosting events toward the reported meeting's parties.
        if about_meeting {
            expand_hosting(&mut events, first_event, &meetings, &doc.id);
        }
        let _ = sentence_background;
        group_sentence(&doc.id, &coded, first_event, &mut events, &mut meetings);
        // "The discussions centered around …": the sentence's topics belong to the last meeting.
        if about_meeting && !topics.is_empty() {
            share_topics(&mut events, &meetings, &topics);
        }
        coref.update(&coded);
        if let Some(t) = trace.as_mut() {
            t.push(coded);
        }
    }
    merge_duplicates(events)
}

/// The date of an event, its precision and whether it is background: its clause's time
/// expression resolved against the publication date and `reference` (which an event dated to
/// the day moves), else the publication date, or the year before for background.
fn event_date(
    lex: &Lexicon,
    coded: &CodedSentence,
    e: &SentenceEvent,
    exprs: &[time::TimeExpr],
    published: Date,
    reference: &mut Date,
    background_paragraph: bool,
) -> (Date, DatePrecision, bool) {
    let direction = if e.planned { Direction::Future } else { Direction::Past };
    let when = date_of(coded, e, exprs);
    let resolved = when.and_then(|k| time::resolve(k, published, *reference, direction));
    let perfect = past_perfect(&coded.tokens, e.head);
    let mut historical = perfect || when.is_some_and(time::is_background);
    if let Some((d, _)) = resolved {
        if !e.planned && d < published.add_days(-31) {
            historical = true;
        }
    } else if background_paragraph && !e.planned && past_tense(&coded.tokens[e.head], lex) {
        // Background continues through its paragraph ("The country deployed …").
        historical = true;
    }
    let (date, precision) = match resolved {
        Some(x) => x,
        // Undated background is never placed at the publication date: the year before.
        None if historical => (Date::from_ymd(published.year() - 1, 1, 1).unwrap_or(published), DatePrecision::Year),
        None => (published, DatePrecision::Day),
    };
    // "a day earlier" counts from the last event dated to the day.
    if resolved.is_some() && precision == DatePrecision::Day && !historical {
        *reference = date;
    }
    (date, precision, historical)
}

/// An event's id: a hash of the document, the parties, the code, the sentence and where the
/// event starts in it.
fn event_id(doc_id: &str, e: &SentenceEvent, si: usize, start: u32) -> String {
    let mut h = Xxh3::new();
    for part in [doc_id, e.source.as_deref().unwrap_or(""), e.target.as_deref().unwrap_or(""), e.code.as_str()] {
        h.update(part.as_bytes());
        h.update(&[0]);
    }
    h.update(&(si as u64).to_le_bytes());
    h.update(&start.to_le_bytes());
    format!("coder:{:016x}", h.digest())
}

/// The same event told twice (same actors, code, date) is one event with its mentions counted;
/// the first sentence stays its provenance.
fn merge_duplicates(events: Vec<Event>) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    let mut seen: HashMap<ReportKey, usize> = HashMap::new();
    for e in events {
        let key = e.report_key();
        match seen.get(&key) {
            Some(&i) => {
                out[i].mentions += 1;
                for t in e.topics {
                    if !out[i].topics.contains(&t) {
                        out[i].topics.push(t);
                    }
                }
            }
            None => {
                seen.insert(key, out.len());
                out.push(e);
            }
        }
    }
    // An event without a target that repeats one with a target (same source, code, date) is a
    // mention of it.
    let mut keep = vec![true; out.len()];
    for i in 0..out.len() {
        if out[i].target.is_none()
            && let Some(j) = (0..out.len()).find(|&j| {
                j != i
                    && keep[j]
                    && out[j].target.is_some()
                    && out[j].source == out[i].source
                    && out[j].code == out[i].code
                    && out[j].date == out[i].date
            })
        {
            keep[i] = false;
            out[j].mentions += 1;
        }
    }
    out.into_iter().zip(keep).filter(|(_, k)| *k).map(|(e, _)| e).collect()
}
