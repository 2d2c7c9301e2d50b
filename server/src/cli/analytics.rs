//! `relation`, `shifts`, `mediators` and `network`: the relation analytics as tables.

use super::{Cli, MediatorsArgs, NetworkArgs, NetworkTable, RelationArgs, ShiftsArgs, date, open_read, series_options};
use crate::output::{Format, rounded, write_rows};
use anyhow::Result;
use detente_core::Date;
use detente_core::domain::event::CSV_COLUMNS;
use detente_core::model::rows;
use detente_core::relations::ShiftOptions;
use serde_json::{Value, json};
use std::io::Write;

pub(super) fn relation(cli: &Cli, r: &RelationArgs, format: Format, out: &mut dyn Write) -> Result<()> {
    let model = open_read(cli)?;
    let opts = series_options(&r.series)?;
    if let Some(day) = &r.events {
        let day =
            Date::parse(day).map_err(|_| detente_core::Error::invalid("events", format!("`{day}` is not a date")))?;
        let events = model.relation_events(&r.series.a, &r.series.b, &opts, day)?;
        let rows: Vec<Value> = events.iter().map(|e| e.to_json()).collect();
        let cols: &[&str] = match format {
            Format::Table => &["date", "id", "source", "target", "code", "goldstein", "mentions", "evidence"],
            _ => CSV_COLUMNS,
        };
        write_rows(&mut *out, format, &rows, cols)?;
    } else {
        let s = model.relation(&r.series.a, &r.series.b, &opts)?;
        if s.periods_with_events() == 0 {
            eprintln!("no events between {} and {} in this range: the series is empty", s.a, s.b);
        }
        let rows: Vec<Value> = rows::series_rows(&s, opts.normalize).into_iter().map(rounded).collect();
        write_rows(&mut *out, format, &rows, &[])?;
    }
    Ok(())
}

pub(super) fn shifts(cli: &Cli, a: &ShiftsArgs, format: Format, out: &mut dyn Write) -> Result<()> {
    let model = open_read(cli)?;
    let sopts = series_options(&a.series)?;
    let opts = ShiftOptions {
        penalty: a.penalty,
        min_size: a.min_size,
        weighted: !a.unweighted,
        window: a.window,
        top_events: a.top,
    };
    let shifts = model.shifts(&a.series.a, &a.series.b, &sopts, &opts)?;
    if shifts.is_empty() {
        // Said on stderr, so that piped output stays an empty table.
        let periods = model.relation(&a.series.a, &a.series.b, &sopts)?.periods_with_events();
        if periods < detente_core::relations::shifts::MIN_PERIODS {
            eprintln!(
                "no shifts: the {} series has {periods} period(s) with events, too few to tell a change from \
                 noise (at least {}; a finer --freq or a longer range gives more)",
                sopts.freq.as_str(),
                detente_core::relations::shifts::MIN_PERIODS
            );
        } else {
            eprintln!(
                "no shifts: no change in the {} series ({periods} periods with events) outweighs its noise \
                 (a lower --penalty finds smaller ones)",
                sopts.freq.as_str()
            );
        }
    }
    let full = matches!(format, Format::Json | Format::Jsonl);
    let rows: Vec<Value> = shifts.iter().map(|s| rounded(rows::shift_row(s, full))).collect();
    write_rows(&mut *out, format, &rows, &[])?;
    Ok(())
}

pub(super) fn mediators(cli: &Cli, a: &MediatorsArgs, format: Format, out: &mut dyn Write) -> Result<()> {
    let model = open_read(cli)?;
    let ms = model.mediators(&a.a, &a.b, date(&a.start, "start")?, date(&a.end, "end")?, a.limit)?;
    if ms.is_empty() {
        eprintln!("no mediators: no third party between {} and {} scored above 0 in this range", a.a, a.b);
    }
    let rows: Vec<Value> = ms.iter().map(|m| rounded(rows::mediator_row(m))).collect();
    write_rows(&mut *out, format, &rows, &[])?;
    Ok(())
}

pub(super) fn network(cli: &Cli, a: &NetworkArgs, format: Format, out: &mut dyn Write) -> Result<()> {
    let model = open_read(cli)?;
    let net = model.network(date(&a.start, "start")?, date(&a.end, "end")?, a.min_events)?;
    let nodes: Vec<Value> = net.nodes.iter().map(|n| rounded(rows::node_row(n))).collect();
    let edges: Vec<Value> = net.edges.iter().map(|e| rounded(rows::edge_row(e))).collect();
    match (a.table, format) {
        (None, Format::Json) => {
            let v = rounded(json!({"nodes": nodes, "edges": edges, "modularity": net.modularity,
                "triads": net.triads, "balanced_share": net.balanced_share}));
            serde_json::to_writer_pretty(&mut *out, &v)?;
            writeln!(out)?;
        }
        (Some(NetworkTable::Edges), _) => write_rows(&mut *out, format, &edges, &[])?,
        _ => {
            write_rows(&mut *out, format, &nodes, &[])?;
            if format == Format::Table {
                writeln!(
                    out,
                    "\nmodularity {:.3}, {} closed triads, {:.1}% balanced",
                    net.modularity,
                    net.triads,
                    100.0 * net.balanced_share
                )?;
            }
        }
    }
    Ok(())
}
