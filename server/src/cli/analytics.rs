//! `relation`, `shifts`, `mediators` and `network`: the relation analytics as tables.

use super::{
    Cli, MediatorsArgs, NetworkArgs, NetworkTable, RelationArgs, ShiftsArgs, date, open_read, round, series_options,
};
use crate::output::{Format, write_rows};
use anyhow::Result;
use detente_core::Date;
use detente_core::domain::event::CSV_COLUMNS;
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
        let rows: Vec<Value> = s
            .points
            .iter()
            .map(|p| {
                let mut v = json!({"period": p.period, "count": p.count, "quad1": p.quads[0], "quad2": p.quads[1],
                    "quad3": p.quads[2], "quad4": p.quads[3], "goldstein_sum": round(p.goldstein_sum),
                    "goldstein_mean": round(p.goldstein_mean), "cooperation_share": round(p.cooperation_share),
                    "mentions": p.mentions, "score": round(p.score), "score_weight": round(p.score_weight)});
                if opts.normalize {
                    v["volume"] = json!(p.volume);
                    v["intensity"] = json!(round(p.intensity));
                }
                v
            })
            .collect();
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
    let rows: Vec<Value> = shifts
        .iter()
        .map(|s| {
            let events: Value = if matches!(format, Format::Json | Format::Jsonl) {
                serde_json::to_value(&s.events).unwrap_or(Value::Null)
            } else {
                json!(s.events.iter().map(|e| e.id.clone()).collect::<Vec<_>>())
            };
            json!({"period": s.period, "direction": s.direction, "magnitude": round(s.magnitude),
                "before": round(s.before), "after": round(s.after), "events": events})
        })
        .collect();
    write_rows(&mut *out, format, &rows, &[])?;
    Ok(())
}

pub(super) fn mediators(cli: &Cli, a: &MediatorsArgs, format: Format, out: &mut dyn Write) -> Result<()> {
    let model = open_read(cli)?;
    let ms = model.mediators(&a.a, &a.b, date(&a.start, "start")?, date(&a.end, "end")?, a.limit)?;
    if ms.is_empty() {
        eprintln!("no mediators: no third party between {} and {} scored above 0 in this range", a.a, a.b);
    }
    let rows: Vec<Value> = ms
        .iter()
        .map(|m| {
            json!({"actor": m.actor, "score": round(m.score), "mediations": m.mediations, "offers": m.offers,
            "hosted": m.hosted, "appeals": m.appeals, "cooperation_a": m.cooperation[0],
            "cooperation_b": m.cooperation[1], "events": m.events})
        })
        .collect();
    write_rows(&mut *out, format, &rows, &[])?;
    Ok(())
}

pub(super) fn network(cli: &Cli, a: &NetworkArgs, format: Format, out: &mut dyn Write) -> Result<()> {
    let model = open_read(cli)?;
    let net = model.network(date(&a.start, "start")?, date(&a.end, "end")?, a.min_events)?;
    let nodes: Vec<Value> = net
        .nodes
        .iter()
        .map(|n| {
            json!({"actor": n.actor, "bloc": n.bloc, "degree": n.degree, "events": n.events,
            "strength": round(n.strength), "centrality": round(n.centrality), "betweenness": round(n.betweenness),
            "constraint": round(n.constraint)})
        })
        .collect();
    let edges: Vec<Value> = net
        .edges
        .iter()
        .map(|e| {
            json!({"a": e.a, "b": e.b, "events": e.events, "goldstein_sum": round(e.goldstein_sum),
            "weight": round(e.weight), "sign": e.sign})
        })
        .collect();
    match (a.table, format) {
        (None, Format::Json) => {
            let v = json!({"nodes": nodes, "edges": edges, "modularity": round(net.modularity),
                "triads": net.triads, "balanced_share": round(net.balanced_share)});
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
