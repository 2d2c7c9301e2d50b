//! Command-line parsing and the commands. Each command converts its arguments, calls one core
//! function and renders the answer.

use crate::logging::LogFormat;
use crate::output::{Format, write_rows};
use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use detente_core::domain::actors::{Entry, NameKind};
use detente_core::domain::document::{PlainText, read_documents};
use detente_core::domain::event::CSV_COLUMNS;
use detente_core::io::records::{RecordFormat, read_records};
use detente_core::paging::PageRequest;
use detente_core::relations::{Freq, SeriesOptions, ShiftOptions, columns};
use detente_core::store::repair::Severity;
use detente_core::{ActorQuery, AddOptions, Date, Dictionary, EventQuery, IngestOptions, Model, ModelOptions, Origin};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, IsTerminal, Write};
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
    /// Import GDELT 1.0/2.0, ICEWS or POLECAT event files (plain, gzip or zip). Bad rows are
    /// skipped and reported with file and line (--strict: a bad row rejects its whole file); a
    /// file imported before is skipped.
    Import(ImportArgs),
    /// Merge the store's small segments now (every write does this; a store written by an
    /// older build merges at its first write, or here).
    Compact,
    /// Check the store's files, or rebuild its catalog from its segments.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Export events or a relation series to Parquet or CSV (by the file name).
    #[command(subcommand)]
    Export(ExportCommand),
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
    /// or Ctrl-C. While it runs it is the store's writer: other processes may only read.
    Serve(ServeArgs),
    /// Ask a running server's health service whether it serves (exit 0) or not (exit 1).
    Healthcheck(HealthcheckArgs),
    /// Follow a running server's changes (WatchEvents): one JSON line per event added or
    /// removed, with the write's revision; `--since REV` resumes without a gap or a repeat.
    Watch(crate::follow::WatchArgs),
}

/// A help text's list of output columns.
fn columns_help(columns: &[columns::Column]) -> String {
    format!("Columns:\n{}", columns::describe(columns))
}

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "DETENTE_ADDR", default_value = "127.0.0.1:50051")]
    pub addr: String,
    /// PEM certificate chain: serve TLS (with --tls-key).
    #[arg(long, env = "DETENTE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "DETENTE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Require `authorization: Bearer <token>` on every call but health checks (a trailing
    /// newline is not part of it).
    #[arg(long, env = "DETENTE_TOKEN", hide_env_values = true, conflicts_with = "token_file")]
    pub token: Option<String>,
    /// Read the token from a file (a mounted secret); a trailing newline is not part of it.
    #[arg(long, env = "DETENTE_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// Largest request message, in bytes.
    #[arg(long, env = "DETENTE_MAX_REQUEST_BYTES", default_value_t = 8 << 20)]
    pub max_request_bytes: usize,
    /// Largest response message, in bytes.
    #[arg(long, env = "DETENTE_MAX_RESPONSE_BYTES", default_value_t = 64 << 20)]
    pub max_response_bytes: usize,
    /// Largest file an ImportEvents upload may hold, in bytes (spooled in the store's uploads/).
    #[arg(long, env = "DETENTE_MAX_UPLOAD_BYTES", default_value_t = crate::serve::DEFAULT_MAX_UPLOAD_BYTES)]
    pub max_upload_bytes: u64,
    /// Do not serve the reflection services.
    #[arg(long, env = "DETENTE_NO_REFLECTION")]
    pub no_reflection: bool,
    /// Seconds in-flight calls may take to finish after a shutdown signal.
    #[arg(long, env = "DETENTE_DRAIN_SECONDS", default_value_t = 30)]
    pub drain_seconds: u64,
}

/// Arguments of `healthcheck`.
#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// Address of the server (0.0.0.0 means this machine).
    #[arg(long, env = "DETENTE_ADDR", default_value = "127.0.0.1:50051")]
    pub addr: String,
    /// PEM certificate of the authority that signed the server's certificate: connect with TLS.
    #[arg(long, env = "DETENTE_TLS_CA")]
    pub tls_ca: Option<PathBuf>,
    /// The name the server's certificate is for.
    #[arg(long, env = "DETENTE_TLS_DOMAIN", default_value = "localhost")]
    pub tls_domain: String,
    /// Seconds to wait for an answer.
    #[arg(long, env = "DETENTE_HEALTHCHECK_TIMEOUT", default_value_t = 3)]
    pub timeout: u64,
}

/// Series options shared by `relation` and `shifts`.
#[derive(Debug, Args)]
pub struct SeriesArgs {
    /// First actor (code or name).
    pub a: String,
    /// Second actor (code or name).
    pub b: String,
    /// Period: day, week, month, quarter, year.
    #[arg(long, default_value = "month")]
    pub freq: String,
    /// First day.
    #[arg(long)]
    pub start: Option<String>,
    /// Last day.
    #[arg(long)]
    pub end: Option<String>,
    /// Only A→B (symmetric events count too).
    #[arg(long)]
    pub directed: bool,
    /// Exact actor codes instead of countries.
    #[arg(long)]
    pub exact: bool,
    /// Leave out statements and appeals (roots 01, 02).
    #[arg(long)]
    pub drop_low: bool,
    /// Half-life of the relation score, in days.
    #[arg(long, default_value_t = 90.0)]
    pub half_life: f64,
    /// Weight the score by mentions.
    #[arg(long)]
    pub weight_mentions: bool,
    /// Add the volume-normalised intensity.
    #[arg(long)]
    pub normalize: bool,
    /// Count repeated reports (same dyad, code and day) once, mentions summed.
    #[arg(long)]
    pub collapse: bool,
}

/// Arguments of `relation`.
#[derive(Debug, Args)]
pub struct RelationArgs {
    /// The series.
    #[command(flatten)]
    pub series: SeriesArgs,
    /// List the events behind the period holding this day instead of the series.
    #[arg(long)]
    pub events: Option<String>,
}

/// Arguments of `shifts`.
#[derive(Debug, Args)]
pub struct ShiftsArgs {
    /// The series.
    #[command(flatten)]
    pub series: SeriesArgs,
    /// Penalty per segment (default: BIC-like, from the series' noise).
    #[arg(long)]
    pub penalty: Option<f64>,
    /// Minimum periods per segment (1: a change between two periods counts).
    #[arg(long, default_value_t = ShiftOptions::default().min_size)]
    pub min_size: usize,
    /// Do not weight periods by their event counts.
    #[arg(long)]
    pub unweighted: bool,
    /// Periods on each side of a change whose events explain it.
    #[arg(long, default_value_t = 1)]
    pub window: usize,
    /// Explaining events per shift.
    #[arg(long, default_value_t = 5)]
    pub top: usize,
}

/// Arguments of `mediators`.
#[derive(Debug, Args)]
pub struct MediatorsArgs {
    /// First actor.
    pub a: String,
    /// Second actor.
    pub b: String,
    /// First day.
    #[arg(long)]
    pub start: Option<String>,
    /// Last day.
    #[arg(long)]
    pub end: Option<String>,
    /// At most this many.
    #[arg(long, default_value_t = detente_core::relations::mediators::DEFAULT_LIMIT)]
    pub limit: usize,
}

/// Which table of the network to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NetworkTable {
    /// Actors.
    Nodes,
    /// Pairs.
    Edges,
}

/// Arguments of `network`.
#[derive(Debug, Args)]
pub struct NetworkArgs {
    /// First day.
    #[arg(long)]
    pub start: Option<String>,
    /// Last day.
    #[arg(long)]
    pub end: Option<String>,
    /// Pairs with fewer events are left out.
    #[arg(long, default_value_t = 1)]
    pub min_events: i64,
    /// The table to print (JSON prints both unless one is asked for).
    #[arg(long, value_enum)]
    pub table: Option<NetworkTable>,
}

/// Arguments of `code`.
#[derive(Debug, Args)]
pub struct CodeArgs {
    /// The file, or `-` for standard input.
    pub file: String,
    /// Publication date of plain-text input (YYYY-MM-DD).
    #[arg(long)]
    pub published: Option<String>,
    /// Document id of plain-text input.
    #[arg(long)]
    pub doc_id: Option<String>,
    /// Print how each sentence was coded (actors, events, rules) on stderr.
    #[arg(long)]
    pub explain: bool,
}

/// Arguments of `parse`.
#[derive(Debug, Args)]
pub struct ParseArgs {
    /// The text file, or `-` for standard input.
    pub file: String,
}

/// Arguments of `ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Files of documents (JSON, JSON Lines; plain text with --published), or `-`.
    #[arg(required = true)]
    pub files: Vec<String>,
    /// Publication date of plain-text input.
    #[arg(long)]
    pub published: Option<String>,
    /// Document id of plain-text input.
    #[arg(long)]
    pub doc_id: Option<String>,
    /// Re-code documents already stored, replacing their coded events.
    #[arg(long)]
    pub recode: bool,
}

/// `detente export …`
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Every stored event matching the filters.
    Events {
        /// Which events.
        #[command(flatten)]
        filter: FilterArgs,
        /// The file: `.parquet` or `.csv`.
        #[arg(long)]
        to: PathBuf,
    },
    /// A relation series (as `detente relation` computes it).
    Series {
        /// The series.
        #[command(flatten)]
        series: SeriesArgs,
        /// The file: `.parquet` or `.csv`.
        #[arg(long)]
        to: PathBuf,
    },
}

/// Arguments of `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The dataset: gdelt1, gdelt2, icews, polecat.
    pub kind: String,
    /// The files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Reject a whole file when any of its rows is bad (write nothing of it).
    #[arg(long)]
    pub strict: bool,
    /// Read a file again even if the same content was imported before.
    #[arg(long)]
    pub force: bool,
    /// Replace stored events whose id a row holds with other content (without it, such a row is
    /// a bad row; with --strict, it rejects its file).
    #[arg(long)]
    pub replace: bool,
    /// Rows per atomic write.
    #[arg(long, default_value_t = detente_core::io::import::DEFAULT_BATCH_ROWS)]
    pub batch_rows: usize,
    /// Threads that parse a large file (default: one per core; the writer has one more).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// `detente events …`
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Add events from a file (JSON Lines canonical records; `--csv` for the flattened CSV form; a
    /// `.parquet` file as `export` writes it).
    /// The whole file is one atomic batch: a bad line rejects it and writes nothing.
    Add(AddArgs),
    /// List stored events, in date order.
    List(ListArgs),
    /// Show stored events by id, in the order given (an unknown id is an error).
    Get {
        /// The events' ids.
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Delete stored events: by id (all or none), or every event matching the filters with
    /// --confirm (no filter at all: every event).
    Delete(DeleteArgs),
}

/// Arguments of `events delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The events' ids; without them, the filters choose.
    pub ids: Vec<String>,
    /// Which events, when no ids are given.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Delete what the filters match (needed without ids).
    #[arg(long)]
    pub confirm: bool,
}

/// Arguments of `events add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The file, or `-` for standard input.
    pub file: String,
    /// Read the flattened CSV form instead of JSON Lines.
    #[arg(long)]
    pub csv: bool,
    /// Replace stored events with the same id and other content instead of failing.
    #[arg(long)]
    pub replace: bool,
}

/// Arguments of `events list`.
#[derive(Debug, Args, Default)]
pub struct ListArgs {
    /// Which events.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// At most this many events.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// Continue after the cursor a previous page printed.
    #[arg(long)]
    pub cursor: Option<String>,
    /// Show repeated reports once: events of the same day, source, target (either way round for
    /// a symmetric event) and code, as their first report with the mentions summed.
    #[arg(long)]
    pub collapse: bool,
    /// The order: `date` (oldest first, the default) or `date desc` (newest first).
    #[arg(long, default_value = "date")]
    pub order_by: String,
}

/// The event filters of `events list` and `export events`.
#[derive(Debug, Args, Default)]
pub struct FilterArgs {
    /// Events between two actors, `A,B` (codes or names), either direction unless --directed.
    #[arg(long)]
    pub dyad: Option<String>,
    /// Only A→B for --dyad (symmetric events between A and B count too).
    #[arg(long)]
    pub directed: bool,
    /// Match exact actor codes (TURGOV) instead of rolling up to countries (TUR).
    #[arg(long)]
    pub exact: bool,
    /// Events with this actor on either side.
    #[arg(long)]
    pub actor: Option<String>,
    /// CAMEO codes, comma-separated; each matches its children.
    #[arg(long, value_delimiter = ',')]
    pub code: Vec<String>,
    /// Root codes (01 … 20), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub root: Vec<String>,
    /// QuadClasses (1 … 4, GDELT scheme), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub quad: Vec<u8>,
    /// First day (YYYY-MM-DD).
    #[arg(long)]
    pub start: Option<String>,
    /// Last day (YYYY-MM-DD).
    #[arg(long)]
    pub end: Option<String>,
    /// A topic word.
    #[arg(long)]
    pub topic: Option<String>,
    /// An origin: coder, gdelt, icews, polecat, manual.
    #[arg(long)]
    pub origin: Option<String>,
    /// Event ids, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub id: Vec<String>,
}

/// `detente documents …`
#[derive(Debug, Subcommand)]
pub enum DocumentsCommand {
    /// Show a stored document with its events.
    Show {
        /// The document id.
        id: String,
    },
    /// List stored documents by publication date, then id, with their event counts.
    List(DocumentListArgs),
    /// Delete a stored document and the events coded from it, in one write.
    Delete {
        /// The document id.
        id: String,
    },
}

/// Arguments of `documents list`.
#[derive(Debug, Args)]
pub struct DocumentListArgs {
    /// First publication day (YYYY-MM-DD).
    #[arg(long)]
    pub start: Option<String>,
    /// Last publication day (YYYY-MM-DD).
    #[arg(long)]
    pub end: Option<String>,
    /// Only ids starting with this (a site or wire, e.g. https://www.reuters.com/).
    #[arg(long)]
    pub id_prefix: Option<String>,
    /// At most this many.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// Continue after an earlier listing (the page token it printed).
    #[arg(long)]
    pub page_token: Option<String>,
}

/// `detente store …`
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Read every file of the store: each segment against its checksum and the catalog, the
    /// catalog with SQLite's integrity check, each document and dictionary entry against its
    /// hash. Lists what it finds (damage, and notes on what interrupted writes left); exits 1
    /// when anything is damaged. Changes nothing, and runs beside a writer.
    Check,
    /// Rebuild the catalog from the segment files: those that read back whole are taken back in
    /// their order, damaged ones (or ones a newer segment holds) moved to quarantine/, never
    /// deleted; documents and dictionary entries are kept where the old catalog still reads,
    /// and the old catalog is kept beside the new one. Refused while another process writes.
    Repair,
}

/// `detente actors …`
#[derive(Debug, Subcommand)]
pub enum ActorsCommand {
    /// Resolve a name (country, capital, demonym, organisation, person) or code to the actor code
    /// that held on a date.
    Resolve(ResolveArgs),
    /// List dictionary entries.
    List(ActorListArgs),
    /// Add a dictionary entry, kept in the store (it wins over files and built-in entries);
    /// prints it with its id.
    Add(ActorAddArgs),
    /// Replace the entry a user added under an id (see `actors list --user-only`).
    Update {
        /// The entry's id.
        id: i64,
        /// The new entry.
        #[command(flatten)]
        entry: ActorAddArgs,
    },
    /// Delete the entry a user added under an id.
    Delete {
        /// The entry's id.
        id: i64,
    },
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
pub struct ActorListArgs {
    /// Only entries of this kind (country, person, organisation, …).
    #[arg(long)]
    pub kind: Option<String>,
    /// Only entries whose code starts with this.
    #[arg(long)]
    pub code: Option<String>,
    /// Only the entries users added (kept in the store), with their ids.
    #[arg(long)]
    pub user_only: bool,
}

/// Arguments of `actors add`.
#[derive(Debug, Args)]
pub struct ActorAddArgs {
    /// The actor code (e.g. RUR, RURGOV).
    pub code: String,
    /// The kind: country, demonym, capital, region, organisation, group, body, role, person.
    pub kind: String,
    /// Names, separated by `;` (the first is canonical).
    pub names: String,
    /// First day the entry holds.
    #[arg(long)]
    pub from: Option<String>,
    /// Last day the entry holds.
    #[arg(long)]
    pub until: Option<String>,
    /// A person's office.
    #[arg(long)]
    pub office: Option<String>,
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
    if cli.data.join("catalog.sqlite").exists() {
        return Ok(Model::open(&cli.data, &options(cli, true))?);
    }
    Ok(Model::in_memory(&options(cli, false))?)
}

/// Opens the store for reading; a missing store is an error that says how to create one.
fn open_read(cli: &Cli) -> Result<Model> {
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
        Command::Code(a) => {
            let (text, input) = read_input(&a.file)?;
            let plain = PlainText { published: date(&a.published, "published")?, doc_id: a.doc_id.clone() };
            let docs = read_documents(&text, &input, &plain)?;
            let model = coding_model(&cli)?;
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
            write_rows(&mut out, format, &rows, cols)?;
        }
        Command::Parse(a) => {
            let (text, _) = read_input(&a.file)?;
            let conllu = detente_core::syntax::to_conllu(&text)?;
            std::io::Write::write_all(&mut out, conllu.as_bytes())
                .map_err(|e| detente_core::Error::io("<stdout>", e))?;
        }
        Command::Ingest(a) => {
            let plain = PlainText { published: date(&a.published, "published")?, doc_id: a.doc_id.clone() };
            let mut docs = Vec::new();
            for f in &a.files {
                let (text, input) = read_input(f)?;
                docs.extend(read_documents(&text, &input, &plain)?);
            }
            let model = open_write(&cli)?;
            let r = model.ingest(docs, &IngestOptions { recode: a.recode })?;
            let row = json!({"new_documents": r.new_documents, "unchanged_documents": r.unchanged_documents,
                "recoded_documents": r.recoded_documents, "events_added": r.events_added, "events_removed": r.events_removed});
            write_rows(&mut out, format, &[row], &[])?;
        }
        Command::Export(ExportCommand::Events { filter, to }) => {
            let model = open_read(&cli)?;
            let n = model.export_events(&filter_query(filter)?, to)?;
            write_rows(&mut out, format, &[json!({"file": to.display().to_string(), "events": n})], &[])?;
        }
        Command::Export(ExportCommand::Series { series, to }) => {
            let model = open_read(&cli)?;
            let s = model.relation(&series.a, &series.b, &series_options(series)?)?;
            detente_core::io::export::export_batch(&s.to_batch()?, to)?;
            write_rows(&mut out, format, &[json!({"file": to.display().to_string(), "periods": s.points.len()})], &[])?;
        }
        Command::Import(a) => {
            let kind = detente_core::io::import::Format::parse(&a.kind)?;
            let opts = detente_core::io::import::ImportOptions {
                strict: a.strict,
                force: a.force,
                replace: a.replace,
                batch_rows: a.batch_rows,
                threads: a.threads,
            };
            let model = open_write(&cli)?;
            let r = model.import(kind, &a.files, &opts)?;
            for b in &r.bad_rows {
                eprintln!("{}:{}: {}", b.file, b.line, b.message);
            }
            if r.bad() > r.bad_rows.len() as u64 {
                eprintln!("… {} bad rows in all", r.bad());
            }
            let rows: Vec<Value> = r
                .files
                .iter()
                .map(|f| {
                    json!({"file": f.file, "rows": f.rows, "added": f.added, "unchanged": f.unchanged,
                           "duplicates": f.duplicates, "bad": f.bad, "already_imported": f.already_imported})
                })
                .collect();
            write_rows(&mut out, format, &rows, &[])?;
        }
        Command::Store(StoreCommand::Check) => {
            let report = detente_core::store::repair::check(&cli.data)?;
            let rows: Vec<Value> = report.findings.iter().map(|f| json!(f)).collect();
            // Nothing found: the summary (stderr) says so, with no empty table.
            if !rows.is_empty() {
                write_rows(&mut out, format, &rows, &["severity", "path", "problem"])?;
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
        }
        Command::Store(StoreCommand::Repair) => {
            let report = detente_core::store::repair::repair(&cli.data)?;
            write_rows(&mut out, format, &[json!(report)], &[])?;
        }
        Command::Compact => {
            let (merged, left) = open_existing(&cli)?.compact()?;
            write_rows(&mut out, format, &[json!({"segments_merged": merged, "segments": left})], &[])?;
        }
        Command::Relation(r) => {
            let model = open_read(&cli)?;
            let opts = series_options(&r.series)?;
            if let Some(day) = &r.events {
                let day = Date::parse(day)
                    .map_err(|_| detente_core::Error::invalid("events", format!("`{day}` is not a date")))?;
                let events = model.relation_events(&r.series.a, &r.series.b, &opts, day)?;
                let rows: Vec<Value> = events.iter().map(|e| e.to_json()).collect();
                let cols: &[&str] = match format {
                    Format::Table => &["date", "id", "source", "target", "code", "goldstein", "mentions", "evidence"],
                    _ => CSV_COLUMNS,
                };
                write_rows(&mut out, format, &rows, cols)?;
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
                write_rows(&mut out, format, &rows, &[])?;
            }
        }
        Command::Shifts(a) => {
            let model = open_read(&cli)?;
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
            write_rows(&mut out, format, &rows, &[])?;
        }
        Command::Mediators(a) => {
            let model = open_read(&cli)?;
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
            write_rows(&mut out, format, &rows, &[])?;
        }
        Command::Network(a) => {
            let model = open_read(&cli)?;
            let net = model.network(date(&a.start, "start")?, date(&a.end, "end")?, a.min_events)?;
            let nodes: Vec<Value> = net
                .nodes
                .iter()
                .map(|n| json!({"actor": n.actor, "bloc": n.bloc, "degree": n.degree, "events": n.events,
                    "strength": round(n.strength), "centrality": round(n.centrality), "betweenness": round(n.betweenness),
                    "constraint": round(n.constraint)}))
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
                    serde_json::to_writer_pretty(&mut out, &v)?;
                    writeln!(out)?;
                }
                (Some(NetworkTable::Edges), _) => write_rows(&mut out, format, &edges, &[])?,
                _ => {
                    write_rows(&mut out, format, &nodes, &[])?;
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
        }
        Command::Events(EventsCommand::Add(a)) if a.file.to_ascii_lowercase().ends_with(".parquet") => {
            let model = open_write(&cli)?;
            let events = detente_core::io::export::read_parquet_events(Path::new(&a.file))?;
            let report = model.add_events(
                events,
                &AddOptions { replace: a.replace, input: Some(a.file.clone()), lines: Vec::new() },
            )?;
            let s = report.summary;
            let row = json!({"added": s.added, "unchanged": s.unchanged, "replaced": s.replaced,
                             "unknown_actors": report.unknown_actors});
            write_rows(&mut out, format, &[row], &["added", "unchanged", "replaced", "unknown_actors"])?;
        }
        Command::Events(EventsCommand::Add(a)) => {
            let model = open_write(&cli)?;
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
            let report = model.add_events(
                records.events,
                &AddOptions { replace: a.replace, input: Some(input), lines: records.lines },
            )?;
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            let s = report.summary;
            let row = json!({"added": s.added, "unchanged": s.unchanged, "replaced": s.replaced,
                             "unknown_actors": report.unknown_actors});
            write_rows(&mut out, format, &[row], &["added", "unchanged", "replaced", "unknown_actors"])?;
        }
        Command::Events(EventsCommand::List(a)) => {
            let model = open_read(&cli)?;
            let q = list_query(a)?;
            let page = model.events(&q)?;
            if page.events.is_empty() {
                eprintln!("no events match");
            }
            let rows: Vec<Value> = page.events.iter().map(|e| e.to_json()).collect();
            let cols: &[&str] = match format {
                Format::Table => {
                    &["date", "id", "source", "target", "code", "goldstein", "quad_class", "mentions", "origin"]
                }
                _ => CSV_COLUMNS,
            };
            write_rows(&mut out, format, &rows, cols)?;
            if let Some(c) = page.next_cursor {
                eprintln!("more events: --cursor {c}");
            }
        }
        Command::Events(EventsCommand::Get { ids }) => {
            let model = open_read(&cli)?;
            let rows: Vec<Value> = model.events_by_id(ids)?.iter().map(|e| e.to_json()).collect();
            let cols: &[&str] = match format {
                Format::Table => &["date", "id", "source", "target", "code", "goldstein", "quad_class", "mentions"],
                _ => CSV_COLUMNS,
            };
            write_rows(&mut out, format, &rows, cols)?;
        }
        Command::Events(EventsCommand::Delete(a)) => {
            let model = open_write(&cli)?;
            let query = if a.ids.is_empty() { Some(filter_query(&a.filter)?) } else { None };
            let deleted = model.delete_events(&a.ids, query.as_ref(), a.confirm)?;
            write_rows(&mut out, format, &[json!({"deleted": deleted})], &["deleted"])?;
        }
        Command::Documents(DocumentsCommand::List(a)) => {
            let model = open_read(&cli)?;
            let q = detente_core::DocumentQuery {
                start: date(&a.start, "start")?,
                end: date(&a.end, "end")?,
                id_prefix: a.id_prefix.clone(),
                with_text: false,
            };
            let page = model.documents(&q, &PageRequest { size: a.limit.max(1), token: a.page_token.clone() })?;
            let rows: Vec<Value> = page
                .items
                .iter()
                .map(|d| {
                    json!({"id": d.document.id, "published": d.document.published, "title": d.document.title,
                           "events": d.events, "added": d.added})
                })
                .collect();
            write_rows(&mut out, format, &rows, &["published", "id", "events", "title"])?;
            if let Some(t) = page.next_page_token {
                eprintln!("more documents: --page-token {t}");
            }
        }
        Command::Documents(DocumentsCommand::Delete { id }) => {
            let model = open_write(&cli)?;
            let events = model.delete_document(id)?;
            write_rows(&mut out, format, &[json!({"deleted": id, "events": events})], &["deleted", "events"])?;
        }
        Command::Documents(DocumentsCommand::Show { id }) => {
            let model = open_read(&cli)?;
            let (doc, events) = model.document(id)?;
            let v = json!({"id": doc.id, "published": doc.published, "title": doc.title, "text": doc.text,
                           "events": events.iter().map(|e| e.to_json()).collect::<Vec<_>>()});
            match format {
                Format::Json | Format::Jsonl => {
                    serde_json::to_writer(&mut out, &v)?;
                    writeln!(out)?;
                }
                _ => {
                    writeln!(
                        out,
                        "{} ({})\n{}\n\n{}\n",
                        doc.id,
                        doc.published,
                        doc.title.unwrap_or_default(),
                        doc.text
                    )?;
                    let rows: Vec<Value> = events.iter().map(|e| e.to_json()).collect();
                    write_rows(
                        &mut out,
                        format,
                        &rows,
                        &["sentence", "source", "target", "code", "goldstein", "evidence"],
                    )?;
                }
            }
        }
        Command::Actors(ActorsCommand::Resolve(a)) => {
            let d = date(&a.date, "date")?;
            let r = dictionary(&cli)?.resolve(&a.name, d)?;
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
            let page = actor_model(&cli)?.actors(&ActorQuery {
                kind: a.kind.clone(),
                code: a.code.clone(),
                user_only: a.user_only,
                ..Default::default()
            })?;
            let rows: Vec<Value> = page.entries.iter().map(entry_row).collect();
            let cols: &[&str] = if a.user_only {
                &["id", "code", "kind", "names", "from", "until", "office"]
            } else {
                &["code", "kind", "names", "from", "until", "office"]
            };
            write_rows(&mut out, format, &rows, cols)?;
        }
        Command::Actors(ActorsCommand::Add(a)) => {
            let model = open_write(&cli)?;
            let report = model.add_actor_entries(vec![user_entry(a)?])?;
            let rows: Vec<Value> = report.entries.iter().map(entry_row).collect();
            write_rows(&mut out, format, &rows, &["id", "code", "kind", "names"])?;
        }
        Command::Actors(ActorsCommand::Update { id, entry }) => {
            let model = open_write(&cli)?;
            let stored = model.update_actor(*id, user_entry(entry)?)?;
            write_rows(&mut out, format, &[entry_row(&stored)], &["id", "code", "kind", "names"])?;
        }
        Command::Actors(ActorsCommand::Delete { id }) => {
            let model = open_write(&cli)?;
            let gone = model.delete_actor(*id)?;
            write_rows(&mut out, format, &[json!({"id": id, "deleted": gone.code})], &["id", "deleted"])?;
        }
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

/// A dictionary entry as an output row.
fn entry_row(e: &Entry) -> Value {
    json!({"id": e.id, "code": e.code, "kind": e.kind.as_str(), "names": e.names, "from": e.from, "until": e.until,
           "office": e.office, "origin": e.origin})
}

/// `detente serve`: opens the store for writing and serves it until a signal.
fn serve(cli: &Cli, a: &ServeArgs) -> Result<()> {
    let read = |p: &PathBuf| std::fs::read(p).map_err(|e| detente_core::Error::io(p, e));
    let tls = match (&a.tls_cert, &a.tls_key) {
        (Some(c), Some(k)) => Some((read(c)?, read(k)?)),
        _ => None,
    };
    let token = match (&a.token, &a.token_file) {
        (Some(t), _) => Some(bearer_token(t, "--token (DETENTE_TOKEN)")?),
        (None, Some(f)) => {
            let t = std::fs::read_to_string(f).map_err(|e| detente_core::Error::io(f, e))?;
            Some(bearer_token(&t, &format!("the token file {}", f.display()))?)
        }
        (None, None) => None,
    };
    let opts = crate::serve::ServeOptions {
        tls,
        token,
        max_request_bytes: a.max_request_bytes,
        max_response_bytes: a.max_response_bytes,
        max_upload_bytes: a.max_upload_bytes,
        reflection: !a.no_reflection,
        drain: std::time::Duration::from_secs(a.drain_seconds),
    };
    let model = open_write(cli)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener =
            tokio::net::TcpListener::bind(&a.addr).await.with_context(|| format!("cannot listen on {}", a.addr))?;
        // One line on stdout for scripts and tests that asked for port 0.
        println!("listening on {}", listener.local_addr()?);
        crate::serve::serve(listener, model, opts, crate::serve::signal()).await
    })
}

/// A bearer token as given, without the line end a file or `echo` leaves; an empty one is an
/// error, not "no token".
fn bearer_token(given: &str, from: &str) -> Result<String> {
    let token = given.trim_end_matches(['\n', '\r']);
    if token.trim().is_empty() {
        anyhow::bail!("{from} is empty: give a token, or leave it out to serve without one");
    }
    if token.chars().any(|c| c.is_control() || c == ' ') {
        anyhow::bail!("{from} holds spaces or control characters, which a bearer token cannot");
    }
    Ok(token.to_string())
}

/// `detente healthcheck`: exit 0 when the server at `--addr` serves.
fn healthcheck(a: &HealthcheckArgs) -> Result<()> {
    let addr = crate::serve::loopback(&a.addr);
    let ca = a.tls_ca.as_ref().map(|p| std::fs::read(p).map_err(|e| detente_core::Error::io(p, e))).transpose()?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let timeout = std::time::Duration::from_secs(a.timeout.max(1));
    let serving = runtime.block_on(crate::serve::healthcheck(&addr, ca, &a.tls_domain, timeout))?;
    if !serving {
        anyhow::bail!("{addr} answers but is not serving");
    }
    println!("serving");
    Ok(())
}

/// Rounds to four decimals for output.
fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
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
    if cli.data.join("catalog.sqlite").exists() {
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
