//! Rendering of result tables for the command line: an aligned text table, JSON, JSON Lines or
//! CSV. Rows arrive as JSON objects (the canonical records' serde form) with a column order.

use detente_core::io::records::{cell_text, flatten_row};
use serde_json::{Map, Value};
use std::io::{self, IsTerminal, Write};

/// An output format of the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for people (the default on a terminal).
    Table,
    /// One JSON array.
    Json,
    /// One JSON object per line (the default when piped).
    Jsonl,
    /// Comma-separated values with a header; nested fields flattened.
    Csv,
}

impl Format {
    /// The format asked for, or table on a terminal and JSON Lines otherwise.
    pub fn resolve(asked: Option<Format>) -> Format {
        asked.unwrap_or(if io::stdout().is_terminal() { Format::Table } else { Format::Jsonl })
    }
}

/// A row with its top-level numbers rounded to four decimals, for display (the core's rows keep
/// full precision).
pub fn rounded(mut row: Value) -> Value {
    if let Value::Object(map) = &mut row {
        for v in map.values_mut() {
            // Only floats: integers (counts, ids) print as they are.
            if let (true, Some(x)) = (v.is_f64(), v.as_f64()) {
                *v = serde_json::json!((x * 10_000.0).round() / 10_000.0);
            }
        }
    }
    row
}

/// Writes rows in a format. `columns` fixes the order for table and CSV (flattened names); when
/// empty, the first row's keys are used.
pub fn write_rows(out: &mut dyn Write, format: Format, rows: &[Value], columns: &[&str]) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, rows)?;
            writeln!(out)
        }
        Format::Jsonl => {
            for r in rows {
                serde_json::to_writer(&mut *out, r)?;
                writeln!(out)?;
            }
            Ok(())
        }
        Format::Csv | Format::Table => {
            let flat: Vec<Map<String, Value>> =
                rows.iter().map(|r| r.as_object().map(flatten_row).unwrap_or_default()).collect();
            let cols: Vec<String> = if columns.is_empty() {
                flat.first().map(|r| r.keys().cloned().collect()).unwrap_or_default()
            } else {
                columns.iter().map(|s| s.to_string()).collect()
            };
            let cells: Vec<Vec<String>> = flat
                .iter()
                .map(|r| cols.iter().map(|c| r.get(c).map(cell_text).unwrap_or_default()).collect())
                .collect();
            if format == Format::Csv {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(&cols)?;
                for row in &cells {
                    w.write_record(row)?;
                }
                w.flush()
            } else {
                write_table(out, &cols, &cells)
            }
        }
    }
}

fn write_table(out: &mut dyn Write, cols: &[String], cells: &[Vec<String>]) -> io::Result<()> {
    const MAX: usize = 60;
    let clip = |s: &str| -> String {
        let one_line = s.replace('\n', " ");
        if one_line.chars().count() > MAX {
            format!("{}…", one_line.chars().take(MAX - 1).collect::<String>())
        } else {
            one_line
        }
    };
    let cells: Vec<Vec<String>> = cells.iter().map(|r| r.iter().map(|c| clip(c)).collect()).collect();
    let widths: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| cells.iter().map(|r| r[i].chars().count()).chain([c.chars().count()]).max().unwrap_or(0))
        .collect();
    let line = |out: &mut dyn Write, vals: &[String]| -> io::Result<()> {
        let parts: Vec<String> = vals.iter().zip(&widths).map(|(v, w)| format!("{v:<w$}")).collect();
        writeln!(out, "{}", parts.join("  ").trim_end())
    };
    line(out, cols)?;
    line(out, &widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>())?;
    for r in &cells {
        line(out, r)?;
    }
    Ok(())
}
