//! The real OWASP Core Rule Set through libmodsecurity (cargo feature
//! `modsecurity`; Debian: `libmodsecurity-dev`, `modsecurity-crs`). The
//! default build never needs it.
//!
//! libmodsecurity's objects may not cross threads, so each of a few worker
//! threads loads its own copy of the rules and evaluates the requests sent
//! to it over a channel; a caller blocks until its verdict comes back (the
//! server calls from a blocking section). Which rules fired is read from
//! libmodsecurity's log messages (`[id "942100"]`); the messages themselves,
//! which quote matched data, are dropped, never logged.
//!
//! The rules run in anomaly-scoring mode with the configured paranoia level
//! and inbound threshold; the verdict's score is CRS's own inbound anomaly
//! score as reported by rule 949110, else the sum of the fired rules'
//! critical scores.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};

use modsecurity::{ModSecurity, Rules};

use crate::engine::{Exclusion, Hit, Settings, Verdict};
use crate::hidden;
use crate::request::{Body, Request};
use crate::rules::RuleError;

/// Where the CRS is and how it decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrsSettings {
    /// `crs-setup.conf`
    pub setup: PathBuf,
    /// the folder of `REQUEST-9xx-*.conf` rule files
    pub rules_dir: PathBuf,
    /// 1–4
    pub paranoia: u8,
    /// inbound anomaly score threshold
    pub threshold: u32,
    /// score but never block
    pub detection_only: bool,
    /// worker threads (each holds a copy of the rules)
    pub workers: usize,
    /// rules switched off by route and argument, as for the embedded
    /// engine (see [`exclusion_rules`])
    pub exclusions: Vec<Exclusion>,
}

impl Default for CrsSettings {
    /// Debian's paths, paranoia 1, threshold 5, two workers, and the
    /// exclusions every PixelUnion needs ([`Settings::default`]'s).
    fn default() -> Self {
        CrsSettings {
            setup: "/etc/modsecurity/crs/crs-setup.conf".into(),
            rules_dir: "/usr/share/modsecurity-crs/rules".into(),
            paranoia: 1,
            threshold: 5,
            detection_only: false,
            workers: 2,
            exclusions: Settings::default().exclusions,
        }
    }
}

/// A request owned, to send to a worker.
struct Job {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    reply: SyncSender<Verdict>,
}

/// The CRS engine: a pool of libmodsecurity workers.
#[derive(Debug)]
pub struct Crs {
    jobs: Mutex<Sender<Job>>,
    version: String,
    settings: CrsSettings,
}

fn load_rules(s: &CrsSettings) -> Result<Rules, RuleError> {
    let bad = |why: String| RuleError::Syntax(format!("CRS: {why}"));
    let mut rules = Rules::new();
    // anomaly scoring: every rule only scores; 949110 denies at the threshold
    let engine = if s.detection_only {
        "DetectionOnly"
    } else {
        "On"
    };
    rules
        .add_plain(&format!(
            "SecRuleEngine {engine}\nSecRequestBodyAccess On\nSecDefaultAction \"phase:1,log,auditlog,pass\"\nSecDefaultAction \"phase:2,log,auditlog,pass\"\n"
        ))
        .map_err(|e| bad(e.to_string()))?;
    rules
        .add_file(&s.setup)
        .map_err(|e| bad(format!("{}: {e}", s.setup.display())))?;
    rules
        .add_plain(&format!(
            "SecAction \"id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level={}\"\nSecAction \"id:900110,phase:1,nolog,pass,t:none,setvar:tx.inbound_anomaly_score_threshold={},setvar:tx.outbound_anomaly_score_threshold=4\"\n",
            s.paranoia, s.threshold
        ))
        .map_err(|e| bad(e.to_string()))?;
    rules
        .add_plain(&exclusion_rules(&s.exclusions)?)
        .map_err(|e| bad(e.to_string()))?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&s.rules_dir)
        .map_err(|e| bad(format!("{}: {e}", s.rules_dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "conf")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("REQUEST-"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(bad(format!(
            "no REQUEST-*.conf in {}",
            s.rules_dir.display()
        )));
    }
    for f in files {
        rules
            .add_file(&f)
            .map_err(|e| bad(format!("{}: {e}", f.display())))?;
    }
    Ok(rules)
}

/// The first id of the rules PixelUnion adds before the CRS (ModSecurity
/// leaves ids below 100,000 to local rules; the CRS uses 900,000 and up).
const LOCAL_IDS: u32 = 10_000;

/// ModSecurity rules, placed before the CRS, that make it read what the
/// embedded engine reads and skip what it skips:
///
/// - a JSON body is parsed into arguments (libmodsecurity leaves a body it
///   has no processor for as one opaque string, which nearly no CRS rule
///   looks at: every API request's fields would go unread), named as
///   libmodsecurity names them: `json.caption`, `json.breach.nature`;
/// - an exclusion of a whole path becomes a rule on the path prefix whose
///   `ctl` actions remove its rules (by id), its categories (by the CRS's
///   `attack-*` tags) or every CRS rule (the `OWASP_CRS` tag);
/// - an exclusion of some rules for one argument does the same for that
///   argument only, by its exact name in a query or form (`caption`) and
///   in a JSON body (`json.caption`; libmodsecurity 3.0 takes no pattern
///   there, so an item of a JSON list, `json.caption.array_0`, is still
///   read by every rule);
/// - an exclusion of every rule for one argument is not a rule: such
///   values are taken out of the request before the CRS sees it
///   ([`crate::hidden`]), wherever they are.
///
/// An exclusion's path prefix and argument are checked here, since they
/// become part of the rule text: anything outside a conservative character
/// set is refused rather than quoted.
pub fn exclusion_rules(exclusions: &[Exclusion]) -> Result<String, RuleError> {
    let mut out = format!(
        "SecRule REQUEST_HEADERS:Content-Type \"@rx (?i)^application/(?:[a-z0-9.+-]+\\+)?json\" \"id:{LOCAL_IDS},phase:1,pass,nolog,t:none,ctl:requestBodyProcessor=JSON\"\n"
    );
    for (n, x) in exclusions.iter().enumerate() {
        let plain = |what: &str, v: &str| {
            if v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c))
            {
                Ok(())
            } else {
                Err(RuleError::Syntax(format!(
                    "CRS: exclusion {n}: {what} {v:?} has characters a ModSecurity rule cannot take"
                )))
            }
        };
        plain("path_prefix", &x.path_prefix)?;
        plain("arg", &x.arg)?;
        let mut removes: Vec<String> = x
            .rules
            .iter()
            .map(|id| format!("Id={id}"))
            .chain(
                x.categories
                    .iter()
                    .flat_map(|c| crs_tags(c))
                    .map(|t| format!("Tag={t}")),
            )
            .collect();
        if removes.is_empty() {
            removes.push("Tag=OWASP_CRS".into());
        }
        let ctls: Vec<String> = if x.arg.is_empty() {
            removes
                .iter()
                .map(|r| format!("ctl:ruleRemoveBy{r}"))
                .collect()
        } else if x.of_every_rule() {
            // hidden from every rule: taken out of the request instead
            // (see `crate::hidden`)
            continue;
        } else {
            removes
                .iter()
                .flat_map(|r| {
                    [
                        format!("ctl:ruleRemoveTargetBy{r};ARGS:{}", x.arg),
                        format!("ctl:ruleRemoveTargetBy{r};ARGS:json.{}", x.arg),
                    ]
                })
                .collect()
        };
        let id = u32::try_from(n)
            .ok()
            .map(|n| LOCAL_IDS + 1 + n)
            .filter(|id| *id < 100_000)
            .ok_or_else(|| RuleError::Syntax("CRS: too many exclusions".into()))?;
        out.push_str(&format!(
            "SecRule REQUEST_FILENAME \"@beginsWith {}\" \"id:{id},phase:1,pass,nolog,t:none,{}\"\n",
            x.path_prefix,
            ctls.join(",")
        ));
    }
    Ok(out)
}

/// The CRS tags of one of the embedded engine's categories (`sqli` →
/// `attack-sqli`): the CRS tags every attack rule by what it detects, and
/// a few of our categories are named differently there, or spread over
/// several tags, or named differently by CRS 3 and 4 (934 is Node.js in
/// CRS 3.3, generic injection in CRS 4).
fn crs_tags(category: &str) -> Vec<String> {
    match category {
        "php" => vec!["attack-injection-php".into()],
        // 921: the CRS tags its protocol attacks as protocol enforcement
        "protocol-attack" => vec!["attack-protocol".into()],
        "generic" => vec![
            "attack-injection-generic".into(),
            "attack-injection-nodejs".into(),
        ],
        "scanner" => vec![
            "attack-reputation-scanner".into(),
            "attack-reputation-scripting".into(),
            "attack-reputation-crawler".into(),
        ],
        other => vec![format!("attack-{other}")],
    }
}

/// The rule id in a libmodsecurity log message (`[id "942100"]`).
fn rule_id(msg: &str) -> Option<u32> {
    let rest = &msg[msg.find("[id \"")? + 5..];
    rest[..rest.find('"')?].parse().ok()
}

/// CRS's inbound anomaly score in 949110's message (`Total Score: 10`).
fn total_score(msg: &str) -> Option<u32> {
    let rest = &msg[msg.find("Total Score: ")? + 13..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn category(id: u32) -> &'static str {
    match id / 1000 {
        941 => "xss",
        942 => "sqli",
        930 => "lfi",
        931 => "rfi",
        932 => "rce",
        933 => "php",
        934 => "generic",
        944 => "java",
        913 => "scanner",
        943 => "fixation",
        _ => "protocol",
    }
}

fn evaluate(ms: &ModSecurity, rules: &Rules, job: &Job, settings: &CrsSettings) -> Verdict {
    let messages = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = messages.clone();
    let built = ms
        .transaction_builder()
        .with_rules(rules)
        .with_logging(move |m: Option<&str>| {
            if let (Some(m), Ok(mut v)) = (m, sink.lock()) {
                v.push(m.to_string());
            }
        })
        .build();
    let Ok(mut t) = built else {
        // cannot evaluate: refuse rather than pass
        return Verdict {
            score: settings.threshold,
            hits: Vec::new(),
            block: !settings.detection_only,
        };
    };
    let mut status = None;
    let mut step = |t: &mut modsecurity::Transaction<'_>| {
        if status.is_none() {
            status = t.intervention().map(|i| i.status());
        }
    };
    let _ = t.process_connection("127.0.0.1", 40000, "127.0.0.1", 443);
    let _ = t.process_uri(&job.target, &job.method, "1.1");
    for (k, v) in &job.headers {
        let _ = t.add_request_header(k, v);
    }
    let _ = t.process_request_headers();
    step(&mut t);
    if !job.body.is_empty() {
        let _ = t.append_request_body(&job.body);
    }
    let _ = t.process_request_body();
    step(&mut t);
    let _ = t.process_logging();
    drop(t);
    let messages = messages.lock().map(|m| m.clone()).unwrap_or_default();
    let mut hits: Vec<Hit> = Vec::new();
    let mut score = None;
    for m in &messages {
        if let Some(id) = rule_id(m) {
            if (949000..950000).contains(&id) || (980000..990000).contains(&id) {
                score = score.or(total_score(m));
                continue;
            }
            if !hits.iter().any(|h| h.id == id) {
                hits.push(Hit {
                    id,
                    category: category(id).to_string(),
                    source: "CRS".to_string(),
                });
            }
        }
    }
    let block = status.is_some_and(|s| s >= 400) && !settings.detection_only;
    let score = score.unwrap_or_else(|| 5 * u32::try_from(hits.len()).unwrap_or(u32::MAX));
    Verdict {
        score,
        block: block || (!settings.detection_only && score >= settings.threshold),
        hits,
    }
}

fn worker(
    settings: CrsSettings,
    jobs: Arc<Mutex<Receiver<Job>>>,
    ready: SyncSender<Result<(), RuleError>>,
) {
    let ms = ModSecurity::builder().with_log_callbacks().build();
    let rules = match load_rules(&settings) {
        Ok(r) => {
            let _ = ready.send(Ok(()));
            r
        }
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let v = evaluate(&ms, &rules, &job, &settings);
        let _ = job.reply.send(v);
    }
}

impl Crs {
    /// Loads the CRS into `settings.workers` threads (each its own copy).
    pub fn load(settings: CrsSettings) -> Result<Crs, RuleError> {
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for n in 0..settings.workers.max(1) {
            let (ready_tx, ready_rx) = sync_channel(1);
            let (s, r) = (settings.clone(), rx.clone());
            std::thread::Builder::new()
                .name(format!("crs-{n}"))
                .spawn(move || worker(s, r, ready_tx))
                .map_err(|e| RuleError::Syntax(format!("CRS worker: {e}")))?;
            ready_rx
                .recv()
                .map_err(|_| RuleError::Syntax("CRS worker stopped".into()))??;
        }
        let version =
            crs_version(&settings.setup, &settings.rules_dir).unwrap_or_else(|| "OWASP CRS".into());
        Ok(Crs {
            jobs: Mutex::new(tx),
            version,
            settings,
        })
    }

    /// `OWASP_CRS/3.3.4`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The settings.
    pub fn settings(&self) -> &CrsSettings {
        &self.settings
    }

    /// Inspects `req` (blocks until a worker has answered). Files being
    /// uploaded (`Body::Opaque`) are not sent.
    pub fn inspect(&self, req: &Request<'_>) -> Verdict {
        let (reply, answer) = sync_channel(1);
        let mut headers = req.headers.to_vec();
        let path = req.target.split('?').next().unwrap_or("");
        let hidden = hidden::hidden_args(&self.settings.exclusions, path);
        let body = match req.body {
            Body::None | Body::Opaque => Vec::new(),
            Body::Json(b) if !hidden.is_empty() => {
                hidden::strip_json(b, &hidden).unwrap_or_else(|| b.to_vec())
            }
            Body::Form(b) if !hidden.is_empty() => {
                hidden::strip_pairs(&String::from_utf8_lossy(b), '&', &hidden).into_bytes()
            }
            Body::Form(b) | Body::Json(b) | Body::Text(b) => b.to_vec(),
            Body::Fields(f) => {
                headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
                headers.push((
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                ));
                f.iter()
                    .filter(|(k, _)| !hidden.contains(&k.as_str()))
                    .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
                    .collect::<Vec<_>>()
                    .join("&")
                    .into_bytes()
            }
        };
        if !hidden.is_empty() {
            for (k, v) in headers.iter_mut() {
                if k.eq_ignore_ascii_case("content-length") {
                    *v = body.len().to_string();
                }
            }
        }
        let job = Job {
            method: req.method.to_string(),
            target: if hidden.is_empty() {
                req.target.to_string()
            } else {
                hidden::strip_target(req.target, &hidden)
            },
            headers,
            body,
            reply,
        };
        let sent = self
            .jobs
            .lock()
            .map(|tx| tx.send(job).is_ok())
            .unwrap_or(false);
        let refused = Verdict {
            score: self.settings.threshold,
            hits: Vec::new(),
            block: !self.settings.detection_only,
        };
        if !sent {
            return refused;
        }
        answer.recv().unwrap_or(refused)
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `OWASP_CRS/3.3.4`: the `ver:` of the rules themselves (the setup
/// file's comments may name an older release).
fn crs_version(setup: &Path, rules_dir: &Path) -> Option<String> {
    let find = |text: &str, marker: &str| {
        let at = text.find(marker)? + marker.len() - "OWASP_CRS/".len();
        let v: String = text[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | '.' | '-'))
            .collect();
        Some(v.trim_end_matches('.').to_string())
    };
    std::fs::read_to_string(rules_dir.join("REQUEST-901-INITIALIZATION.conf"))
        .ok()
        .and_then(|t| find(&t, "ver:'OWASP_CRS/").or_else(|| find(&t, "ver:\"OWASP_CRS/")))
        .or_else(|| {
            let t = std::fs::read_to_string(setup).ok()?;
            find(&t, "OWASP_CRS/")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CRS as Debian installs it, with `exclusions`; `None` (the test
    /// says it skips) where the rules are not installed, outside CI.
    #[allow(clippy::disallowed_methods, clippy::print_stderr)] // the test harness's CI switch
    fn crs(exclusions: Vec<Exclusion>) -> Option<Crs> {
        let s = CrsSettings {
            exclusions,
            ..CrsSettings::default()
        };
        if !s.rules_dir.is_dir() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI needs the CRS at {}",
                s.rules_dir.display()
            );
            eprintln!("SKIP: no CRS at {}", s.rules_dir.display());
            return None;
        }
        Some(Crs::load(s).unwrap())
    }

    fn post_json(crs: &Crs, target: &str, json: &str) -> Verdict {
        let headers = vec![
            ("Host".to_string(), "photos.example.org".to_string()),
            ("Content-Type".to_string(), "application/json".to_string()),
            ("Content-Length".to_string(), json.len().to_string()),
        ];
        crs.inspect(&Request {
            method: "POST",
            target,
            headers: &headers,
            body: Body::Json(json.as_bytes()),
        })
    }

    const SQLI: &str = "1' or '1'='1' --";
    const XSS: &str = "<script>alert(document.cookie)</script>";

    #[test]
    fn json_bodies_are_read_field_by_field() {
        let Some(crs) = crs(Vec::new()) else { return };
        for body in [
            format!(r#"{{"email": "{SQLI}"}}"#),
            format!(r#"{{"caption": "{SQLI}"}}"#),
            format!(r#"{{"breach": {{"nature": "{SQLI}"}}}}"#),
            format!(r#"{{"tags": ["{XSS}"]}}"#),
        ] {
            let v = post_json(&crs, "/api/v1/assets", &body);
            assert!(v.block, "{body}: {v:?}");
        }
        let v = post_json(&crs, "/api/v1/assets", r#"{"caption": "Beach, 2024"}"#);
        assert!(!v.block && v.score == 0, "{v:?}");
    }

    #[test]
    fn pixelunions_exclusions_hold_in_the_crs() {
        let Some(crs) = crs(Settings::default().exclusions) else {
            return;
        };
        let passes = |target: &str, body: String| {
            let v = post_json(&crs, target, &body);
            assert!(!v.block && v.score == 0, "{target} {body}: {v:?}");
        };
        let blocks = |target: &str, body: String| {
            let v = post_json(&crs, target, &body);
            assert!(v.block, "{target} {body}: {v:?}");
        };
        // credentials: never read by any rule
        passes(
            "/api/v1/auth/login",
            format!(r#"{{"email": "a@example.org", "password": "{SQLI}{XSS}"}}"#),
        );
        passes(
            "/api/v1/auth/recover",
            format!(r#"{{"recovery_code": "{SQLI}"}}"#),
        );
        // ...but the fields beside them are
        blocks(
            "/api/v1/auth/login",
            format!(r#"{{"email": "{SQLI}", "password": "x"}}"#),
        );
        // free text: the SQL-injection rules are off, the others are not
        passes("/api/v1/assets/x", format!(r#"{{"caption": "{SQLI}"}}"#));
        blocks("/api/v1/assets/x", format!(r#"{{"caption": "{XSS}"}}"#));
        // the incident register's text, nested or in lists, under its path only
        passes(
            "/api/v1/incidents",
            format!(
                r#"{{"summary": "{SQLI} {XSS}", "breach": {{"nature": "{SQLI}"}}, "affected_systems": ["{SQLI}", "{XSS}"]}}"#
            ),
        );
        blocks("/api/v1/assets/x", format!(r#"{{"summary": "{SQLI}"}}"#));
        // an unseal share
        passes("/api/v1/sys/unseal", format!(r#"{{"share": "{SQLI}"}}"#));
        // the same in a form body
        let form = |body: &str| {
            let headers = vec![
                ("Host".to_string(), "photos.example.org".to_string()),
                (
                    "Content-Type".to_string(),
                    "application/x-www-form-urlencoded".to_string(),
                ),
                ("Content-Length".to_string(), body.len().to_string()),
            ];
            crs.inspect(&Request {
                method: "POST",
                target: "/api/v1/auth/login",
                headers: &headers,
                body: Body::Form(body.as_bytes()),
            })
        };
        assert!(!form("password=1%27+or+%271%27%3D%271%27+--").block);
        assert!(form("email=1%27+or+%271%27%3D%271%27+--").block);
    }

    #[test]
    fn every_category_of_the_embedded_rules_names_a_tag_the_crs_has() {
        let Some(_) = crs(Vec::new()) else { return };
        let dir = CrsSettings::default().rules_dir;
        let text: String = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
            .collect();
        let rules = crate::RuleSet::embedded().unwrap();
        let mut categories: Vec<&str> = rules.rules.iter().map(|r| r.category.as_str()).collect();
        categories.sort_unstable();
        categories.dedup();
        for c in categories {
            let tags = crs_tags(c);
            assert!(
                tags.iter().any(|t| text.contains(&format!("tag:'{t}'"))),
                "category {c}: none of {tags:?} in {}",
                dir.display()
            );
        }
    }

    #[test]
    fn exclusions_become_rules_or_are_refused() {
        let text = exclusion_rules(&[
            Exclusion {
                path_prefix: "/api/v1/assets".into(),
                arg: "caption".into(),
                rules: vec![942100],
                categories: vec!["sqli".into()],
            },
            Exclusion {
                path_prefix: "/.well-known/".into(),
                arg: String::new(),
                rules: Vec::new(),
                categories: Vec::new(),
            },
            // hidden from every rule: taken out of requests, not a rule
            Exclusion {
                path_prefix: "/api/v1/".into(),
                arg: "password".into(),
                rules: Vec::new(),
                categories: Vec::new(),
            },
        ])
        .unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(!text.contains("password"), "{text}");
        assert!(lines[0].contains("ctl:requestBodyProcessor=JSON"), "{text}");
        assert!(lines[1].contains("@beginsWith /api/v1/assets"), "{text}");
        for ctl in [
            "ctl:ruleRemoveTargetById=942100;ARGS:caption",
            "ctl:ruleRemoveTargetById=942100;ARGS:json.caption",
            "ctl:ruleRemoveTargetByTag=attack-sqli;ARGS:json.caption",
        ] {
            assert!(lines[1].contains(ctl), "{ctl} in {text}");
        }
        assert!(lines[2].contains("ctl:ruleRemoveByTag=OWASP_CRS"), "{text}");
        for bad in ["/a b", "/a\"x", "/a,ctl:ruleEngine=Off"] {
            let e = exclusion_rules(&[Exclusion {
                path_prefix: bad.into(),
                arg: String::new(),
                rules: Vec::new(),
                categories: Vec::new(),
            }]);
            assert!(e.is_err(), "{bad}");
        }
    }

    #[test]
    fn rule_ids_and_scores_are_read_from_messages() {
        let m = r#"ModSecurity: Warning. detected SQLi using libinjection. [file "/x.conf"] [line "46"] [id "942100"] [msg "SQL Injection"]"#;
        assert_eq!(rule_id(m), Some(942100));
        assert_eq!(
            total_score("Inbound Anomaly Score Exceeded (Total Score: 10)"),
            Some(10)
        );
        assert_eq!(rule_id("no id here"), None);
        assert_eq!(category(942100), "sqli");
    }

    #[test]
    fn the_version_comes_from_the_rules_not_the_setup_comments() {
        let dir = std::env::temp_dir().join(format!("pu-crs-version-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let setup = dir.join("crs-setup.conf");
        std::fs::write(&setup, "# upgraded from OWASP_CRS/3.1.0.\n").unwrap();
        std::fs::write(
            dir.join("REQUEST-901-INITIALIZATION.conf"),
            "SecRule ... \"id:901001,ver:'OWASP_CRS/3.3.4',pass\"\n",
        )
        .unwrap();
        assert_eq!(
            crs_version(&setup, &dir).as_deref(),
            Some("OWASP_CRS/3.3.4")
        );
        std::fs::remove_file(dir.join("REQUEST-901-INITIALIZATION.conf")).unwrap();
        assert_eq!(
            crs_version(&setup, &dir).as_deref(),
            Some("OWASP_CRS/3.1.0")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
