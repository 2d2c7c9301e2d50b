//! Sentence events from the dependency tree: the lexicon's patterns matched over each
//! predicate's dependents (not over a window of tokens), and the frame's arguments turned into
//! sources and targets.
//!
//! A pattern's first word is its predicate; the words after it are looked for among the
//! predicate's dependents ("hold … talks (with T)": *talks* is an object of *hold*, *T* the
//! complement of *with*); a slot after a preposition is the complement that preposition marks; a
//! slot right after a verb is its object; `C` is the predicate's clausal complement ("urge T to
//! C") or the noun a preposition marks ("call for C"). Speech acts (`@frame`) take their code from
//! what their complement is about; categories are coded where they are the act itself.
//!
//! `aligned` lines the parse up with the coder's tokens and mentions, `matching` matches patterns
//! over a predicate's dependents, `clause` reads how a clause asserts its predicate and `parties`
//! finds sources and targets; this file turns the matches into events.

mod aligned;
mod clause;
mod matching;
mod parties;

pub(crate) use aligned::Aligned;

use super::engine::SentenceEvent;
use super::frames::{ClauseKind, Frame};
use super::lexicon::{Category, FrameKind, Lexicon, Owner};
use super::mentions::Mention;
use crate::domain::text::Token;
use clause::ClauseState;
use matching::{TreeMatch, content_category, matches_at};
use parties::{Content, parties};

/// Verbs whose coordinated subjects act on each other ("A and B agreed to restore relations").
const RECIPROCAL: &[&str] = &[
    "agree",
    "sign",
    "meet",
    "talk",
    "negotiate",
    "reconcile",
    "cooperate",
    "exchange",
    "clash",
    "fight",
    "restore",
    "normalize",
    "normalise",
    "establish",
    "resume",
    "settle",
    "trade",
    "swap",
];

/// Codes one parsed sentence's events. `vetoed` receives the token heads of pattern matches the
/// tree says are not acts (negated, hypothetical, conditions, states, a speech act's content).
pub(crate) fn events_of(
    a: &Aligned,
    lex: &Lexicon,
    frames: &[Frame],
    trace: &mut Vec<String>,
    vetoed: &mut Vec<usize>,
) -> Vec<SentenceEvent> {
    let n = a.s.words.len();
    let frame_at: Vec<Option<usize>> = {
        let mut v = vec![None; n];
        for (i, f) in frames.iter().enumerate() {
            v[f.predicate] = Some(i);
        }
        v
    };
    let (best, content_best) = best_matches(a, lex, frames, &frame_at, vetoed);
    let (consumed, content_of) = consumed_words(a, lex, &best);
    let mut out = Vec::new();
    for w in 0..n {
        let Some(m) = &best[w] else { continue };
        let pat = &lex.patterns[m.pattern];
        if consumed[w] {
            trace.push(format!("content {} (inside a frame's complement)", pat.rule));
            vetoed.push(a.tok_range[w].0);
            continue;
        }
        let frame = frame_at[w].map(|f| &frames[f]);
        let state = ClauseState::of(a, frames, frame, w);
        if let Some(why) = state.skip {
            trace.push(format!("skip {} ({why})", pat.rule));
            vetoed.push(a.tok_range[w].0);
            continue;
        }
        let (code, category) = match code_of(a, lex, m, &state, content_of[w], &content_best) {
            Ok(coded) => coded,
            Err(why) => {
                trace.push(why);
                vetoed.push(a.tok_range[w].0);
                continue;
            }
        };
        let content = content_of[w];
        let (sources, targets) =
            parties(a, lex, m, frame, frames, &state, Content { word: content, best: &content_best });
        // An object naming an act rather than an actor ("condemned the invasion", "backed it"):
        // the document resolves its author as the target.
        let pending_target = if targets.is_empty() { act_object(a, m, frame) } else { None };
        let predicate = a.s.words[w].lemma.to_lowercase();
        if sources.is_empty() && targets.is_empty() {
            trace.push(format!("skip {} (no actor)", pat.rule));
            continue;
        }
        let symmetric = category.is_some_and(|c| c.symmetric);
        if symmetric && targets.is_empty() && sources.len() < 2 {
            trace.push(format!("skip {} (a meeting needs two parties)", pat.rule));
            continue;
        }
        let planned = state.future && !state.refusal && !code.starts_with("03") && !code.starts_with("13");
        // A relative or participial clause is dated by its noun's words too ("a 2013 agreement
        // negotiated by Washington and Moscow").
        let scope_head = match frame {
            Some(f) if matches!(f.clause, ClauseKind::Relative | ClauseKind::Participial) && a.s.words[w].head > 0 => {
                a.s.words[w].head - 1
            }
            _ => w,
        };
        let (lo, hi) = a.subtree(scope_head);
        let nested = nested_clauses(a, frames, w, content);
        let complement = content.map(|c| a.tokens_of(a.subtree(c)));
        let head_tok = a.tok_range[w].0;
        let span = span_of(a, w, &sources, &targets);
        let reciprocal = symmetric
            || RECIPROCAL.contains(&a.s.words[w].lemma.to_lowercase().as_str())
            || content.is_some_and(|c| RECIPROCAL.contains(&a.s.words[c].lemma.to_lowercase().as_str()));
        let pairs = pairs(a.mentions, &sources, &targets, symmetric, reciprocal);
        // What the events of this match share; each pair and code fills in the rest.
        let shared = SentenceEvent {
            source: None,
            source_name: None,
            target: None,
            target_name: None,
            code: String::new(),
            rule: pat.rule.clone(),
            symmetric: false,
            planned,
            span,
            head: head_tok,
            clause: a.tokens_of((lo, hi)),
            complement,
            nested,
            predicate,
            pending_target,
            source_mention: None,
            target_mention: None,
            match_id: head_tok,
        };
        emit(a, &shared, variants(&code, planned, category), &pairs, symmetric, &mut out);
    }
    out
}

/// Best usable match per word: verbs and copular adjectives for verb patterns, nouns for
/// nominal ones; complement-only patterns only as content. Also the first category match per
/// word (what a speech act's complement may be about).
fn best_matches(
    a: &Aligned,
    lex: &Lexicon,
    frames: &[Frame],
    frame_at: &[Option<usize>],
    vetoed: &mut Vec<usize>,
) -> (Vec<Option<TreeMatch>>, Vec<Option<TreeMatch>>) {
    let n = a.s.words.len();
    let passive_at = |w: usize| frame_at[w].is_some_and(|f| frames[f].passive);
    let mut best: Vec<Option<TreeMatch>> = vec![None; n];
    let mut content_best: Vec<Option<TreeMatch>> = vec![None; n];
    for w in 0..n {
        let upos = a.s.words[w].upos;
        let all = matches_at(a, lex, w, passive_at(w));
        for m in all {
            let pat = &lex.patterns[m.pattern];
            let is_frame = matches!(pat.owner, Owner::Frame(_));
            let verbal = frame_at[w].is_some() || a.kids[w].iter().any(|&k| a.deprel(k) == "cop");
            let nominal_ok = pat.nominal || (is_frame && pat.elems.len() >= 3);
            if content_best[w].is_none() && matches!(pat.owner, Owner::Category(_)) {
                content_best[w] = Some(m.clone());
            }
            // A noun as the subject or object of a verb is what that verb is about ("condemned
            // the killing"), not an event of its own.
            let argument = matches!(a.deprel(w), "obj" | "nsubj" | "nsubj:pass" | "iobj");
            let usable = if pat.content_only {
                false
            } else if verbal {
                true
            } else {
                nominal_ok && matches!(upos, "NOUN" | "PROPN") && !argument
            };
            // The windows read such a noun as an event ("condemned the attack"): say no.
            if pat.nominal && argument && !verbal {
                vetoed.push(a.tok_range[w].0);
            }
            if usable && best[w].is_none() {
                best[w] = Some(m);
            }
        }
    }
    (best, content_best)
}

/// Speech acts own the acts inside their complement, and a category pattern the words it
/// names ("accused Syria of shelling …" is one accusation, not a shelling too): the words so
/// consumed, and each speech act's complement.
fn consumed_words(a: &Aligned, lex: &Lexicon, best: &[Option<TreeMatch>]) -> (Vec<bool>, Vec<Option<usize>>) {
    let n = a.s.words.len();
    let mut consumed = vec![false; n];
    let mut content_of: Vec<Option<usize>> = vec![None; n];
    for w in 0..n {
        let Some(m) = &best[w] else { continue };
        if !matches!(lex.patterns[m.pattern].owner, Owner::Frame(_)) {
            for &x in &m.anchors[1..] {
                consumed[x] = true;
            }
            if let Some(c) = m.content {
                let (lo, hi) = a.subtree(c);
                for (x, flag) in consumed.iter_mut().enumerate().take(hi + 1).skip(lo) {
                    if x != w {
                        *flag = true;
                    }
                }
            }
            continue;
        }
        let c = m.content.or_else(|| a.kids[w].iter().copied().find(|&k| matches!(a.deprel(k), "xcomp" | "ccomp")));
        if let Some(c) = c {
            content_of[w] = Some(c);
            let (lo, hi) = a.subtree(c);
            for (x, flag) in consumed.iter_mut().enumerate().take(hi + 1).skip(lo) {
                if x != w {
                    *flag = true;
                }
            }
        }
    }
    (consumed, content_of)
}

/// A match's code and category: a speech act's from what its complement (`content`) is about,
/// a category's from how its clause asserts it; else why it has none here (the trace line).
fn code_of<'l>(
    a: &Aligned,
    lex: &'l Lexicon,
    m: &TreeMatch,
    state: &ClauseState,
    content: Option<usize>,
    content_best: &[Option<TreeMatch>],
) -> Result<(String, Option<&'l Category>), String> {
    let pat = &lex.patterns[m.pattern];
    let (code, category) = match pat.owner {
        Owner::Frame(fi) => {
            let frame = &lex.frames[fi];
            let kind = if state.refusal {
                FrameKind::Reject
            } else if state.demanded_by.is_some() {
                FrameKind::Demand
            } else {
                frame.kind
            };
            if kind == FrameKind::Swallow {
                return Err(format!("swallow {} (its complement is not an act)", pat.rule));
            }
            let about = content.and_then(|c| content_category(a, c, content_best)).and_then(|x| {
                match lex.patterns[x.pattern].owner {
                    Owner::Category(ci) => Some(&lex.categories[ci]),
                    Owner::Frame(_) => None,
                }
            });
            (Some(frame.code(kind, about)), None)
        }
        Owner::Category(ci) => {
            let cat = &lex.categories[ci];
            (cat.code(state.refusal, state.demanded_by.is_some(), state.future), Some(cat))
        }
    };
    let Some(code) = code else {
        return Err(format!("skip {} (no code in this frame)", pat.rule));
    };
    Ok((code, category))
}

/// The lemma of an object that names an act rather than an actor (a noun, "it", "this", "that"
/// without a mention in it).
fn act_object(a: &Aligned, m: &TreeMatch, frame: Option<&Frame>) -> Option<String> {
    m.target
        .or_else(|| frame.and_then(|f| f.objects.first().copied()))
        .filter(|&o| {
            a.word_mentions[o].is_empty()
                && (a.s.words[o].upos == "NOUN" || matches!(a.keys[o].as_str(), "it" | "this" | "that"))
        })
        .map(|o| a.s.words[o].lemma.to_lowercase())
}

/// Byte range of an event in the document: its predicate word and its parties' mentions.
fn span_of(a: &Aligned, w: usize, sources: &[usize], targets: &[usize]) -> (usize, usize) {
    let head_tok = a.tok_range[w].0;
    let mut span_words: Vec<(usize, usize)> = vec![(a.toks[head_tok].start, a.toks[a.tok_range[w].1].end)];
    for &mi in sources.iter().chain(targets) {
        let mm = &a.mentions[mi];
        span_words.push((a.toks[mm.start].start, a.toks[mm.end - 1].end));
    }
    (span_words.iter().map(|x| x.0).min().unwrap_or(0), span_words.iter().map(|x| x.1).max().unwrap_or(0))
}

/// Adds to `out` one event per code (`variants`) and pair of parties that makes a record, each
/// `shared` with its parties, code and planned flag filled in.
fn emit(
    a: &Aligned,
    shared: &SentenceEvent,
    variants: Vec<(String, bool)>,
    pairs: &[(Option<usize>, Option<usize>, bool)],
    symmetric: bool,
    out: &mut Vec<SentenceEvent>,
) {
    for (code, planned) in variants {
        for &(src, tgt, sym) in pairs {
            if one_side(a.mentions, src, tgt) {
                continue;
            }
            let mention = |i: usize| mention_code_and_text(a.text, a.toks, &a.mentions[i]);
            let (source, source_name) = src.map(mention).map_or((None, None), |(c, t)| (Some(c), Some(t)));
            let (target, target_name) = tgt.map(mention).map_or((None, None), |(c, t)| (Some(c), Some(t)));
            // A meeting is between two parties.
            if symmetric && (src.is_none() || tgt.is_none()) {
                continue;
            }
            // Nobody named on either side ("? → ---CVL"): no event worth a record.
            let named = |m: Option<usize>| {
                m.is_some_and(|i| a.mentions[i].country.as_deref().is_some_and(|c| !c.starts_with('-')))
            };
            if !named(src) && !named(tgt) {
                continue;
            }
            // A country acting on its own government or the reverse ("Britain … Britain's
            // envoy"): the parse joined two mentions of one side.
            if let (Some(x), Some(y)) = (src, tgt) {
                let (mx, my) = (&a.mentions[x], &a.mentions[y]);
                if mx.country.is_some() && mx.country == my.country && (mx.code.len() == 3 || my.code.len() == 3) {
                    continue;
                }
            }
            let ev = SentenceEvent {
                source,
                source_name,
                target,
                target_name,
                code: code.clone(),
                symmetric: sym,
                planned,
                source_mention: src,
                target_mention: tgt,
                ..shared.clone()
            };
            push_new(out, ev);
        }
    }
}

/// Who acts on whom: pairs of mention indexes and whether the pair is symmetric; coordinated
/// subjects without a target act on each other only when `reciprocal`.
pub(super) fn pairs(
    mentions: &[Mention],
    sources: &[usize],
    targets: &[usize],
    symmetric: bool,
    reciprocal: bool,
) -> Vec<(Option<usize>, Option<usize>, bool)> {
    let mut out = Vec::new();
    if symmetric && sources.is_empty() && targets.len() >= 2 {
        for x in 0..targets.len() {
            for y in x + 1..targets.len() {
                out.push((Some(targets[x]), Some(targets[y]), true));
            }
        }
    } else if symmetric && targets.is_empty() && sources.len() >= 2 {
        for x in 0..sources.len() {
            for y in x + 1..sources.len() {
                out.push((Some(sources[x]), Some(sources[y]), true));
            }
        }
    } else if reciprocal
        && targets.is_empty()
        && sources.len() >= 2
        && mentions[sources[0]].code != mentions[sources[1]].code
    {
        // "A and B agreed to restore relations": each party to the other.
        for &x in sources {
            for &y in sources {
                if x != y {
                    out.push((Some(x), Some(y), false));
                }
            }
        }
    } else if sources.is_empty() {
        out.extend(targets.iter().map(|&t| (None, Some(t), false)));
    } else if targets.is_empty() {
        out.extend(sources.iter().map(|&s| (Some(s), None, false)));
    } else {
        for &s in sources {
            for &t in targets {
                out.push((Some(s), Some(t), symmetric));
            }
        }
    }
    out
}

/// The codes and planned flags one act is recorded under: a scheduled act announced for the
/// future is two events, the planned act and today's announcement of the intent ("will visit
/// Albania in June": 042 planned, and 036).
pub(super) fn variants(code: &str, planned: bool, category: Option<&Category>) -> Vec<(String, bool)> {
    let mut out = vec![(code.to_string(), planned)];
    if planned
        && category.is_some_and(|c| c.scheduled)
        && let Some(intent) = category.and_then(|c| c.frames.get(&FrameKind::Intent))
    {
        out.push((intent.clone(), false));
    }
    out
}

/// True when a source and target are one side: the same code (roles without a country apart),
/// or a place in the source's own country ("will visit the Eritrean port").
pub(super) fn one_side(mentions: &[Mention], src: Option<usize>, tgt: Option<usize>) -> bool {
    let (Some(x), Some(y)) = (src, tgt) else { return false };
    let (mx, my) = (&mentions[x], &mentions[y]);
    (mx.code == my.code && !mx.code.starts_with("---"))
        || (my.locative && mx.country.is_some() && mx.country == my.country)
}

/// Adds an event unless the same act between the same parties is already there.
pub(super) fn push_new(out: &mut Vec<SentenceEvent>, ev: SentenceEvent) {
    let dup = out.iter().any(|o| {
        o.code == ev.code
            && ((o.source == ev.source && o.target == ev.target)
                || (ev.symmetric && o.symmetric && o.source == ev.target && o.target == ev.source))
    });
    if !dup {
        out.push(ev);
    }
}

/// A mention's code and its words as written.
pub(super) fn mention_code_and_text(text: &str, toks: &[Token], m: &Mention) -> (String, String) {
    (m.code.clone(), text[toks[m.start].start..toks[m.end - 1].end].to_string())
}

/// Token ranges of the clauses nested in a predicate's clause that carry their own time and
/// place: relative, participial, adverbial and reported clauses, and coordinated clauses with a
/// subject of their own (the content of a speech act is its `complement`).
fn nested_clauses(a: &Aligned, frames: &[Frame], w: usize, content: Option<usize>) -> Vec<(usize, usize)> {
    let (lo, hi) = a.subtree(w);
    let mut out = Vec::new();
    for f in frames {
        let p = f.predicate;
        if p == w || p < lo || p > hi || Some(p) == content {
            continue;
        }
        // Adverbial clauses stay in: "imposed sanctions after Moscow annexed Crimea in March" is
        // dated by its "after" clause.
        let own = matches!(f.clause, ClauseKind::Relative | ClauseKind::Participial | ClauseKind::Complement)
            || (a.deprel(p) == "conj" && a.kids[p].iter().any(|&k| a.deprel(k).starts_with("nsubj")));
        if own {
            out.push(a.tokens_of(a.subtree(p)));
        }
    }
    // Nouns' relative and participial clauses that have no verb frame ("a deal signed in 2019").
    out
}
