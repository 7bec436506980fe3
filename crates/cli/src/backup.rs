//! `pixelunion backup …`: `status`, `run`, `list` and `verify` ask the
//! running server (from its own machine, like `seal`); `restore` works
//! without a server, from the backup store and the key shares alone, into a
//! new data directory.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use pixelunion_server::backup::restore::{self, Progress};
use pixelunion_server::{Config, Overrides};
use serde_json::{Value, json};

use crate::ClientArgs;
use crate::client::Client;

/// How long `run` and `verify` wait for the server's answer.
const LONG_WAIT: Duration = Duration::from_secs(6 * 3600);

#[derive(Subcommand)]
pub(crate) enum BackupCommand {
    /// The last snapshot (age, size), the replication backlog and lag, the
    /// last verification and whether the backup store answers.
    Status(Output),
    /// Take a catalog snapshot now.
    Run(Output),
    /// The snapshots in the backup store, with time, size and state.
    List {
        #[command(flatten)]
        out: Output,
        /// Read the backup store named by the configuration directly, with no
        /// server running (to pick a snapshot before a restore).
        #[arg(long)]
        offline: bool,
    },
    /// Check every backup copy: present, with the recorded SHA-256 (no key
    /// needed); with the server unsealed, decrypt a sample (or all).
    /// Exits non-zero on any problem.
    Verify {
        #[command(flatten)]
        out: Output,
        /// Copies to decrypt (default 20).
        #[arg(long, value_name = "N", conflicts_with = "all")]
        sample: Option<u32>,
        /// Decrypt every copy.
        #[arg(long)]
        all: bool,
    },
    /// Scrub the primary store now: rewrite from the backup every copy that
    /// no longer matches its recorded SHA-256. Exits non-zero if one could
    /// not be repaired.
    Scrub(Output),
    /// Rebuild a deployment (catalog and primary store) from the backup
    /// store alone. Asks for the key shares like `unseal` (terminal without
    /// echo, or one per line on stdin); writes nothing unless they open the
    /// snapshot and it checks out to its end.
    Restore {
        /// The new deployment's data directory (must not hold a catalog).
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
        /// Its configuration: where the backup store is, which database and
        /// primary store to fill (default: DATA_DIR/pixelunion.toml).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// The snapshot to restore (default: the newest complete one).
        #[arg(long, value_name = "ID")]
        snapshot: Option<String>,
        /// Print the summary as JSON and no progress.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Clone)]
pub(crate) struct Output {
    #[command(flatten)]
    client: ClientArgs,
    /// Print the server's answer as JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) async fn run(cmd: BackupCommand) -> Result<()> {
    match cmd {
        BackupCommand::Status(o) => {
            let s = Client::new(&o.client)?.get("/api/v1/sys/backup").await?;
            print(&o, &s, human_status)
        }
        BackupCommand::Run(o) => {
            let t = Client::new(&o.client)?
                .post("/api/v1/sys/backup/snapshots", &json!({}), LONG_WAIT)
                .await?;
            print(&o, &t, |t| {
                format!(
                    "snapshot {} taken: {} in {} ms",
                    t["id"].as_str().unwrap_or("?"),
                    size(t["bytes"].as_u64().unwrap_or(0)),
                    t["took_ms"]
                )
            })
        }
        BackupCommand::List { out, offline } => {
            let l = if offline {
                let config = crate::load_config(&out.client.common, None)?;
                serde_json::to_value(restore::list(&config).await?)?
            } else {
                Client::new(&out.client)?
                    .get("/api/v1/sys/backup/snapshots")
                    .await?
            };
            print(&out, &l, human_list)
        }
        BackupCommand::Verify { out, sample, all } => {
            let body = json!({ "all": all, "sample": sample.unwrap_or(20) });
            let spinner = spinner(out.json, "verifying the backup store");
            let r = Client::new(&out.client)?
                .post("/api/v1/sys/backup/verify", &body, LONG_WAIT)
                .await;
            spinner.finish_and_clear();
            let r = r?;
            print(&out, &r, human_verify)?;
            if r["ok"].as_bool() != Some(true) {
                bail!("the backup has problems (see above)");
            }
            Ok(())
        }
        BackupCommand::Scrub(o) => {
            let spinner = spinner(o.json, "scrubbing the primary store");
            let r = Client::new(&o.client)?
                .post("/api/v1/sys/backup/scrub", &json!({}), LONG_WAIT)
                .await;
            spinner.finish_and_clear();
            let r = r?;
            print(&o, &r, |r| {
                format!(
                    "{} blobs checked ({}): {} repaired from the backup, {} beyond repair",
                    r["checked"],
                    size(r["bytes"].as_u64().unwrap_or(0)),
                    r["repaired"],
                    r["unrepairable"]
                )
            })?;
            if r["unrepairable"].as_u64() != Some(0) {
                bail!("some primary copies could not be repaired");
            }
            Ok(())
        }
        BackupCommand::Restore {
            data_dir,
            config,
            snapshot,
            json,
        } => restore_here(data_dir, config, snapshot, json).await,
    }
}

fn print(o: &Output, v: &Value, human: impl Fn(&Value) -> String) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if o.json {
        writeln!(out, "{v}")?;
    } else {
        writeln!(out, "{}", human(v))?;
    }
    Ok(())
}

fn size(n: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if n < 1024 * 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", n as f64 / MIB)
    }
}

fn human_status(s: &Value) -> String {
    let mut lines = vec![format!(
        "backup store:     {}",
        s["backup_store"].as_str().unwrap_or("?")
    )];
    lines.push(match s["last_snapshot"].as_object() {
        Some(l) => format!(
            "last snapshot:    {} ({} s ago, {})",
            l["id"].as_str().unwrap_or("?"),
            s["last_snapshot_age_secs"],
            size(l["bytes"].as_u64().unwrap_or(0))
        ),
        None => "last snapshot:    none".into(),
    });
    lines.push(format!("snapshots kept:   {}", s["snapshots"]));
    lines.push(format!(
        "replication:      {} waiting, {} failed, oldest waiting {}",
        s["replication_queued"],
        s["replication_dead"],
        s["replication_lag_secs"]
            .as_i64()
            .map_or("-".to_string(), |l| format!("{l} s"))
    ));
    lines.push(format!(
        "last verify:      {}",
        match s["last_verify"]["ok"].as_bool() {
            Some(true) => "clean",
            Some(false) => "PROBLEMS",
            None => "never",
        }
    ));
    lines.push(format!(
        "self-healing:     {} repairs, {} reads served from the backup (since start)",
        s["repairs"], s["healed_reads"]
    ));
    lines.join("\n")
}

fn human_list(l: &Value) -> String {
    let rows = l.as_array().cloned().unwrap_or_default();
    if rows.is_empty() {
        return "no snapshots".into();
    }
    let mut lines = vec![format!("{:<38} {:>12} {}", "ID", "SIZE", "STATE")];
    for r in rows {
        lines.push(format!(
            "{:<38} {:>12} {}",
            r["id"].as_str().unwrap_or("?"),
            size(r["bytes"].as_u64().unwrap_or(0)),
            if r["complete"].as_bool() == Some(true) {
                "complete"
            } else {
                "incomplete"
            }
        ));
    }
    lines.join("\n")
}

fn human_verify(r: &Value) -> String {
    let mut s = format!(
        "{} referenced: {} intact, {} missing, {} corrupt; {} orphaned object(s)",
        r["referenced"], r["intact"], r["missing"], r["corrupt"], r["orphaned"]
    );
    if r["decrypted"].as_bool() == Some(true) {
        s.push_str(&format!(
            "\ndecrypted: {} authentic, {} failed",
            r["authenticated"], r["unauthentic"]
        ));
    } else {
        s.push_str("\nthe server is sealed: no copy was decrypted");
    }
    s.push_str(if r["ok"].as_bool() == Some(true) {
        "\nclean"
    } else {
        "\nPROBLEMS FOUND"
    });
    s
}

fn spinner(quiet: bool, msg: &'static str) -> indicatif::ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let p = indicatif::ProgressBar::new_spinner().with_message(msg);
    p.enable_steady_tick(Duration::from_millis(120));
    p
}

/// Reads key shares one at a time: from the terminal without echo, else one
/// per line from stdin (never argv or the environment).
struct ShareReader {
    lines: Option<std::io::Lines<std::io::StdinLock<'static>>>,
}

impl ShareReader {
    fn new() -> Self {
        let stdin = std::io::stdin();
        ShareReader {
            lines: (!stdin.is_terminal()).then(|| stdin.lock().lines()),
        }
    }

    fn next(
        &mut self,
        have: u8,
        need: u8,
    ) -> pixelunion_server::backup::Result<zeroize::Zeroizing<String>> {
        let text = zeroize::Zeroizing::new(match &mut self.lines {
            None => rpassword::prompt_password(format!(
                "Unseal key share {} of {need} (input hidden): ",
                have + 1
            ))
            .map_err(|e| pixelunion_server::backup::Error::Share(e.to_string()))?,
            Some(lines) => match lines.next() {
                Some(Ok(l)) => l,
                Some(Err(e)) => return Err(pixelunion_server::backup::Error::Share(e.to_string())),
                None => {
                    return Err(pixelunion_server::backup::Error::Share(format!(
                        "{have} share(s) given, {need} needed"
                    )));
                }
            },
        });
        Ok(text)
    }
}

async fn restore_here(
    data_dir: PathBuf,
    config: Option<PathBuf>,
    snapshot: Option<String>,
    json: bool,
) -> Result<()> {
    let config = Config::load(
        config.as_deref(),
        Overrides {
            data_dir: Some(data_dir),
            listen: None,
        },
    )?;
    let bar = if json || !std::io::stderr().is_terminal() {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new_spinner()
    };
    let progress = |p: Progress| match p {
        Progress::Checking(n) => bar.set_message(format!("checking the snapshot: {}", size(n))),
        Progress::Importing => bar.set_message("putting the catalog's rows back"),
        Progress::Copying { done, of } => {
            if bar.length() != Some(of) {
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "copying blobs {bar:40} {pos}/{len} ({per_sec}, {eta} left)",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar.set_length(of);
            }
            bar.set_position(done);
        }
    };
    let mut shares = ShareReader::new();
    let restored = restore::restore(
        &config,
        snapshot.as_deref(),
        |h, n| shares.next(h, n),
        &progress,
    )
    .await
    .with_context(|| "restore failed; nothing usable was written".to_string());
    bar.finish_and_clear();
    let r = restored?;
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_value(&r)?)?;
    } else {
        writeln!(
            out,
            "Restored snapshot {}: {} catalog rows, {} blobs ({}) in {:.1} s.",
            r.snapshot,
            r.rows,
            r.blobs,
            size(r.bytes),
            r.took_ms as f64 / 1000.0
        )?;
        writeln!(
            out,
            "Start it with `pixelunion serve --data-dir {}`: it starts sealed; unseal it with the same shares.",
            config.data_dir.display()
        )?;
    }
    Ok(())
}
