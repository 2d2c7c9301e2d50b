//! Lemmas learned from the treebank: an exception list of (word, tag) pairs the rules get wrong,
//! and suffix rules per tag ("-ies" under NNS → "-y") for words the treebank never showed.
//! Every rule is an edit — lowercase or not, cut n characters, append a string — chosen by the
//! longest suffix the treebank gave evidence for.

use std::collections::HashMap;

use super::model_file::{Reader, Writer};
use super::words;
use crate::Result;

/// The longest suffix a rule looks at, in characters.
const MAX_SUFFIX: usize = 5;

/// An edit from a word to its lemma.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Edit {
    lowercase: bool,
    cut: u8,
    append: String,
}

impl Edit {
    fn between(form: &str, lemma: &str) -> Option<Edit> {
        // "Talks" and "talks" share one edit: lowercasing a lowercase word changes nothing.
        let lowercase = !lemma.chars().any(char::is_uppercase);
        let base: Vec<char> = if lowercase { form.to_lowercase().chars().collect() } else { form.chars().collect() };
        let l: Vec<char> = lemma.chars().collect();
        let common = base.iter().zip(&l).take_while(|(a, b)| a == b).count();
        let cut = base.len() - common;
        if cut > 255 {
            return None;
        }
        Some(Edit { lowercase, cut: cut as u8, append: l[common..].iter().collect() })
    }

    fn apply(&self, form: &str) -> Option<String> {
        let base: Vec<char> =
            if self.lowercase { form.to_lowercase().chars().collect() } else { form.chars().collect() };
        let keep = base.len().checked_sub(self.cut as usize)?;
        if keep == 0 && self.append.is_empty() {
            return None;
        }
        let mut s: String = base[..keep].iter().collect();
        s.push_str(&self.append);
        Some(s)
    }
}

/// The trained lemmatizer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Lemmatizer {
    edits: Vec<Edit>,
    /// (tag, lowercase suffix) → edit.
    rules: HashMap<(u8, String), u32>,
    /// The same rules keyed by a hash of tag and suffix: looked up without building strings.
    rule_index: HashMap<u64, u32>,
    /// Word as written → (tag, lemma) pairs, where the rules are wrong.
    exceptions: HashMap<String, Vec<(u8, String)>>,
    /// Every lemma the treebank showed, lowercase: a rule whose result is a known word beats a
    /// longer-suffix rule whose result is not ("bombed": "bomb", not "bom" as in "grabbed").
    known: std::collections::HashSet<String>,
}

fn suffix(lower: &[char], k: usize) -> String {
    lower[lower.len() - k..].iter().collect()
}

fn rule_key(tag: u8, suffix: &str) -> u64 {
    super::weights::mix(u64::from(tag) + 1, super::weights::atom(suffix))
}

impl Lemmatizer {
    /// The lemma of `form` tagged `tag`.
    pub(crate) fn lemma(&self, form: &str, tag: u8) -> String {
        if let Some(l) = self.exceptions.get(form).and_then(|v| v.iter().find(|e| e.0 == tag)) {
            return l.1.clone();
        }
        self.by_rule(form, tag).unwrap_or_else(|| form.to_string())
    }

    fn by_rule(&self, form: &str, tag: u8) -> Option<String> {
        let lower = super::words::lowercase(form);
        // Suffix starts, longest first: the last MAX_SUFFIX characters' offsets, then the end.
        let mut starts = [lower.len(); MAX_SUFFIX + 1];
        let mut n = 1;
        for (i, _) in lower.char_indices().rev().take(MAX_SUFFIX) {
            starts[n] = i;
            n += 1;
        }
        let mut first = None;
        for &start in starts[..n].iter().rev() {
            if let Some(l) =
                self.rule_index.get(&rule_key(tag, &lower[start..])).and_then(|&e| self.edits[e as usize].apply(form))
            {
                if self.known.is_empty() || self.known.contains(words::lowercase(&l).as_ref()) {
                    return Some(l);
                }
                first.get_or_insert(l);
            }
        }
        first
    }

    fn new(
        edits: Vec<Edit>,
        rules: HashMap<(u8, String), u32>,
        exceptions: HashMap<String, Vec<(u8, String)>>,
        known: std::collections::HashSet<String>,
    ) -> Self {
        let rule_index = rules.iter().map(|((t, s), &e)| (rule_key(*t, s), e)).collect();
        Lemmatizer { edits, rules, rule_index, exceptions, known }
    }

    /// Learns from (form, tag, lemma) triples.
    pub(crate) fn train<'a>(words: impl Iterator<Item = (&'a str, u8, &'a str)>) -> Lemmatizer {
        // Each distinct (form, tag) once, with its most frequent lemma: rules generalise over
        // word types, not over how often "the" occurs.
        let mut seen: HashMap<(u8, String), HashMap<String, u32>> = HashMap::new();
        for (f, t, l) in words {
            *seen.entry((t, f.to_string())).or_default().entry(l.to_string()).or_default() += 1;
        }
        let mut types: Vec<((u8, String), String)> = seen
            .into_iter()
            .map(|(k, ls)| {
                let best =
                    ls.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).map(|x| x.0).unwrap_or_default();
                (k, best)
            })
            .collect();
        types.sort();
        let mut edits: Vec<Edit> = Vec::new();
        let mut edit_ids: HashMap<Edit, u32> = HashMap::new();
        let mut votes: HashMap<(u8, String), HashMap<u32, u32>> = HashMap::new();
        for ((t, f), l) in &types {
            let Some(e) = Edit::between(f, l) else { continue };
            let id = *edit_ids.entry(e.clone()).or_insert_with(|| {
                edits.push(e);
                (edits.len() - 1) as u32
            });
            let lower: Vec<char> = f.to_lowercase().chars().collect();
            for k in 0..=MAX_SUFFIX.min(lower.len()) {
                *votes.entry((*t, suffix(&lower, k))).or_default().entry(id).or_default() += 1;
            }
        }
        let mut rules = HashMap::new();
        for (key, v) in votes {
            let total: u32 = v.values().sum();
            let (best, n) = v.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).unwrap_or((0, 0));
            // A suffix seen once says little about unseen words; the empty suffix always counts.
            if key.1.is_empty() || (n >= 2 && n * 10 >= total * 6) {
                rules.insert(key, best);
            }
        }
        let known = types.iter().map(|(_, l)| l.to_lowercase()).collect();
        let mut model = Lemmatizer::new(edits, rules, HashMap::new(), known);
        let mut exceptions: HashMap<String, Vec<(u8, String)>> = HashMap::new();
        for ((t, f), l) in types {
            if model.by_rule(&f, t).as_deref() != Some(l.as_str()) {
                exceptions.entry(f).or_default().push((t, l));
            }
        }
        model.exceptions = exceptions;
        model
    }

    pub(crate) fn write(&self, out: &mut Writer) {
        out.varint(self.edits.len() as u64);
        for e in &self.edits {
            out.u8(u8::from(e.lowercase));
            out.u8(e.cut);
            out.str(&e.append);
        }
        let mut rules: Vec<_> = self.rules.iter().collect();
        rules.sort();
        out.varint(rules.len() as u64);
        for ((t, s), e) in rules {
            out.u8(*t);
            out.str(s);
            out.varint(u64::from(*e));
        }
        let mut ex: Vec<(u8, &str, &str)> = self
            .exceptions
            .iter()
            .flat_map(|(f, v)| v.iter().map(move |(t, l)| (*t, f.as_str(), l.as_str())))
            .collect();
        ex.sort();
        out.varint(ex.len() as u64);
        for (t, f, l) in ex {
            out.u8(t);
            out.str(f);
            out.str(l);
        }
        let mut known: Vec<&String> = self.known.iter().collect();
        known.sort();
        out.varint(known.len() as u64);
        for k in known {
            out.str(k);
        }
    }

    pub(crate) fn read(input: &mut Reader, tags: usize) -> Result<Lemmatizer> {
        let n = input.count(3)?;
        let mut edits = Vec::with_capacity(n);
        for _ in 0..n {
            let lowercase = input.u8()? != 0;
            let cut = input.u8()?;
            edits.push(Edit { lowercase, cut, append: input.str()? });
        }
        let n = input.count(3)?;
        let mut rules = HashMap::with_capacity(n);
        for _ in 0..n {
            let t = input.u8()?;
            let s = input.str()?;
            let e = input.varint()?;
            if t as usize >= tags || e as usize >= edits.len() {
                return Err(input.corrupt("lemma rule out of range"));
            }
            rules.insert((t, s), e as u32);
        }
        let n = input.count(3)?;
        let mut exceptions: HashMap<String, Vec<(u8, String)>> = HashMap::with_capacity(n);
        for _ in 0..n {
            let t = input.u8()?;
            let f = input.str()?;
            let l = input.str()?;
            if t as usize >= tags {
                return Err(input.corrupt("lemma exception out of range"));
            }
            exceptions.entry(f).or_default().push((t, l));
        }
        let n = input.count(1)?;
        let mut known = std::collections::HashSet::with_capacity(n);
        for _ in 0..n {
            known.insert(input.str()?);
        }
        Ok(Lemmatizer::new(edits, rules, exceptions, known))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_suffix_rules_that_reach_unseen_words() {
        // tag 0 = NNS, 1 = VBD
        let data = [
            ("parties", 0, "party"),
            ("countries", 0, "country"),
            ("ministries", 0, "ministry"),
            ("talks", 0, "talk"),
            ("leaders", 0, "leader"),
            ("troops", 0, "troop"),
            ("signed", 1, "sign"),
            ("agreed", 1, "agree"),
            ("hosted", 1, "host"),
            ("met", 1, "meet"),
            ("Talks", 0, "talk"),
        ];
        let l = Lemmatizer::train(data.iter().map(|&(f, t, l)| (f, t, l)));
        assert_eq!(l.lemma("militaries", 0), "military");
        assert_eq!(l.lemma("envoys", 0), "envoy");
        assert_eq!(l.lemma("met", 1), "meet");
        assert_eq!(l.lemma("Sanctions", 0), "sanction");
        assert_eq!(l.lemma("condemned", 1), "condemn");
    }

    #[test]
    fn prefers_a_rule_that_gives_a_known_word() {
        // tag 0 = VBD, 1 = NN. "-bed" pasts double their consonant in the treebank's verbs,
        // but "bomb" is a word it knows, so "bombed" is not "bom".
        let data = [
            ("grabbed", 0, "grab"),
            ("robbed", 0, "rob"),
            ("stabbed", 0, "stab"),
            ("signed", 0, "sign"),
            ("hosted", 0, "host"),
            ("warned", 0, "warn"),
            ("condemned", 0, "condemn"),
            ("bomb", 1, "bomb"),
        ];
        let l = Lemmatizer::train(data.iter().map(|&(f, t, l)| (f, t, l)));
        assert_eq!(l.lemma("bombed", 0), "bomb");
        assert_eq!(l.lemma("dabbed", 0), "dab", "an unknown result still follows the longest rule");
        let mut w = Writer::default();
        l.write(&mut w);
        let bytes = w.into_inner();
        let back = Lemmatizer::read(&mut Reader::new(&bytes, "test"), 2).map_err(|e| e.to_string());
        assert_eq!(back.as_ref().map(|b| b.lemma("bombed", 0)), Ok("bomb".to_string()));
    }
}
