//! Predicate frames from a dependency tree: for every verb of a parsed sentence, who does it
//! (subjects, the by-agent of a passive), to whom or what (objects, prepositional complements),
//! whether it is negated, modal or future, and what kind of clause it heads (main, reported
//! content, control, relative, participial, adverbial). Coordination is distributed ("Lula and
//! Fernandez agreed" has two subjects), controlled and coordinated verbs inherit their subjects
//! ("agreed to deepen": the deepeners are the agreers; "urged Kyiv to withdraw": Kyiv withdraws),
//! and relative pronouns stand for the noun they modify ("the ceasefire, which was brokered").
//!
//! The coder's lexicon patterns are matched against these frames rather than token windows.

use crate::syntax::ParsedSentence;

/// What kind of clause a frame's predicate heads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClauseKind {
    /// The sentence's main clause (or a clause coordinated with it that has its own subject).
    Main,
    /// The content of a report or speech act ("said that Y …", `ccomp`).
    Complement,
    /// A controlled infinitive or gerund ("agreed to deepen", "urged Kyiv to withdraw", `xcomp`).
    Control,
    /// A relative clause ("the ceasefire, which was brokered by Qatar", `acl:relcl`).
    Relative,
    /// A participial or infinitival modifier of a noun ("restrictions imposed on Greek ships").
    Participial,
    /// An adverbial clause ("after meeting Erdogan", `advcl`).
    Adverbial,
}

impl ClauseKind {
    /// The lowercase name shown by `--explain`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ClauseKind::Main => "main",
            ClauseKind::Complement => "complement",
            ClauseKind::Control => "control",
            ClauseKind::Relative => "relative",
            ClauseKind::Participial => "participial",
            ClauseKind::Adverbial => "adverbial",
        }
    }
}

/// How the predicate is asserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Modality {
    /// As a fact.
    Asserted,
    /// In the future or as an intention ("will", "would", "shall").
    Future,
    /// As a possibility or obligation ("may", "could", "should", "must", "can").
    Possible,
}

/// One predicate and its arguments. Word indexes are 0-based positions in the sentence.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Frame {
    /// The predicate word.
    pub predicate: usize,
    /// Its lemma, lowercase.
    pub lemma: String,
    /// A verb particle ("pulled *out*", "called *off*").
    pub particle: Option<usize>,
    /// Passive voice ("was brokered").
    pub passive: bool,
    /// Negated ("did not sign", "never met").
    pub negated: bool,
    /// Future, intended or possible rather than asserted.
    pub modality: Modality,
    /// The clause kind.
    pub clause: ClauseKind,
    /// The frame this one depends on (the verb of the clause it is part of), if any.
    pub parent: Option<usize>,
    /// Who acts: the subjects of an active verb, the by-agents of a passive (coordination
    /// distributed; inherited by controlled and subject-less coordinated verbs).
    pub actors: Vec<usize>,
    /// What is acted on: direct objects, or the subjects of a passive.
    pub objects: Vec<usize>,
    /// Indirect objects ("gave Ukraine weapons").
    pub recipients: Vec<usize>,
    /// Prepositional complements: (preposition, lowercase, possibly two words as "out of"; head
    /// word of the complement).
    pub obliques: Vec<(String, usize)>,
}

/// Dependents of every word, in sentence order.
fn children(s: &ParsedSentence) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); s.words.len()];
    for (i, w) in s.words.iter().enumerate() {
        if w.head > 0 && w.head <= s.words.len() {
            out[w.head - 1].push(i);
        }
    }
    out
}

fn base(deprel: &str) -> &str {
    deprel.split(':').next().unwrap_or(deprel)
}

/// Relative pronouns stand for the noun their clause modifies.
fn is_relative_pronoun(lower: &str) -> bool {
    matches!(lower, "which" | "that" | "who" | "whom" | "whose")
}

/// A word and the words coordinated with it ("Lula and Fernandez" → both).
fn with_conjuncts(kids: &[Vec<usize>], s: &ParsedSentence, word: usize, out: &mut Vec<usize>) {
    if out.contains(&word) {
        return;
    }
    out.push(word);
    for &k in &kids[word] {
        // A coordinated verb is a clause of its own, not a second argument.
        if s.words[k].deprel == "conj" && !is_verbal(s, k) {
            with_conjuncts(kids, s, k, out);
        }
    }
}

fn is_verbal(s: &ParsedSentence, i: usize) -> bool {
    matches!(s.words[i].upos, "VERB" | "AUX") && !has_copula(s, i)
}

fn has_copula(s: &ParsedSentence, i: usize) -> bool {
    s.words.iter().any(|w| w.head == i + 1 && w.deprel == "cop")
}

/// The preposition of an oblique or nominal modifier: its `case` dependents, joined ("out of").
fn preposition(kids: &[Vec<usize>], s: &ParsedSentence, word: usize) -> Option<String> {
    let case: Vec<&str> = kids[word]
        .iter()
        .filter(|&&k| s.words[k].deprel == "case" && k < word)
        .map(|&k| s.words[k].form.as_str())
        .collect();
    if case.is_empty() { None } else { Some(case.join(" ").to_lowercase()) }
}

/// Repairs the commonest wrong tree on news: a past tense read as a participle that hangs from a
/// noun standing where a clause should ("Thousands of Kurds demonstrated …, witnesses said" read
/// as a noun with a reduced relative; "Boutros-Ghali on Saturday expressed condolences" as an
/// adjective of "condolences", the root). The verb takes the noun's place; the noun becomes its
/// subject when it comes first, else its object, whose nominal dependents before the verb become
/// the subject.
pub(crate) fn repair(s: &mut ParsedSentence) {
    for p in 0..s.words.len() {
        let w = &s.words[p];
        if w.upos != "VERB" || !matches!(w.deprel, "acl" | "amod") || w.head == 0 {
            continue;
        }
        let n = w.head - 1;
        let noun = &s.words[n];
        let in_clause_place = matches!(noun.deprel, "root" | "ccomp" | "parataxis");
        let has_clause = s.words.iter().any(|x| x.head == n + 1 && matches!(x.deprel, "cop" | "nsubj" | "nsubj:pass"));
        if !matches!(noun.upos, "NOUN" | "PROPN" | "NUM") || !in_clause_place || has_clause {
            continue;
        }
        let (noun_head, noun_rel) = (noun.head, noun.deprel);
        s.words[p].head = noun_head;
        s.words[p].deprel = noun_rel;
        s.words[n].head = p + 1;
        s.words[n].deprel = if n < p { "nsubj" } else { "obj" };
        for x in 0..s.words.len() {
            if n > p
                && x < p
                && s.words[x].head == n + 1
                && matches!(base(s.words[x].deprel), "nmod" | "compound" | "appos" | "flat")
                && matches!(s.words[x].upos, "PROPN" | "NOUN")
            {
                s.words[x].head = p + 1;
                s.words[x].deprel = "nsubj";
            }
        }
    }
}

/// Frames of every verb of a parsed sentence, in sentence order of their predicates.
pub(crate) fn frames(s: &ParsedSentence) -> Vec<Frame> {
    let kids = children(s);
    let n = s.words.len();
    // Predicates: verbs, in the order their clauses must be resolved (parents before children).
    let order = resolution_order(s, &kids);
    let mut frames: Vec<Frame> = Vec::new();
    let mut frame_of: Vec<Option<usize>> = vec![None; n];
    for &p in &order {
        let w = &s.words[p];
        // Verbs, and adjectives or nouns with a copula ("is ready to mediate").
        let copular = || kids[p].iter().any(|&k| s.words[k].deprel == "cop");
        if w.upos != "VERB" && !(matches!(w.upos, "ADJ" | "NOUN") && copular()) {
            continue;
        }
        // The nearest verb above this one, and the relation that joins them.
        let mut parent = None;
        let mut up = w.head;
        while up > 0 {
            if let Some(f) = frame_of[up - 1] {
                parent = Some(f);
                break;
            }
            up = s.words[up - 1].head;
        }
        let clause = clause_kind(w.deprel, parent, &frames);
        let mut f = Frame {
            predicate: p,
            lemma: w.lemma.to_lowercase(),
            particle: None,
            passive: false,
            negated: false,
            modality: Modality::Asserted,
            clause,
            parent,
            actors: Vec::new(),
            objects: Vec::new(),
            recipients: Vec::new(),
            obliques: Vec::new(),
        };
        let has_subject = read_dependents(s, &kids, p, &mut f);
        // A passive participle modifying a noun acts on that noun ("restrictions imposed on …").
        if clause == ClauseKind::Participial && w.xpos == "VBN" && f.objects.is_empty() && w.head > 0 {
            f.passive = true;
            f.objects.push(w.head - 1);
        }
        // Relative pronouns stand for the modified noun.
        if clause == ClauseKind::Relative && w.head > 0 {
            let noun = w.head - 1;
            for slot in [&mut f.actors, &mut f.objects] {
                for a in slot.iter_mut() {
                    if is_relative_pronoun(&s.words[*a].form.to_lowercase()) {
                        *a = noun;
                    }
                }
            }
        }
        if let Some(pf) = parent.map(|i| &frames[i]) {
            inherit_from_parent(s, p, &mut f, pf, has_subject);
        }
        frame_of[p] = Some(frames.len());
        frames.push(f);
    }
    in_sentence_order(&mut frames, &order, &frame_of, n);
    frames
}

/// The sentence's words from the roots down, parents before their children.
fn resolution_order(s: &ParsedSentence, kids: &[Vec<usize>]) -> Vec<usize> {
    let n = s.words.len();
    let mut order: Vec<usize> = Vec::new();
    let mut queue: Vec<usize> = (0..n).filter(|&i| s.words[i].head == 0).collect();
    let mut seen = vec![false; n];
    while let Some(i) = queue.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        order.push(i);
        queue.extend(kids[i].iter().rev());
    }
    order
}

/// The kind of clause a predicate heads, from its relation to its head and its parent frame.
fn clause_kind(deprel: &str, parent: Option<usize>, frames: &[Frame]) -> ClauseKind {
    match deprel {
        "ccomp" | "parataxis" => ClauseKind::Complement,
        // "is due to meet" read as a clausal subject: a controlled infinitive all the same.
        "xcomp" | "csubj" => ClauseKind::Control,
        "acl:relcl" => ClauseKind::Relative,
        "acl" => ClauseKind::Participial,
        "advcl" => ClauseKind::Adverbial,
        "conj" => parent.map_or(ClauseKind::Main, |f| frames[f].clause),
        _ if parent.is_none() => ClauseKind::Main,
        _ => ClauseKind::Adverbial,
    }
}

/// Fills a frame from its predicate's dependents (`p`): subjects, objects, recipients, agents,
/// particle, negation, modality, prepositional complements. True when it has a subject.
fn read_dependents(s: &ParsedSentence, kids: &[Vec<usize>], p: usize, f: &mut Frame) -> bool {
    let mut has_subject = false;
    for &k in &kids[p] {
        let d = &s.words[k];
        let lower = d.form.to_lowercase();
        match d.deprel {
            "nsubj" => {
                has_subject = true;
                with_conjuncts(kids, s, k, &mut f.actors);
            }
            // A clause as subject is no actor.
            "csubj" => {}
            "nsubj:pass" | "csubj:pass" => {
                has_subject = true;
                // A passive needs its auxiliary ("was praised"); without one, a past tense
                // the tagger took for a participle ("Saudi Arabia … praised the decision")
                // is active.
                let auxiliary = kids[p].iter().any(|&x| s.words[x].deprel == "aux:pass");
                if auxiliary {
                    f.passive = true;
                    with_conjuncts(kids, s, k, &mut f.objects);
                } else {
                    with_conjuncts(kids, s, k, &mut f.actors);
                }
            }
            "aux:pass" => f.passive = true,
            "obj" => with_conjuncts(kids, s, k, &mut f.objects),
            "iobj" => with_conjuncts(kids, s, k, &mut f.recipients),
            "obl:agent" => with_conjuncts(kids, s, k, &mut f.actors),
            "compound:prt" => f.particle = Some(k),
            "advmod" if matches!(lower.as_str(), "not" | "n't" | "never") => f.negated = true,
            "aux" => match lower.as_str() {
                "will" | "would" | "shall" | "'ll" | "wo" => f.modality = Modality::Future,
                "may" | "might" | "could" | "can" | "should" | "must" | "ca" => f.modality = Modality::Possible,
                _ => {}
            },
            _ if base(d.deprel) == "obl" => {
                if let Some(prep) = preposition(kids, s, k) {
                    let mut heads = Vec::new();
                    with_conjuncts(kids, s, k, &mut heads);
                    f.obliques.extend(heads.into_iter().map(|h| (prep.clone(), h)));
                }
            }
            _ => {}
        }
    }
    has_subject
}

/// What a frame without a subject of its own (predicate `p`) takes from its parent frame `pf`.
fn inherit_from_parent(s: &ParsedSentence, p: usize, f: &mut Frame, pf: &Frame, has_subject: bool) {
    let w = &s.words[p];
    let clause = f.clause;
    let inherit = !has_subject && f.actors.is_empty();
    match clause {
        // Object control ("urged Kyiv to withdraw") when the parent has an object, else
        // subject control ("agreed to deepen"); a passive's subject raises ("Iran is
        // expected to host": Iran hosts).
        ClauseKind::Control if inherit => {
            f.actors = if pf.objects.is_empty() { pf.actors.clone() } else { pf.objects.clone() };
        }
        // "signed and ratified", "after meeting Erdogan": the parent's subjects; a
        // participle modifying a noun ("a deal ending the war") has that noun as subject.
        ClauseKind::Participial if inherit && w.head > 0 && !f.passive => f.actors = vec![w.head - 1],
        _ if inherit && w.deprel == "conj" => {
            f.actors = pf.actors.clone();
            f.negated |= pf.negated && !has_subject;
            if f.modality == Modality::Asserted {
                f.modality = pf.modality;
            }
        }
        ClauseKind::Adverbial if inherit => f.actors = pf.actors.clone(),
        _ => {}
    }
}

/// Puts frames in sentence order of their predicates and renumbers their parents (`order` is
/// the resolution order, `frame_of` each word's frame in it; `n` the number of words).
fn in_sentence_order(frames: &mut [Frame], order: &[usize], frame_of: &[Option<usize>], n: usize) {
    frames.sort_by_key(|f| f.predicate);
    // Parents were indexes in resolution order: map them to the sorted order.
    let position: Vec<Option<usize>> = {
        let mut pos = vec![None; n];
        for (i, f) in frames.iter().enumerate() {
            pos[f.predicate] = Some(i);
        }
        pos
    };
    let by_resolution: Vec<usize> = order.iter().filter(|&&p| frame_of[p].is_some()).copied().collect();
    for f in frames.iter_mut() {
        f.parent = f.parent.and_then(|r| by_resolution.get(r)).and_then(|&p| position[p]);
    }
}

impl Frame {
    /// One line for `--explain`: `agree [main] actors: Lula, Fernandez; on: Tuesday`.
    pub(crate) fn describe(&self, s: &ParsedSentence) -> String {
        let words = |v: &[usize]| v.iter().map(|&i| s.words[i].form.as_str()).collect::<Vec<_>>().join(", ");
        let mut out = self.lemma.clone();
        if let Some(p) = self.particle {
            out.push(' ');
            out.push_str(&s.words[p].form.to_lowercase());
        }
        out.push_str(&format!(" [{}", self.clause.as_str()));
        for (on, flag) in [(self.passive, " passive"), (self.negated, " negated")] {
            if on {
                out.push_str(flag);
            }
        }
        match self.modality {
            Modality::Asserted => {}
            Modality::Future => out.push_str(" future"),
            Modality::Possible => out.push_str(" possible"),
        }
        out.push(']');
        let mut parts = Vec::new();
        for (name, v) in [("actors", &self.actors), ("objects", &self.objects), ("recipients", &self.recipients)] {
            if !v.is_empty() {
                parts.push(format!("{name}: {}", words(v)));
            }
        }
        for (prep, h) in &self.obliques {
            parts.push(format!("{prep}: {}", s.words[*h].form));
        }
        if !parts.is_empty() {
            out.push(' ');
            out.push_str(&parts.join("; "));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::SyntaxModel;

    /// The frames of a sentence, one described line each.
    fn described(text: &str) -> Vec<String> {
        let model = SyntaxModel::embedded().expect("model");
        let s = model.parse_span(text, 0, text.len()).expect("words");
        frames(&s).iter().map(|f| f.describe(&s)).collect()
    }

    #[test]
    fn a_past_tense_read_as_a_noun_modifier_is_repaired_into_the_clause_verb() {
        let text = "Thousands of Iraqi Kurds demonstrated in the northern city of Kirkuk on Sunday calling for \
                    independence from Iraq, witnesses said.";
        let model = SyntaxModel::embedded().expect("model");
        let mut s = model.parse_span(text, 0, text.len()).expect("words");
        let before: Vec<String> = frames(&s).iter().map(|f| f.describe(&s)).collect();
        repair(&mut s);
        let after: Vec<String> = frames(&s).iter().map(|f| f.describe(&s)).collect();
        assert!(
            after.iter().any(|l| l.starts_with("demonstrate [complement] actors: Thousands")),
            "before {before:#?}, after {after:#?}"
        );
        let text = "Secretary-General Boutros Boutros-Ghali on Saturday expressed condolences to the United States.";
        let mut s = model.parse_span(text, 0, text.len()).expect("words");
        repair(&mut s);
        let after: Vec<String> = frames(&s).iter().map(|f| f.describe(&s)).collect();
        assert!(
            after.iter().any(|l| l.starts_with("express [main] actors: Ghali; objects: condolences")),
            "{after:#?}"
        );
        // A sentence parsed right is left as it was.
        let text = "Turkey accused Syria of shelling its border towns.";
        let mut s = model.parse_span(text, 0, text.len()).expect("words");
        let parsed = s.clone();
        repair(&mut s);
        assert_eq!(s, parsed);
    }

    fn has(frames: &[String], line: &str) {
        assert!(frames.iter().any(|f| f == line), "no `{line}` in {frames:#?}");
    }

    #[test]
    fn coordinated_subjects_distribute_and_control_inherits_them() {
        let f = described("Lula and Fernandez agreed on Tuesday to deepen energy cooperation.");
        has(&f, "agree [main] actors: Lula, Fernandez; on: Tuesday");
        has(&f, "deepen [control] actors: Lula, Fernandez; objects: cooperation");
    }

    #[test]
    fn object_control_and_coordinated_clauses_keep_their_own_subjects() {
        let f = described("Moscow urged Kyiv to withdraw its troops, and Kyiv rejected the demand.");
        has(&f, "urge [main] actors: Moscow; objects: Kyiv");
        has(&f, "withdraw [control] actors: Kyiv; objects: troops");
        has(&f, "reject [main] actors: Kyiv; objects: demand");
    }

    #[test]
    fn passives_relatives_and_participles_find_their_agents_and_patients() {
        let f = described("Egypt hosted talks on the ceasefire, which was brokered by Qatar and Egypt in 2021.");
        has(&f, "host [main] actors: Egypt; objects: talks");
        has(&f, "broker [relative passive] actors: Qatar, Egypt; objects: ceasefire; in: 2021");
        let f = described("Ankara said it would lift restrictions imposed on Greek ships in 2019.");
        has(&f, "say [main] actors: Ankara");
        has(&f, "lift [complement future] actors: it; objects: restrictions");
        has(&f, "impose [participial passive] objects: restrictions; on: ships; in: 2019");
    }

    #[test]
    fn negation_modality_and_particles_are_marked() {
        let f = described("Japan did not sign the treaty.");
        has(&f, "sign [main negated] actors: Japan; objects: treaty");
        let f = described("Mali pulled out of the regional security pact.");
        has(&f, "pull [main] actors: Mali; out of: pact");
        let f = described("Iran may attack the tanker.");
        has(&f, "attack [main possible] actors: Iran; objects: tanker");
        let f = described("Iran is expected to host talks with Saudi Arabia next week.");
        has(&f, "expect [main passive] objects: Iran");
        assert!(f.iter().any(|l| l.starts_with("host [control] actors: Iran; objects: talks")), "{f:#?}");
    }
}
