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

use super::engine::SentenceEvent;
use super::frames::{ClauseKind, Frame, Modality};
use super::lexicon::{Category, Elem, FrameKind, Lexicon, Owner};
use super::mentions::Mention;
use crate::domain::text::Token;
use crate::syntax::ParsedSentence;

/// Verbs whose controlled complement is announced for the future ("is expected to visit",
/// "plans to sign").
const PLANNING: &[&str] = &["expect", "plan", "schedule", "set", "due", "prepare", "intend", "hope"];
/// Adverbs that make an act an ongoing state ("currently holds").
const ONGOING: &[&str] = &["currently", "still", "presently"];
/// Words that make an adverbial clause a condition.
const CONDITION: &[&str] = &["if", "unless", "whether"];
/// Verbs of saying: "X said Y must V" is X's demand of Y.
const SAYING: &[&str] = &[
    "say",
    "declare",
    "reiterate",
    "insist",
    "state",
    "announce",
    "tell",
    "stress",
    "emphasize",
    "emphasise",
    "add",
    "write",
    "claim",
    "maintain",
    "underline",
    "argue",
    "assert",
    "repeat",
    "note",
];
/// Prepositions whose complement can be an act's target when the pattern names none.
const TARGET_PREPOSITIONS: &[&str] =
    &["with", "to", "against", "on", "at", "from", "toward", "towards", "into", "between", "for", "upon"];

/// A parsed sentence aligned with the coder's tokens and actor mentions.
pub(crate) struct Aligned<'a> {
    s: &'a ParsedSentence<'a>,
    /// The document the offsets point into.
    text: &'a str,
    toks: &'a [Token],
    mentions: &'a [Mention],
    kids: Vec<Vec<usize>>,
    /// Folded form of each word.
    keys: Vec<String>,
    /// Each word's first and last token.
    tok_range: Vec<(usize, usize)>,
    /// Each mention's head word.
    mention_head: Vec<Option<usize>>,
    /// For each word, the mentions it belongs to.
    word_mentions: Vec<Vec<usize>>,
}

impl<'a> Aligned<'a> {
    /// Aligns a parse with the tokens and mentions of the same sentence (offsets in one text).
    pub(crate) fn new(
        s: &'a ParsedSentence<'a>,
        text: &'a str,
        toks: &'a [Token],
        mentions: &'a [Mention],
    ) -> Aligned<'a> {
        let n = s.words.len();
        let mut kids = vec![Vec::new(); n];
        for (i, w) in s.words.iter().enumerate() {
            if w.head > 0 && w.head <= n {
                kids[w.head - 1].push(i);
            }
        }
        let mut tok_range = Vec::with_capacity(n);
        let mut keys = Vec::with_capacity(n);
        // Words and tokens both run in text order: one pass over the tokens.
        let mut at = 0;
        for w in &s.words {
            while at + 1 < toks.len() && toks[at].end <= w.start {
                at += 1;
            }
            let first = at;
            let mut last = first;
            while last + 1 < toks.len() && toks[last + 1].start < w.end {
                last += 1;
            }
            tok_range.push((first, last));
            let key = match toks.get(first) {
                Some(t) if first == last && t.start == w.start && t.end == w.end => t.key.clone(),
                _ => crate::domain::text::tokenize(&w.form).into_iter().map(|t| t.key).collect::<Vec<_>>().join(""),
            };
            keys.push(key);
        }
        let mut word_mentions = vec![Vec::new(); n];
        let mut mention_head = Vec::with_capacity(mentions.len());
        for (mi, m) in mentions.iter().enumerate() {
            let (Some(a), Some(b)) = (toks.get(m.start), toks.get(m.end.saturating_sub(1))) else {
                mention_head.push(None);
                continue;
            };
            let inside: Vec<usize> = (0..n).filter(|&i| s.words[i].start < b.end && s.words[i].end > a.start).collect();
            for &i in &inside {
                word_mentions[i].push(mi);
            }
            let head = inside.iter().rev().find(|&&i| {
                let h = s.words[i].head;
                h == 0 || !inside.contains(&(h - 1))
            });
            mention_head.push(head.copied());
        }
        Aligned { s, text, toks, mentions, kids, keys, tok_range, mention_head, word_mentions }
    }

    fn deprel(&self, i: usize) -> &str {
        self.s.words[i].deprel
    }

    /// True when pattern words match word `i`.
    fn word_matches(&self, lex: &Lexicon, ws: &[(String, bool)], i: usize) -> bool {
        let key = &self.keys[i];
        ws.iter().any(|(w, exact)| {
            if let Some((first, last)) = w.rsplit_once('-') {
                // "cease-fire" split into "cease", "-", "fire": the last part here, the rest
                // written right before it.
                return i >= 2
                    && self.keys[i - 1] == "-"
                    && self.s.words[i - 1].start == self.s.words[i - 2].end
                    && self.s.words[i].start == self.s.words[i - 1].end
                    && self.keys[i - 2] == first.rsplit('-').next().unwrap_or(first)
                    && (key == last || (!exact && lex.lemmas.has_base(key, last)));
            }
            key == w || (!exact && (self.s.words[i].lemma.eq_ignore_ascii_case(w) || lex.lemmas.has_base(key, w)))
        })
    }

    /// The words marking a dependent: its `case` and `mark` children and their `fixed` parts.
    fn markers(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.kids[i].iter().filter(move |&&k| matches!(self.deprel(k), "case" | "mark")).flat_map(move |&k| {
            std::iter::once(k).chain(self.kids[k].iter().copied().filter(|&f| self.deprel(f) == "fixed"))
        })
    }

    /// Actor mentions standing for word `i`: the mentions it heads or belongs to, else the nearest
    /// in its noun phrase through possessors, nominal modifiers, appositions and compounds ("the
    /// foreign minister of Iran", "Kenzo Oshima, the United Nations relief coordinator").
    fn actors_of(&self, i: usize) -> Vec<usize> {
        let own: Vec<usize> = {
            let headed: Vec<usize> =
                self.word_mentions[i].iter().copied().filter(|&m| self.mention_head[m] == Some(i)).collect();
            if headed.is_empty() { self.word_mentions[i].clone() } else { headed }
        };
        // A title standing apart from its name ("Secretary of State Rex Tillerson" read as two
        // mentions, the title heading the phrase): the named one.
        let weak = !own.is_empty() && own.iter().all(|&m| self.mentions[m].weak);
        if !own.is_empty() && !weak {
            return own;
        }
        let mut level = vec![i];
        for _ in 0..3 {
            let next: Vec<usize> = level
                .iter()
                .flat_map(|&x| self.kids[x].iter().copied())
                .filter(|&k| {
                    let rel = self.deprel(k);
                    (rel.starts_with("nmod") || matches!(rel, "appos" | "compound" | "amod" | "flat"))
                        && !self.markers(k).any(|c| {
                            matches!(self.keys[c].as_str(), "in" | "at" | "near" | "to" | "with" | "against" | "for")
                        })
                })
                .collect();
            for &k in &next {
                let found: Vec<usize> = self.word_mentions[k]
                    .iter()
                    .copied()
                    .filter(|&m| !self.mentions[m].locative && !(weak && self.mentions[m].weak))
                    .collect();
                if !found.is_empty() {
                    return found;
                }
            }
            level = next;
        }
        own
    }

    /// The nearest actor mention before word `w` whose head no clause takes as its object or
    /// complement, with the mentions coordinated with it.
    fn unclaimed_before(&self, frames: &[Frame], w: usize) -> Vec<usize> {
        let claimed = |h: usize| {
            frames
                .iter()
                .any(|f| f.objects.contains(&h) || f.recipients.contains(&h) || f.obliques.iter().any(|o| o.1 == h))
        };
        let mut best: Option<usize> = None;
        for (mi, m) in self.mentions.iter().enumerate() {
            let Some(h) = self.mention_head[mi] else { continue };
            if h >= w || m.locative || claimed(h) {
                continue;
            }
            if best.is_none_or(|b| !m.weak || self.mentions[b].weak) {
                best = Some(mi);
            }
        }
        let Some(b) = best else { return Vec::new() };
        let head = self.mention_head[b].unwrap_or(0);
        // "Lula and Fernandez": the first conjunct heads the others.
        let first = if self.deprel(head) == "conj" { self.s.words[head].head.saturating_sub(1) } else { head };
        let group = self.actors(&self.with_conjuncts(first), false);
        if group.is_empty() { vec![b] } else { group }
    }

    /// The first non-place actor after word `w` inside its subtree, outside clauses nested in it
    /// that have subjects of their own, and not among `exclude`; with its conjuncts.
    fn first_actor_in_clause(&self, frames: &[Frame], w: usize, exclude: &[usize]) -> Vec<usize> {
        let (lo, hi) = self.subtree(w);
        let nested: Vec<(usize, usize)> = frames
            .iter()
            .filter(|f| f.predicate != w && f.predicate > lo && f.predicate <= hi)
            .filter(|f| !f.actors.is_empty() && !matches!(f.clause, ClauseKind::Control))
            .map(|f| self.subtree(f.predicate))
            .filter(|&(a, b)| !(a <= w && w <= b))
            .collect();
        for x in w + 1..=hi {
            if nested.iter().any(|&(a, b)| a <= x && x <= b) {
                continue;
            }
            let found: Vec<usize> = self.word_mentions[x]
                .iter()
                .copied()
                .filter(|&m| self.mention_head[m] == Some(x) && !self.mentions[m].locative && !exclude.contains(&m))
                .collect();
            if !found.is_empty() {
                let mut group = Vec::new();
                for c in self.with_conjuncts(x) {
                    for m in self.actors_of(c) {
                        if !self.mentions[m].locative && !exclude.contains(&m) && !group.contains(&m) {
                            group.push(m);
                        }
                    }
                }
                return if group.is_empty() { found } else { group };
            }
        }
        Vec::new()
    }

    /// Mentions of several words, in order, without repeats; places left out unless allowed. A
    /// mention whose words have conjuncts outside it brings theirs along ("Foreign ministers from
    /// Turkiye, Syria, Russia, and Iran": one mention, then three).
    fn actors(&self, words: &[usize], places: bool) -> Vec<usize> {
        let mut out = Vec::new();
        let add = |m: usize, out: &mut Vec<usize>| {
            if (places || !self.mentions[m].locative) && !out.contains(&m) {
                out.push(m);
            }
        };
        for &w in words {
            for m in self.actors_of(w) {
                add(m, &mut out);
                let inside: Vec<usize> =
                    (0..self.s.words.len()).filter(|&x| self.word_mentions[x].contains(&m)).collect();
                for &x in &inside {
                    for c in self.with_conjuncts(x).into_iter().skip(1) {
                        if !inside.contains(&c) {
                            for m2 in self.word_mentions[c].clone() {
                                add(m2, &mut out);
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// Word `i` and the words coordinated with it.
    fn with_conjuncts(&self, i: usize) -> Vec<usize> {
        let mut out = vec![i];
        let mut k = 0;
        while k < out.len() {
            for &c in &self.kids[out[k]] {
                if self.deprel(c) == "conj" && !out.contains(&c) {
                    out.push(c);
                }
            }
            k += 1;
        }
        out
    }

    /// First and last word of the subtree of `i`.
    fn subtree(&self, i: usize) -> (usize, usize) {
        let (mut lo, mut hi) = (i, i);
        let mut stack = vec![i];
        while let Some(x) = stack.pop() {
            lo = lo.min(x);
            hi = hi.max(x);
            stack.extend(&self.kids[x]);
        }
        (lo, hi)
    }

    /// Token range (end exclusive) of a word range.
    fn tokens_of(&self, (lo, hi): (usize, usize)) -> (usize, usize) {
        (self.tok_range[lo].0, self.tok_range[hi].1 + 1)
    }
}

/// A pattern matched at a predicate.
#[derive(Debug, Clone, Default)]
struct TreeMatch {
    pattern: usize,
    head: usize,
    /// Words the pattern's words matched (the head first).
    anchors: Vec<usize>,
    target: Option<usize>,
    source: Option<usize>,
    content: Option<usize>,
    /// Pattern words matched: more specific patterns win at one head.
    weight: usize,
}

/// Matches pattern elements from `idx` on, with `m` holding what is matched so far.
fn match_elems(a: &Aligned, lex: &Lexicon, elems: &[Elem], passive: bool, m: &mut TreeMatch) -> bool {
    match_from(a, lex, elems, passive, m, false)
}

/// Relations a word after `...` may be reached through: inside the predicate's arguments
/// ("expelled dozens of Russian diplomats": *diplomats* under *dozens*).
fn nominal(rel: &str) -> bool {
    matches!(
        rel.split(':').next().unwrap_or(rel),
        "obj" | "obl" | "nmod" | "compound" | "amod" | "conj" | "appos" | "flat" | "nummod" | "iobj"
    )
}

fn match_from(a: &Aligned, lex: &Lexicon, elems: &[Elem], passive: bool, m: &mut TreeMatch, after_gap: bool) -> bool {
    let Some((e, rest)) = elems.split_first() else { return true };
    match e {
        Elem::Gap => match_from(a, lex, rest, passive, m, true),
        Elem::Optional(inner) => {
            let mut with = inner.clone();
            with.extend_from_slice(rest);
            let saved = m.clone();
            if match_from(a, lex, &with, passive, m, after_gap) {
                return true;
            }
            *m = saved;
            match_from(a, lex, rest, passive, m, after_gap)
        }
        Elem::Word(ws) => {
            let slot_follows = matches!(rest.first(), Some(Elem::Target | Elem::Source | Elem::Content));
            if slot_follows {
                // A preposition or complementizer: the slot is the dependent it marks.
                let candidates: Vec<usize> = m
                    .anchors
                    .iter()
                    .flat_map(|&x| a.kids[x].iter().copied())
                    .filter(|&d| a.markers(d).any(|c| a.word_matches(lex, ws, c)))
                    .collect();
                for d in candidates {
                    let saved = m.clone();
                    m.weight += 2;
                    if fill_slot(&rest[0], d, m) && match_elems(a, lex, &rest[1..], passive, m) {
                        return true;
                    }
                    *m = saved;
                }
            }
            // A word among the anchors' dependents, or a particle or preposition one level down;
            // after `...`, anywhere in the anchors' arguments up to three levels down.
            let mut candidates: Vec<usize> = Vec::new();
            for &x in &m.anchors {
                let mut level: Vec<usize> = vec![x];
                for depth in 0..if after_gap { 3 } else { 1 } {
                    let mut next = Vec::new();
                    for &y in &level {
                        for &d in &a.kids[y] {
                            if a.deprel(d) == "punct" || (depth > 0 && !nominal(a.deprel(d))) {
                                continue;
                            }
                            candidates.push(d);
                            candidates.extend(a.markers(d));
                            next.push(d);
                        }
                    }
                    level = next;
                }
            }
            candidates.retain(|&d| !m.anchors.contains(&d) && a.word_matches(lex, ws, d));
            for d in candidates {
                let saved = m.clone();
                m.anchors.push(d);
                m.weight += 2;
                if match_elems(a, lex, rest, passive, m) {
                    return true;
                }
                *m = saved;
            }
            false
        }
        Elem::Target | Elem::Source | Elem::Content => {
            let last = m.anchors.last().copied().unwrap_or(m.head);
            let verb = last == m.head;
            let rels: &[&str] = match e {
                Elem::Content => &["xcomp", "ccomp", "obj", "advcl", "acl"],
                // The target of a passive is its subject ("was invited").
                _ if verb && passive => &["nsubj:pass"],
                _ => &["obj", "iobj"],
            };
            for rel in rels {
                let found: Vec<usize> =
                    a.kids[last].iter().copied().filter(|&d| a.deprel(d) == *rel && !m.anchors.contains(&d)).collect();
                for d in found {
                    let saved = m.clone();
                    m.weight += 1;
                    if fill_slot(e, d, m) && match_elems(a, lex, rest, passive, m) {
                        return true;
                    }
                    *m = saved;
                }
            }
            false
        }
    }
}

fn fill_slot(e: &Elem, word: usize, m: &mut TreeMatch) -> bool {
    let slot = match e {
        Elem::Target => &mut m.target,
        Elem::Source => &mut m.source,
        Elem::Content => &mut m.content,
        _ => return false,
    };
    if slot.is_some() {
        return false;
    }
    *slot = Some(word);
    true
}

/// Every pattern that matches at word `head`, best first.
fn matches_at(a: &Aligned, lex: &Lexicon, head: usize, passive: bool) -> Vec<TreeMatch> {
    let mut cands: Vec<usize> = Vec::new();
    let key = &a.keys[head];
    let lemma = a.s.words[head].lemma.to_lowercase();
    let mut keys = vec![key.clone(), lemma];
    keys.extend(lex.lemmas.lemmas(key));
    // The last part of a hyphenated word is looked up by the joined word ("cease-fire").
    if head >= 2 && a.keys[head - 1] == "-" {
        let first = a.keys[head - 2].clone();
        keys.extend(lex.lemmas.lemmas(key).into_iter().map(|l| format!("{first}-{l}")));
        keys.push(format!("{first}-{key}"));
    }
    for k in keys {
        if let Some(ps) = lex.by_head.get(&k) {
            cands.extend_from_slice(ps);
        }
    }
    // In file order: on an equal weight the earlier pattern wins.
    cands.sort_unstable();
    cands.dedup();
    let try_patterns = |ps: &mut dyn Iterator<Item = usize>, out: &mut Vec<TreeMatch>| {
        for p in ps {
            let pat = &lex.patterns[p];
            let Some(Elem::Word(ws)) = pat.elems.first() else { continue };
            if !a.word_matches(lex, ws, head) {
                continue;
            }
            let mut m = TreeMatch { pattern: p, head, anchors: vec![head], weight: 2, ..Default::default() };
            if match_elems(a, lex, &pat.elems[1..], passive, &mut m) {
                out.push(m);
            }
        }
    };
    let mut out = Vec::new();
    try_patterns(&mut cands.iter().copied().filter(|&p| !lex.patterns[p].fallback), &mut out);
    // Fallback patterns (the converted verb dictionary) only where ours match nothing, and only
    // at verbs, but not at a verb with a clausal complement: "announced that they will withdraw"
    // is a speech act the frames read, and a converted pattern would code the wrapper and lose
    // what was said.
    let says = a.kids[head].iter().any(|&k| a.deprel(k) == "ccomp");
    if out.is_empty() && !says && a.s.words[head].upos == "VERB" {
        try_patterns(&mut cands.iter().copied().filter(|&p| lex.patterns[p].fallback), &mut out);
    }
    // "be ready to C": the copula's adjective is the head in the tree.
    if a.kids[head].iter().any(|&k| a.deprel(k) == "cop")
        && let Some(ps) = lex.by_head.get("be")
    {
        {
            for &p in ps {
                let pat = &lex.patterns[p];
                let Some(Elem::Word(ws)) = pat.elems.get(1) else { continue };
                if !a.word_matches(lex, ws, head) {
                    continue;
                }
                let mut m = TreeMatch { pattern: p, head, anchors: vec![head], weight: 4, ..Default::default() };
                if match_elems(a, lex, &pat.elems[2..], passive, &mut m) {
                    out.push(m);
                }
            }
        }
    }
    out.sort_by_key(|m| std::cmp::Reverse(m.weight));
    out
}

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
    let passive_at = |w: usize| frame_at[w].is_some_and(|f| frames[f].passive);
    // Best usable match per word: verbs and copular adjectives for verb patterns, nouns for
    // nominal ones; complement-only patterns only as content.
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
    // Speech acts own the acts inside their complement, and a category pattern the words it
    // names ("accused Syria of shelling …" is one accusation, not a shelling too).
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
                    trace.push(format!("swallow {} (its complement is not an act)", pat.rule));
                    vetoed.push(a.tok_range[w].0);
                    continue;
                }
                let about = content_of[w].and_then(|c| content_category(a, c, &content_best)).and_then(|x| {
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
            trace.push(format!("skip {} (no code in this frame)", pat.rule));
            vetoed.push(a.tok_range[w].0);
            continue;
        };
        let content = content_of[w];
        let (sources, targets) = parties(a, lex, m, frame, frames, &state, content, &content_best);
        // An object naming an act rather than an actor ("condemned the invasion", "backed it"):
        // the document resolves its author as the target.
        let pending_target = if targets.is_empty() {
            m.target
                .or_else(|| frame.and_then(|f| f.objects.first().copied()))
                .filter(|&o| {
                    a.word_mentions[o].is_empty()
                        && (a.s.words[o].upos == "NOUN" || matches!(a.keys[o].as_str(), "it" | "this" | "that"))
                })
                .map(|o| a.s.words[o].lemma.to_lowercase())
        } else {
            None
        };
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
        let mut span_words: Vec<(usize, usize)> = vec![(a.toks[head_tok].start, a.toks[a.tok_range[w].1].end)];
        for &mi in sources.iter().chain(&targets) {
            let mm = &a.mentions[mi];
            span_words.push((a.toks[mm.start].start, a.toks[mm.end - 1].end));
        }
        let span =
            (span_words.iter().map(|x| x.0).min().unwrap_or(0), span_words.iter().map(|x| x.1).max().unwrap_or(0));
        let reciprocal = symmetric
            || RECIPROCAL.contains(&a.s.words[w].lemma.to_lowercase().as_str())
            || content.is_some_and(|c| RECIPROCAL.contains(&a.s.words[c].lemma.to_lowercase().as_str()));
        let pairs = pairs(a.mentions, &sources, &targets, symmetric, reciprocal);
        for (code, planned) in variants(&code, planned, category) {
            for &(src, tgt, sym) in &pairs {
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
                    rule: pat.rule.clone(),
                    symmetric: sym,
                    planned,
                    span,
                    head: head_tok,
                    clause: a.tokens_of((lo, hi)),
                    complement,
                    nested: nested.clone(),
                    predicate: predicate.clone(),
                    pending_target: pending_target.clone(),
                    source_mention: src,
                    target_mention: tgt,
                    match_id: head_tok,
                };
                push_new(&mut out, ev);
            }
        }
    }
    out
}

/// How the clause of a predicate asserts it.
struct ClauseState {
    /// Why it is not coded at all.
    skip: Option<&'static str>,
    /// Announced for the future.
    future: bool,
    /// "will not release": a refusal.
    refusal: bool,
    /// "X said Y must V": the sayer's actors, making it X's demand of Y.
    demanded_by: Option<Vec<usize>>,
}

impl ClauseState {
    fn of(a: &Aligned, frames: &[Frame], frame: Option<&Frame>, w: usize) -> ClauseState {
        let mut st = ClauseState { skip: None, future: false, refusal: false, demanded_by: None };
        let Some(f) = frame else { return st };
        let parent = f.parent.map(|p| &frames[p]);
        let planning = f.clause == ClauseKind::Control
            && parent.is_some_and(|p| PLANNING.contains(&p.lemma.as_str()) || p.modality == Modality::Future);
        st.future = f.modality == Modality::Future || planning;
        if f.negated {
            if st.future {
                st.refusal = true;
            } else {
                st.skip = Some("negated");
            }
        }
        if f.clause == ClauseKind::Control && parent.is_some_and(|p| p.negated && !st.refusal) {
            st.skip = Some("negated");
        }
        if f.modality == Modality::Possible {
            let must =
                a.kids[w].iter().any(|&k| a.deprel(k) == "aux" && matches!(a.keys[k].as_str(), "must" | "should"));
            match parent {
                Some(p) if must && SAYING.contains(&p.lemma.as_str()) => st.demanded_by = Some(p.actors.clone()),
                _ => st.skip = Some("hypothetical"),
            }
        }
        if a.kids[w].iter().any(|&k| a.deprel(k) == "mark" && CONDITION.contains(&a.keys[k].as_str())) {
            st.skip = Some("a condition");
        }
        // "Currently, Turkey holds …, which is occupied by militias supported by Turkey": the
        // state of the clause holds for the clauses that describe its nouns.
        let mut up = Some(f);
        while let Some(g) = up {
            if a.kids[g.predicate].iter().any(|&k| a.deprel(k) == "advmod" && ONGOING.contains(&a.keys[k].as_str())) {
                st.skip = Some("an ongoing state");
                break;
            }
            up = match g.clause {
                ClauseKind::Relative | ClauseKind::Participial => g.parent.map(|p| &frames[p]),
                _ if g.predicate == f.predicate => None,
                _ => None,
            };
            if g.predicate != f.predicate && !matches!(g.clause, ClauseKind::Relative | ClauseKind::Participial) {
                break;
            }
        }
        // "which is occupied by militias": a present-tense passive describes a state.
        if f.passive
            && a.kids[w].iter().any(|&k| a.deprel(k) == "aux:pass" && matches!(a.keys[k].as_str(), "is" | "are"))
        {
            st.skip = Some("a state");
        }
        st
    }
}

/// The category a speech act's complement is about: a category pattern at its head, else one
/// up to two levels below it.
fn content_category(a: &Aligned, content: usize, content_best: &[Option<TreeMatch>]) -> Option<TreeMatch> {
    if let Some(m) = &content_best[content] {
        return Some(m.clone());
    }
    let mut level = vec![content];
    for _ in 0..2 {
        let next: Vec<usize> = level.iter().flat_map(|&x| a.kids[x].iter().copied()).collect();
        if let Some(m) = next.iter().filter_map(|&x| content_best[x].as_ref()).next() {
            return Some(m.clone());
        }
        level = next;
    }
    None
}

/// Sources and targets (mention indexes) of a matched predicate.
#[allow(clippy::too_many_arguments)]
fn parties(
    a: &Aligned,
    lex: &Lexicon,
    m: &TreeMatch,
    frame: Option<&Frame>,
    frames: &[Frame],
    st: &ClauseState,
    content: Option<usize>,
    content_best: &[Option<TreeMatch>],
) -> (Vec<usize>, Vec<usize>) {
    let slot = |w: Option<usize>, places: bool| w.map(|w| a.actors(&a.with_conjuncts(w), places)).unwrap_or_default();
    let frame_actors = |f: &Frame| {
        let v = a.actors(&f.actors, false);
        if !v.is_empty() {
            return v;
        }
        // A pronoun subject ("Ankara said it would …") is the governing clause's actor.
        match f.parent.map(|p| &frames[p]) {
            Some(p) if f.actors.iter().any(|&w| a.s.words[w].upos == "PRON") => return a.actors(&p.actors, false),
            _ => {}
        }
        // The parse found no subject that is an actor: the nearest actor before the verb that
        // no other clause claims (news parses go wrong most on long subjects).
        if f.passive || matches!(f.clause, ClauseKind::Relative | ClauseKind::Participial) {
            return v;
        }
        a.unclaimed_before(frames, f.predicate)
    };
    if let Some(sayer) = &st.demanded_by {
        let by = a.actors(sayer, false);
        let of = frame.map(frame_actors).unwrap_or_default();
        return (by, of);
    }
    let named_source = slot(m.source, false);
    let mut targets = slot(m.target, true);
    let mut sources = match frame {
        Some(f) => frame_actors(f),
        None => {
            // A noun as predicate ("talks between A and B", "an appeal by X"): its possessor.
            a.kids[m.head].iter().filter(|&&k| a.deprel(k) == "nmod:poss").flat_map(|&k| a.actors_of(k)).collect()
        }
    };
    let pat = &lex.patterns[m.pattern];
    let has_target_slot = pat.elems.iter().any(contains_target);
    if !named_source.is_empty() && !has_target_slot {
        // "received an invitation from the Arab League": the named source acts on the subject.
        targets = sources;
        sources = named_source;
    } else if !named_source.is_empty() {
        sources = named_source;
    }
    if targets.is_empty() {
        if let Some(f) = frame {
            // The patient of a passive, else the object, a recipient, then a prepositional
            // complement; a speech act's target may sit in its complement.
            let mut cands: Vec<usize> = f.objects.clone();
            cands.extend(&f.recipients);
            targets = a.actors(&cands, false);
            if targets.is_empty() {
                let obl: Vec<usize> =
                    f.obliques.iter().filter(|(p, _)| TARGET_PREPOSITIONS.contains(&p.as_str())).map(|x| x.1).collect();
                targets = a.actors(&obl, false);
            }
        } else {
            let obl: Vec<usize> = a.kids[m.head]
                .iter()
                .copied()
                .filter(|&k| a.deprel(k).starts_with("nmod") && a.deprel(k) != "nmod:poss")
                .filter(|&k| a.markers(k).any(|c| TARGET_PREPOSITIONS.contains(&a.keys[c].as_str())))
                .collect();
            let mut words = Vec::new();
            for w in obl {
                words.extend(a.with_conjuncts(w));
            }
            targets = a.actors(&words, false);
        }
        if targets.is_empty()
            && let Some(c) = content
        {
            // "urged the release of prisoners held by Syria": the content's own target, else
            // the actors of a controlled or reported clause.
            if let Some(cm) = content_category(a, c, content_best) {
                targets = slot(cm.target, true);
            }
            if targets.is_empty()
                && let Some(cf) = frames.iter().find(|f| f.predicate == c)
            {
                targets = a.actors(&cf.objects, false);
                if targets.is_empty() {
                    targets = a.actors(&cf.actors, false);
                }
            }
        }
        if targets.is_empty() {
            // The first actor after the predicate in its own clause (not in a clause nested in
            // it, not a place, not a source): "provide aid for Romania", "demanded that the US
            // cancel …".
            targets = a.first_actor_in_clause(frames, m.head, &sources);
        }
        // "Russia and Ukraine signed a deal mediated by the UAE": an act on the thing another
        // clause's actors did is an act toward them.
        if targets.is_empty()
            && let Some(f) = frame
            && matches!(f.clause, ClauseKind::Participial | ClauseKind::Relative)
            && let Some(p) = f.parent.map(|p| &frames[p])
            && a.s.words[m.head].head > 0
            && p.objects.contains(&(a.s.words[m.head].head - 1))
        {
            targets = a.actors(&p.actors, false);
        }
    }
    sources.dedup();
    targets.retain(|t| !sources.contains(t));
    let source_codes: Vec<&str> = sources.iter().map(|&i| a.mentions[i].code.as_str()).collect();
    targets.retain(|&t| a.mentions[t].code.starts_with("---") || !source_codes.contains(&a.mentions[t].code.as_str()));
    (sources, targets)
}

fn contains_target(e: &Elem) -> bool {
    match e {
        Elem::Target => true,
        Elem::Optional(inner) => inner.iter().any(contains_target),
        _ => false,
    }
}

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
