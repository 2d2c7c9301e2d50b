//! Command-line parsing and the commands. Each command converts its arguments, calls one core
//! function and renders the answer.

mod actors;
mod analytics;
mod args;
mod coding;
mod data;
mod events;
mod negotiate;
mod service;

pub(crate) use service::token_from;

pub use args::*;
use service::{healthcheck, serve};

use crate::logging::LogFormat;
use crate::output::Format;
use anyhow::Result;
use clap::{Parser, Subcommand};
use detente_core::domain::actors::{Entry, NameKind};
use detente_core::relations::{Freq, SeriesOptions, columns};
use detente_core::{Date, Dictionary, EventQuery, Model, ModelOptions, Origin};

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// detente: an open model of international relations from news and coded-event data.
#[derive(Debug, Parser)]
#[command(name = "detente", version, about)]
pub struct Cli {
    /// The store directory.
    #[arg(long, global = true, env = "DETENTE_DATA", default_value = "detente-data", help_heading = "Global options")]
    pub data: PathBuf,
    /// User dictionary files (same format as core/data/actors/*.tsv), layered over the built-in one.
    #[arg(
        long = "actors",
        global = true,
        env = "DETENTE_ACTORS",
        value_delimiter = ',',
        help_heading = "Global options"
    )]
    pub actors: Vec<PathBuf>,
    /// User lexicon files (same format as core/data/lexicon/events.txt), added to the built-in one.
    #[arg(
        long = "lexicon",
        global = true,
        env = "DETENTE_LEXICON",
        value_delimiter = ',',
        help_heading = "Global options"
    )]
    pub lexicon: Vec<PathBuf>,
    /// Output format (default: table on a terminal, jsonl otherwise).
    #[arg(long, global = true, value_enum, env = "DETENTE_FORMAT", help_heading = "Global options")]
    pub format: Option<Format>,
    /// Log line format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "DETENTE_LOG_FORMAT", help_heading = "Global options")]
    pub log_format: LogFormat,
    /// Log progress at info level.
    #[arg(long, short, global = true, env = "DETENTE_VERBOSE", help_heading = "Global options")]
    pub verbose: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Code documents into events without storing them: a JSON document {id, published, title,
    /// text}, JSON Lines of them, or plain text with --published.
    Code(CodeArgs),
    /// Code and store documents with their events (idempotent; --recode after a lexicon change).
    Ingest(IngestArgs),
    /// Tag, lemmatize and parse English text: CoNLL-U, one block per sentence (UD relations,
    /// UPOS and Penn Treebank tags), from detente's own model trained on UD English EWT.
    Parse(ParseArgs),
    /// The relation series of two actors, period by period.
    #[command(after_long_help = columns_help(columns::SERIES))]
    Relation(RelationArgs),
    /// Thaws and freezes of a relation, with the events that explain them.
    #[command(after_long_help = columns_help(columns::SHIFTS))]
    Shifts(ShiftsArgs),
    /// Third parties brokering between two actors, ranked by evidence.
    #[command(after_long_help = columns_help(columns::MEDIATORS))]
    Mediators(MediatorsArgs),
    /// The network of relations: nodes (with blocs, centrality, brokerage) or edges.
    #[command(after_long_help = format!("Nodes:\n{}\nEdges (--table edges):\n{}", columns::describe(columns::NODES), columns::describe(columns::EDGES)))]
    Network(NetworkArgs),
    /// Import GDELT 1.0/2.0, ICEWS or POLECAT event files (plain, gzip or zip), or a Parquet
    /// dataset of events (`import parquet DIR_OR_GLOB`, as `export --partition-by` or Spark wrote
    /// it). Bad rows are skipped and reported with file and line (for Parquet, the row number;
    /// --strict: a bad row rejects its whole file); a file imported before is skipped.
    Import(ImportArgs),
    /// Merge the store's small segments now (every write does this; a store written by an
    /// older build merges at its first write, or here).
    Compact,
    /// Check the store's files, or rebuild its catalog from its segments.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Export events or a relation series to Parquet or CSV (by the file name), or events to a
    /// partitioned Parquet dataset.
    #[command(subcommand)]
    Export(ExportCommand),
    /// The event record's columns as exports and Arrow tables hold them: each one's Arrow type,
    /// the Spark SQL type Spark reads it as, and whether it may be null.
    Schema(SchemaArgs),
    /// Stored events: add, list.
    #[command(subcommand)]
    Events(EventsCommand),
    /// Stored documents.
    #[command(subcommand)]
    Documents(DocumentsCommand),
    /// The actor dictionary: resolve names, list and add entries.
    #[command(subcommand)]
    Actors(ActorsCommand),
    /// Serve the model over gRPC (detente.v1.DetenteService, health, reflection) until SIGTERM
    /// or Ctrl-C. While it runs it is the store's writer: other processes may only read. With
    /// --read-only it is a replica of a store another process writes.
    Serve(ServeArgs),
    /// Ask a running server's health service whether it serves (exit 0) or not (exit 1).
    Healthcheck(HealthcheckArgs),
    /// Where a negotiation is likely to land: baselines, the expected-utility model, the
    /// exchange model, with a seeded Monte Carlo of each.
    #[command(subcommand)]
    Negotiate(NegotiateCommand),
    /// Follow a running server's changes (WatchEvents): one JSON line per event added or
    /// removed, with the write's revision; `--since REV` resumes without a gap or a repeat.
    Watch(crate::follow::WatchArgs),
}

fn options(cli: &Cli, read_only: bool) -> ModelOptions {
    // Each command runs once and exits: nothing is built that its query does not read (`serve`
    // builds the aggregates at start).
    ModelOptions {
        actor_files: cli.actors.clone(),
        read_only,
        existing: false,
        lexicon_files: cli.lexicon.clone(),
        one_off: true,
    }
}

/// Reads a whole input file (or standard input) as text.
fn read_input(file: &str) -> Result<(String, String)> {
    if file == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut s)
            .map_err(|e| detente_core::Error::io("<stdin>", e))?;
        return Ok((s, "<stdin>".into()));
    }
    let path = Path::new(file);
    let bytes = std::fs::read(path).map_err(|e| detente_core::Error::io(path, e))?;
    let s = String::from_utf8(bytes).map_err(|_| {
        detente_core::Error::invalid_at(detente_core::Location::line(file, 1), "the file is not valid UTF-8")
    })?;
    Ok((s, file.to_string()))
}

/// A model for coding: the store's (its dictionary entries apply) when one exists, else in memory.
fn coding_model(cli: &Cli) -> Result<Model> {
    if Model::exists(&cli.data) {
        return Ok(Model::open(&cli.data, &options(cli, true))?);
    }
    Ok(Model::in_memory(&options(cli, false))?)
}

/// Opens the store for reading; a missing store is an error that says how to create one.
pub(super) fn open_read(cli: &Cli) -> Result<Model> {
    open_found(cli, &options(cli, true))
}

/// Opens a store that must exist; when it does not, the error says how to create one.
fn open_found(cli: &Cli, opts: &ModelOptions) -> Result<Model> {
    match Model::open(&cli.data, opts) {
        Err(e @ detente_core::Error::NotFound { what: "store", .. }) => Err(anyhow::Error::new(e)
            .context(format!("no store at {} (add events first, or pass --data)", cli.data.display()))),
        opened => Ok(opened?),
    }
}

fn open_write(cli: &Cli) -> Result<Model> {
    Ok(Model::open(&cli.data, &options(cli, false))?)
}

/// Opens a store that exists for writing (maintenance).
fn open_existing(cli: &Cli) -> Result<Model> {
    open_found(cli, &ModelOptions { existing: true, ..options(cli, false) })
}

fn date(s: &Option<String>, field: &str) -> Result<Option<Date>> {
    Ok(s.as_deref()
        .map(|s| {
            Date::parse(s).map_err(|_| detente_core::Error::invalid(field, format!("`{s}` is not a date (YYYY-MM-DD)")))
        })
        .transpose()?)
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let format = Format::resolve(cli.format);
    let mut out = std::io::stdout().lock();
    match &cli.command {
        Command::Serve(a) => serve(&cli, a)?,
        Command::Healthcheck(a) => healthcheck(a)?,
        Command::Watch(a) => crate::follow::watch(a, &mut out)?,
        Command::Code(a) => coding::code(&cli, a, format, &mut out)?,
        Command::Parse(a) => coding::parse(a, &mut out)?,
        Command::Ingest(a) => coding::ingest(&cli, a, format, &mut out)?,
        Command::Export(ExportCommand::Events { filter, to, partition_by: None }) => {
            data::export_events(&cli, filter, to, format, &mut out)?
        }
        Command::Export(ExportCommand::Events { filter, to, partition_by: Some(by) }) => {
            data::export_dataset(&cli, filter, to, by, format, &mut out)?
        }
        Command::Export(ExportCommand::Series { series, to }) => {
            data::export_series(&cli, series, to, format, &mut out)?
        }
        Command::Import(a) => data::import(&cli, a, format, &mut out)?,
        Command::Store(StoreCommand::Check) => data::store_check(&cli, format, &mut out)?,
        Command::Store(StoreCommand::Repair) => data::store_repair(&cli, format, &mut out)?,
        Command::Compact => data::compact(&cli, format, &mut out)?,
        Command::Relation(r) => analytics::relation(&cli, r, format, &mut out)?,
        Command::Shifts(a) => analytics::shifts(&cli, a, format, &mut out)?,
        Command::Mediators(a) => analytics::mediators(&cli, a, format, &mut out)?,
        Command::Network(a) => analytics::network(&cli, a, format, &mut out)?,
        Command::Events(EventsCommand::Add(a)) if a.file.to_ascii_lowercase().ends_with(".parquet") => {
            events::add_parquet(&cli, a, format, &mut out)?
        }
        Command::Events(EventsCommand::Add(a)) => events::add(&cli, a, format, &mut out)?,
        Command::Events(EventsCommand::List(a)) => events::list(&cli, a, format, &mut out)?,
        Command::Events(EventsCommand::Get { ids }) => events::get(&cli, ids, format, &mut out)?,
        Command::Events(EventsCommand::Delete(a)) => events::delete(&cli, a, format, &mut out)?,
        Command::Documents(DocumentsCommand::List(a)) => events::documents_list(&cli, a, format, &mut out)?,
        Command::Documents(DocumentsCommand::Delete { id }) => events::documents_delete(&cli, id, format, &mut out)?,
        Command::Documents(DocumentsCommand::Show { id }) => events::documents_show(&cli, id, format, &mut out)?,
        Command::Negotiate(n) => negotiate::negotiate(&cli, n, format, &mut out)?,
        Command::Schema(a) => data::schema(a, format, &mut out)?,
        Command::Actors(ActorsCommand::Resolve(a)) => actors::resolve(&cli, a, format, &mut out)?,
        Command::Actors(ActorsCommand::List(a)) => actors::list(&cli, a, format, &mut out)?,
        Command::Actors(ActorsCommand::Add(a)) => actors::add(&cli, a, format, &mut out)?,
        Command::Actors(ActorsCommand::Update { id, entry }) => actors::update(&cli, *id, entry, format, &mut out)?,
        Command::Actors(ActorsCommand::Delete { id }) => actors::delete(&cli, *id, format, &mut out)?,
    }
    Ok(())
}

/// The entry `actors add` and `actors update` describe.
fn user_entry(a: &ActorAddArgs) -> Result<Entry> {
    Ok(Entry {
        from: date(&a.from, "from")?,
        until: date(&a.until, "until")?,
        office: a.office.clone(),
        ..Entry::user(
            a.code.clone(),
            NameKind::from_name(&a.kind)?,
            a.names.split(';').map(|s| s.trim().to_string()).collect(),
        )
    })
}

/// The series options of the command line.
fn series_options(a: &SeriesArgs) -> Result<SeriesOptions> {
    Ok(SeriesOptions {
        freq: Freq::parse(&a.freq)?,
        start: date(&a.start, "start")?,
        end: date(&a.end, "end")?,
        directed: a.directed,
        exact: a.exact,
        drop_low_info: a.drop_low,
        half_life_days: a.half_life,
        weight_mentions: a.weight_mentions,
        collapse: a.collapse,
        normalize: a.normalize,
    })
}

/// The query of `events list`.
pub fn list_query(l: &ListArgs) -> Result<EventQuery> {
    let mut q = filter_query(&l.filter)?.order_by(&l.order_by)?;
    q.limit = Some(l.limit);
    q.cursor = l.cursor.clone();
    q.collapse = l.collapse;
    Ok(q)
}

/// The query of the event filters.
pub fn filter_query(a: &FilterArgs) -> Result<EventQuery> {
    let dyad = match &a.dyad {
        Some(d) => {
            let parts: Vec<&str> = d.split(',').map(str::trim).collect();
            if parts.len() != 2 || parts.iter().any(|p| p.is_empty()) {
                return Err(detente_core::Error::invalid("dyad", format!("`{d}` is not a pair `A,B`")).into());
            }
            Some((parts[0].to_string(), parts[1].to_string()))
        }
        None => None,
    };
    Ok(EventQuery {
        dyad,
        actor: a.actor.clone(),
        directed: a.directed,
        exact: a.exact,
        codes: a.code.clone(),
        roots: a.root.clone(),
        quads: a.quad.clone(),
        start: date(&a.start, "start")?,
        end: date(&a.end, "end")?,
        topic: a.topic.clone(),
        origin: a.origin.as_deref().map(Origin::parse).transpose()?,
        ids: a.id.clone(),
        ..Default::default()
    })
}

/// A model for dictionary questions: the store's when a store exists (its entries included),
/// else an in-memory one with the built-in dictionary and the user's files.
fn actor_model(cli: &Cli) -> Result<Model> {
    if Model::exists(&cli.data) {
        return Ok(Model::open(&cli.data, &options(cli, true))?);
    }
    Ok(Model::in_memory(&options(cli, true))?)
}

/// The dictionary in force for this command line.
fn dictionary(cli: &Cli) -> Result<Arc<Dictionary>> {
    Ok(actor_model(cli)?.dictionary())
}

/// A progress bar on stderr for long reads, only on a terminal.
fn progress_bar(total: u64) -> Option<indicatif::ProgressBar> {
    if total < 8 << 20 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg}") {
        bar.set_style(style);
    }
    Some(bar)
}
