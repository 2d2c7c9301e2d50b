//! `code`, `parse` and `ingest`: text through the coder and the parser, and into the store.

use super::{Cli, CodeArgs, IngestArgs, ParseArgs, coding_model, date, open_write, read_input};
use crate::output::{Format, write_rows};
use anyhow::Result;
use detente_core::IngestOptions;
use detente_core::domain::document::{PlainText, read_documents};
use detente_core::domain::event::CSV_COLUMNS;
use detente_core::model::rows;
use serde_json::Value;
use std::io::Write;

pub(super) fn code(cli: &Cli, a: &CodeArgs, format: Format, out: &mut dyn Write) -> Result<()> {
    let (text, input) = read_input(&a.file)?;
    let plain = PlainText { published: date(&a.published, "published")?, doc_id: a.doc_id.clone() };
    let docs = read_documents(&text, &input, &plain)?;
    let model = coding_model(cli)?;
    if a.explain {
        let coder = model.coder();
        for d in &docs {
            eprint!("{}", coder.explain(d));
        }
    }
    let events = model.code(&docs);
    let rows: Vec<Value> = events.iter().map(|e| e.to_json()).collect();
    let cols: &[&str] = match format {
        Format::Table => &["sentence", "source", "target", "code", "goldstein", "date", "evidence"],
        _ => CSV_COLUMNS,
    };
    write_rows(&mut *out, format, &rows, cols)?;
    Ok(())
}

pub(super) fn parse(a: &ParseArgs, out: &mut dyn Write) -> Result<()> {
    let (text, _) = read_input(&a.file)?;
    let conllu = detente_core::syntax::to_conllu(&text)?;
    std::io::Write::write_all(&mut *out, conllu.as_bytes()).map_err(|e| detente_core::Error::io("<stdout>", e))?;
    Ok(())
}

pub(super) fn ingest(cli: &Cli, a: &IngestArgs, format: Format, out: &mut dyn Write) -> Result<()> {
    let plain = PlainText { published: date(&a.published, "published")?, doc_id: a.doc_id.clone() };
    let mut docs = Vec::new();
    for f in &a.files {
        let (text, input) = read_input(f)?;
        docs.extend(read_documents(&text, &input, &plain)?);
    }
    let model = open_write(cli)?;
    let r = model.ingest(docs, &IngestOptions { recode: a.recode })?;
    write_rows(&mut *out, format, &[rows::ingest_row(&r)], &[])?;
    Ok(())
}
