//! `pixelunion audit …`: `verify` and `checkpoint` ask the running server
//! (from its own machine, like `seal`: the answers hold sequence numbers and
//! MACs, no event content); `export` streams the trail as JSON lines for a
//! SIEM and needs a security officer's session token.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use futures::StreamExt;
use serde_json::Value;

use crate::ClientArgs;
use crate::client::Client;

/// How long `verify` waits (a long trail takes a while).
const LONG_WAIT: Duration = Duration::from_secs(6 * 3600);

#[derive(Subcommand)]
pub(crate) enum AuditCommand {
    /// Check the trail: the MAC chain, the sequence numbers and every signed
    /// checkpoint. Exits non-zero when an entry was changed, removed,
    /// inserted, reordered or cut off.
    Verify {
        #[command(flatten)]
        client: ClientArgs,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sign the chain's head now and write the checkpoint to the backup store.
    Checkpoint {
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Write the trail as JSON lines (one entry per line, oldest first).
    Export {
        #[command(flatten)]
        client: ClientArgs,
        /// From this time on: unix ms, a date (2026-12-01) or RFC 3339.
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Before this time.
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
        /// A file holding a security officer's session token (sign in with
        /// `bearer: true`); never pass a token as an argument.
        #[arg(long, value_name = "FILE")]
        token_file: PathBuf,
        /// Write here instead of stdout.
        #[arg(long, value_name = "FILE")]
        to: Option<PathBuf>,
    },
}

pub(crate) async fn run(cmd: AuditCommand) -> Result<()> {
    match cmd {
        AuditCommand::Verify { client, json } => {
            let c = Client::new(&client)?;
            let r = c.get_waiting("/api/v1/sys/audit/verify", LONG_WAIT).await?;
            if json {
                writeln!(
                    std::io::stdout().lock(),
                    "{}",
                    serde_json::to_string_pretty(&r)?
                )?;
            } else {
                print_report(&r)?;
            }
            if r["ok"] != Value::Bool(true) {
                bail!("the audit trail does not verify");
            }
            Ok(())
        }
        AuditCommand::Checkpoint { client } => {
            let c = Client::new(&client)?;
            let r = c
                .post("/api/v1/sys/audit/checkpoints", &Value::Null, LONG_WAIT)
                .await?;
            let mut out = std::io::stdout().lock();
            match r["checkpoint"].as_object() {
                Some(cp) => writeln!(
                    out,
                    "checkpoint of entries {}..={} written (public key {})",
                    cp["first_seq"],
                    cp["seq"],
                    cp["public_key"].as_str().unwrap_or("?")
                ),
                None => writeln!(out, "nothing new since the last checkpoint"),
            }?;
            Ok(())
        }
        AuditCommand::Export {
            client,
            since,
            until,
            token_file,
            to,
        } => {
            let token = std::fs::read_to_string(&token_file)
                .with_context(|| format!("reading {}", token_file.display()))?;
            let c = Client::new(&client)?;
            let mut query = Vec::new();
            if let Some(s) = since {
                query.push(("since", s));
            }
            if let Some(u) = until {
                query.push(("until", u));
            }
            let resp = c
                .get_raw("/api/v1/audit/export", &query, Some(token.trim()))
                .await?;
            let mut out: Box<dyn Write> = match &to {
                Some(p) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(p)
                        .with_context(|| format!("creating {}", p.display()))?,
                )),
                None => Box::new(std::io::stdout().lock()),
            };
            let mut body = resp.bytes_stream();
            let mut lines = 0u64;
            while let Some(piece) = body.next().await {
                let piece = piece.context("the export was cut off")?;
                lines += piece.iter().filter(|&&b| b == b'\n').count() as u64;
                out.write_all(&piece)?;
            }
            out.flush()?;
            if to.is_some() {
                tracing::info!(entries = lines, "audit trail exported");
            }
            Ok(())
        }
    }
}

fn print_report(r: &Value) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let ok = r["ok"] == Value::Bool(true);
    writeln!(
        out,
        "{}: {} entries ({} verified, {} from before the chain), {} waiting to be chained",
        if ok { "OK" } else { "TAMPERED" },
        r["entries"],
        r["verified"],
        r["before_chain"],
        r["pending"]
    )?;
    writeln!(
        out,
        "checkpoints: {} (latest covers up to entry {}; {} entries after it)",
        r["checkpoints"], r["latest_checkpoint"], r["after_checkpoint"]
    )?;
    writeln!(
        out,
        "audit public key: {}",
        r["public_key"].as_str().unwrap_or("?")
    )?;
    if let Some(ps) = r["problems"].as_array() {
        for p in ps {
            writeln!(
                out,
                "  entry {}: {} — {}",
                p["seq"],
                p["kind"].as_str().unwrap_or("?"),
                p["detail"].as_str().unwrap_or("")
            )?;
        }
        let n = r["problem_count"].as_u64().unwrap_or(0);
        if n as usize > ps.len() {
            writeln!(out, "  … and {} more", n as usize - ps.len())?;
        }
    }
    Ok(())
}
