//! Sentence splitting for English news: paragraphs, abbreviations (U.S., Dec., Mr., St.),
//! initials (George W. Bush), closing quotes after the stop, and datelines ("MOSCOW, May 11
//! (Reuters) -") set apart from the first sentence.

/// A sentence: byte offsets into the document text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sentence {
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset after the last character.
    pub end: usize,
    /// Index of the paragraph it belongs to.
    pub paragraph: usize,
}

/// A dateline found at the start of a paragraph: where the story was filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dateline {
    /// The place as written ("MOSCOW").
    pub place: String,
    /// Byte range of the whole dateline.
    pub start: usize,
    /// End of the dateline.
    pub end: usize,
}

/// Words that end with a period without ending a sentence.
pub(crate) const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "sgt", "capt", "maj", "adm", "gov", "sen", "rep", "st", "jr",
    "sr", "no", "nos", "vs", "etc", "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "mt", "ft", "ave", "approx", "dept", "est", "fig", "pres", "rev", "hon", "gens",
    "cmdr", "brig", "insp", "supt", "messrs", "pp", "vol", "al", "cf", "ibid",
];

/// Words that typically start a sentence: after "U.S." they mark a boundary.
const STARTERS: &[&str] = &[
    "The",
    "A",
    "An",
    "It",
    "He",
    "She",
    "They",
    "We",
    "I",
    "In",
    "On",
    "At",
    "But",
    "And",
    "This",
    "That",
    "These",
    "Those",
    "His",
    "Her",
    "Its",
    "Their",
    "There",
    "However",
    "Meanwhile",
    "After",
    "Before",
    "During",
    "When",
    "While",
    "As",
    "If",
    "Officials",
    "Both",
];

/// Splits a document into sentences (and finds datelines, which are not sentences).
pub fn split(text: &str) -> (Vec<Sentence>, Vec<Dateline>) {
    let mut sentences = Vec::new();
    let mut datelines = Vec::new();
    for (p, (pstart, pend)) in paragraphs(text).into_iter().enumerate() {
        let mut start = pstart;
        if let Some(d) = dateline(text, pstart, pend) {
            start = d.end;
            datelines.push(d);
        }
        split_paragraph(text, start, pend, p, &mut sentences);
    }
    (sentences, datelines)
}

/// Paragraph ranges: blank lines always separate; a single newline separates when the line
/// before ends a sentence or is a short headline-like line.
fn paragraphs(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            let line_before = text[start..i].trim_end();
            let mut j = i + 1;
            let mut blank = false;
            while j < bytes.len() && (bytes[j] == b' ' || bytes[j] == b'\t' || bytes[j] == b'\r' || bytes[j] == b'\n') {
                if bytes[j] == b'\n' {
                    blank = true;
                }
                j += 1;
            }
            let ends_sentence = line_before.ends_with(['.', '!', '?', '"', '”', ':', ')']);
            let headline = line_before.len() < 80 && !line_before.ends_with(',');
            if blank || ends_sentence || headline {
                if !line_before.is_empty() {
                    out.push((start, start + line_before.len()));
                }
                start = j;
            }
            i = j;
            continue;
        }
        i += 1;
    }
    let rest = text[start..].trim_end();
    if !rest.is_empty() {
        out.push((start, start + rest.len()));
    }
    // Leading whitespace is not part of a paragraph.
    out.into_iter()
        .map(|(s, e)| {
            let lead = text[s..e].len() - text[s..e].trim_start().len();
            (s + lead, e)
        })
        .filter(|(s, e)| s < e)
        .collect()
}

/// "MOSCOW, May 11 (Reuters) -" or "DAMASCUS (AP) —" at the start of a paragraph.
fn dateline(text: &str, start: usize, end: usize) -> Option<Dateline> {
    let para = &text[start..end];
    let head: String = para.chars().take(80).collect();
    // The place: one to three words in capitals.
    let mut place_end = 0;
    let mut words = 0;
    for w in head.split_inclusive([' ', ',']) {
        let core = w.trim_end_matches([' ', ',']);
        if core.starts_with('(') {
            break;
        }
        let letters = core.chars().filter(|c| c.is_alphabetic()).count();
        if letters >= 2 && core.chars().filter(|c| c.is_alphabetic()).all(|c| c.is_uppercase()) {
            place_end += w.len();
            words += 1;
            if w.ends_with(',') || words == 3 {
                break;
            }
        } else {
            break;
        }
    }
    if words == 0 {
        return None;
    }
    let place = head[..place_end].trim_end_matches([' ', ',']).to_string();
    // Then, within a short stretch, an agency in parentheses and/or a dash.
    let rest = &para[place_end..];
    let window: String = rest.chars().take(40).collect();
    let dash = window
        .find([' ', '('])
        .map(|_| ())
        .and_then(|_| ["—", "–", " - ", "-- "].iter().filter_map(|d| window.find(d).map(|i| i + d.len())).min());
    let paren = window.find(')').map(|i| i + 1);
    let cut = match (dash, paren) {
        (Some(d), _) => d,
        (None, Some(p)) if window.trim_start().starts_with('(') || window.contains(", ") => p,
        _ => return None,
    };
    let mut stop = start + place_end + cut;
    while stop < end && text.as_bytes()[stop].is_ascii_whitespace() {
        stop += 1;
    }
    Some(Dateline { place, start, end: stop })
}

fn split_paragraph(text: &str, start: usize, end: usize, paragraph: usize, out: &mut Vec<Sentence>) {
    let chars: Vec<(usize, char)> = text[start..end].char_indices().map(|(i, c)| (i + start, c)).collect();
    let mut s = 0; // index into chars of the current sentence start
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        if matches!(c, '.' | '!' | '?') {
            // Closing quotes or brackets belong to the sentence.
            let mut j = i + 1;
            while j < chars.len() && matches!(chars[j].1, '"' | '”' | '’' | '\'' | ')' | ']') {
                j += 1;
            }
            // More stops ("?!", "...").
            while j < chars.len() && matches!(chars[j].1, '.' | '!' | '?') {
                j += 1;
            }
            let next = chars[j..].iter().position(|x| !x.1.is_whitespace()).map(|p| j + p);
            let boundary = match next {
                None => true,
                Some(n) if n == j => false, // no space after the stop: "3.5", "U.S.-led"
                Some(n) => c != '.' || is_sentence_end(&chars, s, i, n),
            };
            if boundary {
                push(text, chars[s].0, chars.get(j).map_or(end, |x| x.0), paragraph, out);
                s = next.unwrap_or(chars.len());
                i = s;
                continue;
            }
        }
        i += 1;
    }
    if s < chars.len() {
        push(text, chars[s].0, end, paragraph, out);
    }
}

fn push(text: &str, start: usize, end: usize, paragraph: usize, out: &mut Vec<Sentence>) {
    let t = &text[start..end];
    let trimmed_end = start + t.trim_end().len();
    if trimmed_end > start {
        out.push(Sentence { start, end: trimmed_end, paragraph });
    }
}

/// Decides whether the period at `dot` ends a sentence, given the next non-space char at `next`.
fn is_sentence_end(chars: &[(usize, char)], sent_start: usize, dot: usize, next: usize) -> bool {
    let next_c = chars[next].1;
    // The next sentence starts with a capital, a digit or an opening quote.
    if !(next_c.is_uppercase() || next_c.is_ascii_digit() || matches!(next_c, '"' | '“' | '\'' | '‘' | '(')) {
        return false;
    }
    // The word before the period.
    let mut w = dot;
    while w > sent_start && !chars[w - 1].1.is_whitespace() && !matches!(chars[w - 1].1, '(' | '"' | '“') {
        w -= 1;
    }
    let word: String = chars[w..dot].iter().map(|x| x.1).collect();
    let lower = word.to_lowercase();
    let next_word: String = chars[next..].iter().map(|x| x.1).take_while(|c| c.is_alphanumeric()).collect();
    // An initial ("George W. Bush"): a single capital letter.
    if word.chars().count() == 1 && word.chars().all(char::is_uppercase) {
        return false;
    }
    // Acronyms with dots (U.S., U.N.): a boundary only before a typical sentence opener.
    if word.contains('.') && word.chars().filter(|c| c.is_alphabetic()).count() <= 4 {
        return STARTERS.contains(&next_word.as_str());
    }
    if ABBREVIATIONS.contains(&lower.trim_start_matches(|c: char| !c.is_alphabetic())) {
        // "Dec." before a day number or "Mr." before a name never end a sentence.
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(t: &str) -> Vec<String> {
        split(t).0.iter().map(|s| t[s.start..s.end].to_string()).collect()
    }

    #[test]
    fn abbreviations_initials_and_quotes() {
        let t = "Mr. Smith met U.S. officials on Dec. 3 in St. Petersburg. George W. Bush spoke. \
                 \"We will not yield.\" The talks ended.";
        assert_eq!(
            texts(t),
            [
                "Mr. Smith met U.S. officials on Dec. 3 in St. Petersburg.",
                "George W. Bush spoke.",
                "\"We will not yield.\"",
                "The talks ended."
            ]
        );
        let t = "The deal was backed by the U.S. The talks resume on Monday.";
        assert_eq!(texts(t).len(), 2);
        let t = "Growth was 3.5 percent. Prices rose.";
        assert_eq!(texts(t), ["Growth was 3.5 percent.", "Prices rose."]);
    }

    #[test]
    fn paragraphs_and_datelines() {
        let t = "MOSCOW, May 11 (Reuters) - Foreign ministers met in Moscow on Wednesday.\n\nThey agreed to meet again";
        let (s, d) = split(t);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].place, "MOSCOW");
        assert_eq!(&t[s[0].start..s[0].end], "Foreign ministers met in Moscow on Wednesday.");
        assert_eq!(&t[s[1].start..s[1].end], "They agreed to meet again");
        assert_eq!(s[1].paragraph, 1);
        let t = "Turkiye and Syria Hold Talks\nForeign ministers met in Moscow.";
        assert_eq!(texts(t), ["Turkiye and Syria Hold Talks", "Foreign ministers met in Moscow."]);
        let t = "DAMASCUS (AP) — Syria said on Monday it would reopen its embassy.";
        let (s, d) = split(t);
        assert_eq!(d[0].place, "DAMASCUS");
        assert_eq!(&t[s[0].start..s[0].end], "Syria said on Monday it would reopen its embassy.");
    }
}
