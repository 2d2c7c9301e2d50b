//! `events add|list|get|delete` and `documents list|show|delete`.

use super::{
    AddArgs, Cli, DeleteArgs, DocumentListArgs, ListArgs, date, filter_query, list_query, open_read, open_write,
    progress_bar,
};
use crate::output::{Format, write_rows};
use anyhow::Result;
use detente_core::AddOptions;
use detente_core::domain::event::CSV_COLUMNS;
use detente_core::io::records::{RecordFormat, read_records};
use detente_core::model::rows;
use detente_core::paging::PageRequest;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

pub(super) fn add_parquet(cli: &Cli, a: &AddArgs, format: Format, out: &mut dyn Write) -> Result<()> {
    let model = open_write(cli)?;
    let events = detente_core::io::export::read_parquet_events(Path::new(&a.file))?;
    let report =
        model.add_events(events, &AddOptions { replace: a.replace, input: Some(a.file.clone()), lines: Vec::new() })?;
    write_rows(&mut *out, format, &[rows::add_row(&report)], &["added", "unchanged", "replaced", "unknown_actors"])?;
    Ok(())
}

pub(super) fn add(cli: &Cli, a: &AddArgs, format: Format, out: &mut dyn Write) -> Result<()> {
    let model = open_write(cli)?;
    let (reader, input): (Box<dyn BufRead>, String) = if a.file == "-" {
        (Box::new(BufReader::new(std::io::stdin().lock())), "<stdin>".into())
    } else {
        let path = Path::new(&a.file);
        let f = std::fs::File::open(path).map_err(|e| detente_core::Error::io(path, e))?;
        (Box::new(BufReader::with_capacity(1 << 20, f)), a.file.clone())
    };
    let size = std::fs::metadata(&a.file).map(|m| m.len()).unwrap_or(0);
    let bar = progress_bar(size);
    let fmt = if a.csv { RecordFormat::Csv } else { RecordFormat::JsonLines };
    let records = read_records(reader, fmt, &input, &mut |b| {
        if let Some(bar) = &bar {
            bar.set_position(b)
        }
    })?;
    if let Some(bar) = &bar {
        bar.set_message("storing");
    }
    let report = model
        .add_events(records.events, &AddOptions { replace: a.replace, input: Some(input), lines: records.lines })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    write_rows(&mut *out, format, &[rows::add_row(&report)], &["added", "unchanged", "replaced", "unknown_actors"])?;
    Ok(())
}

pub(super) fn list(cli: &Cli, a: &ListArgs, format: Format, out: &mut dyn Write) -> Result<()> {
    let model = open_read(cli)?;
    let q = list_query(a)?;
    let page = model.events(&q)?;
    if page.events.is_empty() {
        eprintln!("no events match");
    }
    let rows: Vec<Value> = page.events.iter().map(|e| e.to_json()).collect();
    let cols: &[&str] = match format {
        Format::Table => &["date", "id", "source", "target", "code", "goldstein", "quad_class", "mentions", "origin"],
        _ => CSV_COLUMNS,
    };
    write_rows(&mut *out, format, &rows, cols)?;
    if let Some(c) = page.next_cursor {
        eprintln!("more events: --cursor {c}");
    }
    Ok(())
}

pub(super) fn get(cli: &Cli, ids: &[String], format: Format, out: &mut dyn Write) -> Result<()> {
    let model = open_read(cli)?;
    let rows: Vec<Value> = model.events_by_id(ids)?.iter().map(|e| e.to_json()).collect();
    let cols: &[&str] = match format {
        Format::Table => &["date", "id", "source", "target", "code", "goldstein", "quad_class", "mentions"],
        _ => CSV_COLUMNS,
    };
    write_rows(&mut *out, format, &rows, cols)?;
    Ok(())
}

pub(super) fn delete(cli: &Cli, a: &DeleteArgs, format: Format, out: &mut dyn Write) -> Result<()> {
    let model = open_write(cli)?;
    let query = if a.ids.is_empty() { Some(filter_query(&a.filter)?) } else { None };
    let deleted = model.delete_events(&a.ids, query.as_ref(), a.confirm)?;
    write_rows(&mut *out, format, &[json!({"deleted": deleted})], &["deleted"])?;
    Ok(())
}

pub(super) fn documents_list(cli: &Cli, a: &DocumentListArgs, format: Format, out: &mut dyn Write) -> Result<()> {
    let model = open_read(cli)?;
    let q = detente_core::DocumentQuery {
        start: date(&a.start, "start")?,
        end: date(&a.end, "end")?,
        id_prefix: a.id_prefix.clone(),
        with_text: false,
    };
    let page = model.documents(&q, &PageRequest { size: a.limit.max(1), token: a.page_token.clone() })?;
    let rows: Vec<Value> = page.items.iter().map(|d| rows::document_row(d, false)).collect();
    write_rows(&mut *out, format, &rows, &["published", "id", "events", "title"])?;
    if let Some(t) = page.next_page_token {
        eprintln!("more documents: --page-token {t}");
    }
    Ok(())
}

pub(super) fn documents_delete(cli: &Cli, id: &str, format: Format, out: &mut dyn Write) -> Result<()> {
    let model = open_write(cli)?;
    let events = model.delete_document(id)?;
    write_rows(&mut *out, format, &[json!({"deleted": id, "events": events})], &["deleted", "events"])?;
    Ok(())
}

pub(super) fn documents_show(cli: &Cli, id: &str, format: Format, out: &mut dyn Write) -> Result<()> {
    let model = open_read(cli)?;
    let (doc, events) = model.document(id)?;
    let mut v = serde_json::to_value(&doc)?;
    v["events"] = events.iter().map(|e| e.to_json()).collect();
    match format {
        Format::Json | Format::Jsonl => {
            serde_json::to_writer(&mut *out, &v)?;
            writeln!(out)?;
        }
        _ => {
            writeln!(out, "{} ({})\n{}\n\n{}\n", doc.id, doc.published, doc.title.unwrap_or_default(), doc.text)?;
            let rows: Vec<Value> = events.iter().map(|e| e.to_json()).collect();
            write_rows(&mut *out, format, &rows, &["sentence", "source", "target", "code", "goldstein", "evidence"])?;
        }
    }
    Ok(())
}
