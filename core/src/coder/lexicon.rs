//! The event lexicon: a data file of verb and phrase patterns mapped to CAMEO codes.
//!
//! CAMEO crosses speech acts with what they are about: an appeal, an expressed intent, a demand,
//! a rejection or a threat concerning aid, release, sanctions, a meeting, a ceasefire… So the
//! lexicon has two kinds of sections:
//!
//! * `@frame KIND DEFAULT` — the heads of speech acts (`urge T to`, `refuse to`, `threaten to`)
//!   that open a complement; KIND is appeal, intent, demand, reject, threaten, accede or deny.
//! * `@category NAME action=… appeal=… intent=… demand=… reject=… threaten=…` — what acts are
//!   about, with the code of each frame; a category's patterns match as the main verb of a
//!   sentence (the `action` code: "released the prisoners") or inside a frame's complement
//!   ("urged Syria to release the prisoners" → the `appeal` code).
//! * `@code CODE` — patterns coded CODE as a main verb, added to the category whose action code
//!   is CODE (the converted PETRARCH-2 verb dictionary, `phoenix-verbs.txt`, is written this way);
//!   `@code none` patterns code nothing and so block a shorter pattern's code.
//! * `@fallback` — the rest of the file's patterns are used only at verbs no other file's pattern
//!   matches, and only on the parse (not by the token windows): a large converted dictionary adds
//!   events without overriding curated patterns.
//!
//! Pattern syntax, one per line: words are base forms matching any inflection (`accuse` matches
//! "accused"); `=word` matches exactly; `a|b` alternatives; `(x)` optional; `...` skips up to four
//! tokens within the clause; `T` is the target actor, `S` the source; `C` starts a frame's
//! complement. A line starting with `~` is only read inside a complement ("called for
//! sanctions"), never as a main verb; a line starting with `^` is a noun phrase that is an event
//! by itself ("airstrikes"), read even after an article or preposition where a verb pattern
//! would be reading a noun ("for attacks"). `@frame swallow none` codes nothing and hides its
//! complement ("efforts to end the fighting"). The file and line of a pattern is the `rule` of
//! its events.

use super::lemma::Lemmatizer;
use crate::domain::taxonomy::taxonomy;
use crate::error::{Error, Location, Result};
use std::collections::HashMap;

/// The speech acts that take a complement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameKind {
    /// Appeal (02).
    Appeal,
    /// Express intent (03).
    Intent,
    /// Demand (10).
    Demand,
    /// Reject or refuse (12).
    Reject,
    /// Threaten (13).
    Threaten,
    /// Accede to a request (the content's action code: "accepted demands to release").
    Accede,
    /// Deny (016 whatever the content).
    Deny,
    /// Demonstrate or rally for something (141x).
    Demonstrate,
    /// Hunger strike for something (142x).
    Hunger,
    /// Strike or boycott for something (143x).
    Strike,
    /// Obstruct passage to demand something (144x).
    Obstruct,
    /// Riot for something (145x).
    Riot,
    /// Always the frame's own code, whatever the complement ("issued an ultimatum to … to …").
    Fixed,
    /// Codes nothing and swallows its complement ("efforts to end the fighting" is not an end
    /// of the fighting).
    Swallow,
}

impl FrameKind {
    fn parse(s: &str) -> Option<FrameKind> {
        Some(match s {
            "appeal" => FrameKind::Appeal,
            "intent" => FrameKind::Intent,
            "demand" => FrameKind::Demand,
            "reject" => FrameKind::Reject,
            "threaten" => FrameKind::Threaten,
            "accede" => FrameKind::Accede,
            "deny" => FrameKind::Deny,
            "demonstrate" => FrameKind::Demonstrate,
            "hunger" => FrameKind::Hunger,
            "strike" => FrameKind::Strike,
            "obstruct" => FrameKind::Obstruct,
            "riot" => FrameKind::Riot,
            "fixed" => FrameKind::Fixed,
            "swallow" => FrameKind::Swallow,
            _ => return None,
        })
    }
}

/// One element of a pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum Elem {
    /// One of these words (base forms, or exact when the bool is set).
    Word(Vec<(String, bool)>),
    /// An optional group of elements: `(with)`, `(with T)`, `(state of)`.
    Optional(Vec<Elem>),
    /// Up to four tokens of the same clause.
    Gap,
    /// The target actor.
    Target,
    /// The source actor.
    Source,
    /// The start of a frame's complement.
    Content,
}

/// Who owns a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A category (index into [`Lexicon::categories`]).
    Category(usize),
    /// A frame (index into [`Lexicon::frames`]).
    Frame(usize),
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// Its elements; the first is a `Word`.
    pub elems: Vec<Elem>,
    /// The section it belongs to.
    pub owner: Owner,
    /// `file:line`.
    pub rule: String,
    /// Only inside a frame's complement (nouns such as "sanctions", "talks"), never a main verb.
    pub content_only: bool,
    /// A noun phrase that is an event by itself ("airstrikes", "car bomb"): it may follow a
    /// determiner or preposition, where a verb pattern would be reading a noun.
    pub nominal: bool,
    /// From a file marked `@fallback`: used only where no other pattern matches the word.
    pub fallback: bool,
}

/// A category: what acts are about, with a code per frame.
#[derive(Debug, Clone, Default)]
pub struct Category {
    /// Its name.
    pub name: String,
    /// The code as a main verb.
    pub action: Option<String>,
    /// Codes per frame.
    pub frames: HashMap<FrameKind, String>,
    /// Events between the subject's parties are reciprocal ("A and B met").
    pub symmetric: bool,
    /// Announced in the future tense it is a scheduled event ("will meet next week": a planned
    /// meeting), not an expression of intent.
    pub scheduled: bool,
}

impl Category {
    /// The code of the act: refused ("will not release"), demanded by a speaker ("Y must
    /// release", said by X), announced ("would meet": intent; "would attack": a threat; a
    /// scheduled act such as "will visit" keeps its action code), or done. None when the
    /// category has no code for that.
    pub fn code(&self, refused: bool, demanded: bool, announced: bool) -> Option<String> {
        if refused {
            self.frames.get(&FrameKind::Reject).cloned()
        } else if demanded {
            self.frames.get(&FrameKind::Demand).cloned()
        } else if announced && !self.scheduled {
            self.frames
                .get(&FrameKind::Intent)
                .or(self.frames.get(&FrameKind::Threaten))
                .or(self.action.as_ref())
                .cloned()
        } else {
            self.action.clone()
        }
    }
}

/// A frame section.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Its kind.
    pub kind: FrameKind,
    /// Its code when the complement matches no category.
    pub default: String,
}

impl Frame {
    /// The code of this speech act said as `kind` (its own kind, or turned into a refusal or a
    /// demand) about what its complement is about (`about`). Not for [`FrameKind::Swallow`].
    pub fn code(&self, kind: FrameKind, about: Option<&Category>) -> String {
        let default = match kind {
            FrameKind::Reject if kind != self.kind => "120".to_string(),
            FrameKind::Demand if kind != self.kind => "100".to_string(),
            _ => self.default.clone(),
        };
        match (kind, about) {
            (FrameKind::Deny | FrameKind::Fixed, _) => default,
            (FrameKind::Accede, Some(c)) => c.action.clone().unwrap_or(default),
            // "prepared to impose martial law": an intent to coerce is a threat.
            (FrameKind::Intent, Some(c))
                if !c.frames.contains_key(&FrameKind::Intent) && c.frames.contains_key(&FrameKind::Threaten) =>
            {
                c.frames[&FrameKind::Threaten].clone()
            }
            (k, Some(c)) => c.frames.get(&k).cloned().unwrap_or(default),
            (_, None) => default,
        }
    }
}

/// The compiled lexicon.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    /// Categories.
    pub categories: Vec<Category>,
    /// Frames.
    pub frames: Vec<Frame>,
    /// Every pattern.
    pub patterns: Vec<Pattern>,
    /// Head word → patterns starting with it.
    pub by_head: HashMap<String, Vec<usize>>,
    /// Base forms of every word the patterns use.
    pub lemmas: Lemmatizer,
    /// Topics: (topic word, phrases as folded word sequences, `file:line`).
    pub topics: Vec<(String, Vec<Vec<String>>, String)>,
}

impl Lexicon {
    /// Parses lexicon files (`(name, text)`), each error naming file, line and what is wrong.
    pub fn parse(files: &[(&str, &str)]) -> Result<Lexicon> {
        let mut lex = Lexicon::default();
        for (file, text) in files {
            lex.parse_file(file, text)?;
        }
        // The words of the grammar the matcher checks around verbs.
        for w in ["be", "have", "do", "say", "tell", "not", "will", "would"] {
            lex.lemmas.add(w);
        }
        Ok(lex)
    }

    fn parse_file(&mut self, file: &str, text: &str) -> Result<()> {
        let mut owner: Option<Owner> = None;
        let mut fallback = false;
        for (i, raw) in text.lines().enumerate() {
            let line_no = i as u64 + 1;
            let at = || Location::line(file, line_no);
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix("@topic") {
                let (name, phrases) = rest
                    .split_once(':')
                    .ok_or_else(|| Error::invalid_at(at(), "expected `@topic NAME: phrase; phrase`"))?;
                let name = name.trim();
                let ok = name.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
                    && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                if !ok {
                    return Err(Error::invalid_at(
                        at(),
                        format!("topic `{name}` is not a lowercase word (a-z, 0-9, _)"),
                    ));
                }
                let list: Vec<Vec<String>> = phrases
                    .split(';')
                    .map(|p| crate::domain::text::tokenize(p.trim()).into_iter().map(|t| t.key).collect::<Vec<_>>())
                    .filter(|p| !p.is_empty())
                    .collect();
                if list.is_empty() {
                    return Err(Error::invalid_at(at(), format!("topic `{name}` has no phrases")));
                }
                match self.topics.iter_mut().find(|t| t.0 == name) {
                    Some(t) => t.1.extend(list),
                    None => self.topics.push((name.to_string(), list, format!("{file}:{line_no}"))),
                }
                continue;
            }
            if let Some(rest) = line.strip_prefix("@frame") {
                let parts: Vec<&str> = rest.split_whitespace().collect();
                let (Some(kind), Some(code)) = (parts.first().and_then(|k| FrameKind::parse(k)), parts.get(1)) else {
                    return Err(Error::invalid_at(
                        at(),
                        "expected `@frame KIND DEFAULT_CODE` (KIND: appeal, intent, demand, reject, threaten, accede, deny, demonstrate, hunger, strike, obstruct, riot, fixed, swallow; DEFAULT_CODE `none` for swallow)",
                    ));
                };
                if kind != FrameKind::Swallow {
                    check_code(code, at())?;
                }
                self.frames.push(Frame { kind, default: code.to_string() });
                owner = Some(Owner::Frame(self.frames.len() - 1));
                continue;
            }
            if line == "@fallback" {
                fallback = true;
                continue;
            }
            if let Some(rest) = line.strip_prefix("@code") {
                let code = rest.trim();
                if code.is_empty() || code.contains(char::is_whitespace) {
                    return Err(Error::invalid_at(at(), "expected `@code CODE` (a CAMEO code, or `none`)"));
                }
                owner = Some(Owner::Category(self.code_section(code, at())?));
                continue;
            }
            if let Some(rest) = line.strip_prefix("@category") {
                let mut parts = rest.split_whitespace();
                let name = parts.next().ok_or_else(|| Error::invalid_at(at(), "a category needs a name"))?;
                let mut cat = Category { name: name.to_string(), ..Default::default() };
                for p in parts {
                    if p == "symmetric" {
                        cat.symmetric = true;
                        continue;
                    }
                    if p == "scheduled" {
                        cat.scheduled = true;
                        continue;
                    }
                    let (k, v) = p
                        .split_once('=')
                        .ok_or_else(|| Error::invalid_at(at(), format!("expected frame=CODE, found `{p}`")))?;
                    check_code(v, at())?;
                    if k == "action" {
                        cat.action = Some(v.to_string());
                    } else {
                        let kind = FrameKind::parse(k)
                            .ok_or_else(|| Error::invalid_at(at(), format!("unknown frame `{k}`")))?;
                        cat.frames.insert(kind, v.to_string());
                    }
                }
                self.categories.push(cat);
                owner = Some(Owner::Category(self.categories.len() - 1));
                continue;
            }
            let owner = owner.ok_or_else(|| Error::invalid_at(at(), "a pattern before any @frame or @category"))?;
            let (content_only, nominal, line) = match (line.strip_prefix('~'), line.strip_prefix('^')) {
                (Some(rest), _) => (true, false, rest.trim()),
                (_, Some(rest)) => (false, true, rest.trim()),
                _ => (false, false, line),
            };
            let elems = parse_pattern(line).map_err(|m| Error::invalid_at(at(), m))?;
            fn add_words(lex: &mut Lemmatizer, elems: &[Elem]) {
                for e in elems {
                    match e {
                        Elem::Word(ws) => {
                            for (w, exact) in ws {
                                if !exact {
                                    lex.add(w);
                                }
                            }
                        }
                        Elem::Optional(inner) => add_words(lex, inner),
                        _ => {}
                    }
                }
            }
            add_words(&mut self.lemmas, &elems);
            let idx = self.patterns.len();
            if let Some(Elem::Word(heads)) = elems.first() {
                for (h, _) in heads {
                    // A hyphenated head is looked up by its joined first two parts ("cease-fire").
                    let key = match h.split_once('-') {
                        Some((a, b)) => format!("{a}-{}", b.split('-').next().unwrap_or(b)),
                        None => h.clone(),
                    };
                    self.by_head.entry(key).or_default().push(idx);
                }
            }
            self.patterns.push(Pattern {
                elems,
                owner,
                rule: format!("{file}:{line_no}"),
                content_only,
                nominal,
                fallback,
            });
        }
        Ok(())
    }
}

impl Lexicon {
    /// The category an `@code CODE` section adds to: the first one whose action is CODE (so its
    /// patterns take that category's codes inside speech acts), else a category of that action
    /// alone; `none` is a category without codes, whose patterns block shorter ones.
    fn code_section(&mut self, code: &str, at: Location) -> Result<usize> {
        let action = if code == "none" {
            None
        } else {
            check_code(code, at)?;
            Some(code.to_string())
        };
        if let Some(i) =
            self.categories.iter().position(|c| c.action == action && (action.is_some() || c.name == "none"))
        {
            return Ok(i);
        }
        self.categories.push(Category {
            name: action.clone().unwrap_or_else(|| "none".into()),
            action,
            ..Default::default()
        });
        Ok(self.categories.len() - 1)
    }
}

fn check_code(code: &str, at: Location) -> Result<()> {
    taxonomy().get(code).map(|_| ()).map_err(|e| match e {
        Error::Invalid { message, .. } => Error::invalid_at(at, message),
        other => other,
    })
}

fn words(s: &str) -> std::result::Result<Vec<(String, bool)>, String> {
    s.split('|')
        .map(|w| {
            let (w, exact) = match w.strip_prefix('=') {
                Some(x) => (x, true),
                None => (w, false),
            };
            if w.is_empty() || !w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '\'' || c == '-')
            {
                return Err(format!("`{w}` is not a lowercase word"));
            }
            Ok((w.to_string(), exact))
        })
        .collect()
}

fn parse_elems(tokens: &[&str]) -> std::result::Result<Vec<Elem>, String> {
    let mut elems = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let tok = tokens[i];
        if let Some(first) = tok.strip_prefix('(') {
            // An optional group, possibly over several tokens: "(with T)".
            let mut inner = Vec::new();
            let mut cur = first;
            loop {
                if let Some(last) = cur.strip_suffix(')') {
                    if !last.is_empty() {
                        inner.push(last);
                    }
                    break;
                }
                if !cur.is_empty() {
                    inner.push(cur);
                }
                i += 1;
                cur = tokens.get(i).copied().ok_or("an optional group `(` is not closed")?;
            }
            if inner.iter().any(|t| t.contains('(') || t.contains(')')) {
                return Err("optional groups do not nest".into());
            }
            elems.push(Elem::Optional(parse_elems(&inner)?));
            i += 1;
            continue;
        }
        elems.push(match tok {
            "..." => Elem::Gap,
            "T" => Elem::Target,
            "S" => Elem::Source,
            "C" => Elem::Content,
            t => Elem::Word(words(t)?),
        });
        i += 1;
    }
    Ok(elems)
}

fn parse_pattern(line: &str) -> std::result::Result<Vec<Elem>, String> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let elems = parse_elems(&tokens)?;
    match elems.first() {
        Some(Elem::Word(_)) => Ok(elems),
        _ => Err("a pattern must start with a word".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sections_and_reports_lines() {
        let lex = Lexicon::parse(&[(
            "t.txt",
            "# test\n@frame appeal 020\ncall on T to C\n@category release action=0841 appeal=0253\nrelease|free ... =prisoners\n",
        )])
        .expect("parse");
        assert_eq!(lex.patterns.len(), 2);
        assert_eq!(lex.patterns[1].rule, "t.txt:5");
        assert!(lex.by_head.contains_key("free"));
        assert_eq!(lex.lemmas.lemma("freed"), "free");
        let e = Lexicon::parse(&[("t.txt", "@category x action=999\nfoo\n")]).unwrap_err();
        assert!(e.to_string().contains("t.txt, line 1") && e.to_string().contains("999"), "{e}");
        let e = Lexicon::parse(&[("t.txt", "@category x action=040\nT meets\n")]).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    #[test]
    fn code_sections_join_the_category_of_their_code_and_fallback_files_rank_last() {
        let ours = "@category release action=0841 appeal=0253\nrelease ... prisoners\n";
        let converted = "@fallback\n@code 0841\nfree ... hostages\n@code 1711\nconfiscate\n@code none\nfree ... time\n";
        let lex = Lexicon::parse(&[("ours.txt", ours), ("conv.txt", converted)]).expect("parse");
        // "urged Iran to free the hostages" is an appeal for a release, as ours would code it.
        let Owner::Category(c) = lex.patterns[1].owner else { panic!("not a category") };
        assert_eq!(lex.categories[c].name, "release");
        assert_eq!(lex.categories[c].frames.get(&FrameKind::Appeal).map(String::as_str), Some("0253"));
        let Owner::Category(c) = lex.patterns[2].owner else { panic!("not a category") };
        assert_eq!(lex.categories[c].action.as_deref(), Some("1711"));
        let Owner::Category(c) = lex.patterns[3].owner else { panic!("not a category") };
        assert_eq!(lex.categories[c].code(false, false, false), None, "`none` codes nothing");
        assert!(!lex.patterns[0].fallback && lex.patterns[1..].iter().all(|p| p.fallback));
        let e = Lexicon::parse(&[("t.txt", "@code 999\nfoo\n")]).unwrap_err();
        assert!(e.to_string().contains("t.txt, line 1"), "{e}");
    }
}
