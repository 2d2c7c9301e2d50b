//! The `detente` command: the gRPC service (`detente serve`) and the command-line tools over the
//! same core.

use clap::Parser;
use detente_server::cli::{Cli, run};
use std::process::ExitCode;

// mimalloc: see `detente_core::alloc` for why.
#[global_allocator]
static ALLOCATOR: detente_core::alloc::Allocator = detente_core::alloc::Allocator;

fn main() -> ExitCode {
    detente_core::alloc::keep_freed_memory();
    let cli = Cli::parse();
    // A service logs its requests and lifecycle at info level unless told otherwise.
    let verbose = cli.verbose || matches!(cli.command, detente_server::cli::Command::Serve(_));
    detente_server::logging::init(cli.log_format, verbose);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`detente … | head`) is the reader's choice, not an error.
        Err(e) if e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            // One clear line; the kind decides the exit code (2: bad input, 1: anything else).
            eprintln!("error: {}", message(&e));
            let bad_input = e.downcast_ref::<detente_core::Error>().is_some_and(|c| {
                matches!(
                    c.kind(),
                    detente_core::ErrorKind::InvalidInput
                        | detente_core::ErrorKind::NotFound
                        | detente_core::ErrorKind::Conflict
                )
            });
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}

/// The error and its causes, each said once: a cause whose text the message already holds
/// (an I/O error inside "file: error", a transport error inside its wrapper) is not repeated.
fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}
