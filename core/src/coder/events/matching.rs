//! Lexicon patterns matched over a predicate's dependents in the tree (not over a window of
//! tokens), and the category a speech act's complement is about.

use super::Aligned;
use crate::coder::lexicon::{Elem, Lexicon};

/// A pattern matched at a predicate.
#[derive(Debug, Clone, Default)]
pub(super) struct TreeMatch {
    pub(super) pattern: usize,
    pub(super) head: usize,
    /// Words the pattern's words matched (the head first).
    pub(super) anchors: Vec<usize>,
    pub(super) target: Option<usize>,
    pub(super) source: Option<usize>,
    pub(super) content: Option<usize>,
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
pub(super) fn matches_at(a: &Aligned, lex: &Lexicon, head: usize, passive: bool) -> Vec<TreeMatch> {
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

/// The category a speech act's complement is about: a category pattern at its head, else one
/// up to two levels below it.
pub(super) fn content_category(a: &Aligned, content: usize, content_best: &[Option<TreeMatch>]) -> Option<TreeMatch> {
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
