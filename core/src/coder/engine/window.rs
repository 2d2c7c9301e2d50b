//! The token-window matcher: lexicon patterns matched word by word from each token, actor
//! slots filled with groups of mentions.

use super::{Sent, is_clause_punct};
use crate::coder::lexicon::{Elem, Lexicon};
use crate::domain::text::TokenKind;

/// A pattern matched at a token.
#[derive(Debug, Clone, Default)]
pub(super) struct Match {
    /// The head is a passive participle ("was invited"): the target slot may be empty and an
    /// agent ("by the Arab League") is the source.
    pub(super) passive: bool,
    pub(super) pattern: usize,
    pub(super) head: usize,
    pub(super) end: usize,
    pub(super) target: Vec<usize>,
    pub(super) source: Vec<usize>,
    pub(super) content: Option<usize>,
}

fn match_elems(s: &Sent, elems: &[Elem], pos: usize, m: &mut Match) -> bool {
    let Some((e, rest)) = elems.split_first() else {
        m.end = pos;
        return true;
    };
    match e {
        Elem::Word(ws) => {
            if let Some(n) = s.word_len(ws, pos) {
                return match_elems(s, rest, pos + n, m);
            }
            // "called on Tuesday for …", "appealed to X on Friday to …": skip a time adverbial.
            let skip = s.adverbial_len(pos);
            skip > 0 && pos > m.head && s.word_matches(ws, pos + skip) && match_elems(s, rest, pos + skip + 1, m)
        }
        Elem::Optional(inner) => {
            let mut with: Vec<Elem> = inner.clone();
            with.extend_from_slice(rest);
            match_elems(s, &with, pos, m) || match_elems(s, rest, pos, m)
        }
        Elem::Gap => {
            // Up to six words of the clause; the words of an actor's name count as one.
            let mut next = pos;
            let mut budget = 6;
            loop {
                if match_elems(s, rest, next, m) {
                    return true;
                }
                if next >= s.n() || is_clause_punct(&s.toks[next]) {
                    return false;
                }
                let inside_name = s.mentions.iter().any(|mm| mm.start < next && next < mm.end);
                if !inside_name {
                    if budget == 0 {
                        return false;
                    }
                    budget -= 1;
                }
                next += 1;
            }
        }
        Elem::Target | Elem::Source => match_slot(s, e, rest, pos, m),
        Elem::Content => {
            m.content = Some(pos);
            m.end = pos;
            true
        }
    }
}

/// Matches an actor slot (`e`, a target or source) at `pos`, then the elements after it.
fn match_slot(s: &Sent, e: &Elem, rest: &[Elem], pos: usize, m: &mut Match) -> bool {
    if m.passive && matches!(e, Elem::Target) && m.target.is_empty() {
        // "was invited (by the Arab League) to": the target is the passive's subject.
        if s.key(pos) == "by"
            && let Some((agent, after)) = s.group_at(pos + 1)
            && match_elems(s, rest, after, m)
        {
            m.source = agent;
            return true;
        }
        if s.group_at(pos).is_none() {
            return match_elems(s, rest, pos, m);
        }
    }
    let Some((group, after)) = s.group_at(pos) else {
        // An actor the dictionary does not know ("asked the bank for aid"): when more words
        // follow the slot, let up to five tokens of a noun phrase stand in for it.
        if rest.is_empty() || matches!(e, Elem::Source) {
            return false;
        }
        for k in 1..=5 {
            if pos + k > s.n() || s.toks[pos..pos + k].iter().any(|t| is_clause_punct(t) || t.kind == TokenKind::Punct)
            {
                break;
            }
            if s.starts[pos..pos + k].iter().flatten().any(|&mi| !s.mentions[mi].weak) {
                break;
            }
            if match_elems(s, rest, pos + k, m) {
                return true;
            }
        }
        return false;
    };
    // Allow the possessive and a few words after the actor ("Syria's positions",
    // "the UN stabilization mission in Haiti to …").
    let after = if s.toks.get(after).is_some_and(|t| t.kind == TokenKind::Possessive) { after + 1 } else { after };
    let mut ok = match_elems(s, rest, after, m);
    if !ok && !rest.is_empty() {
        for k in 1..=4 {
            if after + k > s.n() || s.toks[after..after + k].iter().any(|t| t.kind == TokenKind::Punct) {
                break;
            }
            if match_elems(s, rest, after + k, m) {
                ok = true;
                break;
            }
        }
    }
    if ok {
        if matches!(e, Elem::Target) {
            m.target = group;
        } else {
            m.source = group;
        }
    }
    ok
}

/// Every match of a pattern of the lexicon in the sentence, head by head.
pub(super) fn find_matches(lex: &Lexicon, s: &Sent) -> Vec<Match> {
    let mut out = Vec::new();
    for i in 0..s.n() {
        let t = &s.toks[i];
        if t.kind == TokenKind::Punct {
            continue;
        }
        let mut cands: Vec<usize> = Vec::new();
        let joined = (i + 1 < s.n() && s.toks[i + 1].hyphen_before).then(|| format!("{}-{}", t.key, s.toks[i + 1].key));
        for key in
            std::iter::once(t.key.as_str()).chain(s.lemmas[i].iter().map(String::as_str)).chain(joined.as_deref())
        {
            if let Some(ps) = lex.by_head.get(key) {
                // Fallback files (the converted verb dictionary) are written for the tree: head
                // noun first, not in word order.
                cands.extend(ps.iter().copied().filter(|&p| !lex.patterns[p].fallback));
            }
        }
        cands.sort_unstable();
        cands.dedup();
        let passive = s.verb_context(i).3;
        for p in cands {
            let mut m = Match { pattern: p, head: i, passive, ..Default::default() };
            if match_elems(s, &lex.patterns[p].elems, i, &mut m) {
                out.push(m);
            }
        }
    }
    out
}

/// The number of literal elements: more specific patterns win over shorter ones at one head.
pub(super) fn specificity(lex: &Lexicon, m: &Match) -> usize {
    lex.patterns[m.pattern]
        .elems
        .iter()
        .map(|e| match e {
            Elem::Word(_) => 2,
            Elem::Optional(inner) => inner.len(),
            _ => 1,
        })
        .sum::<usize>()
        * 100
        + (m.end - m.head)
}
