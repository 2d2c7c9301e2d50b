//! Objects that name an act instead of its author ("condemned the invasion", "supported it"):
//! the author of the latest act the noun can name.

use crate::coder::engine::SentenceEvent;

/// Nouns that name acts, with the predicates and CAMEO roots of the acts they can name.
const ACT_NOUNS: &[(&str, &[&str], &[&str])] = &[
    ("invasion", &["invade"], &["19"]),
    ("occupation", &["occupy"], &["19"]),
    ("annexation", &["annex"], &["19"]),
    ("seizure", &["seize", "capture"], &["17", "19"]),
    ("expulsion", &["expel"], &["16"]),
    ("sanction", &["sanction", "impose"], &["16"]),
    ("strike", &[], &["18", "19", "20"]),
    ("airstrike", &[], &["18", "19", "20"]),
    ("raid", &[], &["18", "19", "20"]),
    ("bombing", &[], &["18", "19", "20"]),
    ("attack", &[], &["18", "19", "20"]),
    ("assault", &[], &["18", "19", "20"]),
    ("offensive", &[], &["18", "19", "20"]),
    ("shelling", &[], &["18", "19", "20"]),
    ("killing", &[], &["18", "19", "20"]),
    ("assassination", &[], &["18", "19", "20"]),
    ("massacre", &[], &["18", "19", "20"]),
    ("test", &["launch", "fire", "test"], &["15", "19"]),
    ("launch", &["launch", "fire"], &["15", "19"]),
    ("demand", &[], &["10", "02"]),
    ("request", &[], &["02", "10"]),
    ("appeal", &[], &["02"]),
    ("call", &[], &["02", "10"]),
    ("ultimatum", &[], &["13", "10"]),
    ("threat", &[], &["13"]),
    ("offer", &[], &["03"]),
    ("proposal", &[], &["03"]),
];
/// Words that name whatever was done last ("supported the decision", "condemned it").
const ANY_ACT: &[&str] = &["decision", "move", "action", "step", "measure", "it", "this", "that", "operation"];

/// The author of the latest act that `noun` can name, not one of the current source's own
/// country: its code and name.
fn author_of(
    noun: &str,
    acts: &[(String, String, String, Option<String>)],
    source_country: Option<&str>,
    dict: &crate::domain::actors::Dictionary,
) -> Option<(String, Option<String>)> {
    let fits = |(predicate, root, _, _): &(String, String, String, Option<String>)| {
        if ANY_ACT.contains(&noun) {
            // Material acts, not statements about them.
            return matches!(root.as_str(), "15" | "16" | "17" | "18" | "19" | "20" | "05" | "06" | "07" | "08");
        }
        ACT_NOUNS.iter().any(|(n, predicates, roots)| {
            *n == noun && (predicates.contains(&predicate.as_str()) || roots.contains(&root.as_str()))
        })
    };
    acts.iter()
        .rev()
        .filter(|a| fits(a))
        .find(|a| source_country.is_none() || dict.country_of(&a.2).as_deref() != source_country)
        .map(|a| (a.2.clone(), a.3.clone()))
}

/// Gives an event whose object names an act the author of that act as its target, then records
/// the event (`root`: its CAMEO root) among the acts later objects may name.
pub(super) fn note_act(
    e: &mut SentenceEvent,
    root: &str,
    acts: &mut Vec<(String, String, String, Option<String>)>,
    dict: &crate::domain::actors::Dictionary,
) {
    let country = |c: &Option<String>| c.as_deref().and_then(|c| dict.country_of(c));
    if e.target.is_none()
        && let Some(noun) = &e.pending_target
        && let Some((code, name)) = author_of(noun, acts, country(&e.source).as_deref(), dict)
    {
        e.target = Some(code);
        e.target_name = name;
    }
    if let Some(src) = &e.source
        && !e.predicate.is_empty()
    {
        acts.push((e.predicate.clone(), root.to_string(), src.clone(), e.source_name.clone()));
    }
}
