//! Command-line parsing and the commands. Each command converts its arguments, calls one core
//! function and renders the answer.

use crate::logging::LogFormat;
use crate::output::{Format, write_rows};
use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use detente_core::{Date, Dictionary};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

/// detente: an open model of international relations from news and coded-event data.
#[derive(Debug, Parser)]
#[command(name = "detente", version, about)]
pub struct Cli {
    /// User dictionary files (same format as core/data/actors/*.tsv), layered over the built-in one.
    #[arg(long = "actors", global = true, env = "DETENTE_ACTORS", value_delimiter = ',')]
    pub actors: Vec<PathBuf>,
    /// Output format (default: table on a terminal, jsonl otherwise).
    #[arg(long, global = true, value_enum, env = "DETENTE_FORMAT")]
    pub format: Option<Format>,
    /// Log line format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "DETENTE_LOG_FORMAT")]
    pub log_format: LogFormat,
    /// Log progress at info level.
    #[arg(long, short, global = true, env = "DETENTE_VERBOSE")]
    pub verbose: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The actor dictionary: resolve names, list entries.
    #[command(subcommand)]
    Actors(ActorsCommand),
}

/// `detente actors …`
#[derive(Debug, Subcommand)]
pub enum ActorsCommand {
    /// Resolve a name (country, capital, demonym, organisation, person) or code to the actor code
    /// that held on a date.
    Resolve(ResolveArgs),
    /// List dictionary entries.
    List(ListArgs),
}

/// Arguments of `actors resolve`.
#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// The name or code, e.g. "Ankara", "Mevlut Cavusoglu", "IGOWSTNAT".
    pub name: String,
    /// The date the name refers to (YYYY-MM-DD); default: the current office.
    #[arg(long)]
    pub date: Option<String>,
}

/// Arguments of `actors list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only entries of this kind (country, person, organisation, …).
    #[arg(long)]
    pub kind: Option<String>,
    /// Only entries whose code starts with this.
    #[arg(long)]
    pub code: Option<String>,
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let format = Format::resolve(cli.format);
    let dict = dictionary(&cli.actors)?;
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Actors(ActorsCommand::Resolve(a)) => {
            let date = a.date.as_deref().map(Date::parse).transpose()?;
            let r = dict.resolve(&a.name, date)?;
            let row = json!({
                "name": a.name, "code": r.code, "country": r.country, "kind": r.kind.as_str(),
                "canonical": r.name, "office": r.office, "from": r.from, "until": r.until, "origin": r.origin,
            });
            write_rows(
                &mut out,
                format,
                &[row],
                &["name", "code", "country", "kind", "canonical", "office", "from", "until"],
            )?;
        }
        Command::Actors(ActorsCommand::List(a)) => {
            let rows: Vec<Value> = dict
                .entries()
                .iter()
                .filter(|e| a.kind.as_deref().is_none_or(|k| e.kind.as_str() == k))
                .filter(|e| a.code.as_deref().is_none_or(|c| e.code.starts_with(c)))
                .map(|e| json!({"code": e.code, "kind": e.kind.as_str(), "names": e.names, "from": e.from, "until": e.until, "office": e.office, "origin": e.origin}))
                .collect();
            write_rows(&mut out, format, &rows, &["code", "kind", "names", "from", "until", "office"])?;
        }
    }
    Ok(())
}

/// The built-in dictionary with the user's files layered on top.
fn dictionary(files: &[PathBuf]) -> Result<Arc<Dictionary>> {
    let mut dict = Dictionary::builtin();
    for f in files {
        dict = Arc::new(dict.extended(Dictionary::load_file(f)?));
    }
    Ok(dict)
}
