//! `pixelunion` — the command line: `serve`, `init`, `unseal`, `seal`,
//! `status`, `backup` (`status`, `run`, `list`, `verify`, `restore`) and
//! `audit` (`verify`, `checkpoint`, `export`), `export` (the library) and
//! `incident` (the register).
//!
//! Shares are read from the terminal without echo, or from stdin when stdin is
//! not a terminal — never from argv or the environment — and printed only at
//! initialisation, to stdout, once. Logs go to stderr and never contain them.

mod admin;
mod audit;
mod backup;
mod client;
mod export;
mod incident;
mod upload;

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use pixelunion_server::{Config, Overrides};
use zeroize::Zeroizing;

#[derive(Parser)]
#[command(
    name = "pixelunion",
    version,
    about = "Privacy-first photo and video storage"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Common {
    /// Data directory (catalog, local blob stores, TLS certificate).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Configuration file (default: DATA_DIR/pixelunion.toml if present).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Args, Clone)]
struct ClientArgs {
    #[command(flatten)]
    common: Common,
    /// Server URL (default: https://<operator.listen, else listen, from the configuration>).
    #[arg(long, value_name = "URL")]
    addr: Option<String>,
    /// CA certificate to trust (default: the server's certificate in DATA_DIR/tls/).
    #[arg(long, value_name = "PEM")]
    ca_cert: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (initialises an empty data directory first).
    Serve {
        #[command(flatten)]
        common: Common,
        /// HTTPS listen address.
        #[arg(long, value_name = "ADDR:PORT")]
        listen: Option<std::net::SocketAddr>,
    },
    /// Initialise an empty data directory and print the key shares once.
    Init {
        #[command(flatten)]
        common: Common,
        /// Number of shares to hand out (default from config, 1).
        #[arg(long)]
        shares: Option<u8>,
        /// Shares needed to unseal (default from config, 1).
        #[arg(long)]
        threshold: Option<u8>,
        /// Print {"shares": [...], "threshold": K} as JSON and nothing else.
        #[arg(long)]
        json: bool,
    },
    /// Submit one key share to a sealed server.
    Unseal(ClientArgs),
    /// Wipe the keys from the server's memory.
    Seal(ClientArgs),
    /// Show whether the server is initialised and sealed.
    Status(ClientArgs),
    /// Backups: status, run, list, verify, restore.
    #[command(subcommand)]
    Backup(backup::BackupCommand),
    /// The audit trail: verify, checkpoint, export.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Download your whole library as one ZIP (resumes an interrupted download).
    Export(export::ExportArgs),
    /// Upload files and folders to your library: skips what it has, sends
    /// the rest resumably, applies Google Takeout sidecars, makes albums.
    Upload(upload::UploadArgs),
    /// The incident register (security officers): list, show, open, breach,
    /// contain, notify.
    Incident(incident::IncidentArgs),
    /// Administration from the server's machine: break-glass role grants.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
}

fn load_config(common: &Common, listen: Option<std::net::SocketAddr>) -> Result<Config> {
    Ok(Config::load(
        common.config.as_deref(),
        Overrides {
            data_dir: common.data_dir.clone(),
            listen,
        },
    )?)
}

/// The allocator: request paths allocate and free buffers of about 1 MiB
/// (upload batches, read windows) on different threads; glibc's malloc
/// returned many of them to the kernel and took them back zeroed (page
/// faults and page clearing were ≈ 13% of a 1 GiB upload's server time),
/// mimalloc keeps them in its thread-local pages.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<()> {
    // Before any key exists: no core dumps, not dumpable.
    let hardening = pixelunion_vault::secure_memory::harden_process();
    // Every file the server creates (catalog, certificate, local blobs) is
    // private to its user.
    pixelunion_server::restrict_new_files();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PIXELUNION_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    if !hardening.core_dumps_disabled || !hardening.non_dumpable {
        tracing::warn!(
            ?hardening,
            "process hardening incomplete: key memory could end up in a core dump"
        );
    }
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(cli))
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve { common, listen } => serve(load_config(&common, listen)?).await,
        Command::Init {
            common,
            shares,
            threshold,
            json,
        } => {
            let config = load_config(&common, None)?;
            let n = shares.unwrap_or(config.init.shares);
            let k = threshold.unwrap_or(config.init.threshold);
            let init = pixelunion_server::initialize(&config, k, n)
                .await
                .with_context(|| format!("initialising {}", config.data_dir.display()))?;
            let mut out = std::io::stdout().lock();
            if json {
                let shares: Vec<&str> = init.shares.iter().map(|s| s.expose()).collect();
                let v = serde_json::json!({
                    "shares": shares,
                    "threshold": k,
                    "admin": {"email": init.admin_email, "password": init.admin_password.as_str()},
                    "audit_public_key": init.audit_public_key,
                });
                writeln!(out, "{v}")?;
            } else {
                print_initialization(&mut out, &config, &init)?;
            }
            Ok(())
        }
        Command::Unseal(args) => {
            let share = read_share()?;
            let c = client::Client::new(&args)?;
            let status = c.unseal(&share).await?;
            report(&status);
            Ok(())
        }
        Command::Seal(args) => {
            let status = client::Client::new(&args)?.seal().await?;
            report(&status);
            Ok(())
        }
        Command::Backup(cmd) => backup::run(cmd).await,
        Command::Audit(cmd) => audit::run(cmd).await,
        Command::Export(args) => export::run(args).await,
        Command::Upload(args) => upload::run(args).await,
        Command::Incident(args) => incident::run(args).await,
        Command::Admin(cmd) => admin::run(cmd).await,
        Command::Status(args) => {
            let client = client::Client::new(&args)?;
            let status = client.status().await?;
            report(&status);
            if let Some(pk) = status["audit_public_key"].as_str() {
                let _ = writeln!(std::io::stdout().lock(), "audit public key: {pk}");
            }
            // operators (and the server's own machine) also see the firewall
            if let Ok(fw) = client.get("/api/v1/sys/firewall").await {
                let _ = writeln!(
                    std::io::stdout().lock(),
                    "firewall: {} ({} rules, paranoia {}, threshold {}, {}); {} refused and {} flagged since start",
                    fw["rules_version"].as_str().unwrap_or("?"),
                    fw["rules"],
                    fw["paranoia"],
                    fw["threshold"],
                    fw["mode"].as_str().unwrap_or("?"),
                    fw["blocked"],
                    fw["flagged"],
                );
            }
            Ok(())
        }
    }
}

fn report(status: &serde_json::Value) {
    let sealed = status["sealed"].as_bool().unwrap_or(true);
    let k = status["threshold"].as_u64().unwrap_or(0);
    let have = status["progress"].as_u64().unwrap_or(0);
    let mut out = std::io::stdout().lock();
    let _ = if !status["initialized"].as_bool().unwrap_or(false) {
        writeln!(out, "not initialized")
    } else if sealed {
        writeln!(out, "sealed ({have} of {k} shares given)")
    } else {
        writeln!(out, "unsealed")
    };
}

fn read_share() -> Result<Zeroizing<String>> {
    let share = if std::io::stdin().is_terminal() {
        Zeroizing::new(rpassword::prompt_password(
            "Unseal key share (input hidden): ",
        )?)
    } else {
        let mut s = Zeroizing::new(String::new());
        std::io::stdin().take(4096).read_to_string(&mut s)?;
        s
    };
    let trimmed = Zeroizing::new(share.trim().to_string());
    if trimmed.is_empty() {
        bail!("no share given");
    }
    Ok(trimmed)
}

fn print_initialization(
    out: &mut impl Write,
    config: &Config,
    init: &pixelunion_server::Initialization,
) -> std::io::Result<()> {
    let (texts, k) = (&init.shares, init.threshold);
    writeln!(
        out,
        "PixelUnion initialised a new vault in {}.",
        config.data_dir.display()
    )?;
    writeln!(out)?;
    for (i, s) in texts.iter().enumerate() {
        writeln!(
            out,
            "  Unseal key share {} of {} ({} needed to unseal):",
            i + 1,
            texts.len(),
            k
        )?;
        writeln!(out, "    {}", s.expose())?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "  These shares are shown only this once and are stored nowhere. Keep them"
    )?;
    writeln!(
        out,
        "  safe and offline: without {k} of them a restarted server cannot be unsealed"
    )?;
    writeln!(
        out,
        "  and its data cannot be read by anyone, including you."
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "  First administrator (shown once; set a new password and two-factor"
    )?;
    writeln!(out, "  authentication at first sign-in):")?;
    writeln!(out, "    e-mail:   {}", init.admin_email)?;
    writeln!(out, "    password: {}", init.admin_password.as_str())?;
    writeln!(out)?;
    writeln!(
        out,
        "  Audit public key (Ed25519; keep a copy away from this server to check the"
    )?;
    writeln!(
        out,
        "  audit trail's signed checkpoints with, see docs/audit-format.md):"
    )?;
    writeln!(out, "    {}", init.audit_public_key)?;
    writeln!(out)
}

/// `host:port` to reach a listener on `addr` from this machine.
fn https_host_port(addr: std::net::SocketAddr) -> String {
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        addr.ip().to_string()
    };
    format!("{host}:{}", addr.port())
}

async fn serve(config: Config) -> Result<()> {
    let listener = pixelunion_server::connections::listen(config.listen)
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let operator = match config.operator.listen {
        Some(a) => Some(
            pixelunion_server::connections::listen(a)
                .with_context(|| format!("cannot listen on {a} (operator.listen)"))?,
        ),
        None => None,
    };
    let operator_addr = operator.as_ref().map(|l| l.local_addr()).transpose()?;
    let (state, init) = pixelunion_server::prepare(config.clone()).await?;
    let mut out = std::io::stdout().lock();
    if let Some(init) = &init {
        print_initialization(&mut out, &config, init)?;
    }
    drop(init);
    // One shutdown signal for every listener.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };
    if let Some(redirect) = config.redirect_listen {
        let l = tokio::net::TcpListener::bind(redirect)
            .await
            .with_context(|| format!("cannot listen on {redirect} (redirect_listen)"))?;
        writeln!(out, "Redirecting http://{}/ to HTTPS", l.local_addr()?)?;
        let (host, port, rx) = (config.public_host.clone(), addr.port(), stop_rx.clone());
        tokio::spawn(async move {
            if let Err(e) =
                pixelunion_server::redirect::serve_redirects(l, host, port, stopped(rx)).await
            {
                tracing::error!(error = %e, "redirect listener failed");
            }
        });
    }
    let status = state.keys().status();
    let (cert, _) = pixelunion_server::tls::paths(&config);
    let url = format!("https://{}", https_host_port(addr));
    writeln!(out, "Serving {url}/  (certificate: {})", cert.display())?;
    let fp = state.certificate_fingerprint();
    if !fp.is_empty() {
        writeln!(out, "Certificate SHA-256 fingerprint: {fp}")?;
        if config.tls.cert_path.is_none() {
            writeln!(
                out,
                "  (self-signed: your browser warns once; check that it shows this fingerprint\n   before you accept, or trust the certificate on your devices — see the README)"
            )?;
        }
    }
    let control_url = match operator_addr {
        Some(o) => {
            let ou = format!("https://{}", https_host_port(o));
            writeln!(
                out,
                "Operator listener {ou}/  (unseal, seal, backups, administration and the audit trail are served here only)"
            )?;
            ou
        }
        None => url.clone(),
    };
    let unseal_cmd = format!(
        "pixelunion unseal --data-dir {} --addr {control_url}",
        config.data_dir.display()
    );
    if status.sealed {
        writeln!(
            out,
            "The server is SEALED: its keys are not in memory. Unseal it with\n    {unseal_cmd}\n({} of {} shares needed; run it once per share).",
            status.threshold, status.shares
        )?;
    } else {
        writeln!(
            out,
            "The server is unsealed. After a restart it starts sealed: unseal it with\n    {unseal_cmd}"
        )?;
    }
    out.flush()?;
    drop(out);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    pixelunion_server::serve(state, listener, operator, stopped(stop_rx)).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
