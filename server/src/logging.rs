//! Structured logs with `tracing`: human-readable by default, JSON for containers.

use tracing_subscriber::EnvFilter;

/// The log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the global subscriber, writing to stderr. `RUST_LOG` overrides the level.
pub fn init(format: LogFormat, verbose: bool) {
    // A connection the server drops (a protocol error, a client that breaks the rules, a
    // reset) is logged by tonic at debug level only: always shown.
    let default = if verbose { "info,tonic::transport::server=debug" } else { "warn,tonic::transport::server=debug" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    use std::io::IsTerminal;
    // Colours only on a terminal: logs sent to a file or a collector stay plain.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    // A second init (tests) is harmless: try_init fails quietly.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
