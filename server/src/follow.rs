//! `detente watch`: follows a running service's `WatchEvents` and prints each change as a JSON
//! line, so a pipeline can react to writes and resume where it stopped.

use crate::cli::{FilterArgs, filter_query};
use crate::pb;
use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use tonic::metadata::MetadataValue;

/// Arguments of `watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Address of the server (0.0.0.0 means this machine).
    #[arg(long, env = "DETENTE_ADDR", default_value = "127.0.0.1:50051")]
    pub addr: String,
    /// PEM certificate of the authority that signed the server's certificate: connect with TLS.
    #[arg(long, env = "DETENTE_TLS_CA")]
    pub tls_ca: Option<PathBuf>,
    /// The name the server's certificate is for.
    #[arg(long, env = "DETENTE_TLS_DOMAIN", default_value = "localhost")]
    pub tls_domain: String,
    /// The server's bearer token.
    #[arg(long, env = "DETENTE_TOKEN", hide_env_values = true, conflicts_with = "token_file")]
    pub token: Option<String>,
    /// Read the token from a file; a trailing newline is not part of it.
    #[arg(long, env = "DETENTE_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// Replay the changes after this revision first (the last complete `revision` a previous
    /// watch printed); without it, follow from now on.
    #[arg(long)]
    pub since: Option<u64>,
    /// Stop once the replay has caught up instead of following (needs --since).
    #[arg(long, requires = "since")]
    pub until_caught_up: bool,
    /// Also print progress lines (`{"revision": N, "progress": true}`) while idle.
    #[arg(long)]
    pub progress: bool,
    /// Seconds between progress notifications while nothing changes.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(i32).range(1..))]
    pub progress_seconds: i32,
    /// Which events.
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// Follows the service until it stops, the stream fails, or (with `--until-caught-up`) the
/// replay is done. One line per event: `{"revision", "change": "added"|"removed", "event"}`.
pub fn watch(a: &WatchArgs, out: &mut dyn Write) -> Result<()> {
    let query = filter_query(&a.filter)?;
    let token = crate::cli::token_from(a.token.as_deref(), a.token_file.as_deref())?;
    let ca = a.tls_ca.as_ref().map(|p| std::fs::read(p).map_err(|e| detente_core::Error::io(p, e))).transpose()?;
    let addr = crate::serve::loopback(&a.addr);
    let request = pb::WatchEventsRequest {
        filter: Some(crate::convert::query_to_pb(&query)),
        start_revision: a.since.map_or(0, |r| r as i64),
        progress_interval_seconds: a.progress_seconds,
        read_mask: None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let channel = crate::serve::connect(&addr, ca, &a.tls_domain, None).await?;
        let bearer = token
            .map(|t| MetadataValue::try_from(format!("Bearer {t}")))
            .transpose()
            .context("the token holds characters a header cannot")?;
        let mut client = pb::detente_service_client::DetenteServiceClient::with_interceptor(
            channel,
            move |mut req: tonic::Request<()>| {
                if let Some(b) = &bearer {
                    req.metadata_mut().insert("authorization", b.clone());
                }
                Ok(req)
            },
        );
        let mut stream = client.watch_events(request).await.map_err(failed)?.into_inner();
        // The last revision whose changes all arrived: where a later watch resumes.
        let mut complete = a.since.unwrap_or(0);
        loop {
            let message = match stream.message().await {
                Ok(Some(m)) => m,
                Ok(None) => return Ok(()),
                Err(s) => {
                    return Err(failed(s))
                        .with_context(|| format!("the watch stopped: resume with --since {complete}"));
                }
            };
            let revision = message.revision;
            if message.progress_notification {
                complete = revision as u64;
                if a.progress {
                    writeln!(out, "{}", json!({"revision": revision, "progress": true}))?;
                    out.flush()?;
                }
                if a.until_caught_up {
                    return Ok(());
                }
                continue;
            }
            for (change, events) in [("added", message.events), ("removed", message.removed_events)] {
                for e in events {
                    let event = crate::convert::event_from_pb(e)?;
                    writeln!(out, "{}", json!({"revision": revision, "change": change, "event": event.to_json()}))?;
                }
            }
            out.flush()?;
            if message.revision_complete {
                complete = revision as u64;
            }
        }
    })
}

/// A failed call as an error that says what the service said.
fn failed(s: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{:?}: {}", s.code(), s.message())
}
