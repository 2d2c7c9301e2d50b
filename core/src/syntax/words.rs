//! From our tokens to the treebank's words: contractions split as UD English does ("don't" →
//! "do" "n't", "cannot" → "can" "not", "we're" → "we" "'re"), the hyphens our tokenizer folds
//! into compounds given back as words ("Syria-Turkey" → "Syria" "-" "Turkey") except after a
//! prefix ("post-war", "e-mail"), abbreviations kept with their dot ("Mr.", "Inc."), and runs
//! of dots, dashes, "!" and "?" kept as one word ("...", "?!").

use crate::domain::text::{Token, TokenKind, is_apostrophe};

/// A word's byte range in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WordSpan {
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset after its last character.
    pub end: usize,
}

/// The form the models read: typographic apostrophes and quotes as ASCII.
pub(crate) fn normalized(form: &str) -> std::borrow::Cow<'_, str> {
    const TYPOGRAPHIC: [char; 6] = ['’', '‘', 'ʼ', '“', '”', '„'];
    if !form.contains(TYPOGRAPHIC) {
        return form.into();
    }
    form.chars()
        .map(|c| match c {
            '’' | '‘' | 'ʼ' => '\'',
            '“' | '”' | '„' => '"',
            _ => c,
        })
        .collect::<String>()
        .into()
}

/// The word in lowercase, borrowed when it is already.
pub fn lowercase(form: &str) -> std::borrow::Cow<'_, str> {
    if form.chars().any(char::is_uppercase) { form.to_lowercase().into() } else { form.into() }
}

/// Where a word splits into a base and a clitic, as a byte offset into it.
fn clitic_split(word: &str) -> Option<usize> {
    let lower = word.to_lowercase();
    if lower.len() != word.len() {
        return None;
    }
    if lower == "cannot" {
        return Some(3);
    }
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    let n = chars.len();
    // n't: the n before the apostrophe goes with the clitic ("do|n't", "ca|n't").
    if n >= 4 && is_apostrophe(chars[n - 2].1) && lower.ends_with('t') && chars[n - 3].1.eq_ignore_ascii_case(&'n') {
        return Some(chars[n - 3].0);
    }
    for k in [2usize, 3] {
        // 's is a token of its own already; 'm 'd (k = 2) and 're 've 'll (k = 3).
        if n > k && is_apostrophe(chars[n - k].1) {
            let clitic: String = lower[chars[n - k].0..].chars().skip(1).collect();
            if matches!((k, clitic.as_str()), (2, "m" | "d" | "s") | (3, "re" | "ve" | "ll")) {
                return Some(chars[n - k].0);
            }
        }
    }
    None
}

/// Prefixes the treebank keeps joined to what follows their hyphen.
const PREFIXES: &[&str] = &["e", "co", "pre", "post", "non", "anti", "re", "multi", "semi", "mid", "ex"];

/// Characters whose runs make one word.
fn run_char(c: char) -> Option<char> {
    match c {
        '.' => Some('.'),
        '-' | '—' | '–' => Some('-'),
        '!' | '?' => Some('!'),
        _ => None,
    }
}

/// The words of a sentence's tokens.
pub fn words(text: &str, tokens: &[Token]) -> Vec<WordSpan> {
    let mut out: Vec<WordSpan> = Vec::with_capacity(tokens.len() + 4);
    for (i, t) in tokens.iter().enumerate() {
        if t.hyphen_before && i > 0 {
            let previous = &tokens[i - 1];
            if PREFIXES.contains(&previous.key.as_str()) && out.last().is_some_and(|w| w.start == previous.start) {
                if let Some(last) = out.last_mut() {
                    last.end = t.end;
                }
                continue;
            }
            // The hyphen between the previous token and this one.
            let gap = tokens[i - 1].end..t.start;
            if let Some((off, c)) = text[gap.clone()].char_indices().find(|(_, c)| !c.is_whitespace()) {
                out.push(WordSpan { start: gap.start + off, end: gap.start + off + c.len_utf8() });
            }
        }
        let form = &text[t.start..t.end];
        if t.kind == TokenKind::Punct {
            let c = form.chars().next().unwrap_or(' ');
            if let Some(last) = out.last_mut() {
                let prev = &text[last.start..last.end];
                // A run of dots, dashes or "!?" with nothing between is one word.
                let run = run_char(c);
                if last.end == t.start && run.is_some() && prev.chars().all(|p| run_char(p) == run) {
                    last.end = t.end;
                    continue;
                }
                // An abbreviation keeps its dot.
                let i_prev = i.checked_sub(1).map(|j| &tokens[j]);
                if c == '.'
                    && last.end == t.start
                    && i_prev.is_some_and(|p| {
                        p.kind == TokenKind::Word
                            && p.start == last.start
                            // "No." ends "He said no." as often as it abbreviates "number".
                            && !matches!(p.key.as_str(), "no" | "nos")
                            && crate::syntax::sentences::ABBREVIATIONS.contains(&p.key.as_str())
                    })
                {
                    last.end = t.end;
                    continue;
                }
            }
        }
        if let Some(at) = clitic_split(form).filter(|_| t.kind == TokenKind::Word) {
            out.push(WordSpan { start: t.start, end: t.start + at });
            out.push(WordSpan { start: t.start + at, end: t.end });
            continue;
        }
        out.push(WordSpan { start: t.start, end: t.end });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        let tokens = crate::domain::text::tokenize(text);
        words(text, &tokens).iter().map(|w| &text[w.start..w.end]).collect()
    }

    #[test]
    fn words_are_the_treebank_s() {
        assert_eq!(split("Ankara doesn't want it."), ["Ankara", "does", "n't", "want", "it", "."]);
        assert_eq!(split("We can’t and cannot wait"), ["We", "ca", "n’t", "and", "can", "not", "wait"]);
        assert_eq!(split("they're here, I'm sure"), ["they", "'re", "here", ",", "I", "'m", "sure"]);
        assert_eq!(split("Turkey's Syria-Turkey talks..."), ["Turkey", "'s", "Syria", "-", "Turkey", "talks", "..."]);
        assert_eq!(split("Côte d'Ivoire"), ["Côte", "d'Ivoire"]);
        assert_eq!(split("Mr. Lavrov's post-war e-mail?!"), ["Mr.", "Lavrov", "'s", "post-war", "e-mail", "?!"]);
    }
}
