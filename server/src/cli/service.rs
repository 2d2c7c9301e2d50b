//! `serve` and `healthcheck`: the gRPC service and its probe.

use super::{Cli, HealthcheckArgs, ServeArgs, open_read, open_write};
use anyhow::{Context, Result};
use std::path::PathBuf;

/// `detente serve`: opens the store for writing and serves it until a signal.
pub(super) fn serve(cli: &Cli, a: &ServeArgs) -> Result<()> {
    let read = |p: &PathBuf| std::fs::read(p).map_err(|e| detente_core::Error::io(p, e));
    let tls = match (&a.tls_cert, &a.tls_key) {
        (Some(c), Some(k)) => Some((read(c)?, read(k)?)),
        _ => None,
    };
    let token = token_from(a.token.as_deref(), a.token_file.as_deref())?;
    let opts = crate::serve::ServeOptions {
        tls,
        token,
        max_request_bytes: a.max_request_bytes,
        max_response_bytes: a.max_response_bytes,
        max_upload_bytes: a.max_upload_bytes,
        reflection: !a.no_reflection,
        drain: std::time::Duration::from_secs(a.drain_seconds),
    };
    let model = if a.read_only { open_read(cli)? } else { open_write(cli)? };
    // A replica follows the writer's commits for as long as it serves.
    let _follower =
        a.read_only.then(|| model.follow_writer(std::time::Duration::from_millis(a.poll_ms.max(10)))).transpose()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener =
            tokio::net::TcpListener::bind(&a.addr).await.with_context(|| format!("cannot listen on {}", a.addr))?;
        // One line on stdout for scripts and tests that asked for port 0.
        println!("listening on {}", listener.local_addr()?);
        crate::serve::serve(listener, model, opts, crate::serve::signal()).await
    })
}

/// The bearer token of `--token`, else of `--token-file`, checked ([`bearer_token`]); none when
/// neither is given. The server and its clients (`detente watch`) read it the same way.
pub(crate) fn token_from(token: Option<&str>, file: Option<&std::path::Path>) -> Result<Option<String>> {
    match (token, file) {
        (Some(t), _) => Ok(Some(bearer_token(t, "--token (DETENTE_TOKEN)")?)),
        (None, Some(f)) => {
            let t = std::fs::read_to_string(f).map_err(|e| detente_core::Error::io(f, e))?;
            Ok(Some(bearer_token(&t, &format!("the token file {}", f.display()))?))
        }
        (None, None) => Ok(None),
    }
}

/// A bearer token as given, without the line end a file or `echo` leaves; an empty one is an
/// error, not "no token".
pub(super) fn bearer_token(given: &str, from: &str) -> Result<String> {
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
pub(super) fn healthcheck(a: &HealthcheckArgs) -> Result<()> {
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
