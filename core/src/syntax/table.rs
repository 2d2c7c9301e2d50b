//! A text's analysis as an Arrow table: one row per word, for notebooks and data tools
//! (`detente.parse(text)` in Python).

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{Field, Schema};

use super::SyntaxModel;
use crate::error::{Error, Result};
use crate::text::CharOffsets;

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
    let model = SyntaxModel::embedded()?;
    let sentences = model.parse_text(text);
    let offsets = CharOffsets::new(text);
    let n: usize = sentences.iter().map(|s| s.words.len()).sum();
    let (mut sentence, mut id, mut head, mut start, mut end) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut form, mut lemma, mut upos, mut xpos, mut deprel) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let count = |v: usize| {
        u32::try_from(v).map_err(|_| Error::Invalid {
            location: Default::default(),
            message: "text too long to parse into a table (over 4 G characters)".into(),
        })
    };
    for (si, s) in sentences.iter().enumerate() {
        for (wi, w) in s.words.iter().enumerate() {
            sentence.push(count(si)?);
            id.push(count(wi + 1)?);
            head.push(count(w.head)?);
            start.push(count(offsets.char_index(w.start))?);
            end.push(count(offsets.char_index(w.end))?);
            form.push(w.form.as_str());
            lemma.push(w.lemma.as_str());
            upos.push(w.upos);
            xpos.push(w.xpos);
            deprel.push(w.deprel);
        }
    }
    let u32s = |v: Vec<u32>| Arc::new(UInt32Array::from(v)) as ArrayRef;
    let strs = |v: Vec<&str>| Arc::new(StringArray::from(v)) as ArrayRef;
    let columns = vec![
        u32s(sentence),
        u32s(id),
        strs(form),
        strs(lemma),
        strs(upos),
        strs(xpos),
        u32s(head),
        strs(deprel),
        u32s(start),
        u32s(end),
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
