//! Sources and targets of a matched predicate: the pattern's slots, the frame's actors and
//! objects, prepositional complements, a speech act's content, the nearest unclaimed actor.

use super::Aligned;
use super::clause::ClauseState;
use super::matching::{TreeMatch, content_category};
use crate::coder::frames::{ClauseKind, Frame};
use crate::coder::lexicon::{Elem, Lexicon};

/// Prepositions whose complement can be an act's target when the pattern names none.
const TARGET_PREPOSITIONS: &[&str] =
    &["with", "to", "against", "on", "at", "from", "toward", "towards", "into", "between", "for", "upon"];

/// What a speech act says, as the parties of its verb read it: the content's word, if the verb
/// has one, and the best match of every word of the sentence.
#[derive(Clone, Copy)]
pub(super) struct Content<'a> {
    pub(super) word: Option<usize>,
    pub(super) best: &'a [Option<TreeMatch>],
}

/// Sources and targets (mention indexes) of a matched predicate.
pub(super) fn parties(
    a: &Aligned,
    lex: &Lexicon,
    m: &TreeMatch,
    frame: Option<&Frame>,
    frames: &[Frame],
    st: &ClauseState,
    content: Content<'_>,
) -> (Vec<usize>, Vec<usize>) {
    let Content { word: content, best: content_best } = content;
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
