//! Inflections of the words the lexicon uses: every pattern is written with base forms
//! ("accuse", "hold talks") and matches any inflection ("accused", "holds talks"). Forms are
//! generated from English spelling rules plus a table of irregular verbs.

use std::collections::HashMap;

/// Irregular verbs: base, past, past participle.
const IRREGULAR: &[(&str, &str, &str)] = &[
    ("be", "was", "been"),
    ("arise", "arose", "arisen"),
    ("bear", "bore", "borne"),
    ("beat", "beat", "beaten"),
    ("become", "became", "become"),
    ("begin", "began", "begun"),
    ("bid", "bid", "bid"),
    ("bind", "bound", "bound"),
    ("blow", "blew", "blown"),
    ("break", "broke", "broken"),
    ("bring", "brought", "brought"),
    ("build", "built", "built"),
    ("buy", "bought", "bought"),
    ("catch", "caught", "caught"),
    ("choose", "chose", "chosen"),
    ("come", "came", "come"),
    ("cut", "cut", "cut"),
    ("deal", "dealt", "dealt"),
    ("do", "did", "done"),
    ("draw", "drew", "drawn"),
    ("drive", "drove", "driven"),
    ("fall", "fell", "fallen"),
    ("feel", "felt", "felt"),
    ("fight", "fought", "fought"),
    ("find", "found", "found"),
    ("flee", "fled", "fled"),
    ("fly", "flew", "flown"),
    ("forbid", "forbade", "forbidden"),
    ("forgive", "forgave", "forgiven"),
    ("freeze", "froze", "frozen"),
    ("get", "got", "gotten"),
    ("give", "gave", "given"),
    ("go", "went", "gone"),
    ("grow", "grew", "grown"),
    ("hang", "hung", "hung"),
    ("have", "had", "had"),
    ("hear", "heard", "heard"),
    ("hide", "hid", "hidden"),
    ("hit", "hit", "hit"),
    ("hold", "held", "held"),
    ("keep", "kept", "kept"),
    ("know", "knew", "known"),
    ("lay", "laid", "laid"),
    ("lead", "led", "led"),
    ("leave", "left", "left"),
    ("lend", "lent", "lent"),
    ("let", "let", "let"),
    ("lie", "lay", "lain"),
    ("lose", "lost", "lost"),
    ("make", "made", "made"),
    ("mean", "meant", "meant"),
    ("meet", "met", "met"),
    ("overrun", "overran", "overrun"),
    ("oversee", "oversaw", "overseen"),
    ("overthrow", "overthrew", "overthrown"),
    ("pay", "paid", "paid"),
    ("put", "put", "put"),
    ("quit", "quit", "quit"),
    ("read", "read", "read"),
    ("rebuild", "rebuilt", "rebuilt"),
    ("ride", "rode", "ridden"),
    ("rise", "rose", "risen"),
    ("run", "ran", "run"),
    ("say", "said", "said"),
    ("see", "saw", "seen"),
    ("seek", "sought", "sought"),
    ("sell", "sold", "sold"),
    ("send", "sent", "sent"),
    ("set", "set", "set"),
    ("shake", "shook", "shaken"),
    ("shoot", "shot", "shot"),
    ("shut", "shut", "shut"),
    ("sink", "sank", "sunk"),
    ("sit", "sat", "sat"),
    ("slay", "slew", "slain"),
    ("speak", "spoke", "spoken"),
    ("spend", "spent", "spent"),
    ("split", "split", "split"),
    ("spread", "spread", "spread"),
    ("stand", "stood", "stood"),
    ("steal", "stole", "stolen"),
    ("stick", "stuck", "stuck"),
    ("strike", "struck", "struck"),
    ("swear", "swore", "sworn"),
    ("take", "took", "taken"),
    ("teach", "taught", "taught"),
    ("tear", "tore", "torn"),
    ("tell", "told", "told"),
    ("think", "thought", "thought"),
    ("throw", "threw", "thrown"),
    ("undergo", "underwent", "undergone"),
    ("undertake", "undertook", "undertaken"),
    ("uphold", "upheld", "upheld"),
    ("wage", "waged", "waged"),
    ("win", "won", "won"),
    ("withdraw", "withdrew", "withdrawn"),
    ("withhold", "withheld", "withheld"),
    ("write", "wrote", "written"),
];

/// Verbs that double their final consonant (ban → banned) beyond the one-syllable rule.
const DOUBLING: &[&str] = &[
    "admit", "commit", "compel", "control", "expel", "occur", "omit", "patrol", "permit", "propel", "rebel", "refer",
    "regret", "submit", "transfer", "repel", "equip", "acquit", "abet", "annul", "dispel", "embed", "outstrip",
];

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// True when the word ends consonant-vowel-consonant with a single vowel group (ban, stop, plan).
fn doubles(w: &str) -> bool {
    let b = w.as_bytes();
    let n = b.len();
    if DOUBLING.contains(&w) {
        return true;
    }
    if n < 3 || !b[n - 1].is_ascii_lowercase() {
        return false;
    }
    let (c1, v, c2) = (b[n - 3], b[n - 2], b[n - 1]);
    let vowel_groups = b.windows(2).filter(|p| !is_vowel(p[0]) && is_vowel(p[1])).count() + usize::from(is_vowel(b[0]));
    !is_vowel(c1) && is_vowel(v) && !is_vowel(c2) && !matches!(c2, b'w' | b'x' | b'y') && vowel_groups == 1
}

/// Ends consonant, single vowel, consonant (not w, x, y).
fn ends_cvc(w: &str) -> bool {
    let b = w.as_bytes();
    let n = b.len();
    n >= 3
        && !is_vowel(b[n - 3])
        && is_vowel(b[n - 2])
        && !is_vowel(b[n - 1])
        && !matches!(b[n - 1], b'w' | b'x' | b'y')
}

/// All inflected forms of a base word: verb forms and, for nouns, plurals.
pub(crate) fn forms(base: &str) -> Vec<String> {
    let mut out = vec![base.to_string()];
    if base.contains(' ') || base.is_empty() || !base.bytes().all(|b| b.is_ascii_lowercase()) {
        return out;
    }
    let b = base.as_bytes();
    let last = b[b.len() - 1];
    let cons_y = last == b'y' && b.len() > 1 && !is_vowel(b[b.len() - 2]);
    // Third person / plural.
    if base.ends_with('s')
        || base.ends_with('x')
        || base.ends_with('z')
        || base.ends_with("ch")
        || base.ends_with("sh")
        || base.ends_with('o')
    {
        out.push(format!("{base}es"));
    } else if cons_y {
        out.push(format!("{}ies", &base[..base.len() - 1]));
    } else {
        out.push(format!("{base}s"));
    }
    // Irregular verbs, also behind a prefix ("retake" → "retook", "retaken").
    let irregular =
        IRREGULAR.iter().find(|(v, _, _)| *v == base).map(|&(_, p, pp)| (String::new(), p, pp)).or_else(|| {
            ["re", "over", "under", "with", "out", "mis", "up", "fore", "be"].iter().find_map(|pre| {
                let root = base.strip_prefix(pre)?;
                IRREGULAR.iter().find(|(v, _, _)| *v == root).map(|&(_, p, pp)| (pre.to_string(), p, pp))
            })
        });
    if let Some((pre, past, part)) = irregular {
        out.push(format!("{pre}{past}"));
        out.push(format!("{pre}{part}"));
        if base == "be" {
            out.extend(["is", "are", "were", "am", "being"].map(String::from));
        }
        if base == "have" {
            out.push("has".into());
        }
        if base == "do" {
            out.push("does".into());
        }
    } else if base.ends_with('e') {
        out.push(format!("{base}d"));
    } else if cons_y {
        out.push(format!("{}ied", &base[..base.len() - 1]));
    } else {
        out.push(format!("{base}ed"));
        // Doubling depends on stress ("banned", "kidnapped", but "visited"): generate both when
        // the spelling allows it; the wrong form never occurs in text.
        if doubles(base) || ends_cvc(base) {
            out.push(format!("{base}{}ed", last as char));
        }
    }
    // -ing
    if let Some(stem) = base.strip_suffix("ie") {
        out.push(format!("{stem}ying"));
    } else if base.ends_with('e')
        && !base.ends_with("ee")
        && !base.ends_with("ye")
        && !base.ends_with("oe")
        && base.len() > 2
    {
        out.push(format!("{}ing", &base[..base.len() - 1]));
    } else {
        out.push(format!("{base}ing"));
        if doubles(base) || ends_cvc(base) {
            out.push(format!("{base}{}ing", last as char));
        }
    }
    out.dedup();
    out
}

/// A map from inflected forms to their base forms. A form may have several bases ("accused"
/// is a form of "accuse" and a word of its own; "left" of "leave" and "left").
#[derive(Debug, Clone, Default)]
pub struct Lemmatizer {
    base_of: HashMap<String, Vec<String>>,
}

impl Lemmatizer {
    /// Registers a base word and its forms.
    pub fn add(&mut self, base: &str) {
        for f in forms(base) {
            let bases = self.base_of.entry(f).or_default();
            if !bases.iter().any(|b| b == base) {
                bases.push(base.to_string());
            }
        }
    }

    /// The first base form of a folded word, or the word itself.
    pub fn lemma<'a>(&'a self, word: &'a str) -> &'a str {
        self.base_of.get(word).and_then(|v| v.first()).map_or(word, String::as_str)
    }

    /// True when `base` is a base form of the folded `word` (or the word itself when it has
    /// none): [`Lemmatizer::lemmas`] without building the list.
    pub fn has_base(&self, word: &str, base: &str) -> bool {
        match self.base_of.get(word) {
            Some(v) => v.iter().any(|b| b == base),
            None => word == base,
        }
    }

    /// Every base form of a folded word (the word itself when it has none).
    pub fn lemmas(&self, word: &str) -> Vec<String> {
        self.base_of.get(word).cloned().unwrap_or_else(|| vec![word.to_string()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflections() {
        let f = |w: &str| forms(w);
        assert!(f("accuse").contains(&"accused".to_string()) && f("accuse").contains(&"accusing".to_string()));
        assert!(f("deny").contains(&"denied".to_string()) && f("deny").contains(&"denies".to_string()));
        assert!(f("ban").contains(&"banned".to_string()));
        assert!(f("meet").contains(&"met".to_string()));
        assert!(f("admit").contains(&"admitted".to_string()));
        assert!(f("visit").contains(&"visited".to_string()));
        assert!(f("veto").contains(&"vetoes".to_string()));
        let mut l = Lemmatizer::default();
        l.add("hold");
        l.add("talk");
        assert_eq!(l.lemma("held"), "hold");
        assert_eq!(l.lemma("talks"), "talk");
        assert_eq!(l.lemma("unknown"), "unknown");
        l.add("accused");
        l.add("accuse");
        assert_eq!(l.lemmas("accused"), ["accused", "accuse"]);
    }
}
