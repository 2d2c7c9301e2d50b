//! Clauses and their actors in a token window: adverbials, coordinated mentions, subjects,
//! objects, the end of a clause and the sayer of reported speech.

use super::Sent;
use crate::coder::mentions::Mention;
use crate::domain::text::slice;

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

impl Sent<'_> {
    /// Length of a time or manner adverbial at `i` ("on Tuesday", "today", "last week",
    /// "urgently"), or 0.
    pub(super) fn adverbial_len(&self, i: usize) -> usize {
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
    pub(super) fn group_at(&self, mut i: usize) -> Option<(Vec<usize>, usize)> {
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
    pub(super) fn subject(&self, head: usize) -> Vec<usize> {
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
    pub(super) fn coordinated_verb(&self, head: usize) -> bool {
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
    pub(super) fn clause_subject(&self, head: usize) -> Vec<usize> {
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
    pub(super) fn clause_end(&self, from: usize) -> usize {
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
    pub(super) fn object(&self, from: usize, end: usize, exclude: &[usize], allow_places: bool) -> Vec<usize> {
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

    /// The subject of the verb of saying that governs the verb at `head` ("X said Y must …"):
    /// the mention before a say-verb that comes before the head, if any.
    pub(super) fn sayer(&self, head: usize) -> (Vec<usize>, bool) {
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
}
