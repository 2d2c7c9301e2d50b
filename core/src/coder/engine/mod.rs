//! Matching lexicon patterns in a sentence and turning matches into events.
//!
//! `mod.rs` holds the sentence record and `code_sentence_with`, which reads a sentence from its
//! tree where there is one and adds what the token windows alone find; the token-window coder
//! is split by step: `context` (clauses, subjects, objects, sayers), `verb` (negation, modality,
//! voice, nouns that look like verbs), `window` (matching patterns over tokens) and
//! `window_events` (matches turned into events).

mod context;
mod verb;
mod window;
mod window_events;

use super::lexicon::Lexicon;
use super::mentions::{Mention, MentionFinder, keep_actors};
use crate::domain::date::Date;
use crate::domain::text::{Token, TokenKind, tokenize};
use crate::syntax::ParsedSentence;

/// One event found in a sentence, before it becomes a canonical record.
#[derive(Debug, Clone, PartialEq)]
pub struct SentenceEvent {
    /// Source actor code.
    pub source: Option<String>,
    /// Source text.
    pub source_name: Option<String>,
    /// Target actor code.
    pub target: Option<String>,
    /// Target text.
    pub target_name: Option<String>,
    /// CAMEO code.
    pub code: String,
    /// The lexicon rule.
    pub rule: String,
    /// Symmetric (a reciprocal consultation).
    pub symmetric: bool,
    /// An announced future act.
    pub planned: bool,
    /// Byte range of the event in the document.
    pub span: (usize, usize),
    /// Token index of the head word in the sentence.
    pub head: usize,
    /// Token range of the event's clause.
    pub clause: (usize, usize),
    /// Token range of a frame's complement (what was appealed for, threatened…).
    pub complement: Option<(usize, usize)>,
    /// Token ranges of clauses inside the event's clause that have their own time and place
    /// (relative, participial, adverbial, reported).
    pub nested: Vec<(usize, usize)>,
    /// The lemma of the predicate word ("invade"), when read from the tree.
    pub predicate: String,
    /// Without a target: the act its object names instead ("condemned *the invasion*",
    /// "supported *it*"), whose author the document resolves as the target.
    pub pending_target: Option<String>,
    /// The source's mention index in the sentence.
    pub source_mention: Option<usize>,
    /// The target's mention index in the sentence.
    pub target_mention: Option<usize>,
    /// Events from one match (the pairs of a meeting, both sides of a mediation) share this.
    pub match_id: usize,
}

/// A sentence with its tokens, actor mentions and events.
#[derive(Debug, Clone)]
pub struct CodedSentence {
    /// Byte range in the document.
    pub start: usize,
    /// End of the range.
    pub end: usize,
    /// Tokens (offsets into the document).
    pub tokens: Vec<Token>,
    /// Actor mentions.
    pub mentions: Vec<Mention>,
    /// Events.
    pub events: Vec<SentenceEvent>,
    /// Matches that were not coded, and why.
    pub trace: Vec<String>,
}

struct Sent<'a> {
    text: &'a str,
    toks: Vec<Token>,
    /// Base forms of each token (usually one).
    lemmas: Vec<Vec<String>>,
    mentions: Vec<Mention>,
    /// For each token, the mention starting there.
    starts: Vec<Option<usize>>,
}

fn is_clause_punct(t: &Token) -> bool {
    t.kind == TokenKind::Punct && matches!(t.key.as_str(), "," | ";" | ":" | "(" | ")" | "\"" | "-" | "[" | "]")
}

impl Sent<'_> {
    fn n(&self) -> usize {
        self.toks.len()
    }
    fn key(&self, i: usize) -> &str {
        self.toks.get(i).map_or("", |t| t.key.as_str())
    }
    fn word_matches(&self, ws: &[(String, bool)], i: usize) -> bool {
        self.word_len(ws, i).is_some()
    }

    /// How many tokens one of the words covers at `i`: hyphenated words ("cease-fire") span
    /// the tokens the hyphen split.
    fn word_len(&self, ws: &[(String, bool)], i: usize) -> Option<usize> {
        let t = self.toks.get(i)?;
        if t.kind == TokenKind::Punct {
            return None;
        }
        for (w, exact) in ws {
            if w.contains('-') {
                let parts: Vec<&str> = w.split('-').collect();
                let ok = parts.iter().enumerate().all(|(k, p)| {
                    self.toks.get(i + k).is_some_and(|x| {
                        (k == 0 || x.hyphen_before)
                            && (x.key == *p
                                || (!exact && k + 1 == parts.len() && self.lemmas[i + k].iter().any(|l| l == p)))
                    })
                });
                if ok {
                    return Some(parts.len());
                }
            } else if t.key == *w || (!exact && self.lemmas[i].iter().any(|l| l == w)) {
                return Some(1);
            }
        }
        None
    }
}

/// Codes one sentence (the `sentence` range of `text`), letting `resolve` add actor mentions
/// first (coreference); with a syntax model, from the sentence's dependency tree, else from
/// token windows.
pub(crate) fn code_sentence_with(
    finder: &MentionFinder,
    lex: &Lexicon,
    syntax: Option<&crate::syntax::SyntaxModel>,
    text: &str,
    sentence: std::ops::Range<usize>,
    date: Date,
    resolve: &mut dyn FnMut(&[Token], &mut Vec<Mention>),
) -> CodedSentence {
    let std::ops::Range { start, end } = sentence;
    let slice = &text[start..end];
    let mut toks = tokenize(slice);
    for t in &mut toks {
        t.start += start;
        t.end += start;
    }
    let lemmas: Vec<Vec<String>> = toks.iter().map(|t| lex.lemmas.lemmas(&t.key)).collect();
    let mut mentions = keep_actors(finder.find(&toks, text, date));
    resolve(&toks, &mut mentions);
    mentions.sort_by_key(|m| (m.start, m.end));
    let mut starts = vec![None; toks.len()];
    for (i, m) in mentions.iter().enumerate().rev() {
        starts[m.start] = Some(i);
    }
    let s = Sent { text, toks, lemmas, mentions, starts };
    let mut trace = Vec::new();
    let events = match syntax {
        Some(model) => match model.parse_span(text, start, end) {
            Some(parsed) => tree_and_window_events(lex, &s, parsed, &mut trace),
            None => Vec::new(),
        },
        None => window_events::events_of(lex, &s, &mut trace),
    };
    CodedSentence { start, end, tokens: s.toks.clone(), mentions: s.mentions.clone(), events, trace }
}

/// A sentence's events read from its dependency tree, with what the token windows add.
fn tree_and_window_events(
    lex: &Lexicon,
    s: &Sent,
    mut parsed: ParsedSentence,
    trace: &mut Vec<String>,
) -> Vec<SentenceEvent> {
    super::frames::repair(&mut parsed);
    let frames = super::frames::frames(&parsed);
    let aligned = super::events::Aligned::new(&parsed, s.text, &s.toks, &s.mentions);
    let mut vetoed = Vec::new();
    let mut events = super::events::events_of(&aligned, lex, &frames, trace, &mut vetoed);
    add_window_events(lex, s, &mut events, vetoed, trace);
    events
}

/// Adds the token windows' events to the tree's: `vetoed` holds the token heads the tree says
/// are not acts.
fn add_window_events(
    lex: &Lexicon,
    s: &Sent,
    events: &mut Vec<SentenceEvent>,
    vetoed: Vec<usize>,
    trace: &mut Vec<String>,
) {
    // Where the tree found no event and raised no objection, the token windows may
    // still have one (news parses fail most on long subjects and headlines).
    let mut windows_trace = Vec::new();
    let tree_heads: Vec<usize> = events.iter().map(|t| t.head).chain(vetoed).collect();
    // An actor the tree made the author of another act here ("a deal mediated by the
    // UAE") is no party of this one, whatever the windows say.
    let authors: Vec<(usize, usize)> = events.iter().filter_map(|t| t.source_mention.map(|m| (t.head, m))).collect();
    let author_elsewhere =
        |head: usize, m: Option<usize>| m.is_some_and(|m| authors.iter().any(|&(h, a)| a == m && h != head));
    for e in window_events::events_of(lex, s, &mut windows_trace) {
        // Where both read an act at one word, the tree decides; a side the tree
        // left empty is taken from the windows' reading of the same act.
        if tree_heads.contains(&e.head) {
            // A party the parse lost in a coordination ("between the Assad regime and
            // Turkey"): the windows' other pairs of the same act by the same source.
            let same_act = |t: &SentenceEvent| t.head == e.head && t.code == e.code && t.source == e.source;
            if e.target.is_some()
                && !author_elsewhere(e.head, e.target_mention)
                && events.iter().any(|t| same_act(t) && t.target.is_some())
                && !events.iter().any(|t| same_act(t) && t.target == e.target)
            {
                trace.push(format!("party from token windows: {}", e.rule));
                events.push(e);
                continue;
            }
            for t in events.iter_mut().filter(|t| t.head == e.head && t.code.get(..2) == e.code.get(..2)) {
                if t.target.is_none()
                    && t.pending_target.is_none()
                    && e.target.is_some()
                    && e.target != t.source
                    && !author_elsewhere(e.head, e.target_mention)
                {
                    t.target = e.target.clone();
                    t.target_name = e.target_name.clone();
                    t.target_mention = e.target_mention;
                    t.pending_target = None;
                }
                if t.source.is_none() && e.source.is_some() && e.source != t.target {
                    t.source = e.source.clone();
                    t.source_name = e.source_name.clone();
                    t.source_mention = e.source_mention;
                }
            }
            continue;
        }
        let dup = events.iter().any(|t| t.code == e.code && t.source == e.source && t.target == e.target);
        if !dup {
            trace.push(format!("from token windows: {}", e.rule));
            events.push(e);
        }
    }
}
