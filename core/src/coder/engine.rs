//! Matching lexicon patterns in a sentence and turning matches into events.

use super::lexicon::{Elem, FrameKind, Lexicon, Owner};
use super::mentions::{Mention, MentionFinder, keep_actors};
use crate::domain::date::Date;
use crate::domain::text::{Token, TokenKind, slice, tokenize};

/// Words that negate the verb that follows within a few tokens.
const NEGATORS: &[&str] = &[
    "not", "never", "no", "didnt", "doesnt", "dont", "wont", "cant", "cannot", "isnt", "wasnt", "hasnt", "havent",
    "hadnt", "wouldnt", "shouldnt", "couldnt", "arent", "werent", "neither", "nor",
];
/// Modal words that make the verb hypothetical.
const HYPOTHETICAL: &[&str] = &["may", "might", "could", "can", "if", "whether", "unless"];
/// Words of obligation: "Y must V", said by X, is X's demand that Y V.
const OBLIGATION: &[&str] = &["must", "should"];
/// Words that make the verb an announced future act.
const FUTURE: &[&str] = &["will", "would", "shall", "'ll"];
/// Words that start a comma-delimited stretch that cannot hold the subject of the main verb.
const SIDE_CLAUSE: &[&str] = &[
    "after",
    "before",
    "following",
    "during",
    "while",
    "when",
    "as",
    "since",
    "because",
    "although",
    "though",
    "despite",
    "amid",
    "in",
    "on",
    "at",
    "with",
    "without",
    "according",
    "if",
    "unless",
    "which",
    "who",
    "whose",
    "where",
    "under",
    "over",
    "through",
    "until",
    "once",
    "like",
    "unlike",
    "for",
    "by",
    "from",
    "of",
    "to",
    "including",
    "whom",
];
/// Words that end the clause an object is looked for in.
const CLAUSE_END: &[&str] = &[
    "after",
    "before",
    "while",
    "because",
    "despite",
    "although",
    "whereas",
    "but",
    "following",
    "amid",
    "unless",
    "since",
    "if",
    "when",
];
/// Verbs of saying: a comma followed by one ends the reported clause ("…, officials said").
const SAY: &[&str] =
    &["say", "said", "says", "told", "tell", "tells", "according", "reported", "added", "stated", "noted", "announced"];

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

struct VerbContext {
    neg: bool,
    hyp: bool,
    fut: bool,
    passive: bool,
    must: bool,
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

#[derive(Debug, Clone, Default)]
struct Match {
    /// The head is a passive participle ("was invited"): the target slot may be empty and an
    /// agent ("by the Arab League") is the source.
    passive: bool,
    pattern: usize,
    head: usize,
    end: usize,
    target: Vec<usize>,
    source: Vec<usize>,
    content: Option<usize>,
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

    /// Length of a time or manner adverbial at `i` ("on Tuesday", "today", "last week",
    /// "urgently"), or 0.
    fn adverbial_len(&self, i: usize) -> usize {
        const DAYS: &[&str] = &["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
        const SINGLE: &[&str] = &[
            "today",
            "yesterday",
            "tonight",
            "again",
            "also",
            "formally",
            "publicly",
            "urgently",
            "strongly",
            "repeatedly",
            "jointly",
            "officially",
            "immediately",
            "now",
            "once",
            "still",
            "further",
            "firmly",
            "directly",
            "openly",
            "reportedly",
            "recently",
            "earlier",
            "later",
            "personally",
            "unilaterally",
            "swiftly",
            "quickly",
            "effectively",
            "fully",
            "actively",
            "hard",
            "here",
            "there",
            "reluctantly",
            "tentatively",
            "finally",
            "eventually",
            "unanimously",
            "privately",
            "secretly",
        ];
        let k = self.key(i);
        if DAYS.contains(&k) || SINGLE.contains(&k) {
            return 1;
        }
        if k == "on" && DAYS.contains(&self.key(i + 1)) {
            return 2;
        }
        if k == "in" && matches!(self.key(i + 1), "principle" | "writing" | "public" | "private") {
            return 2;
        }
        if matches!(k, "last" | "this" | "next" | "earlier" | "later")
            && matches!(self.key(i + 1), "week" | "month" | "year" | "weekend")
        {
            return 2;
        }
        0
    }

    /// A group of coordinated mentions starting at `i` (after at most two determiners):
    /// mention indexes and the token after the group.
    fn group_at(&self, mut i: usize) -> Option<(Vec<usize>, usize)> {
        // A mention may begin with its article ("the two countries", "its troops"); else skip
        // up to two determiners.
        let mut skipped = 0;
        while self.starts.get(i).copied().flatten().is_none()
            && skipped < 2
            && matches!(self.key(i), "the" | "a" | "an" | "its" | "their" | "his" | "her" | "both" | "all")
        {
            i += 1;
            skipped += 1;
        }
        let first = self.starts.get(i).copied().flatten()?;
        let mut group = vec![first];
        let mut end = self.mentions[first].end;
        // "the two countries" resolved to two mentions over the same words.
        let mut k = first + 1;
        while k < self.mentions.len() && self.mentions[k].start == self.mentions[first].start {
            group.push(k);
            k += 1;
        }
        let mut commas_only = true;
        loop {
            let mut j = end;
            let mut seps = Vec::new();
            while matches!(self.key(j), "," | "and" | "or" | "the" | "as" | "well") {
                seps.push(self.key(j));
                j += 1;
            }
            // "A and B, and C …" starts a new clause; "A, B, and C" is one list.
            let comma_and = seps.first() == Some(&",") && seps.contains(&"and");
            if comma_and && !(commas_only && group.len() >= 2) {
                break;
            }
            match self.starts.get(j).copied().flatten() {
                Some(m) if !seps.is_empty() && !self.mentions[m].locative => {
                    commas_only &= seps == [","];
                    group.push(m);
                    end = self.mentions[m].end;
                }
                _ => break,
            }
        }
        Some((group, end))
    }

    /// Extends a mention leftwards over coordinated mentions ("A, B and C").
    fn group_ending_at(&self, m: usize) -> Vec<usize> {
        let mut group = vec![m];
        let mut cur = m;
        while cur > 0 {
            let prev = cur - 1;
            // "the two countries" resolved to two mentions over the same words.
            if (self.mentions[prev].start, self.mentions[prev].end)
                == (self.mentions[cur].start, self.mentions[cur].end)
            {
                group.push(prev);
                cur = prev;
                continue;
            }
            let between = slice(&self.toks, self.mentions[prev].end, self.mentions[cur].start);
            let ok =
                !between.is_empty() && between.iter().all(|t| matches!(t.key.as_str(), "," | "and" | "or" | "the"));
            if !ok || self.mentions[prev].locative {
                break;
            }
            group.push(prev);
            cur = prev;
        }
        group.reverse();
        group
    }

    /// Token ranges of comma-delimited stretches that cannot hold the main subject.
    fn side_clause(&self, i: usize, head: usize) -> bool {
        // The stretch containing token i: from the comma before it to the comma after it.
        let mut a = i;
        while a > 0 && self.key(a - 1) != "," && self.key(a - 1) != ";" {
            a -= 1;
        }
        let mut b = i;
        while b < self.n() && self.key(b) != "," && self.key(b) != ";" {
            b += 1;
        }
        if (a..b).contains(&head) {
            return false;
        }
        SIDE_CLAUSE.contains(&self.key(a))
    }

    /// The subject group of the verb at `head`: the nearest actor mention before it that is
    /// not a place, not in a side clause, and in the same clause.
    fn subject(&self, head: usize) -> Vec<usize> {
        if let Some(mi) = self.mentions.iter().position(|m| m.start < head && head < m.end) {
            return vec![mi];
        }
        let mut best: Option<usize> = None;
        for (mi, m) in self.mentions.iter().enumerate().rev() {
            if m.end > head {
                continue;
            }
            if slice(&self.toks, m.end, head).iter().any(|t| t.key == ";") {
                break;
            }
            if m.locative || self.side_clause(m.start, head) {
                continue;
            }
            if m.weak && best.is_none() {
                // A bare role ("troops") only if nothing better is in the clause.
                best = Some(mi);
                continue;
            }
            if !m.weak {
                best = Some(mi);
                break;
            }
        }
        best.map(|m| self.group_ending_at(m)).unwrap_or_default()
    }

    /// True when the verb at `head` is coordinated with an earlier one ("… and demanded").
    fn coordinated_verb(&self, head: usize) -> bool {
        // ", accusing Doha of …": a participle clause shares the main clause's subject.
        if head > 0 && self.key(head - 1) == "," && self.key(head).ends_with("ing") {
            return true;
        }
        let mut i = head;
        while i > 0 {
            i -= 1;
            let k = self.key(i);
            if self.adverbial_len(i) == 1
                || matches!(k, "also" | "then" | "later" | "subsequently" | "has" | "have" | "had" | "was" | "were")
            {
                continue;
            }
            return matches!(k, "and" | "but");
        }
        false
    }

    /// The first actor of the clause that holds `head`: the subject of its first verb.
    fn clause_subject(&self, head: usize) -> Vec<usize> {
        let start = (0..head).rev().find(|&i| self.key(i) == ";").map_or(0, |i| i + 1);
        match self
            .mentions
            .iter()
            .position(|m| m.start >= start && m.end <= head && !m.locative && !self.side_clause(m.start, head))
        {
            Some(mi) => self.group_at(self.mentions[mi].start).map(|g| g.0).unwrap_or_else(|| vec![mi]),
            None => Vec::new(),
        }
    }

    /// Where the clause of the verb at `from` ends.
    fn clause_end(&self, from: usize) -> usize {
        let mut i = from;
        while i < self.n() {
            let k = self.key(i);
            if k == ";" || (i > from && CLAUSE_END.contains(&k)) {
                return i;
            }
            if k == "," && self.toks[i + 1..self.n().min(i + 5)].iter().any(|t| SAY.contains(&t.key.as_str())) {
                return i;
            }
            // ", and protesters burned …", ", ending a rupture …": a new clause ("including"
            // and "according" are prepositions, not new clauses).
            let participle = self.key(i + 1).ends_with("ing")
                && !matches!(self.key(i + 1), "including" | "according" | "regarding" | "concerning")
                && self.starts.get(i + 1).copied().flatten().is_none();
            if k == "," && i > from && (matches!(self.key(i + 1), "and" | "but" | "while" | "whereas") || participle) {
                return i;
            }
            // "deployed its troops in Syria and currently hosts …": a second verb phrase.
            if k == "and" && i > from && self.starts.get(i + 1).copied().flatten().is_none() {
                let next = self.key(i + 1);
                let verb_like = matches!(
                    next,
                    "currently"
                        | "also"
                        | "then"
                        | "later"
                        | "now"
                        | "still"
                        | "has"
                        | "have"
                        | "had"
                        | "will"
                        | "would"
                        | "was"
                        | "were"
                ) || (next.ends_with("ed") && next.len() > 4);
                if verb_like {
                    return i;
                }
            }
            i += 1;
        }
        self.n()
    }

    /// The first object group after `from` in the clause, excluding the source's mentions.
    fn object(&self, from: usize, end: usize, exclude: &[usize], allow_places: bool) -> Vec<usize> {
        // The source's own side ("deployed its own troops") is not its object.
        let own: Vec<&str> = exclude.iter().filter_map(|&i| self.mentions[i].country.as_deref()).collect();
        // A named actor is a better object than a bare role ("forces, including Turkey's").
        let usable = |mi: usize, m: &Mention| {
            !(m.start < from
                || m.start >= end
                || exclude.contains(&mi)
                || (m.locative && !allow_places)
                || m.country.as_deref().is_some_and(|c| own.contains(&c)))
        };
        let any_strong = self.mentions.iter().enumerate().any(|(mi, m)| usable(mi, m) && !m.weak);
        for (mi, m) in self.mentions.iter().enumerate() {
            if !usable(mi, m) || (any_strong && m.weak) {
                continue;
            }
            let mut g = vec![mi];
            let mut cur = mi;
            while cur + 1 < self.mentions.len() {
                let next = cur + 1;
                let between = slice(&self.toks, self.mentions[cur].end, self.mentions[next].start);
                if self.mentions[next].start >= end
                    || between.is_empty()
                    || !between.iter().all(|t| matches!(t.key.as_str(), "," | "and" | "or" | "the"))
                {
                    break;
                }
                g.push(next);
                cur = next;
            }
            return g;
        }
        Vec::new()
    }

    /// Why the word at `head` is not a verb here, if it is not: a noun after an article or a
    /// preposition ("for attacks", "the occupied West Bank"), a name ("last March"), part of a
    /// hyphenated modifier ("UN-brokered deal"), a participle opening the sentence ("Ousted
    /// president …"). Patterns marked nominal are nouns by nature and pass.
    fn not_a_verb(&self, head: usize, nominal: bool) -> Option<&'static str> {
        const DETERMINERS: &[&str] = &[
            "a",
            "an",
            "the",
            "this",
            "that",
            "these",
            "those",
            "its",
            "their",
            "his",
            "her",
            "our",
            "your",
            "any",
            "no",
            "every",
            "each",
            "such",
            "of",
            "for",
            "after",
            "before",
            "during",
            "against",
            "with",
            "by",
            "from",
            "in",
            "on",
            "following",
            "amid",
            "over",
            "without",
            "despite",
            "into",
            "about",
            "at",
            "since",
            "new",
            "recent",
        ];
        let t = &self.toks[head];
        if t.hyphen_before {
            return Some("part of a hyphenated modifier");
        }
        if head > 0 && t.capitalized && !t.all_caps && !matches!(self.key(head - 1), "\"" | "(" | ":" | "-") {
            return Some("a name");
        }
        if nominal {
            return None;
        }
        if head == 0 && t.key.ends_with("ed") {
            return Some("a participle opening the sentence");
        }
        let mut i = head;
        let mut steps = 0;
        while i > 0 && steps < 3 {
            i -= 1;
            steps += 1;
            let k = self.key(i);
            // A gerund after a preposition is still a verb ("guilty of violating the ceasefire").
            let article = matches!(
                k,
                "a" | "an"
                    | "the"
                    | "this"
                    | "that"
                    | "these"
                    | "those"
                    | "its"
                    | "their"
                    | "his"
                    | "her"
                    | "our"
                    | "your"
                    | "any"
                    | "no"
                    | "every"
                    | "each"
                    | "such"
                    | "new"
                    | "recent"
            );
            if DETERMINERS.contains(&k) && (article || !t.key.ends_with("ing")) {
                return Some("a noun");
            }
            // Only adjectives, numbers and modifiers may stand between an article and its noun.
            if self.toks[i].kind == TokenKind::Punct || self.starts[i].is_some() || k == "to" {
                break;
            }
            let adjective_like = self.toks[i].kind == TokenKind::Number
                || matches!(
                    k,
                    "fierce"
                        | "heavy"
                        | "violent"
                        | "official"
                        | "formal"
                        | "joint"
                        | "fresh"
                        | "major"
                        | "massive"
                        | "first"
                        | "second"
                        | "latest"
                        | "further"
                        | "deadly"
                        | "unilateral"
                        | "military"
                        | "economic"
                        | "political"
                        | "diplomatic"
                        | "full"
                        | "four"
                        | "day"
                        | "week"
                        | "long"
                        | "year"
                        | "two"
                        | "three"
                        | "several"
                        | "more"
                        | "fewer"
                        | "other"
                        | "all"
                        | "many"
                        | "some"
                        | "stern"
                        | "strong"
                        | "peaceful"
                        | "immediate"
                )
                || k.ends_with("al")
                || k.ends_with("ive")
                || k.ends_with("ous");
            if !adjective_like {
                break;
            }
        }
        None
    }

    /// A past participle: a regular "-ed" form or an irregular one ("held", "taken").
    fn is_participle(&self, i: usize) -> bool {
        let k = self.key(i);
        k.ends_with("ed") || (self.lemmas[i].iter().any(|l| l != k) && !k.ends_with("ing") && !k.ends_with('s'))
    }

    /// The subject of the verb of saying that governs the verb at `head` ("X said Y must …"):
    /// the mention before a say-verb that comes before the head, if any.
    fn sayer(&self, head: usize) -> (Vec<usize>, bool) {
        const SAYING: &[&str] = &[
            "say",
            "declare",
            "reiterate",
            "insist",
            "state",
            "announce",
            "tell",
            "warn",
            "stress",
            "emphasize",
            "emphasise",
            "conclude",
            "remind",
            "reminder",
            "argue",
            "assert",
            "repeat",
            "note",
            "add",
            "write",
            "claim",
            "maintain",
            "underline",
        ];
        let Some(i) = (0..head).rev().find(|&i| self.lemmas[i].iter().any(|l| SAYING.contains(&l.as_str()))) else {
            return (Vec::new(), false);
        };
        let subj = self.subject(i);
        // A person the dictionary does not know ("Jack Straw said"): a sayer of unknown code.
        let named = i > 0 && self.toks[i - 1].capitalized;
        (subj, named)
    }

    /// Looks back from the head over auxiliaries and adverbs: (negated, hypothetical, future, passive).
    fn verb_context(&self, head: usize) -> (bool, bool, bool, bool) {
        let c = self.verb_context_full(head);
        (c.neg, c.hyp, c.fut, c.passive)
    }

    fn verb_context_full(&self, head: usize) -> VerbContext {
        let (mut neg, mut hyp, mut fut, mut passive, mut must) = (false, false, false, false, false);
        let mut i = head;
        let mut steps = 0;
        while i > 0 && steps < 5 {
            i -= 1;
            steps += 1;
            let t = &self.toks[i];
            if is_clause_punct(t) || self.starts[i].is_some() || self.mentions.iter().any(|m| m.start <= i && i < m.end)
            {
                break;
            }
            let k = t.key.as_str();
            if NEGATORS.contains(&k) {
                neg = true;
            } else if k == "yet" && self.key(i + 1) == "to" {
                neg = true; // "has yet to sign"
            } else if matches!(k, "fail" | "failed" | "fails" | "failing") && self.key(i + 1) == "to" {
                neg = true;
            } else if HYPOTHETICAL.contains(&k) {
                hyp = true;
            } else if OBLIGATION.contains(&k)
                || (matches!(k, "has" | "have" | "needs" | "need") && self.key(i + 1) == "to")
            {
                must = true;
            } else if FUTURE.contains(&k)
                || (k == "to"
                    && i > 0
                    && matches!(
                        self.key(i - 1),
                        "due" | "scheduled" | "expected" | "set" | "planning" | "plans" | "plan" | "planned" | "going"
                    ))
            {
                fut = true;
            } else if matches!(k, "is" | "are" | "was" | "were" | "be" | "been" | "being")
                && (head - i) <= 2
                && self.is_participle(head)
            {
                passive = true;
            }
        }
        // ", mediated by Oman": a participle with its agent is a passive.
        if self.key(head).ends_with("ed") && self.key(head + 1) == "by" {
            passive = true;
        }
        // "unless Baghdad accepted": a condition, not an act.
        if let Some(subj) = self.mentions.iter().rev().find(|m| m.end <= head && head - m.end <= 3)
            && subj.start > 0
            && matches!(self.key(subj.start - 1), "if" | "unless" | "whether")
        {
            hyp = true;
        }
        VerbContext { neg, hyp, fut, passive, must }
    }
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
        Elem::Target | Elem::Source => {
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
                    if pos + k > s.n()
                        || s.toks[pos..pos + k].iter().any(|t| is_clause_punct(t) || t.kind == TokenKind::Punct)
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
            let after =
                if s.toks.get(after).is_some_and(|t| t.kind == TokenKind::Possessive) { after + 1 } else { after };
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
        Elem::Content => {
            m.content = Some(pos);
            m.end = pos;
            true
        }
    }
}

fn find_matches(lex: &Lexicon, s: &Sent) -> Vec<Match> {
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
fn specificity(lex: &Lexicon, m: &Match) -> usize {
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

/// Codes one sentence, letting `resolve` add actor mentions first (coreference); with a syntax
/// model, from the sentence's dependency tree, else from token windows.
#[allow(clippy::too_many_arguments)]
pub fn code_sentence_with(
    finder: &MentionFinder,
    lex: &Lexicon,
    syntax: Option<&crate::syntax::SyntaxModel>,
    text: &str,
    start: usize,
    end: usize,
    date: Date,
    resolve: &mut dyn FnMut(&[Token], &mut Vec<Mention>),
) -> CodedSentence {
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
            Some(mut parsed) => {
                super::frames::repair(&mut parsed);
                let frames = super::frames::frames(&parsed);
                let aligned = super::events::Aligned::new(&parsed, text, &s.toks, &s.mentions);
                let mut vetoed = Vec::new();
                let mut events = super::events::events_of(&aligned, lex, &frames, &mut trace, &mut vetoed);
                // Where the tree found no event and raised no objection, the token windows may
                // still have one (news parses fail most on long subjects and headlines).
                let mut windows_trace = Vec::new();
                let tree_heads: Vec<usize> = events.iter().map(|t| t.head).chain(vetoed).collect();
                // An actor the tree made the author of another act here ("a deal mediated by the
                // UAE") is no party of this one, whatever the windows say.
                let authors: Vec<(usize, usize)> =
                    events.iter().filter_map(|t| t.source_mention.map(|m| (t.head, m))).collect();
                let author_elsewhere = |head: usize, m: Option<usize>| {
                    m.is_some_and(|m| authors.iter().any(|&(h, a)| a == m && h != head))
                };
                for e in events_of(lex, &s, &mut windows_trace) {
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
                events
            }
            None => Vec::new(),
        },
        None => events_of(lex, &s, &mut trace),
    };
    CodedSentence { start, end, tokens: s.toks.clone(), mentions: s.mentions.clone(), events, trace }
}

fn events_of(lex: &Lexicon, s: &Sent, trace: &mut Vec<String>) -> Vec<SentenceEvent> {
    let mut matches = find_matches(lex, s);
    // At one head, the most specific pattern; main verbs never take a complement-only pattern.
    matches.sort_by_key(|m| (m.head, std::cmp::Reverse(specificity(lex, m))));
    let mut best: Vec<Match> = Vec::new();
    for m in matches {
        let is_frame = matches!(lex.patterns[m.pattern].owner, Owner::Frame(_));
        let usable = is_frame || !lex.patterns[m.pattern].content_only;
        match best.last() {
            Some(b) if b.head == m.head => {}
            _ if usable => best.push(m),
            _ => {}
        }
    }
    // Category matches anywhere (complement-only ones included) serve as frame content.
    let all = find_matches(lex, s);
    let categories: Vec<&Match> = {
        let mut v: Vec<&Match> =
            all.iter().filter(|x| matches!(lex.patterns[x.pattern].owner, Owner::Category(_))).collect();
        v.sort_by_key(|m| (m.head, std::cmp::Reverse(specificity(lex, m))));
        v.dedup_by_key(|m| m.head);
        v
    };
    // Frames own the category matches inside their complement.
    let frames: Vec<(usize, usize, usize)> = best
        .iter()
        .filter(|m| matches!(lex.patterns[m.pattern].owner, Owner::Frame(_)))
        .filter(|m| {
            let p = &lex.patterns[m.pattern];
            s.not_a_verb(m.head, p.nominal || p.elems.len() >= 3).is_none()
        })
        .map(|m| {
            let c = m.content.unwrap_or(m.end);
            (m.head, m.head + 1, s.clause_end(c))
        })
        .collect();
    let inside_frame = |m: &Match| frames.iter().any(|&(h, c, e)| m.head != h && m.head >= c && m.head < e);
    let mut out: Vec<SentenceEvent> = Vec::new();
    // Words a coded pattern consumed ("accused Syria of shelling …") are not events of their own.
    let mut covered: Vec<(usize, usize)> = Vec::new();
    // The actors of the last coded verb, for coordinated verbs ("X accused Y and demanded …").
    let mut previous: Option<(Vec<usize>, Vec<usize>)> = None;
    for m in &best {
        let pat = &lex.patterns[m.pattern];
        if covered.iter().any(|&(a, b)| m.head >= a && m.head < b) {
            trace.push(format!("part of another pattern: {}", pat.rule));
            continue;
        }
        let vc = s.verb_context_full(m.head);
        let (neg, hyp, fut, passive) = (vc.neg, vc.hyp, vc.fut, vc.passive);
        // "will not release" is a refusal; "did not release" is nothing.
        let refusal = neg && fut;
        if (neg && !refusal) || hyp {
            trace.push(format!("skip {} ({})", pat.rule, if hyp { "hypothetical" } else { "negated" }));
            continue;
        }
        // "Currently, Turkey holds …", "still hosts": an ongoing state, not an act (policy: states
        // are not coded as events).
        let clause_from = (0..m.head).rev().find(|&i| s.key(i) == ";").map_or(0, |i| i + 1);
        if (clause_from..m.head).any(|i| matches!(s.key(i), "currently" | "still" | "presently")) {
            trace.push(format!("skip {} (an ongoing state)", pat.rule));
            continue;
        }
        // "which is occupied by militias": a present-tense passive describes a state, not an act.
        if passive && m.head > 0 && matches!(s.key(m.head - 1), "is" | "are") {
            trace.push(format!("skip {} (a state)", pat.rule));
            continue;
        }
        if inside_frame(m) {
            trace.push(format!("content {} (inside a frame's complement)", pat.rule));
            continue;
        }
        // A frame with words after its head ("an appeal to Belgium to …") reads as well from a noun.
        let nominal = pat.nominal || (matches!(pat.owner, Owner::Frame(_)) && pat.elems.len() >= 3);
        if let Some(why) = s.not_a_verb(m.head, nominal) {
            trace.push(format!("skip {} ({why})", pat.rule));
            continue;
        }
        let sayer = vc.must && !s.sayer(m.head).0.is_empty() || (vc.must && s.sayer(m.head).1);
        let (code, category, content_range) = match pat.owner {
            Owner::Frame(fi) => {
                let frame = &lex.frames[fi];
                let c = m.content.unwrap_or(m.end);
                let cend = s.clause_end(c);
                // The complement's category: the first after the frame's words, else any after the head.
                let near = |x: &&&Match| {
                    let words =
                        (c..x.head).filter(|&i| !s.mentions.iter().any(|mm| mm.start <= i && i < mm.end)).count();
                    words <= 6
                };
                let content = categories
                    .iter()
                    .find(|x| x.head >= c && x.head < cend && near(x))
                    .or_else(|| categories.iter().find(|x| x.head > m.head && x.head < c));
                let cat = content.and_then(|x| match lex.patterns[x.pattern].owner {
                    Owner::Category(ci) => Some(&lex.categories[ci]),
                    Owner::Frame(_) => None,
                });
                let kind = if refusal {
                    FrameKind::Reject
                } else if sayer {
                    FrameKind::Demand
                } else {
                    frame.kind
                };
                if kind == FrameKind::Swallow {
                    trace.push(format!("swallow {} (its complement is not an act)", pat.rule));
                    continue;
                }
                (frame.code(kind, cat), None, Some((c, cend)))
            }
            Owner::Category(ci) => {
                let cat = &lex.categories[ci];
                // "Y must release" is a demand only when someone said it.
                let code =
                    if vc.must && !sayer && !refusal { None } else { cat.code(refusal, vc.must, fut && !passive) };
                let Some(code) = code else {
                    trace.push(format!("skip {} (no code in this frame)", pat.rule));
                    continue;
                };
                (code, Some(cat), None)
            }
        };
        let planned = fut && !refusal && !code.starts_with("03") && !code.starts_with("13");
        let demand_by_sayer = sayer;
        // Source and target.
        let (mut sources, mut targets) = if demand_by_sayer {
            // "X said Y must return the helicopter": X demands of Y.
            (s.sayer(m.head).0, s.subject(m.head))
        } else if passive && m.target.is_empty() {
            // "X was invited by Y": Y acts on X.
            let agent = if m.source.is_empty() {
                (m.end..s.clause_end(m.end)).find(|&i| s.key(i) == "by").and_then(|i| s.group_at(i + 1)).map(|g| g.0)
            } else {
                Some(m.source.clone())
            };
            (agent.unwrap_or_default(), s.subject(m.head))
        } else if m.source.is_empty() && s.coordinated_verb(m.head) {
            // "… and invited Maduro": the subject of the first verb acts again.
            let src = previous
                .as_ref()
                .map(|p| p.0.clone())
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| s.clause_subject(m.head));
            (src, m.target.clone())
        } else if !m.source.is_empty() && !pat.elems.iter().any(|e| matches!(e, Elem::Target)) {
            // "received an invitation from the Arab League": the named source acts on the subject.
            (m.source.clone(), s.subject(m.head))
        } else {
            let src = if m.source.is_empty() { s.subject(m.head) } else { m.source.clone() };
            (src, m.target.clone())
        };
        let symmetric_group = category.is_some_and(|c| c.symmetric) && sources.len() >= 2;
        if targets.is_empty() && !passive && !symmetric_group {
            let (from, end) = match content_range {
                Some((c, e)) => (c, e),
                None => (m.head + 1, s.clause_end(m.head + 1)),
            };
            targets = s.object(from, end, &sources, false);
            if targets.is_empty() && content_range.is_none() {
                targets = s.object(m.head + 1, end, &sources, true);
            }
        }
        if targets.is_empty()
            && s.coordinated_verb(m.head)
            && let Some((_, t)) = &previous
        {
            targets = t.clone();
        }
        sources.dedup();
        targets.retain(|t| !sources.contains(t));
        // A target that is the source again ("Kurds … independence from Iraq" for Iraqi Kurds) is no target.
        let codes_of = |v: &[usize]| v.iter().map(|&i| s.mentions[i].code.clone()).collect::<Vec<_>>();
        let source_codes = codes_of(&sources);
        targets.retain(|&t| s.mentions[t].code.starts_with("---") || !source_codes.contains(&s.mentions[t].code));
        if sources.is_empty() && targets.is_empty() {
            continue;
        }
        let symmetric = category.is_some_and(|c| c.symmetric);
        let span_start =
            sources.iter().chain(&targets).map(|&i| s.mentions[i].start).chain([m.head]).min().unwrap_or(m.head);
        let span_end = sources
            .iter()
            .chain(&targets)
            .map(|&i| s.mentions[i].end)
            .chain([m.end.max(m.head + 1)])
            .max()
            .unwrap_or(m.end);
        let span = (s.toks[span_start].start, s.toks[span_end.min(s.n()) - 1].end);
        previous = Some((sources.clone(), targets.clone()));
        // "A and B agreed …" without a target: each party to the other (the windows cannot tell a
        // reciprocal verb).
        let pairs = super::events::pairs(&s.mentions, &sources, &targets, symmetric, true);
        let variants = super::events::variants(&code, planned, category);
        let mut emit = |src: Option<usize>, tgt: Option<usize>, sym: bool, code: &String, planned: bool| {
            if super::events::one_side(&s.mentions, src, tgt) {
                return;
            }
            let mention = |i: usize| super::events::mention_code_and_text(s.text, &s.toks, &s.mentions[i]);
            let (source, source_name) = src.map(mention).map_or((None, None), |(c, n)| (Some(c), Some(n)));
            let (target, target_name) = tgt.map(mention).map_or((None, None), |(c, n)| (Some(c), Some(n)));
            let clause_start = (0..m.head).rev().find(|&i| s.key(i) == ";").map_or(0, |i| i + 1);
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
                head: m.head,
                clause: (clause_start, s.clause_end(m.head + 1)),
                complement: content_range,
                nested: Vec::new(),
                predicate: String::new(),
                pending_target: None,
                source_mention: src,
                target_mention: tgt,
                match_id: m.head,
            };
            super::events::push_new(&mut out, ev);
        };
        if matches!(pat.owner, Owner::Category(_)) {
            covered.push((m.head + 1, m.end));
        }
        if symmetric && targets.is_empty() && sources.len() < 2 {
            trace.push(format!("skip {} (a meeting needs two parties)", pat.rule));
            continue;
        }
        for (code, planned) in &variants {
            for &(a, b, sym) in &pairs {
                emit(a, b, sym, code, *planned);
            }
        }
    }
    out
}
