//! `pixelunion admin …`: what administration needs from the server's own
//! machine. `break-glass` grants a privileged role with the vault's key
//! shares standing in for a second administrator — the documented path for
//! a deployment with a single administrator (or none left). The shares are
//! read from standard input (or asked for at the terminal), never from
//! arguments; the server checks them, audits the grant and tells every
//! administrator.

use std::io::{IsTerminal, Read, Write};

use anyhow::{Result, bail};
use clap::Subcommand;
use serde_json::json;
use zeroize::Zeroizing;

use crate::ClientArgs;
use crate::client::Client;

#[derive(Subcommand)]
pub(crate) enum AdminCommand {
    /// Grant a privileged role with the key shares (one administrator, or
    /// none): the account must exist and have two-factor authentication.
    /// Reads the threshold of shares from stdin, one per line.
    BreakGlass {
        #[command(flatten)]
        client: ClientArgs,
        /// The account's e-mail address.
        #[arg(long)]
        email: String,
        /// support, operator, security or admin.
        #[arg(long)]
        role: String,
        /// Why (recorded in the audit trail and shown to administrators).
        #[arg(long)]
        reason: String,
        /// For how many days (1–365; default accounts.role_grant_days).
        #[arg(long)]
        days: Option<u32>,
    },
}

pub(crate) async fn run(cmd: AdminCommand) -> Result<()> {
    match cmd {
        AdminCommand::BreakGlass {
            client,
            email,
            role,
            reason,
            days,
        } => {
            let shares = read_shares()?;
            let c = Client::new(&client)?;
            // (the request body is a copy of the shares that is not zeroed:
            // it lives for this one call of a short-lived process)
            let body = json!({
                "shares": &*shares,
                "email": email,
                "role": role,
                "reason": reason,
                "days": days,
            });
            let v = c
                .post(
                    "/api/v1/sys/break-glass",
                    &body,
                    std::time::Duration::from_secs(60),
                )
                .await?;
            let end =
                v["decided_at"].as_i64().unwrap_or(0) + v["duration_secs"].as_i64().unwrap_or(0);
            writeln!(
                std::io::stdout().lock(),
                "granted: {} holds the {} role until {} (unix s); every administrator has been told",
                v["user_id"].as_str().unwrap_or("?"),
                v["role"].as_str().unwrap_or("?"),
                end
            )?;
            Ok(())
        }
    }
}

/// The shares: one per line from stdin, or asked for one by one at a terminal
/// (an empty answer ends).
fn read_shares() -> Result<Zeroizing<Vec<String>>> {
    let mut shares = Zeroizing::new(Vec::new());
    if std::io::stdin().is_terminal() {
        loop {
            let s = Zeroizing::new(rpassword::prompt_password(
                "Unseal key share (input hidden; empty line when done): ",
            )?);
            let s = s.trim();
            if s.is_empty() {
                break;
            }
            shares.push(s.to_string());
        }
    } else {
        let mut text = Zeroizing::new(String::new());
        std::io::stdin().take(64 * 1024).read_to_string(&mut text)?;
        shares.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from),
        );
    }
    if shares.is_empty() {
        bail!("no key share given");
    }
    Ok(shares)
}
