//! `actors resolve|list|add|update|delete`: the dictionary.

use super::{ActorAddArgs, ActorListArgs, Cli, ResolveArgs, actor_model, date, dictionary, open_write, user_entry};
use crate::output::{Format, write_rows};
use anyhow::Result;
use detente_core::ActorQuery;
use detente_core::model::rows;
use serde_json::{Value, json};
use std::io::Write;

pub(super) fn resolve(cli: &Cli, a: &ResolveArgs, format: Format, out: &mut dyn Write) -> Result<()> {
    let d = date(&a.date, "date")?;
    let r = dictionary(cli)?.resolve(&a.name, d)?;
    let row = json!({
        "name": a.name, "code": r.code, "country": r.country, "kind": r.kind.as_str(),
        "canonical": r.name, "office": r.office, "from": r.from, "until": r.until, "origin": r.origin,
    });
    write_rows(
        &mut *out,
        format,
        &[row],
        &["name", "code", "country", "kind", "canonical", "office", "from", "until"],
    )?;
    Ok(())
}

pub(super) fn list(cli: &Cli, a: &ActorListArgs, format: Format, out: &mut dyn Write) -> Result<()> {
    let page = actor_model(cli)?.actors(&ActorQuery {
        kind: a.kind.clone(),
        code: a.code.clone(),
        user_only: a.user_only,
        ..Default::default()
    })?;
    let rows: Vec<Value> = page.entries.iter().map(rows::entry_row).collect();
    let cols: &[&str] = if a.user_only {
        &["id", "code", "kind", "names", "from", "until", "office"]
    } else {
        &["code", "kind", "names", "from", "until", "office"]
    };
    write_rows(&mut *out, format, &rows, cols)?;
    Ok(())
}

pub(super) fn add(cli: &Cli, a: &ActorAddArgs, format: Format, out: &mut dyn Write) -> Result<()> {
    let model = open_write(cli)?;
    let report = model.add_actor_entries(vec![user_entry(a)?])?;
    let rows: Vec<Value> = report.entries.iter().map(rows::entry_row).collect();
    write_rows(&mut *out, format, &rows, &["id", "code", "kind", "names"])?;
    Ok(())
}

pub(super) fn update(cli: &Cli, id: i64, entry: &ActorAddArgs, format: Format, out: &mut dyn Write) -> Result<()> {
    let model = open_write(cli)?;
    let stored = model.update_actor(id, user_entry(entry)?)?;
    write_rows(&mut *out, format, &[rows::entry_row(&stored)], &["id", "code", "kind", "names"])?;
    Ok(())
}

pub(super) fn delete(cli: &Cli, id: i64, format: Format, out: &mut dyn Write) -> Result<()> {
    let model = open_write(cli)?;
    let gone = model.delete_actor(id)?;
    write_rows(&mut *out, format, &[json!({"id": id, "deleted": gone.code})], &["id", "deleted"])?;
    Ok(())
}
