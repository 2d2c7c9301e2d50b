//! A text's analysis as an Arrow table: one row per word, for notebooks and data tools
//! (`detente.parse(text)` in Python).

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{Field, Schema};

use super::{ParsedWord, SyntaxModel};
use crate::domain::text::CharOffsets;
use crate::error::{Error, Result};

/// The table's columns, with what each holds.
pub const COLUMNS: &[(&str, &str)] = &[
    ("sentence", "index of the sentence in the text, from 0"),
    ("id", "index of the word in its sentence, from 1 (as in CoNLL-U)"),
    ("form", "the word as written"),
    ("lemma", "its lemma"),
    ("upos", "Universal Dependencies part-of-speech tag"),
    ("xpos", "Penn Treebank tag"),
    ("head", "id of the head word in the sentence; 0 for the root"),
    ("deprel", "Universal Dependencies relation to the head (with subtype)"),
    ("start", "character offset of the word in the text"),
    ("end", "character offset after the word"),
];

/// Splits `text` into sentences and words, analyses them with the embedded model and returns one
/// row per word (see [`COLUMNS`]).
pub fn parse_table(text: &str) -> Result<RecordBatch> {
    // Indices and character offsets are all under the text's length in bytes.
    if u32::try_from(text.len()).is_err() {
        return Err(Error::Invalid {
            location: Default::default(),
            message: "text too long to parse into a table (over 4 GB)".into(),
        });
    }
    let model = SyntaxModel::embedded()?;
    let sentences = model.parse_text(text);
    let offsets = CharOffsets::new(text);
    // (sentence, id, word) per row.
    let rows: Vec<(usize, usize, &ParsedWord)> = sentences
        .iter()
        .enumerate()
        .flat_map(|(si, s)| s.words.iter().enumerate().map(move |(wi, w)| (si, wi + 1, w)))
        .collect();
    let u32s = |f: &dyn Fn(&(usize, usize, &ParsedWord)) -> usize| {
        Arc::new(rows.iter().map(|r| f(r) as u32).collect::<UInt32Array>()) as ArrayRef
    };
    let strs = |f: &dyn for<'w> Fn(&'w ParsedWord) -> &'w str| {
        Arc::new(rows.iter().map(|r| Some(f(r.2))).collect::<StringArray>()) as ArrayRef
    };
    let columns = vec![
        u32s(&|r| r.0),
        u32s(&|r| r.1),
        strs(&|w| &w.form),
        strs(&|w| &w.lemma),
        strs(&|w| w.upos),
        strs(&|w| w.xpos),
        u32s(&|r| r.2.head),
        strs(&|w| w.deprel),
        u32s(&|r| offsets.char_index(r.2.start)),
        u32s(&|r| offsets.char_index(r.2.end)),
    ];
    let schema = Schema::new(
        COLUMNS
            .iter()
            .zip(&columns)
            .map(|((name, _), c)| Field::new(*name, c.data_type().clone(), false))
            .collect::<Vec<_>>(),
    );
    RecordBatch::try_new(Arc::new(schema), columns).map_err(|e| Error::Internal(format!("parse table: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::types::UInt32Type;

    #[test]
    fn rows_carry_character_spans_and_trees() {
        let text = "Türkiye’s minister met Mekdad. Talks ended.";
        let t = parse_table(text).unwrap();
        let form = t.column(2).as_string::<i32>();
        let start = t.column(8).as_primitive::<UInt32Type>();
        let end = t.column(9).as_primitive::<UInt32Type>();
        let chars: Vec<char> = text.chars().collect();
        for r in 0..t.num_rows() {
            let span: String = chars[start.value(r) as usize..end.value(r) as usize].iter().collect();
            assert_eq!(span, form.value(r));
        }
        let sentence = t.column(0).as_primitive::<UInt32Type>();
        assert_eq!(sentence.value(t.num_rows() - 1), 1);
        // Each sentence has exactly one root.
        let head = t.column(6).as_primitive::<UInt32Type>();
        for s in 0..2 {
            let roots = (0..t.num_rows()).filter(|&r| sentence.value(r) == s && head.value(r) == 0).count();
            assert_eq!(roots, 1);
        }
    }
}
