//! A parsed sentence aligned with the coder's tokens and actor mentions, and the walks over
//! its tree that find the actors standing for a word.

use crate::coder::frames::{ClauseKind, Frame};
use crate::coder::lexicon::Lexicon;
use crate::coder::mentions::Mention;
use crate::domain::text::Token;
use crate::syntax::ParsedSentence;

/// A parsed sentence aligned with the coder's tokens and actor mentions.
pub(crate) struct Aligned<'a> {
    pub(super) s: &'a ParsedSentence<'a>,
    /// The document the offsets point into.
    pub(super) text: &'a str,
    pub(super) toks: &'a [Token],
    pub(super) mentions: &'a [Mention],
    pub(super) kids: Vec<Vec<usize>>,
    /// Folded form of each word.
    pub(super) keys: Vec<String>,
    /// Each word's first and last token.
    pub(super) tok_range: Vec<(usize, usize)>,
    /// Each mention's head word.
    mention_head: Vec<Option<usize>>,
    /// For each word, the mentions it belongs to.
    pub(super) word_mentions: Vec<Vec<usize>>,
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

    pub(super) fn deprel(&self, i: usize) -> &str {
        self.s.words[i].deprel
    }

    /// True when pattern words match word `i`.
    pub(super) fn word_matches(&self, lex: &Lexicon, ws: &[(String, bool)], i: usize) -> bool {
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
    pub(super) fn markers(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.kids[i].iter().filter(move |&&k| matches!(self.deprel(k), "case" | "mark")).flat_map(move |&k| {
            std::iter::once(k).chain(self.kids[k].iter().copied().filter(|&f| self.deprel(f) == "fixed"))
        })
    }

    /// Actor mentions standing for word `i`: the mentions it heads or belongs to, else the nearest
    /// in its noun phrase through possessors, nominal modifiers, appositions and compounds ("the
    /// foreign minister of Iran", "Kenzo Oshima, the United Nations relief coordinator").
    pub(super) fn actors_of(&self, i: usize) -> Vec<usize> {
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
    pub(super) fn unclaimed_before(&self, frames: &[Frame], w: usize) -> Vec<usize> {
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
    pub(super) fn first_actor_in_clause(&self, frames: &[Frame], w: usize, exclude: &[usize]) -> Vec<usize> {
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
    pub(super) fn actors(&self, words: &[usize], places: bool) -> Vec<usize> {
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
    pub(super) fn with_conjuncts(&self, i: usize) -> Vec<usize> {
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
    pub(super) fn subtree(&self, i: usize) -> (usize, usize) {
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
    pub(super) fn tokens_of(&self, (lo, hi): (usize, usize)) -> (usize, usize) {
        (self.tok_range[lo].0, self.tok_range[hi].1 + 1)
    }
}
