//! The request firewall's settings: paranoia level, anomaly threshold,
//! detection-only mode, an optional rule file replacing the embedded one,
//! exclusions by route and argument, and how much of a body is inspected.

use std::path::PathBuf;

use pixelunion_waf::Exclusion;
use serde::{Deserialize, Serialize};

use super::{ConfigError, invalid};

/// `[waf]`: request inspection before any handler (always on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WafConfig {
    /// `builtin` (PixelUnion's rules) or `crs` (the real OWASP CRS through
    /// libmodsecurity: only in a build with the `modsecurity` feature)
    pub engine: String,
    /// with `engine = "crs"`: the CRS setup file
    pub crs_setup: PathBuf,
    /// with `engine = "crs"`: the folder of the CRS `REQUEST-*.conf` files
    pub crs_rules_dir: PathBuf,
    /// 1 (fewest false positives) to 4 (most rules), as in the OWASP CRS
    pub paranoia: u8,
    /// the anomaly score at which a request is refused (a critical match
    /// scores 5, an error 4, a warning 3, a notice 2)
    pub threshold: u32,
    /// score and report (log and audit) but never refuse: for tuning
    pub detection_only: bool,
    /// a rule file to use instead of the embedded one (reloaded on SIGHUP)
    pub rules_path: Option<PathBuf>,
    /// rules switched off for a route prefix and, optionally, one argument
    /// (added to the built-in ones for passwords, unseal shares and
    /// `/.well-known/`)
    pub exclusions: Vec<Exclusion>,
    /// JSON, form and text bodies up to this size are read and inspected
    /// before the handler sees them (larger ones are refused with 413);
    /// files being uploaded are never inspected
    pub max_body_bytes: usize,
}

impl Default for WafConfig {
    fn default() -> Self {
        WafConfig {
            engine: "builtin".into(),
            crs_setup: "/etc/modsecurity/crs/crs-setup.conf".into(),
            crs_rules_dir: "/usr/share/modsecurity-crs/rules".into(),
            paranoia: 1,
            threshold: 5,
            detection_only: false,
            rules_path: None,
            exclusions: Vec::new(),
            max_body_bytes: 1 << 20,
        }
    }
}

impl WafConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if !["builtin", "crs"].contains(&self.engine.as_str()) {
            return Err(invalid("waf", "waf.engine must be \"builtin\" or \"crs\""));
        }
        if !(1..=4).contains(&self.paranoia) {
            return Err(invalid("waf", "waf.paranoia must be 1 to 4"));
        }
        if !(1..=1000).contains(&self.threshold) {
            return Err(invalid("waf", "waf.threshold must be 1 to 1000"));
        }
        if !(4096..=16 << 20).contains(&self.max_body_bytes) {
            return Err(invalid(
                "waf",
                "waf.max_body_bytes must be 4096 to 16777216",
            ));
        }
        for (i, x) in self.exclusions.iter().enumerate() {
            if !x.path_prefix.starts_with('/') {
                return Err(invalid(
                    "waf",
                    format!(
                        "waf.exclusions[{i}]: path_prefix {:?} must start with /",
                        x.path_prefix
                    ),
                ));
            }
        }
        Ok(())
    }
}
