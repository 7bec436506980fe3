//! `pixelunion incident …`: the incident register from the command line,
//! for a security officer's session token (sign in with `bearer: true`; the
//! token is read from a file, never an argument). Every command prints the
//! server's JSON answer.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::ClientArgs;
use crate::client::Client;

#[derive(Args)]
pub(crate) struct IncidentArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// A file holding a security officer's session token.
    #[arg(long, value_name = "FILE")]
    token_file: PathBuf,
    #[command(subcommand)]
    command: IncidentCommand,
}

#[derive(Subcommand)]
pub(crate) enum IncidentCommand {
    /// The register, newest first.
    List,
    /// One incident with its timeline, messages and breach clock.
    Show {
        /// incident id
        id: String,
    },
    /// Open an incident.
    Open {
        /// low, medium, high or critical
        #[arg(long)]
        severity: String,
        /// a short title
        #[arg(long)]
        title: String,
        /// what is known
        #[arg(long, default_value = "")]
        summary: String,
    },
    /// Confirm a personal-data breach: the 72-hour clock starts.
    Breach {
        /// incident id
        id: String,
    },
    /// Contain: end-sessions, revoke-tokens, rotate-keyring or seal.
    Contain {
        /// incident id
        id: String,
        /// the action
        action: String,
    },
    /// Send the notifications (audiences: users, authority, partners).
    Notify {
        /// incident id
        id: String,
        /// who to tell (repeat the flag)
        #[arg(long = "audience", required = true)]
        audiences: Vec<String>,
    },
}

pub(crate) async fn run(a: IncidentArgs) -> Result<()> {
    let token = std::fs::read_to_string(&a.token_file)
        .with_context(|| format!("reading {}", a.token_file.display()))?;
    let c = Client::new(&a.client)?;
    let t = Some(token.trim());
    let base = "/api/v1/incidents";
    let answer: Value = match a.command {
        IncidentCommand::List => c.send("GET", base, None, t).await?,
        IncidentCommand::Show { id } => c.send("GET", &format!("{base}/{id}"), None, t).await?,
        IncidentCommand::Open {
            severity,
            title,
            summary,
        } => {
            let body = json!({"severity": severity, "title": title, "summary": summary});
            c.send("POST", base, Some(&body), t).await?
        }
        IncidentCommand::Breach { id } => {
            c.send("POST", &format!("{base}/{id}/breach"), None, t)
                .await?
        }
        IncidentCommand::Contain { id, action } => {
            let body = json!({ "action": action });
            c.send("POST", &format!("{base}/{id}/containment"), Some(&body), t)
                .await?
        }
        IncidentCommand::Notify { id, audiences } => {
            let body = json!({ "audiences": audiences });
            c.send(
                "POST",
                &format!("{base}/{id}/notifications"),
                Some(&body),
                t,
            )
            .await?
        }
    };
    writeln!(
        std::io::stdout().lock(),
        "{}",
        serde_json::to_string_pretty(&answer)?
    )?;
    Ok(())
}
