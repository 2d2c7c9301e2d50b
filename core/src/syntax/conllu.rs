//! Reading CoNLL-U treebanks (the Universal Dependencies format): the training and evaluation
//! material of the syntax models. Multiword-token lines and empty nodes are skipped: the models
//! read syntactic words, as the treebank's trees do.

use crate::error::{Error, Location, Result};

/// One syntactic word of a treebank sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The word as written.
    pub form: String,
    /// Its lemma.
    pub lemma: String,
    /// Universal part-of-speech tag.
    pub upos: String,
    /// Language-specific (Penn Treebank) tag.
    pub xpos: String,
    /// 1-based index of the head word; 0 for the root.
    pub head: usize,
    /// Dependency relation to the head, with its subtype (`nsubj:pass`).
    pub deprel: String,
    /// No space follows the word in the sentence's text (`SpaceAfter=No`).
    pub no_space_after: bool,
}

/// One sentence of a treebank.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sentence {
    /// The `# sent_id` comment, when present.
    pub id: Option<String>,
    /// The `# text` comment: the sentence as written, when present.
    pub text: Option<String>,
    /// True when a `# newdoc` comment starts a document here.
    pub new_document: bool,
    /// The words, in order.
    pub words: Vec<Word>,
}

/// Reads a CoNLL-U file's text. `name` names it in errors (with the line).
pub fn parse(input: &str, name: &str) -> Result<Vec<Sentence>> {
    let mut out = Vec::new();
    let mut current = Sentence::default();
    let bad = |line: usize, field: &str, message: String| Error::Invalid {
        location: Location::line(name, line as u64).with_field(field),
        message,
    };
    for (i, raw) in input.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end_matches('\r');
        if line.is_empty() {
            if !current.words.is_empty() {
                check_tree(&current, name, line_no)?;
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let comment = comment.trim_start();
            if let Some(v) = comment.strip_prefix("sent_id =") {
                current.id = Some(v.trim().to_string());
            } else if let Some(v) = comment.strip_prefix("text =") {
                current.text = Some(v.trim().to_string());
            } else if comment.starts_with("newdoc") {
                current.new_document = true;
            }
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() != 10 {
            return Err(bad(line_no, "columns", format!("expected 10 tab-separated columns, found {}", cols.len())));
        }
        // Multiword tokens (`3-4`) and empty nodes (`8.1`) are not syntactic words.
        if cols[0].contains('-') || cols[0].contains('.') {
            continue;
        }
        let id: usize = cols[0]
            .parse()
            .map_err(|_| bad(line_no, "ID", format!("`{}` is not a word index", crate::error::shown(cols[0]))))?;
        if id != current.words.len() + 1 {
            return Err(bad(line_no, "ID", format!("word {id} follows word {}", current.words.len())));
        }
        let head: usize = cols[6]
            .parse()
            .map_err(|_| bad(line_no, "HEAD", format!("`{}` is not a word index", crate::error::shown(cols[6]))))?;
        current.words.push(Word {
            form: cols[1].to_string(),
            lemma: cols[2].to_string(),
            upos: cols[3].to_string(),
            xpos: cols[4].to_string(),
            head,
            deprel: cols[7].to_string(),
            no_space_after: cols[9].split('|').any(|m| m == "SpaceAfter=No"),
        });
    }
    if !current.words.is_empty() {
        let last = input.lines().count();
        check_tree(&current, name, last)?;
        out.push(current);
    }
    Ok(out)
}

/// Every head within the sentence and exactly one root.
fn check_tree(s: &Sentence, name: &str, line_after: usize) -> Result<()> {
    let n = s.words.len();
    let first_line = line_after.saturating_sub(n);
    let mut roots = 0;
    for (i, w) in s.words.iter().enumerate() {
        if w.head > n {
            return Err(Error::Invalid {
                location: Location::line(name, (first_line + i) as u64).with_field("HEAD"),
                message: format!("head {} is outside the sentence of {n} words", w.head),
            });
        }
        roots += usize::from(w.head == 0);
    }
    if roots != 1 {
        return Err(Error::Invalid {
            location: Location::line(name, first_line as u64).with_field("HEAD"),
            message: format!("the sentence has {roots} roots; a tree has one"),
        });
    }
    Ok(())
}

/// The universal part of a relation (`nsubj` of `nsubj:pass`), as the CoNLL 2018 LAS compares.
pub(crate) fn universal(deprel: &str) -> &str {
    deprel.split(':').next().unwrap_or(deprel)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# sent_id = s1\n# text = Turkey's talks\n1\tTurkey\tTurkey\tPROPN\tNNP\t_\t3\tnmod:poss\t_\tSpaceAfter=No\n2\t's\t's\tPART\tPOS\t_\t1\tcase\t_\t_\n3\ttalks\ttalk\tNOUN\tNNS\t_\t0\troot\t_\t_\n\n";

    #[test]
    fn reads_words_heads_and_text() {
        let s = parse(SAMPLE, "t.conllu").unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].text.as_deref(), Some("Turkey's talks"));
        assert_eq!(s[0].words[0].head, 3);
        assert!(s[0].words[0].no_space_after);
        assert_eq!(universal(&s[0].words[0].deprel), "nmod");
    }

    #[test]
    fn bad_lines_are_located() {
        let e = parse("1\tA\ta\tX\tX\t_\tzz\tdep\t_\t_\n", "x.conllu").unwrap_err();
        assert!(e.to_string().contains("x.conllu, line 1, field `HEAD`"), "{e}");
        let e = parse("1\tA\ta\tX\tX\t_\t0\troot\t_\t_\n2\tB\tb\tX\tX\t_\t0\troot\t_\t_\n\n", "y").unwrap_err();
        assert!(e.to_string().contains("2 roots"), "{e}");
    }
}
