//! The `detente` command: the gRPC service (`detente serve`) and the command-line tools over the
//! same core.

use clap::Parser;
use detente_server::cli::{Cli, run};
use std::process::ExitCode;

// Bulk imports allocate and free buffers of hundreds of megabytes: mimalloc reuses them where
// the system allocator maps fresh, zeroed pages every time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's index of its `purge_delay` option (`mi_option_purge_delay`, the same in its v2 and
/// v3 headers), which the crate's bindings do not name.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // Memory freed is given back to the system after a second unused rather than 10 ms: an
    // import frees and takes again hundreds of megabytes every few hundred milliseconds, and
    // pages given back come again zeroed, at ~0.85 s per GiB on a VM like ours (the 5M-row
    // import: 0.75–0.82 s of system time instead of 1.2–2.1 s). An idle service still shrinks.
    // SAFETY: sets a number in the allocator's option table; nothing else runs yet.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1000) };
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
