//! TLS: rustls with the aws-lc-rs provider, TLS 1.2 and 1.3 only, forward-secret
//! AEAD suites only (rustls offers nothing else), HTTP/2 and HTTP/1.1 by ALPN.
//! The embedded default makes a self-signed certificate in `DATA_DIR/tls/`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::Config;

/// Certificate problems.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// File could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// file
        path: PathBuf,
        /// cause
        source: std::io::Error,
    },
    /// PEM content is unusable.
    #[error("{0}")]
    Invalid(String),
}

/// Paths of the certificate and key in use.
pub fn paths(config: &Config) -> (PathBuf, PathBuf) {
    match (&config.tls.cert_path, &config.tls.key_path) {
        (Some(c), Some(k)) => (c.clone(), k.clone()),
        _ => {
            let dir = config.data_dir.join("tls");
            (dir.join("cert.pem"), dir.join("key.pem"))
        }
    }
}

/// Days a generated certificate is valid: Apple platforms refuse
/// server certificates valid for more than 398 days, even trusted by hand.
pub const SELF_SIGNED_DAYS: i64 = 397;
/// A generated certificate is replaced this many days before it expires.
pub const RENEW_BEFORE_DAYS: i64 = 30;

/// What the generated certificate was made for (`tls/self-signed.json`
/// beside it): renewal compares it with the configuration and the clock.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SelfSigned {
    /// the names and addresses it carries
    pub names: Vec<String>,
    /// end of validity (unix seconds)
    pub not_after: i64,
}

/// The host names and addresses the self-signed certificate must carry:
/// loopback, `public_host`, `tls.names` and a specific listen address.
pub fn self_signed_names(config: &Config) -> Vec<String> {
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    let listen = config.listen.ip();
    let extra = [config.public_host.clone()]
        .into_iter()
        .chain(config.tls.names.iter().cloned())
        .chain((!listen.is_unspecified()).then(|| listen.to_string()));
    for n in extra {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    names
}

fn meta_path(config: &Config) -> PathBuf {
    config.data_dir.join("tls").join("self-signed.json")
}

/// Why the self-signed certificate must be (re)made now, if it must.
pub fn renewal_reason(config: &Config, now_secs: i64) -> Option<&'static str> {
    if config.tls.cert_path.is_some() {
        return None;
    }
    let (cert, key) = paths(config);
    if !cert.exists() || !key.exists() {
        return Some("no certificate yet");
    }
    let Some(meta) = std::fs::read(meta_path(config))
        .ok()
        .and_then(|b| serde_json::from_slice::<SelfSigned>(&b).ok())
    else {
        return Some("made by an earlier version (no server-auth usage, valid for decades)");
    };
    if meta.names != self_signed_names(config) {
        return Some("the configured host names changed");
    }
    if meta.not_after - now_secs < RENEW_BEFORE_DAYS * 86_400 {
        return Some("it expires within 30 days");
    }
    None
}

/// Creates or renews the self-signed certificate when the default paths are
/// in use and [`renewal_reason`] says so; returns whether it made one.
pub fn ensure_self_signed(config: &Config) -> Result<bool, TlsError> {
    let now = time::OffsetDateTime::now_utc();
    let Some(reason) = renewal_reason(config, now.unix_timestamp()) else {
        return Ok(false);
    };
    let dir = config.data_dir.join("tls");
    std::fs::create_dir_all(&dir).map_err(|source| TlsError::Io {
        path: dir.clone(),
        source,
    })?;
    let names = self_signed_names(config);
    let made = generate(&config.public_host, &names, now)?;
    let (cert, key) = paths(config);
    // New files beside the old ones, then renamed over them: a crash in
    // between leaves the old pair, never a key without its certificate.
    let key_new = dir.join("key.pem.new");
    let _ = std::fs::remove_file(&key_new);
    write_private(&key_new, made.key_pem.as_bytes())?;
    write_file(&dir.join("cert.pem.new"), made.cert_pem.as_bytes())?;
    let meta = SelfSigned {
        names,
        not_after: made.not_after,
    };
    let meta_json =
        serde_json::to_vec_pretty(&meta).map_err(|e| TlsError::Invalid(e.to_string()))?;
    write_file(&dir.join("self-signed.json.new"), &meta_json)?;
    rename(&key_new, &key)?;
    rename(&dir.join("cert.pem.new"), &cert)?;
    rename(&dir.join("self-signed.json.new"), &meta_path(config))?;
    tracing::info!(
        reason,
        valid_days = SELF_SIGNED_DAYS,
        "made a self-signed TLS certificate"
    );
    Ok(true)
}

/// A generated certificate and its key, in PEM (no `Debug`: it holds the key).
struct Generated {
    cert_pem: String,
    key_pem: zeroize::Zeroizing<String>,
    not_after: i64,
}

/// A self-signed ECDSA P-256 server certificate for `names` (DNS names and
/// IP addresses), named after `host`, with the server-authentication usage,
/// valid from an hour before `now` for [`SELF_SIGNED_DAYS`] days.
fn generate(
    host: &str,
    names: &[String],
    now: time::OffsetDateTime,
) -> Result<Generated, TlsError> {
    use rcgen::{
        CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose, SerialNumber,
    };
    let bad = |e: rcgen::Error| TlsError::Invalid(e.to_string());
    let mut params = CertificateParams::new(names.to_vec()).map_err(bad)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, host);
    dn.push(DnType::OrganizationName, "PixelUnion (self-signed)");
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = now - time::Duration::hours(1);
    let not_after = now + time::Duration::days(SELF_SIGNED_DAYS);
    params.not_after = not_after;
    let mut serial = uuid::Uuid::new_v4().into_bytes();
    serial[0] &= 0x7f; // a positive INTEGER
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    let key = KeyPair::generate().map_err(bad)?;
    let cert = params.self_signed(&key).map_err(bad)?;
    Ok(Generated {
        cert_pem: cert.pem(),
        key_pem: zeroize::Zeroizing::new(key.serialize_pem()),
        not_after: not_after.unix_timestamp(),
    })
}

/// SHA-256 of the first certificate in the PEM file, as people compare it
/// with what a browser shows: upper-case hex pairs joined by colons.
pub fn fingerprint(cert: &Path) -> Result<String, TlsError> {
    let pem = std::fs::read(cert).map_err(|source| TlsError::Io {
        path: cert.into(),
        source,
    })?;
    let first = CertificateDer::pem_slice_iter(&pem)
        .next()
        .ok_or_else(|| TlsError::Invalid(format!("{}: no certificate found", cert.display())))?
        .map_err(|e| TlsError::Invalid(format!("{}: {e}", cert.display())))?;
    Ok(fingerprint_der(&first))
}

/// SHA-256 fingerprint of one DER certificate (see [`fingerprint`]).
pub fn fingerprint_der(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    digest
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn write_file(path: &Path, data: &[u8]) -> Result<(), TlsError> {
    std::fs::write(path, data).map_err(|source| TlsError::Io {
        path: path.into(),
        source,
    })
}

fn rename(from: &Path, to: &Path) -> Result<(), TlsError> {
    std::fs::rename(from, to).map_err(|source| TlsError::Io {
        path: to.into(),
        source,
    })
}

fn write_private(path: &Path, data: &[u8]) -> Result<(), TlsError> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts.open(path).map_err(|source| TlsError::Io {
        path: path.into(),
        source,
    })?;
    f.write_all(data).map_err(|source| TlsError::Io {
        path: path.into(),
        source,
    })
}

/// Builds the rustls server configuration from the PEM files.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| TlsError::Io {
            path: path.into(),
            source,
        })
    };
    let cert_pem = read(cert)?;
    let key_pem = read(key)?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::Invalid(format!("{}: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(TlsError::Invalid(format!(
            "{}: no certificate found",
            cert.display()
        )));
    }
    let key: PrivateKeyDer<'static> =
        PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| match e {
            rustls::pki_types::pem::Error::NoItemsFound => {
                TlsError::Invalid(format!("{}: no private key found", key.display()))
            }
            e => TlsError::Invalid(format!("{}: {e}", key.display())),
        })?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut sc = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsError::Invalid(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Invalid(e.to_string()))?;
    sc.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    // The server's order (AES-GCM first with AES-NI, ChaCha20 otherwise, as
    // the provider ranks them), not the client's.
    sc.ignore_client_order = true;
    Ok(Arc::new(sc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &Path) -> Config {
        Config {
            data_dir: dir.to_path_buf(),
            public_host: "photos.example.org".into(),
            tls: crate::config::TlsConfig {
                names: vec!["192.168.1.20".into(), "nas.local".into()],
                ..Default::default()
            },
            ..Config::default()
        }
    }

    #[test]
    fn the_certificate_is_named_for_the_host_and_short_lived() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path());
        assert!(ensure_self_signed(&c).unwrap(), "made at first");
        assert!(
            !ensure_self_signed(&c).unwrap(),
            "kept while valid and named alike"
        );
        let (cert, _) = paths(&c);
        let pem = std::fs::read(&cert).unwrap();
        let der = CertificateDer::pem_slice_iter(&pem)
            .next()
            .unwrap()
            .unwrap();
        let raw: &[u8] = der.as_ref();
        let has = |needle: &[u8]| raw.windows(needle.len()).any(|w| w == needle);
        assert!(has(b"photos.example.org"), "common name / SAN");
        assert!(has(b"nas.local"));
        assert!(has(&[192, 168, 1, 20]), "IP SAN");
        assert!(!has(b"rcgen self signed cert"));
        // id-kp-serverAuth 1.3.6.1.5.5.7.3.1
        assert!(has(&[
            0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01
        ]));
        let meta: SelfSigned =
            serde_json::from_slice(&std::fs::read(meta_path(&c)).unwrap()).unwrap();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let days = (meta.not_after - now) as f64 / 86_400.0;
        assert!((396.9..=397.01).contains(&days), "{days} days");
        // and rustls takes it
        server_config(&cert, &paths(&c).1).unwrap();
        let fp = fingerprint(&cert).unwrap();
        assert_eq!(fp.len(), 32 * 3 - 1);
        assert_eq!(fp, fingerprint_der(raw));
    }

    #[test]
    fn it_is_renewed_before_expiry_and_when_names_change() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = config(dir.path());
        ensure_self_signed(&c).unwrap();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        assert_eq!(renewal_reason(&c, now), None);
        assert_eq!(renewal_reason(&c, now + 366 * 86_400), None);
        assert_eq!(
            renewal_reason(&c, now + 368 * 86_400),
            Some("it expires within 30 days")
        );
        let before = fingerprint(&paths(&c).0).unwrap();
        c.tls.names.push("photos.lan".into());
        assert_eq!(
            renewal_reason(&c, now),
            Some("the configured host names changed")
        );
        assert!(ensure_self_signed(&c).unwrap());
        assert_ne!(
            fingerprint(&paths(&c).0).unwrap(),
            before,
            "a new certificate"
        );
        // one from an earlier version (no description beside it) is replaced
        std::fs::remove_file(meta_path(&c)).unwrap();
        assert!(renewal_reason(&c, now).unwrap().contains("earlier version"));
        // configured certificates are never touched
        c.tls.cert_path = Some(dir.path().join("mine.pem"));
        c.tls.key_path = Some(dir.path().join("mine.key"));
        assert_eq!(renewal_reason(&c, now), None);
    }
}
