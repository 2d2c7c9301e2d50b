//! `import`, `export`, `store check|repair` and `compact`: data in and out, and the store's
//! upkeep.

use super::{
    Cli, FilterArgs, ImportArgs, SchemaArgs, SchemaOf, SeriesArgs, filter_query, open_existing, open_read, open_write,
    series_options,
};
use crate::output::{Format, write_rows};
use anyhow::Result;
use detente_core::model::rows;
use detente_core::repair::Severity;
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;

pub(super) fn export_events(
    cli: &Cli,
    filter: &FilterArgs,
    to: &Path,
    format: Format,
    out: &mut dyn Write,
) -> Result<()> {
    let model = open_read(cli)?;
    let n = model.export_events(&filter_query(filter)?, to)?;
    write_rows(&mut *out, format, &[json!({"file": to.display().to_string(), "events": n})], &[])?;
    Ok(())
}

pub(super) fn export_dataset(
    cli: &Cli,
    filter: &FilterArgs,
    to: &Path,
    by: &str,
    format: Format,
    out: &mut dyn Write,
) -> Result<()> {
    let by = detente_core::io::dataset::Partitioning::parse(by)?;
    let model = open_read(cli)?;
    let report = model.export_dataset(&filter_query(filter)?, to, by)?;
    let rows: Vec<_> = report.files.iter().map(|(file, n)| json!({"file": file, "events": n})).collect();
    write_rows(&mut *out, format, &rows, &[])?;
    Ok(())
}

pub(super) fn schema(a: &SchemaArgs, format: Format, out: &mut dyn Write) -> Result<()> {
    let SchemaOf::Events = a.of;
    if a.spark_ddl {
        writeln!(out, "{}", detente_core::io::dataset::event_spark_ddl())?;
        return Ok(());
    }
    let rows: Vec<_> = detente_core::io::dataset::event_fields()
        .into_iter()
        .map(|f| json!({"column": f.name, "arrow": f.arrow, "spark": f.spark, "nullable": f.nullable}))
        .collect();
    write_rows(&mut *out, format, &rows, &["column", "arrow", "spark", "nullable"])?;
    Ok(())
}

pub(super) fn export_series(
    cli: &Cli,
    series: &SeriesArgs,
    to: &Path,
    format: Format,
    out: &mut dyn Write,
) -> Result<()> {
    let model = open_read(cli)?;
    let s = model.relation(&series.a, &series.b, &series_options(series)?)?;
    detente_core::io::export::export_batch(&s.to_batch()?, to)?;
    write_rows(&mut *out, format, &[json!({"file": to.display().to_string(), "periods": s.points.len()})], &[])?;
    Ok(())
}

pub(super) fn import(cli: &Cli, a: &ImportArgs, format: Format, out: &mut dyn Write) -> Result<()> {
    let kind = detente_core::io::import::ImportKind::parse(&a.kind)?;
    let opts = detente_core::io::import::ImportOptions {
        strict: a.strict,
        force: a.force,
        replace: a.replace,
        batch_rows: a.batch_rows,
        threads: a.threads,
    };
    let model = open_write(cli)?;
    let r = model.import(kind, &a.files, &opts)?;
    for b in &r.bad_rows {
        eprintln!("{}:{}: {}", b.file, b.line, b.message);
    }
    if r.bad() > r.bad_rows.len() as u64 {
        eprintln!("… {} bad rows in all", r.bad());
    }
    let rows: Vec<Value> = r.files.iter().map(rows::import_file_row).collect();
    write_rows(&mut *out, format, &rows, &[])?;
    Ok(())
}

pub(super) fn store_check(cli: &Cli, format: Format, out: &mut dyn Write) -> Result<()> {
    let report = detente_core::repair::check(&cli.data)?;
    let rows: Vec<Value> = report.findings.iter().map(|f| json!(f)).collect();
    // Nothing found: the summary (stderr) says so, with no empty table.
    if !rows.is_empty() {
        write_rows(&mut *out, format, &rows, &["severity", "path", "problem"])?;
    }
    let damage = report.findings.iter().filter(|f| f.severity == Severity::Damage).count();
    let summary = format!(
        "{} segments, {} rows, {} documents: {}",
        report.segments,
        report.rows,
        report.documents,
        if damage == 0 { "no damage".to_string() } else { format!("{damage} damaged") }
    );
    if damage > 0 {
        anyhow::bail!("{summary}; `detente store repair` rebuilds the catalog from the segments");
    }
    eprintln!("{summary}");
    Ok(())
}

pub(super) fn store_repair(cli: &Cli, format: Format, out: &mut dyn Write) -> Result<()> {
    let report = detente_core::repair::repair(&cli.data)?;
    write_rows(&mut *out, format, &[json!(report)], &[])?;
    Ok(())
}

pub(super) fn compact(cli: &Cli, format: Format, out: &mut dyn Write) -> Result<()> {
    let (merged, left) = open_existing(cli)?.compact()?;
    write_rows(&mut *out, format, &[json!({"segments_merged": merged, "segments": left})], &[])?;
    Ok(())
}
