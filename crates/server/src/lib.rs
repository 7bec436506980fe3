//! # pixelunion-server
//!
//! Owns the HTTPS service: configuration, TLS (rustls), the sealed/unsealed
//! key state, the domain services (`library`, `accounts`), the background
//! work, the media tools and the JSON API router, and graceful shutdown. It
//! composes the vault (keys, formats), the catalog (metadata DB) and the
//! stores (blobs).
//!
//! Layers: `http → library/accounts → catalog/store/vault`;
//! `background → library/accounts`; nothing under `library/`, `accounts/` or
//! `background/` imports `http` or axum (a test in `layers.rs` checks it).
//!
//! It must never write a key, share or plaintext user content to disk or to a
//! log line, never answer a client with an internal error's text, and never
//! serve a data route while sealed.

pub mod accounts;
pub mod audit;
pub mod background;
pub mod backup;
pub mod clock;
pub mod concurrency;
pub mod config;
pub mod connections;
pub mod deployment;
pub mod fields;
pub mod firewall;
pub mod http;
pub mod incidents;
mod keystate;
#[cfg(test)]
mod layers;
pub mod library;
mod limiter;
pub mod mail;
pub mod media_tools;
pub mod metrics;
pub mod proxies;
pub mod ratelimit;
pub mod redirect;
pub mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use pixelunion_catalog::Catalog;
use pixelunion_store::{BlobStore, Stores};
use pixelunion_vault::shares::ShareText;

pub use config::{Config, ConfigError, Overrides};
pub use http::error::ApiError;
pub use keystate::{KeyError, KeyStatus, KeyVault};

/// Start-up failures.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Data directory.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// directory
        path: std::path::PathBuf,
        /// cause
        source: std::io::Error,
    },
    /// Metadata database.
    #[error("metadata database: {0}")]
    Catalog(#[from] pixelunion_catalog::CatalogError),
    /// Blob store.
    #[error("blob store: {0}")]
    Store(#[from] pixelunion_store::StoreError),
    /// The catalog, data directory or a store belongs to another deployment.
    #[error("wrong deployment: {0}")]
    WrongDeployment(String),
    /// TLS.
    #[error("TLS: {0}")]
    Tls(#[from] tls::TlsError),
    /// Key state.
    #[error("keys: {0}")]
    Keys(#[from] keystate::KeyStateError),
    /// Accounts (first administrator, hashing).
    #[error("accounts: {0}")]
    Accounts(#[from] accounts::Error),
    /// Request firewall rules or exclusions.
    #[error(transparent)]
    Firewall(#[from] firewall::FirewallError),
    /// Listener / serving.
    #[error("listener: {0}")]
    Io(#[from] std::io::Error),
}

struct Inner {
    config: Config,
    catalog: Catalog,
    stores: Stores,
    keys: KeyVault,
    accounts: accounts::Accounts,
    unseal_limiter: limiter::UnsealLimiter,
    jobs_wake: tokio::sync::Notify,
    /// SHA-256 fingerprint of the certificate served (empty if unreadable)
    certificate: std::sync::RwLock<String>,
    limits: ratelimit::Limits,
    firewall: firewall::Firewall,
    /// search indexes of decrypted fields, per user (dropped on seal)
    search: library::search::Cache,
    /// resumable uploads' content hashes between PATCHes (dropped on seal)
    upload_hashes: library::carried_hash::CarriedHashes,
    /// the later parts of originals kept as several blobs (names, sizes)
    kept_parts: library::files::PartsCache,
    trusted_proxies: proxies::TrustedProxies,
    /// this process among the deployment's running nodes (random)
    node_id: String,
}

/// Shared application state.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("keys", &self.0.keys)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.0.config
    }
    /// The request rate limits.
    pub fn limits(&self) -> &ratelimit::Limits {
        &self.0.limits
    }
    /// The request firewall.
    pub fn firewall(&self) -> &firewall::Firewall {
        &self.0.firewall
    }
    /// The load balancers whose `X-Forwarded-For` is believed.
    pub fn trusted_proxies(&self) -> &proxies::TrustedProxies {
        &self.0.trusted_proxies
    }
    /// This process's id among the running nodes.
    pub fn node_id(&self) -> &str {
        &self.0.node_id
    }
    /// The search indexes in memory.
    pub fn search(&self) -> &library::search::Cache {
        &self.0.search
    }
    /// Resumable uploads' content hashes carried between PATCHes.
    pub fn upload_hashes(&self) -> &library::carried_hash::CarriedHashes {
        &self.0.upload_hashes
    }
    /// The later parts of originals kept as several blobs, as read.
    pub fn kept_parts(&self) -> &library::files::PartsCache {
        &self.0.kept_parts
    }
    /// The SHA-256 fingerprint of the TLS certificate being served, as
    /// `AB:CD:…` (what people compare with their browser's view of it).
    pub fn certificate_fingerprint(&self) -> String {
        self.0
            .certificate
            .read()
            .map(|f| f.clone())
            .unwrap_or_default()
    }
    fn set_certificate_fingerprint(&self, fp: String) {
        if let Ok(mut f) = self.0.certificate.write() {
            *f = fp;
        }
    }
    /// The metadata catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.0.catalog
    }
    /// The blob stores.
    pub fn stores(&self) -> &Stores {
        &self.0.stores
    }
    /// The key state.
    pub fn keys(&self) -> &KeyVault {
        &self.0.keys
    }
    /// Account services.
    pub fn accounts(&self) -> &accounts::Accounts {
        &self.0.accounts
    }
    pub(crate) fn unseal_limiter(&self) -> &limiter::UnsealLimiter {
        &self.0.unseal_limiter
    }
    pub(crate) fn jobs_wake(&self) -> &tokio::sync::Notify {
        &self.0.jobs_wake
    }
    /// Tells the job workers that jobs were queued (they also poll every
    /// few seconds). Library operations that queue jobs call it.
    pub fn wake_jobs(&self) {
        self.0.jobs_wake.notify_waiters();
    }
}

/// What a first start (or `init`) hands out once: the shares and the first
/// administrator's credentials.
pub struct Initialization {
    /// unseal key shares
    pub shares: Vec<ShareText>,
    /// shares needed
    pub threshold: u8,
    /// first administrator's e-mail
    pub admin_email: String,
    /// first administrator's one-time password
    pub admin_password: zeroize::Zeroizing<String>,
    /// the public key that verifies the audit trail's checkpoints (hex)
    pub audit_public_key: String,
}

impl std::fmt::Debug for Initialization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Initialization")
            .field("threshold", &self.threshold)
            .finish_non_exhaustive()
    }
}

fn accounts_service() -> Result<accounts::Accounts, ServerError> {
    Ok(accounts::Accounts::new(
        pixelunion_auth::password::HashParams::default(),
    )?)
}

async fn initialize_with(
    catalog: &Catalog,
    keys: &KeyVault,
    accounts: &accounts::Accounts,
    config: &Config,
    threshold: u8,
    shares: u8,
) -> Result<Initialization, ServerError> {
    let texts = keys.initialize(catalog, threshold, shares).await?;
    let admin_password = accounts::create_initial_admin(
        catalog,
        keys,
        accounts,
        &config.init.admin_email,
        config.accounts.role_grant_days,
    )
    .await?;
    let audit_public_key = keys
        .with_keyring(|k| k.audit_signer().ok().map(|s| hex::encode(s.public_key())))
        .flatten()
        .unwrap_or_default();
    Ok(Initialization {
        shares: texts,
        threshold,
        admin_email: config.init.admin_email.clone(),
        admin_password,
        audit_public_key,
    })
}

/// Seals now: a last audit checkpoint, the key usage counts and a catalog
/// snapshot are written while the keys are there, then the keys leave memory.
pub async fn seal_now(state: &AppState) {
    audit::checkpoint::tick(state).await;
    if let Err(e) = state.keys().persist_usage(state.catalog()).await {
        tracing::warn!(error = %e, "could not persist key usage before sealing");
    }
    backup::snapshot::take_if_unsealed(state, "seal").await;
    state.keys().seal();
    state.search().clear();
    state.upload_hashes().clear();
    state.accounts().recent().clear();
    library::link_files::forget_all();
}

/// Opens everything the service needs. If the catalog is empty it is
/// initialized here (shares and first administrator, returned to print once);
/// the server is then unsealed. Otherwise it starts sealed.
pub async fn prepare(config: Config) -> Result<(AppState, Option<Initialization>), ServerError> {
    // the rule file is checked before anything is created or initialized
    let firewall = firewall::Firewall::load(&config.waf)?;
    create_private_dir(&config.data_dir)?;
    let catalog = Catalog::connect(&config.database_url()).await?;
    let stores = Stores {
        primary: BlobStore::open(&config.primary_store(), "primary")?,
        backup: BlobStore::open(&config.backup_store(), "backup")?,
    };
    let keys = KeyVault::load(&catalog).await?;
    let accounts = accounts_service()?;
    let init = if keys.status().initialized {
        None
    } else {
        Some(
            initialize_with(
                &catalog,
                &keys,
                &accounts,
                &config,
                config.init.threshold,
                config.init.shares,
            )
            .await?,
        )
    };
    deployment::check(&config.data_dir, &catalog, &stores).await?;
    tls::ensure_self_signed(&config)?;
    tighten_existing_files(&config.data_dir);
    let fingerprint = tls::fingerprint(&tls::paths(&config).0).unwrap_or_default();
    let limits = ratelimit::Limits::new(&config.limits);
    // validated with the configuration
    let trusted_proxies =
        proxies::TrustedProxies::parse(&config.trusted_proxies).unwrap_or_default();
    tracing::info!(
        rules = %firewall.status().rules_version,
        paranoia = config.waf.paranoia,
        detection_only = config.waf.detection_only,
        "request firewall loaded"
    );
    let state = AppState(Arc::new(Inner {
        config,
        catalog,
        stores,
        keys,
        accounts,
        unseal_limiter: limiter::UnsealLimiter::default(),
        jobs_wake: tokio::sync::Notify::new(),
        certificate: std::sync::RwLock::new(fingerprint),
        limits,
        firewall,
        search: library::search::Cache::default(),
        upload_hashes: Default::default(),
        kept_parts: Default::default(),
        trusted_proxies,
        node_id: uuid::Uuid::new_v4().to_string(),
    }));
    Ok((state, init))
}

/// Initializes the catalog without serving (`pixelunion init`).
pub async fn initialize(
    config: &Config,
    threshold: u8,
    shares: u8,
) -> Result<Initialization, ServerError> {
    create_private_dir(&config.data_dir)?;
    let catalog = Catalog::connect(&config.database_url()).await?;
    let keys = KeyVault::load(&catalog).await?;
    let init = initialize_with(
        &catalog,
        &keys,
        &accounts_service()?,
        config,
        threshold,
        shares,
    )
    .await?;
    catalog.close().await;
    Ok(init)
}

/// Makes every file and folder this process creates from now on private to
/// its user (mode 0600 / 0700: umask 077). Called first thing by the binary.
pub fn restrict_new_files() {
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

/// Files an earlier version left readable by others in the data directory
/// itself and its `tls/` folder (the catalog, its journal, the
/// certificate): made 0600.
fn tighten_existing_files(data_dir: &std::path::Path) {
    #[cfg(unix)]
    for dir in [data_dir.to_path_buf(), data_dir.join("tls")] {
        use std::os::unix::fs::PermissionsExt;
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_file() && meta.permissions().mode() & 0o077 != 0 {
                let _ =
                    std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o600));
            }
        }
    }
}

pub(crate) fn create_private_dir(path: &std::path::Path) -> Result<(), ServerError> {
    let err = |source| ServerError::DataDir {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(path).map_err(err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(err)?;
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).map_err(err)?;
        }
    }
    Ok(())
}

/// The router, for router-level tests.
pub fn router(state: AppState) -> axum::Router {
    http::router(state)
}

/// Serves HTTPS on `listener` until `shutdown` resolves, then lets in-flight
/// requests finish (up to 30 s). With an `operator` listener, the system and
/// operator routes are served there only (404 on `listener`). SIGHUP
/// reloads the certificate and the firewall's rules.
pub async fn serve(
    state: AppState,
    listener: std::net::TcpListener,
    operator: Option<std::net::TcpListener>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let (cert, key) = tls::paths(state.config());
    let rustls_config =
        axum_server::tls_rustls::RustlsConfig::from_config(tls::server_config(&cert, &key)?);
    tracing::info!(
        sha256 = %state.certificate_fingerprint(),
        cert = %cert.display(),
        "TLS certificate fingerprint"
    );
    spawn_reload_on_sighup(state.clone(), rustls_config.clone(), cert, key);
    spawn_certificate_renewal(state.clone(), rustls_config.clone());
    spawn_usage_persister(state.clone());
    spawn_limit_sweeper(state.clone());
    background::spawn(&state);
    let handle = axum_server::Handle::new();
    let h = handle.clone();
    let operator_handle = axum_server::Handle::new();
    let oh = operator_handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight requests");
        oh.graceful_shutdown(Some(Duration::from_secs(30)));
        h.graceful_shutdown(Some(Duration::from_secs(30)));
    });
    let exposure = if operator.is_some() {
        http::Exposure::Public
    } else {
        http::Exposure::All
    };
    if let Some(op) = operator {
        let c = &state.config().operator;
        let op_tls = match (&c.cert_path, &c.key_path) {
            (Some(cert), Some(key)) => {
                axum_server::tls_rustls::RustlsConfig::from_config(tls::server_config(cert, key)?)
            }
            _ => rustls_config.clone(),
        };
        let server = https_server(&state, op, op_tls, operator_handle)?;
        let app = http::router_for(state.clone(), http::Exposure::All);
        tokio::spawn(async move {
            if let Err(e) = server
                .serve(app.into_make_service_with_connect_info::<SocketAddr>())
                .await
            {
                tracing::error!(error = %e, "operator listener failed");
            }
        });
    }
    let app = http::router_for(state.clone(), exposure);
    let res = https_server(&state, listener, rustls_config, handle)?
        .serve(app.into_make_service_with_connect_info::<SocketAddr>())
        .await;
    if let Err(e) = state.keys().persist_usage(state.catalog()).await {
        tracing::warn!(error = %e, "could not persist key usage at shutdown");
    }
    audit::checkpoint::tick(&state).await;
    backup::snapshot::take_if_unsealed(&state, "shutdown").await;
    state.keys().seal();
    state.search().clear();
    state.upload_hashes().clear();
    state.accounts().recent().clear();
    library::link_files::forget_all();
    if let Err(e) = state.catalog().node_gone(state.node_id()).await {
        tracing::warn!(error = %e, "could not remove this node from the catalog's list");
    }
    state.catalog().close().await;
    res.map_err(ServerError::Io)
}

/// Bytes an HTTP/2 client may send on one stream before the server reads
/// them: 8 MiB carries ~400 MB/s at 20 ms of round trip.
const H2_STREAM_WINDOW: u32 = 8 << 20;
/// The same for all streams of a connection together.
const H2_CONNECTION_WINDOW: u32 = 16 << 20;
/// Largest HTTP/2 frame the server accepts (fewer frames per megabyte).
const H2_MAX_FRAME: u32 = 256 << 10;
/// Bytes queued per stream for sending before the writer waits.
const H2_SEND_BUFFER: usize = 1 << 20;

/// An HTTPS server on `listener` with the perimeter's connection limits.
fn https_server(
    state: &AppState,
    listener: std::net::TcpListener,
    rustls: axum_server::tls_rustls::RustlsConfig,
    handle: axum_server::Handle<SocketAddr>,
) -> Result<
    axum_server::Server<
        SocketAddr,
        connections::HandshakeCounting<
            axum_server::tls_rustls::RustlsAcceptor<connections::CountingAcceptor>,
        >,
    >,
    ServerError,
> {
    listener.set_nonblocking(true)?;
    let limits = &state.config().limits;
    let counting =
        connections::CountingAcceptor::new(limits.enabled.then_some(limits.connections_per_client))
            .exempt(state.trusted_proxies().clone());
    let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(rustls)
        .handshake_timeout(Duration::from_secs(limits.handshake_timeout_secs))
        .acceptor(counting);
    let mut server = axum_server::from_tcp(listener)?
        .acceptor(connections::HandshakeCounting(acceptor))
        .handle(handle);
    // Slow clients are cut off: the head of a request (and the start of the
    // next one on a kept-alive connection) must arrive in time, within a
    // bounded size and header count.
    let http = server.http_builder();
    http.http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_read_timeout_secs))
        .max_headers(limits.max_headers);
    // HTTP/2 flow control: hyper's default 64 KiB windows let a client send
    // only 64 KiB per round trip (≈ 1.3 MB/s at 50 ms). A window is an
    // allowance, not a buffer: the body is read as fast as the disk takes
    // it, so what waits per upload stays near one window.
    http.http2()
        .timer(hyper_util::rt::TokioTimer::new())
        .initial_stream_window_size(H2_STREAM_WINDOW)
        .initial_connection_window_size(H2_CONNECTION_WINDOW)
        .max_frame_size(H2_MAX_FRAME)
        .max_send_buf_size(H2_SEND_BUFFER)
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
        .max_concurrent_streams(200)
        .keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(20));
    Ok(server)
}

/// SIGHUP reloads the certificate and the firewall's rule file; either
/// failing keeps what was in force.
fn spawn_reload_on_sighup(
    state: AppState,
    config: axum_server::tls_rustls::RustlsConfig,
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP: certificate reload disabled");
            return;
        };
        while hup.recv().await.is_some() {
            match tls::server_config(&cert, &key) {
                Ok(c) => {
                    config.reload_from_config(c);
                    tracing::info!(cert = %cert.display(), "TLS certificate reloaded");
                }
                Err(e) => {
                    tracing::error!(error = %e, "TLS certificate reload failed; keeping the old one")
                }
            }
            match state.firewall().reload() {
                Ok(version) => tracing::info!(rules = %version, "firewall rules reloaded"),
                Err(e) => {
                    tracing::error!(error = %e, "firewall rule reload failed; keeping the rules in force")
                }
            }
        }
    });
}

/// Once an hour: renews the self-signed certificate before it expires (or
/// when the configured names changed) and reloads a configured certificate
/// whose file was replaced (a renewal by certbot or an ACME client), with no
/// restart and no dropped connection.
fn spawn_certificate_renewal(state: AppState, rustls: axum_server::tls_rustls::RustlsConfig) {
    tokio::spawn(async move {
        let (cert, key) = tls::paths(state.config());
        let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let mut seen = modified(&cert);
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        tick.tick().await;
        loop {
            tick.tick().await;
            let config = state.config().clone();
            let made = tokio::task::spawn_blocking(move || tls::ensure_self_signed(&config)).await;
            let changed = modified(&cert) != seen;
            match made {
                Ok(Ok(made)) if made || changed => match tls::server_config(&cert, &key) {
                    Ok(c) => {
                        rustls.reload_from_config(c);
                        seen = modified(&cert);
                        let fp = tls::fingerprint(&cert).unwrap_or_default();
                        tracing::info!(sha256 = %fp, "TLS certificate renewed and reloaded");
                        state.set_certificate_fingerprint(fp);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "the new TLS certificate is unusable; keeping the old one")
                    }
                },
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "TLS certificate renewal failed"),
                Err(e) => tracing::error!(error = %e, "TLS certificate renewal task failed"),
            }
        }
    });
}

fn spawn_limit_sweeper(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            state.limits().sweep();
        }
    });
}

fn spawn_usage_persister(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(e) = state.keys().persist_usage(state.catalog()).await {
                tracing::warn!(error = %e, "could not persist key usage");
            }
        }
    });
}
