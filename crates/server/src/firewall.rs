//! The request firewall's state: the engine built from the rule file (the
//! embedded one, or `waf.rules_path`) and the `[waf]` settings, swapped
//! whole on reload (SIGHUP) — a rule file that fails to load leaves the
//! previous rules in force — and counts of what it refused since start.
//!
//! Owns no HTTP types: the perimeter layer (`http::inspect`) builds the
//! request view, asks [`Firewall::engine`] and answers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use pixelunion_waf::{Engine, RuleSet, Settings};

use crate::config::WafConfig;

/// The rule file or the exclusions cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FirewallError {
    /// The rule file cannot be read.
    #[error("waf rule file {path}: {source}")]
    Read {
        /// the file
        path: String,
        /// why
        source: std::io::Error,
    },
    /// The rule file is wrong (the message names the line).
    #[error("waf rule file {path}: {source}")]
    Rules {
        /// the file (`embedded` for the built-in one)
        path: String,
        /// what is wrong
        source: pixelunion_waf::RuleError,
    },
    /// `waf.engine = "crs"` in a build without the `modsecurity` feature.
    #[error(
        "waf.engine = \"crs\" needs a build with the modsecurity feature (cargo build --release --features modsecurity)"
    )]
    NoCrs,
    /// An exclusion names a rule or category the file does not have.
    #[error("waf.exclusions[{index}]: {why}")]
    Exclusion {
        /// its position in the configuration
        index: usize,
        /// what is wrong
        why: String,
    },
}

/// What operators see of the firewall.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FirewallStatus {
    /// the rule file's version
    pub rules_version: String,
    /// rules in the file
    pub rules: usize,
    /// `embedded` or the rule file's path
    pub rules_source: String,
    /// paranoia level (1–4)
    pub paranoia: u8,
    /// anomaly score that refuses a request
    pub threshold: u32,
    /// `blocking` or `detection-only`
    pub mode: &'static str,
    /// requests refused since start
    pub blocked: u64,
    /// requests that scored but were let through (detection-only mode, or
    /// below the threshold) since start
    pub flagged: u64,
}

/// The engine in force and its counters.
#[derive(Debug)]
pub struct Firewall {
    engine: RwLock<Arc<Engine>>,
    /// the real CRS, when `waf.engine = "crs"` (it then decides alone)
    #[cfg(feature = "modsecurity")]
    crs: Option<Arc<pixelunion_waf::crs::Crs>>,
    config: WafConfig,
    blocked: AtomicU64,
    flagged: AtomicU64,
}

impl Firewall {
    /// Loads the rules `config` names and checks its exclusions.
    pub fn load(config: &WafConfig) -> Result<Self, FirewallError> {
        #[cfg(not(feature = "modsecurity"))]
        if config.engine == "crs" {
            return Err(FirewallError::NoCrs);
        }
        Ok(Firewall {
            engine: RwLock::new(Arc::new(build(config)?)),
            #[cfg(feature = "modsecurity")]
            crs: load_crs(config)?,
            config: config.clone(),
            blocked: AtomicU64::new(0),
            flagged: AtomicU64::new(0),
        })
    }

    /// Loads the rule file again; on failure the previous rules stay in
    /// force. Returns the new version.
    pub fn reload(&self) -> Result<String, FirewallError> {
        let engine = Arc::new(build(&self.config)?);
        let version = engine.version().to_string();
        if let Ok(mut e) = self.engine.write() {
            *e = engine;
        }
        Ok(version)
    }

    /// The engine in force (cheap: a shared pointer).
    pub fn engine(&self) -> Arc<Engine> {
        match self.engine.read() {
            Ok(e) => e.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The verdict on `req` from the engine in force (the CRS evaluates
    /// in its worker threads; this waits for it in a blocking section).
    pub fn verdict(&self, req: &pixelunion_waf::Request<'_>) -> pixelunion_waf::Verdict {
        #[cfg(feature = "modsecurity")]
        if let Some(crs) = &self.crs {
            return tokio::task::block_in_place(|| crs.inspect(req));
        }
        self.engine().inspect(req)
    }

    /// The settings.
    pub fn config(&self) -> &WafConfig {
        &self.config
    }

    /// Counts a refused request.
    pub fn count_blocked(&self) {
        self.blocked.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a request that scored but went through.
    pub fn count_flagged(&self) {
        self.flagged.fetch_add(1, Ordering::Relaxed);
    }

    /// What operators see.
    pub fn status(&self) -> FirewallStatus {
        let e = self.engine();
        #[cfg(feature = "modsecurity")]
        if let Some(crs) = &self.crs {
            return FirewallStatus {
                rules_version: crs.version().to_string(),
                rules: 0,
                rules_source: self.config.crs_rules_dir.display().to_string(),
                ..self.counts(&e)
            };
        }
        self.counts(&e)
    }

    fn counts(&self, e: &Engine) -> FirewallStatus {
        FirewallStatus {
            rules_version: e.version().to_string(),
            rules: e.rules().rules.len(),
            rules_source: self
                .config
                .rules_path
                .as_ref()
                .map_or_else(|| "embedded".to_string(), |p| p.display().to_string()),
            paranoia: self.config.paranoia,
            threshold: self.config.threshold,
            mode: if self.config.detection_only {
                "detection-only"
            } else {
                "blocking"
            },
            blocked: self.blocked.load(Ordering::Relaxed),
            flagged: self.flagged.load(Ordering::Relaxed),
        }
    }
}

#[cfg(feature = "modsecurity")]
fn load_crs(config: &WafConfig) -> Result<Option<Arc<pixelunion_waf::crs::Crs>>, FirewallError> {
    if config.engine != "crs" {
        return Ok(None);
    }
    let crs = pixelunion_waf::crs::Crs::load(pixelunion_waf::crs::CrsSettings {
        setup: config.crs_setup.clone(),
        rules_dir: config.crs_rules_dir.clone(),
        paranoia: config.paranoia,
        threshold: config.threshold,
        detection_only: config.detection_only,
        workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
        // the CRS has the method rule (911100)
        exclusions: exclusions(config, true),
    })
    .map_err(|source| FirewallError::Rules {
        path: config.crs_rules_dir.display().to_string(),
        source,
    })?;
    Ok(Some(Arc::new(crs)))
}

/// The rule refusing methods outside GET, HEAD, POST, PUT, PATCH, DELETE
/// and OPTIONS.
const METHOD_RULE: u32 = 911100;

/// The exclusions in force, for either engine: PixelUnion's own
/// ([`Settings::default`]), the method rule's when the rules have it, and
/// the configured ones.
pub(crate) fn exclusions(config: &WafConfig, method_rule: bool) -> Vec<pixelunion_waf::Exclusion> {
    let mut all = Settings::default().exclusions;
    // Methods are the router's to refuse: 405 with the methods a path
    // allows (what clients and API checkers expect), not a 403.
    if method_rule {
        all.push(pixelunion_waf::Exclusion {
            path_prefix: "/".into(),
            arg: String::new(),
            rules: vec![METHOD_RULE],
            categories: Vec::new(),
        });
    }
    all.extend(config.exclusions.iter().cloned());
    all
}

fn build(config: &WafConfig) -> Result<Engine, FirewallError> {
    let (rules, path) = match &config.rules_path {
        Some(p) => {
            let path = p.display().to_string();
            let text = std::fs::read_to_string(p).map_err(|source| FirewallError::Read {
                path: path.clone(),
                source,
            })?;
            (RuleSet::parse(&text), path)
        }
        None => (RuleSet::embedded(), "embedded".to_string()),
    };
    let rules = rules.map_err(|source| FirewallError::Rules { path, source })?;
    for (index, x) in config.exclusions.iter().enumerate() {
        x.check(&rules)
            .map_err(|why| FirewallError::Exclusion { index, why })?;
    }
    let settings = Settings {
        paranoia: config.paranoia,
        threshold: config.threshold,
        detection_only: config.detection_only,
        exclusions: exclusions(config, rules.rules.iter().any(|r| r.id == METHOD_RULE)),
    };
    Ok(Engine::new(rules, settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_file(dir: &std::path::Path, version: &str, pattern: &str) -> std::path::PathBuf {
        let p = dir.join("rules.toml");
        std::fs::write(
            &p,
            format!(
                "version = \"{version}\"\n\n[[rule]]\nid = 999001\nmsg = \"m\"\ncategory = \"test\"\nparanoia = 1\nseverity = \"critical\"\ntargets = [\"args\"]\nop = {{ type = \"regex\", pattern = \"{pattern}\" }}\n"
            ),
        )
        .unwrap();
        p
    }

    #[test]
    fn a_broken_reload_keeps_the_rules_in_force_and_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = rule_file(dir.path(), "t1", "forbidden");
        let config = WafConfig {
            rules_path: Some(path.clone()),
            ..WafConfig::default()
        };
        let fw = Firewall::load(&config).unwrap();
        assert_eq!(fw.status().rules_version, "t1");
        rule_file(dir.path(), "t2", "(");
        let e = fw.reload().unwrap_err().to_string();
        assert!(e.contains("line 4: rule 999001: pattern"), "{e}");
        assert_eq!(fw.status().rules_version, "t1", "old rules stay");
        rule_file(dir.path(), "t3", "other");
        assert_eq!(fw.reload().unwrap(), "t3");
        assert_eq!(fw.status().rules, 1);
    }

    #[cfg(not(feature = "modsecurity"))]
    #[test]
    fn the_crs_engine_needs_the_feature() {
        let config = WafConfig {
            engine: "crs".into(),
            ..WafConfig::default()
        };
        assert!(matches!(Firewall::load(&config), Err(FirewallError::NoCrs)));
    }

    #[cfg(feature = "modsecurity")]
    #[tokio::test(flavor = "multi_thread")]
    async fn the_real_crs_decides_when_configured() {
        let fw = Firewall::load(&WafConfig {
            engine: "crs".into(),
            ..WafConfig::default()
        })
        .unwrap();
        let h = vec![("Host".to_string(), "localhost".to_string())];
        let ask = |target: &str| {
            fw.verdict(&pixelunion_waf::Request {
                method: "GET",
                target,
                headers: &h,
                body: pixelunion_waf::Body::None,
            })
        };
        assert!(ask("/api/v1/assets?sort=%27%20OR%201%3D1--").block);
        assert!(!ask("/api/v1/assets?limit=120").block);
        assert!(fw.status().rules_version.starts_with("OWASP_CRS/"));
        // JSON fields are read, under the built-in exclusions and the
        // configured ones
        let mut config = WafConfig {
            engine: "crs".into(),
            ..WafConfig::default()
        };
        config.exclusions.push(pixelunion_waf::Exclusion {
            path_prefix: "/api/v1/albums".into(),
            arg: "description".into(),
            rules: Vec::new(),
            categories: Vec::new(),
        });
        let fw = Firewall::load(&config).unwrap();
        let post = |target: &str, json: &str| {
            let h = vec![
                ("Host".to_string(), "localhost".to_string()),
                ("Content-Type".to_string(), "application/json".to_string()),
                ("Content-Length".to_string(), json.len().to_string()),
            ];
            fw.verdict(&pixelunion_waf::Request {
                method: "POST",
                target,
                headers: &h,
                body: pixelunion_waf::Body::Json(json.as_bytes()),
            })
        };
        let sqli = "1' or '1'='1' --";
        let password = format!(r#"{{"email": "a@b.org", "password": "{sqli}"}}"#);
        assert!(!post("/api/v1/auth/login", &password).block);
        let email = format!(r#"{{"email": "{sqli}", "password": "x"}}"#);
        assert!(post("/api/v1/auth/login", &email).block);
        let album = |field: &str| format!(r#"{{"{field}": "{sqli}"}}"#);
        assert!(!post("/api/v1/albums", &album("description")).block);
        assert!(post("/api/v1/albums", &album("colour")).block);
    }

    #[test]
    fn exclusions_must_name_known_rules_and_categories() {
        let mut config = WafConfig::default();
        config.exclusions.push(pixelunion_waf::Exclusion {
            path_prefix: "/api/v1/assets".into(),
            arg: "caption".into(),
            rules: vec![942100],
            categories: vec!["sqli".into()],
        });
        assert!(Firewall::load(&config).is_ok());
        config.exclusions.push(pixelunion_waf::Exclusion {
            path_prefix: "/api/v1/".into(),
            arg: String::new(),
            rules: vec![1],
            categories: Vec::new(),
        });
        let e = Firewall::load(&config).unwrap_err().to_string();
        assert_eq!(e, "waf.exclusions[1]: rule 1 is not in the rule file");
        config.exclusions[1].rules.clear();
        config.exclusions[1].categories = vec!["sqlx".into()];
        let e = Firewall::load(&config).unwrap_err().to_string();
        assert!(e.contains("category \"sqlx\""), "{e}");
    }
}
