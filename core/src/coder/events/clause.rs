//! How the clause of a predicate asserts it: negated, hypothetical, a condition, a state,
//! announced for the future, a refusal, or a demand reported by a sayer.

use super::Aligned;
use crate::coder::frames::{ClauseKind, Frame, Modality};

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

/// How the clause of a predicate asserts it.
pub(super) struct ClauseState {
    /// Why it is not coded at all.
    pub(super) skip: Option<&'static str>,
    /// Announced for the future.
    pub(super) future: bool,
    /// "will not release": a refusal.
    pub(super) refusal: bool,
    /// "X said Y must V": the sayer's actors, making it X's demand of Y.
    pub(super) demanded_by: Option<Vec<usize>>,
}

impl ClauseState {
    /// How the clause of the predicate at word `w` (with its frame, if any) asserts it.
    pub(super) fn of(a: &Aligned, frames: &[Frame], frame: Option<&Frame>, w: usize) -> ClauseState {
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
