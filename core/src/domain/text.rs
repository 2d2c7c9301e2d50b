//! Tokens of English news text with their offsets, and the folding that makes names match
//! whatever their spelling ("Türkiye" = "Turkiye", "U.S." = "US", "al-Assad" = "al Assad").
//!
//! The actor dictionary keys its names with [`name_key`] and the coder reads text with
//! [`tokenize`]; both go through the same rules so that a name in a data file matches the same
//! name in an article.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Letters (and digits inside words), possibly with internal apostrophes or acronym dots.
    Word,
    /// Digits, with `,` or `.` between digit groups ("3.5", "12,000").
    Number,
    /// The possessive `'s` / `’s` (or a bare `'` after a plural: "ministers'").
    Possessive,
    /// One punctuation character.
    Punct,
}

/// One token: its byte range in the text, its folded key and how it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset after the last character.
    pub end: usize,
    /// What the token is.
    pub kind: TokenKind,
    /// The folded form: lowercase, without diacritics, apostrophes or acronym dots.
    pub key: String,
    /// Written with an initial capital letter.
    pub capitalized: bool,
    /// Written entirely in capitals (at least two letters): an acronym such as `US`, `UN`.
    pub all_caps: bool,
    /// Joined to the previous token by a hyphen ("Syria-Turkey", "al-Assad").
    pub hyphen_before: bool,
}

/// An apostrophe in any of its typographic forms.
pub(crate) fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | '‘' | 'ʼ' | '`')
}

fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '‐' | '‑')
}

/// Appends the folded (lowercase, diacritic-free) form of `c` to `out`.
pub(crate) fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    match c {
        'ı' | 'İ' => out.push('i'),
        'ø' | 'Ø' => out.push('o'),
        'æ' | 'Æ' => out.push_str("ae"),
        'œ' | 'Œ' => out.push_str("oe"),
        'ß' => out.push_str("ss"),
        'đ' | 'Đ' | 'ð' | 'Ð' => out.push('d'),
        'ł' | 'Ł' => out.push('l'),
        'þ' | 'Þ' => out.push_str("th"),
        'ħ' | 'Ħ' => out.push('h'),
        _ => {
            let mut any = false;
            unicode_normalization::char::decompose_compatible(c, |d| {
                if !unicode_normalization::char::is_combining_mark(d) {
                    any = true;
                    for l in d.to_lowercase() {
                        out.push(l);
                    }
                }
            });
            if !any {
                out.extend(c.to_lowercase());
            }
        }
    }
}

/// Folds a whole string (lowercase, no diacritics), keeping every other character.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        fold_char(c, &mut out);
    }
    out
}

/// Splits text into tokens. Never fails; offsets are byte offsets into `text`.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::with_capacity(text.len() / 5);
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let n = chars.len();
    let at = |i: usize| -> Option<char> { chars.get(i).map(|x| x.1) };
    let off = |i: usize| -> usize { chars.get(i).map_or(text.len(), |x| x.0) };
    let mut i = 0;
    let mut hyphen = false;
    while i < n {
        let c = chars[i].1;
        if c.is_whitespace() {
            hyphen = false;
            i += 1;
            continue;
        }
        if is_hyphen(c)
            && i > 0
            && at(i - 1).is_some_and(char::is_alphanumeric)
            && at(i + 1).is_some_and(char::is_alphanumeric)
        {
            hyphen = true;
            i += 1;
            continue;
        }
        let start = i;
        if c.is_ascii_digit() {
            // A number, with , or . between digit groups.
            let mut j = i + 1;
            while j < n {
                let d = chars[j].1;
                if d.is_ascii_digit() || ((d == ',' || d == '.') && at(j + 1).is_some_and(|x| x.is_ascii_digit())) {
                    j += 1;
                } else {
                    break;
                }
            }
            // Digits running into letters ("12th", "3rd") make one word.
            let kind = if at(j).is_some_and(char::is_alphabetic) {
                while j < n && chars[j].1.is_alphanumeric() {
                    j += 1;
                }
                TokenKind::Word
            } else {
                TokenKind::Number
            };
            let mut key = String::new();
            for &(_, d) in &chars[start..j] {
                if d != ',' {
                    fold_char(d, &mut key);
                }
            }
            tokens.push(Token {
                start: off(start),
                end: off(j),
                kind,
                key,
                capitalized: false,
                all_caps: false,
                hyphen_before: hyphen,
            });
            hyphen = false;
            i = j;
            continue;
        }
        if c.is_alphabetic() {
            // Acronym with dots: single letters each followed by a dot (U.S., U.N., D.C.).
            let mut j = i;
            let mut acronym = false;
            while at(j).is_some_and(char::is_alphabetic)
                && at(j + 1) == Some('.')
                && at(j + 2).is_some_and(char::is_alphabetic)
                && at(j + 3).is_none_or(|x| x == '.' || !x.is_alphabetic())
            {
                j += 2;
                acronym = true;
            }
            if acronym {
                // Take the last letter and its trailing dot when present ("U.S." keeps both dots).
                j += 1;
                if at(j) == Some('.') {
                    j += 1;
                }
            } else {
                j = i + 1;
                loop {
                    match at(j) {
                        Some(d) if d.is_alphanumeric() || (!d.is_alphabetic() && is_mark(d)) => j += 1,
                        // Internal apostrophe: "d'Ivoire", "Shi'ite"; not the possessive 's.
                        Some(a)
                            if is_apostrophe(a)
                                && at(j + 1).is_some_and(char::is_alphabetic)
                                && !is_possessive_at(&chars, j) =>
                        {
                            j += 1
                        }
                        _ => break,
                    }
                }
            }
            let slice = &chars[start..j];
            let mut key = String::with_capacity(j - start);
            let mut letters = 0;
            let mut upper = 0;
            for &(_, d) in slice {
                if d.is_alphanumeric() {
                    letters += 1;
                    if d.is_uppercase() {
                        upper += 1;
                    }
                    fold_char(d, &mut key);
                }
            }
            tokens.push(Token {
                start: off(start),
                end: off(j),
                kind: TokenKind::Word,
                key,
                capitalized: c.is_uppercase(),
                all_caps: letters >= 2 && upper == letters,
                hyphen_before: hyphen,
            });
            hyphen = false;
            i = j;
            continue;
        }
        if is_apostrophe(c) {
            if is_possessive_at(&chars, i) {
                tokens.push(Token {
                    start: off(i),
                    end: off(i + 2),
                    kind: TokenKind::Possessive,
                    key: "'s".into(),
                    capitalized: false,
                    all_caps: false,
                    hyphen_before: false,
                });
                i += 2;
                continue;
            }
            // A bare apostrophe after a plural word ("ministers'") is a possessive too.
            if i > 0
                && at(i - 1).is_some_and(|p| p == 's' || p == 'S')
                && at(i + 1).is_none_or(|x| !x.is_alphanumeric())
            {
                tokens.push(Token {
                    start: off(i),
                    end: off(i + 1),
                    kind: TokenKind::Possessive,
                    key: "'s".into(),
                    capitalized: false,
                    all_caps: false,
                    hyphen_before: false,
                });
                i += 1;
                continue;
            }
        }
        let mut key = String::new();
        key.push(normalize_punct(c));
        tokens.push(Token {
            start: off(i),
            end: off(i + 1),
            kind: TokenKind::Punct,
            key,
            capitalized: false,
            all_caps: false,
            hyphen_before: false,
        });
        hyphen = false;
        i += 1;
    }
    tokens
}

fn is_mark(c: char) -> bool {
    unicode_normalization::char::is_combining_mark(c)
}

/// True when chars[i] is an apostrophe starting the possessive `'s` (followed by a non-letter).
fn is_possessive_at(chars: &[(usize, char)], i: usize) -> bool {
    i > 0
        && chars.get(i).is_some_and(|x| is_apostrophe(x.1))
        && chars.get(i - 1).is_some_and(|x| x.1.is_alphanumeric())
        && chars.get(i + 1).is_some_and(|x| x.1 == 's' || x.1 == 'S')
        && chars.get(i + 2).is_none_or(|x| !x.1.is_alphanumeric())
}

/// Curly quotes and dashes become their ASCII forms so patterns need one spelling.
fn normalize_punct(c: char) -> char {
    match c {
        '“' | '”' | '„' | '«' | '»' => '"',
        '‘' | '’' => '\'',
        '–' | '—' | '‐' | '‑' => '-',
        _ => c,
    }
}

/// The key under which a dictionary name is indexed: its tokens' keys joined by single spaces.
/// `name_key("Côte d'Ivoire") == "cote divoire"`, `name_key("U.S.") == "us"`.
pub(crate) fn name_key(name: &str) -> String {
    let toks = tokenize(name);
    let mut out = String::with_capacity(name.len());
    for t in &toks {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&t.key);
    }
    out
}

/// True when a name must match case-sensitively: a short all-capital acronym ("US", "UN", "EU",
/// "WHO") whose lowercase form is an ordinary English word or prefix.
pub(crate) fn is_case_sensitive_name(name: &str) -> bool {
    let toks = tokenize(name);
    toks.len() == 1 && toks[0].all_caps && toks[0].key.chars().count() <= 3
}

/// `v[a..b]`, or an empty slice when the range is empty, reversed or out of bounds (mention
/// boundaries may overlap after coreference; slicing must never panic on input).
pub fn slice<T>(v: &[T], a: usize, b: usize) -> &[T] {
    let b = b.min(v.len());
    if a >= b { &[] } else { &v[a..b] }
}

/// Converts byte offsets into character offsets (Unicode scalar values, as Python indexes
/// strings) for one text; build once per document.
#[derive(Debug, Clone)]
pub(crate) struct CharOffsets {
    /// For each char index, its byte offset; the last entry is the text length.
    byte_of_char: Vec<usize>,
}

impl CharOffsets {
    /// Builds the table for `text`.
    pub(crate) fn new(text: &str) -> Self {
        let mut byte_of_char: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        byte_of_char.push(text.len());
        CharOffsets { byte_of_char }
    }

    /// The character index of a byte offset (the next character boundary at or after it).
    pub(crate) fn char_index(&self, byte: usize) -> usize {
        self.byte_of_char.partition_point(|&b| b < byte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(s: &str) -> Vec<String> {
        tokenize(s).into_iter().map(|t| t.key).collect()
    }

    #[test]
    fn folds_names() {
        assert_eq!(name_key("Türkiye"), "turkiye");
        assert_eq!(name_key("Mevlüt Çavuşoğlu"), "mevlut cavusoglu");
        assert_eq!(name_key("İbrahim Kalın"), "ibrahim kalin");
        assert_eq!(name_key("Côte d'Ivoire"), "cote divoire");
        assert_eq!(name_key("U.S."), "us");
        assert_eq!(name_key("al-Assad"), name_key("al Assad"));
        assert_eq!(name_key("Washington, D.C."), "washington , dc");
        assert!(is_case_sensitive_name("US"));
        assert!(is_case_sensitive_name("U.N."));
        assert!(!is_case_sensitive_name("NATO"));
        assert!(!is_case_sensitive_name("Iran"));
    }

    #[test]
    fn tokens_and_offsets() {
        let t = tokenize("Turkey’s forces, 3.5 million Syrians; the U.S. said.");
        let k: Vec<&str> = t.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(k, ["turkey", "'s", "forces", ",", "3.5", "million", "syrians", ";", "the", "us", "said", "."]);
        assert_eq!(t[1].kind, TokenKind::Possessive);
        assert!(t[9].all_caps);
        let text = "Syria’s foreign minister";
        let toks = tokenize(text);
        let co = CharOffsets::new(text);
        assert_eq!(co.char_index(toks[2].start), 8);
        assert_eq!(keys("ministers' meeting"), ["ministers", "'s", "meeting"]);
        assert_eq!(keys("Syria-Turkey ties"), ["syria", "turkey", "ties"]);
        assert!(tokenize("Syria-Turkey")[1].hyphen_before);
        assert_eq!(keys("the 12-year war"), ["the", "12", "year", "war"]);
    }
}
