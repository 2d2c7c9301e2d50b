//! The arguments of each command, as clap parses them; `--help` shows their doc comments.

use clap::{Args, Subcommand};
use detente_core::relations::{ShiftOptions, columns};
use std::path::PathBuf;

/// A help text's list of output columns.
pub(super) fn columns_help(columns: &[columns::Column]) -> String {
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
    /// Serve a store another process writes (a batch job, a writing `serve`), as one of any
    /// number of replicas: queries only (writes are refused), never blocking the writer, picking
    /// up its commits every --poll-ms.
    #[arg(long, env = "DETENTE_READ_ONLY")]
    pub read_only: bool,
    /// With --read-only: milliseconds between looks at the store for the writer's commits.
    #[arg(long, env = "DETENTE_POLL_MS", default_value_t = 1000, requires = "read_only")]
    pub poll_ms: u64,
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
    #[arg(long, default_value_t = detente_core::relations::DEFAULT_HALF_LIFE_DAYS)]
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
    #[arg(long, default_value_t = detente_core::relations::ShiftOptions::default().top_events)]
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
        /// The file: `.parquet` or `.csv`; with --partition-by, a folder (new or empty).
        #[arg(long)]
        to: PathBuf,
        /// Write a hive-partitioned Parquet dataset by `year` or `month`
        /// (`year=2023/month=5/part-0.parquet`), which Spark, Dask, DuckDB and polars read as one.
        #[arg(long, value_name = "year|month")]
        partition_by: Option<String>,
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

/// What `schema` describes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SchemaOf {
    /// The event record.
    Events,
}

/// Arguments of `schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The record.
    pub of: SchemaOf,
    /// Print it as one Spark DDL string, for `spark.read.schema(...)`.
    #[arg(long)]
    pub spark_ddl: bool,
}

/// Arguments of `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The dataset: gdelt1, gdelt2, icews, polecat; or parquet (files in the event record's
    /// columns: a file, a partitioned dataset folder, or a quoted glob such as 'out/**/*.parquet').
    pub kind: String,
    /// The files (for parquet, files, folders or globs).
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
    /// Threads that parse a large file (default: one per core; the writer has one more). Parquet
    /// files are read on one thread.
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
    #[arg(long, default_value_t = detente_core::paging::DEFAULT_PAGE_SIZE)]
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
    #[arg(long, default_value_t = detente_core::paging::DEFAULT_PAGE_SIZE)]
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

/// The scenario a negotiation command reads.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// The scenario: a file in Decide's format, a table `actor,issue,position,salience,
    /// capability`, or the actor table `Actor,Capability,Position,Salience`; `-` reads standard
    /// input, `example:NAME` a scenario shipped with detente (`example:moscow-2023`).
    pub file: String,
    /// How the file gives salience: `fraction` (0–1) or `percent` (0–100). Declared, never
    /// guessed: a salience off the declared scale is an error.
    #[arg(long, value_enum, default_value = "fraction")]
    pub salience: SalienceUnit,
    /// A table's scale, `MIN,MAX` (default: the span of its positions).
    #[arg(long)]
    pub scale: Option<String>,
    /// The issue: the one to run the expected-utility model on (default: the first); for a
    /// one-issue actor table, its name.
    #[arg(long)]
    pub issue: Option<String>,
}

/// Salience units of a scenario file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SalienceUnit {
    /// 0 to 1.
    Fraction,
    /// 0 to 100.
    Percent,
}

/// A seeded Monte Carlo over the scenario (on when --draws is given).
#[derive(Debug, Args)]
pub struct MonteCarloArgs {
    /// Re-run the model on this many perturbed copies of the scenario and show the outcomes'
    /// distribution.
    #[arg(long)]
    pub draws: Option<usize>,
    /// The seed of the draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Standard deviation of the noise added to each salience (0–1 scale).
    #[arg(long, default_value_t = 0.1)]
    pub salience_sd: f64,
    /// Standard deviation of the log of each capability's factor.
    #[arg(long, default_value_t = 0.2)]
    pub capability_sd: f64,
    /// Probability that an actor sits a draw out.
    #[arg(long, default_value_t = 0.0)]
    pub dropout: f64,
}

/// What `negotiate eum` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EumTable {
    /// The weighted median and mean round by round.
    Rounds,
    /// Every actor's position, risk exponent and accepted offer, round by round.
    Trajectory,
    /// Every offer made, and whether it was accepted.
    Offers,
    /// P, E^i(U_ij) and E^i(U_ji) of every pair, round by round.
    Matrices,
    /// One actor's perspective chart (--actor, --round).
    Perspective,
    /// The positions round by round as a text chart.
    Chart,
    /// The profile, options and version the run used.
    Info,
    /// The pairs' relation scores from the store, to read beside the forecast.
    Relations,
}

/// What `negotiate exchange` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExchangeTable {
    /// Each issue's expected outcome at each round's start and on its votes.
    Outcomes,
    /// Every executed exchange, both sides.
    Exchanges,
    /// Each actor's externalities per round.
    Externalities,
    /// The outcomes round by round as a text chart (per cent of each issue's scale).
    Chart,
    /// The options and version the run used.
    Info,
    /// The pairs' relation scores from the store, to read beside the forecast.
    Relations,
}

/// Negotiation models.
#[derive(Debug, Subcommand)]
pub enum NegotiateCommand {
    /// The baselines of every issue: mean, salience- and capability×salience-weighted mean,
    /// weighted median.
    Baseline {
        /// The scenario.
        #[command(flatten)]
        scenario: ScenarioArgs,
    },
    /// Bueno de Mesquita's expected-utility model on one issue (Scholz et al.'s
    /// reconstruction; every disputed choice an option).
    Eum {
        /// The scenario.
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// The profile: scholz2011_code (reproduces the published trajectory) or
        /// scholz2011_paper (the equations as printed).
        #[arg(long, default_value = "scholz2011_code")]
        profile: String,
        /// Change one option, KEY=VALUE (repeatable): probability, voter_utility,
        /// perceived_risk, centre, q, t, compromise, choice, capitulation, range,
        /// resist_salience, rounds, tolerance, median, risk_guard, decision (or a1…a13).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// What to show.
        #[arg(long, value_enum, default_value = "rounds")]
        show: EumTable,
        /// The actor of --show perspective.
        #[arg(long)]
        actor: Option<String>,
        /// The round of --show perspective.
        #[arg(long, default_value_t = 1)]
        round: usize,
        /// Monte Carlo.
        #[command(flatten)]
        monte_carlo: MonteCarloArgs,
    },
    /// Stokman's exchange model (Equal Gain, as Decide computes it) over every issue.
    Exchange {
        /// The scenario.
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// Rounds to play.
        #[arg(long, default_value_t = 10)]
        rounds: usize,
        /// Follow Decide's command line to the letter: its 28-digit decimal arithmetic, its ties
        /// broken by Python's random seeded so, one word drawn before the run as its imports do
        /// (default: binary floats, ties by actor and issue order, and no outcome ever pushed
        /// past a partner).
        #[arg(long)]
        decide_seed: Option<u64>,
        /// What to show.
        #[arg(long, value_enum, default_value = "outcomes")]
        show: ExchangeTable,
        /// Monte Carlo.
        #[command(flatten)]
        monte_carlo: MonteCarloArgs,
    },
}
