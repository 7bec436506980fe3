//! Evaluation: every active rule (paranoia level at most the configured
//! one) against every value its targets name, in each decoded variant;
//! matches add their severity to the anomaly score; at the threshold the
//! request is blocked (unless in detection-only mode). Exclusions, from the
//! configuration, switch rules off for a route prefix and, optionally, one
//! argument — never by editing rules.

use std::borrow::Cow;

use serde::Deserialize;

use crate::request::{self, Request, Source, Value};
use crate::rules::{Check, Op, Rule, RuleSet};
use crate::transform::{apply_all, url_decode_uni};

/// Rules switched off for some requests.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    /// requests whose path starts with this
    pub path_prefix: String,
    /// only this argument (`caption`, or a JSON path `tags.name`); empty = all
    #[serde(default)]
    pub arg: String,
    /// these rule ids (empty: all rules of `categories`, or all rules)
    #[serde(default)]
    pub rules: Vec<u32>,
    /// these categories (`sqli`, `xss`, …)
    #[serde(default)]
    pub categories: Vec<String>,
}

impl Exclusion {
    /// Whether it switches off every rule (it names no rule and no
    /// category).
    pub fn of_every_rule(&self) -> bool {
        self.rules.is_empty() && self.categories.is_empty()
    }

    /// Whether this exclusion makes sense with `rules`: a path prefix that
    /// starts with `/`, and only rule ids and categories the file has.
    pub fn check(&self, rules: &RuleSet) -> Result<(), String> {
        if !self.path_prefix.starts_with('/') {
            return Err(format!(
                "path_prefix {:?} must start with /",
                self.path_prefix
            ));
        }
        if let Some(id) = self
            .rules
            .iter()
            .find(|id| !rules.rules.iter().any(|r| r.id == **id))
        {
            return Err(format!("rule {id} is not in the rule file"));
        }
        if let Some(c) = self
            .categories
            .iter()
            .find(|c| !rules.rules.iter().any(|r| &r.category == *c))
        {
            return Err(format!("category {c:?} is not in the rule file"));
        }
        Ok(())
    }
}

/// The arguments of PixelUnion's API that hold free text.
pub const FREE_TEXT: [&str; 5] = ["caption", "name", "q", "filename", "file"];

/// The incident register's text fields (JSON paths), exempt from every rule.
pub const INCIDENT_TEXT: [&str; 14] = [
    "title",
    "summary",
    "note",
    "affected_systems",
    "network",
    "objects",
    "credential",
    "breach.nature",
    "breach.categories",
    "breach.consequences",
    "breach.measures",
    "review.cause",
    "review.lessons",
    "review.actions",
];

/// How the engine decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// 1 (fewest false positives) to 4 (most rules)
    pub paranoia: u8,
    /// the anomaly score that blocks
    pub threshold: u32,
    /// score and report, never block
    pub detection_only: bool,
    /// rules switched off by route and argument
    pub exclusions: Vec<Exclusion>,
}

impl Default for Settings {
    /// Paranoia 1, threshold 5, blocking, and the exclusions every
    /// PixelUnion needs: `/.well-known/` may be a dot path, passwords,
    /// recovery codes and unseal shares (which may contain anything) are
    /// never matched against the rules, and free text (captions, names,
    /// search) is not matched against the SQL-injection rules.
    fn default() -> Self {
        // credentials compared with a hash, never read as anything else; a
        // recovery code made in base32 (before hex) may spell `5or3`
        let credentials = [
            "password",
            "current_password",
            "new_password",
            "recovery_code",
        ]
        .map(|arg| Exclusion {
            path_prefix: "/api/v1/".into(),
            arg: arg.into(),
            rules: Vec::new(),
            categories: Vec::new(),
        });
        let mut exclusions = vec![Exclusion {
            path_prefix: "/.well-known/".into(),
            arg: String::new(),
            rules: vec![930130],
            categories: Vec::new(),
        }];
        exclusions.extend(credentials);
        // Free text (captions, album and token names, search text, file
        // names) is prose in which quotes next to "or", "select" or "union",
        // and links, are ordinary; the service binds every value as a query
        // parameter, stores these encrypted and never fetches a URL, so the
        // SQL-injection and remote-inclusion rules are off for them (every
        // other category still applies).
        exclusions.extend(FREE_TEXT.map(|arg| Exclusion {
            path_prefix: "/api/v1/".into(),
            arg: arg.into(),
            rules: Vec::new(),
            categories: vec!["sqli".into(), "rfi".into()],
        }));
        // The incident register describes attacks (a security officer's
        // summary may quote the SQL injection or the address that was seen):
        // its text fields are free text for the staff-only register.
        exclusions.extend(INCIDENT_TEXT.map(|arg| Exclusion {
            path_prefix: "/api/v1/incidents".into(),
            arg: arg.into(),
            rules: Vec::new(),
            categories: Vec::new(),
        }));
        // TOTP enrolment tickets are our own sealed, encoded bytes (random
        // text to a rule: a `--` or `/*` in it is chance), opened strictly
        exclusions.push(Exclusion {
            path_prefix: "/api/v1/auth/mfa/totp/confirm".into(),
            arg: "enrolment".into(),
            rules: Vec::new(),
            categories: Vec::new(),
        });
        // a public link's token is random text of our own encoding, looked
        // up by its hash
        exclusions.push(Exclusion {
            path_prefix: "/api/v1/public/open".into(),
            arg: "token".into(),
            rules: Vec::new(),
            categories: Vec::new(),
        });
        // unseal shares are random text of our own encoding, parsed strictly
        exclusions.push(Exclusion {
            path_prefix: "/api/v1/sys/unseal".into(),
            arg: "share".into(),
            rules: Vec::new(),
            categories: Vec::new(),
        });
        Settings {
            paranoia: 1,
            threshold: 5,
            detection_only: false,
            exclusions,
        }
    }
}

/// One rule that fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// the rule
    pub id: u32,
    /// its category
    pub category: String,
    /// what the value was (`ARGS:caption`), never the value
    pub source: String,
}

/// The engine's decision.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verdict {
    /// the anomaly score
    pub score: u32,
    /// the rules that fired
    pub hits: Vec<Hit>,
    /// whether the request is refused
    pub block: bool,
}

/// Rules plus settings.
#[derive(Debug)]
pub struct Engine {
    rules: RuleSet,
    settings: Settings,
    memo: crate::memo::Memo,
}

/// Whether `rule` reads a value of `source` (whose kind bit is `bit`).
fn targets(rule: &Rule, source: &Source, bit: u16) -> bool {
    if rule.sources & bit == 0 {
        return false;
    }
    match source {
        Source::Header(h) => rule.all_headers || rule.header_names.iter().any(|n| n == h),
        _ => true,
    }
}

/// Whether `rule` reads a value from `source` (its kind's bit `bit`), or
/// the raw request target when `is_raw`.
fn reads(rule: &Rule, source: &Source, bit: u16, is_raw: bool) -> bool {
    if is_raw {
        rule.sources & RAW_BIT != 0
    } else {
        targets(rule, source, bit)
    }
}

/// The bit of the raw request target (`target_raw`).
const RAW_BIT: u16 = 1 << 8;

const ALLOWED_METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

impl Engine {
    /// An engine with `rules` and `settings`.
    pub fn new(rules: RuleSet, settings: Settings) -> Engine {
        Engine {
            rules,
            settings,
            memo: crate::memo::Memo::default(),
        }
    }

    /// The rule file's version.
    pub fn version(&self) -> &str {
        &self.rules.version
    }

    /// Forgets the remembered verdicts of header and cookie values (to
    /// measure a cold start).
    pub fn forget(&self) {
        self.memo.clear();
    }

    /// The rules.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Whether one of `applying` (the exclusions of this path and value)
    /// switches `rule` off.
    fn excluded(applying: &[&Exclusion], rule: &Rule) -> bool {
        applying.iter().any(|x| {
            x.rules.contains(&rule.id) || x.categories.contains(&rule.category) || x.of_every_rule()
        })
    }

    fn check(&self, check: Check, req: &Request<'_>, parsed: &request::Parsed) -> bool {
        let header_count = |n: &str| {
            req.headers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(n))
                .count()
        };
        match check {
            Check::MissingHost => header_count("host") == 0,
            Check::DuplicateHost => header_count("host") > 1,
            Check::LengthAndChunked => {
                header_count("content-length") > 0 && header_count("transfer-encoding") > 0
            }
            Check::MethodNotAllowed => !ALLOWED_METHODS.contains(&req.method),
            Check::InvalidUtf8Path => {
                let path = req.target.split('?').next().unwrap_or("");
                let mut bytes = Vec::with_capacity(path.len());
                let b = path.as_bytes();
                let mut i = 0;
                while i < b.len() {
                    if b[i] == b'%'
                        && i + 3 <= b.len()
                        && let (Some(h), Some(l)) = (
                            (b[i + 1] as char).to_digit(16),
                            (b[i + 2] as char).to_digit(16),
                        )
                    {
                        bytes.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    bytes.push(b[i]);
                    i += 1;
                }
                std::str::from_utf8(&bytes).is_err()
            }
            Check::NulByte => parsed.values.iter().any(|v| {
                matches!(
                    v.source,
                    Source::Arg(_)
                        | Source::ArgName
                        | Source::Path
                        | Source::Header(_)
                        | Source::Cookie(_)
                ) && v.text.contains('\0')
            }),
            Check::TooManyArgs => parsed.args > 255,
            Check::LongArgName => parsed
                .values
                .iter()
                .any(|v| v.source == Source::ArgName && v.text.chars().count() > 100),
            Check::BadJson => parsed.bad_json,
            Check::HeaderControlChar => req
                .headers
                .iter()
                .any(|(_, v)| v.chars().any(|c| c.is_control() && c != '\t')),
        }
    }

    /// Inspects `req`.
    pub fn inspect(&self, req: &Request<'_>) -> Verdict {
        let parsed = request::parse(req);
        let raw = Value {
            source: Source::Body,
            text: req.target.to_string(),
        };
        let path = req.target.split('?').next().unwrap_or("");
        // the exclusions of this request's path, found once
        let active: Vec<&Exclusion> = self
            .settings
            .exclusions
            .iter()
            .filter(|x| path.starts_with(&x.path_prefix))
            .collect();
        // exclusions of a whole path (no argument): they also switch off
        // the protocol checks
        let whole_request: Vec<&Exclusion> = active
            .iter()
            .copied()
            .filter(|x| x.arg.is_empty())
            .collect();
        let mut verdict = Verdict::default();
        let values: Vec<&Value> = parsed.values.iter().chain(std::iter::once(&raw)).collect();
        let bits: Vec<u16> = values.iter().map(|v| v.source.bit()).collect();
        // per value, the exclusions that apply to it (usually none)
        let applying: Vec<Vec<&Exclusion>> = values
            .iter()
            .map(|v| {
                active
                    .iter()
                    .copied()
                    .filter(|x| {
                        x.arg.is_empty() || matches!(&v.source, Source::Arg(n) if *n == x.arg)
                    })
                    .collect()
            })
            .collect();
        // each value decoded once more (double encoding), computed once
        let twice: Vec<Option<String>> = values
            .iter()
            .map(|v| v.text.contains('%').then(|| url_decode_uni(&v.text)))
            .collect();
        // transformed values, per value, variant and chain, computed once
        let chains = self.rules.chains.len();
        let mut cache: Vec<Option<Cow<'_, str>>> = vec![None; values.len() * 2 * chains];
        let active_rules = || {
            self.rules
                .rules
                .iter()
                .enumerate()
                .filter(|(_, r)| r.paranoia <= self.settings.paranoia)
        };
        // the rules a value matches, remembered: headers and cookies, which
        // repeat on every request, and the path, the method, the names of
        // the arguments and a target without a query, which repeat on every
        // range of a sought video. Never a text body or an argument's value
        // (nor a target that carries them): those may be a user's own words
        // — a search, a caption — and a remembered value answers sooner,
        // which would tell another client that someone sent the same words.
        let raw_at = values.len() - 1;
        let words = self.rules.rules.len().div_ceil(64);
        let memoized: Vec<Option<std::sync::Arc<[u64]>>> = (0..values.len())
            .map(|i| {
                let is_raw = i == raw_at;
                let (kind, name) = match &values[i].source {
                    _ if is_raw && req.target.contains('?') => return None,
                    _ if is_raw => (RAW_BIT, ""),
                    Source::Body | Source::Arg(_) => return None,
                    Source::Header(n) | Source::Cookie(n) => (bits[i], n.as_str()),
                    _ => (bits[i], ""),
                };
                let key = self.memo.key(kind, name, &values[i].text);
                if let Some(set) = self.memo.get(key) {
                    return Some(set);
                }
                let mut set = vec![0u64; words];
                for (ri, rule) in active_rules() {
                    if !matches!(rule.op, Op::Protocol(_))
                        && reads(rule, &values[i].source, bits[i], is_raw)
                        && evaluate(rule, i, &values, &twice, chains, &mut cache)
                    {
                        set[ri / 64] |= 1 << (ri % 64);
                    }
                }
                let set: std::sync::Arc<[u64]> = set.into();
                self.memo.put(key, set.clone());
                Some(set)
            })
            .collect();
        // when every value's rules are known, a rule that none of them
        // matched is not looked at again (exclusions only take hits away)
        let matched: Option<Vec<u64>> =
            memoized.iter().try_fold(vec![0u64; words], |mut all, m| {
                for (a, w) in all.iter_mut().zip(m.as_deref()?) {
                    *a |= w;
                }
                Some(all)
            });
        for (ri, rule) in active_rules() {
            let fired = match &rule.op {
                Op::Protocol(c) => (!Self::excluded(&whole_request, rule)
                    && self.check(*c, req, &parsed))
                .then(|| "REQUEST".to_string()),
                _ if matched.as_deref().is_some_and(|m| !crate::memo::has(m, ri)) => None,
                _ => {
                    let mut found = None;
                    for (i, v) in values.iter().enumerate() {
                        let is_raw = i == raw_at;
                        if !reads(rule, &v.source, bits[i], is_raw) {
                            continue;
                        }
                        if !applying[i].is_empty() && Self::excluded(&applying[i], rule) {
                            continue;
                        }
                        let hit = match &memoized[i] {
                            Some(set) => crate::memo::has(set, ri),
                            None => evaluate(rule, i, &values, &twice, chains, &mut cache),
                        };
                        if hit {
                            found = Some(if is_raw {
                                "REQUEST_URI_RAW".to_string()
                            } else {
                                v.source.label()
                            });
                            break;
                        }
                    }
                    found
                }
            };
            if let Some(source) = fired {
                verdict.score += rule.severity.score();
                verdict.hits.push(Hit {
                    id: rule.id,
                    category: rule.category.clone(),
                    source,
                });
            }
        }
        verdict.block = !self.settings.detection_only && verdict.score >= self.settings.threshold;
        verdict
    }
}

/// Whether `rule` matches value `i` in either variant (as the application
/// sees it, and decoded once more), ignoring exclusions; transformed texts
/// are kept in `cache` (per value, variant and transformation chain).
fn evaluate<'v>(
    rule: &Rule,
    i: usize,
    values: &[&'v Value],
    twice: &'v [Option<String>],
    chains: usize,
    cache: &mut [Option<Cow<'v, str>>],
) -> bool {
    std::iter::once((0usize, values[i].text.as_str()))
        .chain(twice[i].as_deref().map(|t| (1usize, t)))
        .any(|(variant, text)| {
            let slot = (i * 2 + variant) * chains + rule.chain;
            let t: &str = cache[slot].get_or_insert_with(|| apply_all(&rule.transforms, text));
            matches(&rule.op, t)
        })
}

fn matches(op: &Op, s: &str) -> bool {
    if s.is_empty() {
        return false;
    }
    match op {
        Op::Sqli(requires) => {
            requires.as_ref().is_none_or(|r| triggers(r, s))
                && libinjectionrs::detect_sqli(s.as_bytes()).is_injection()
        }
        Op::Xss => libinjectionrs::detect_xss(s.as_bytes()).is_injection(),
        Op::Regex(r) => r.is_match(s),
        Op::Phrases(p) => p.is_match(s),
        Op::Protocol(_) => false,
    }
}

/// Whether `s` holds a match of a tokenizer's pre-condition `r` outside
/// every canonical UUID (8-4-4-4-12 hex digits). The ids in the API's
/// paths (`/api/v1/assets/01a24478-919a-…/thumbnail`) hold digit-dash pairs
/// that would otherwise send every such path to the SQL tokenizer (18 of
/// the 24 µs a thumbnail's request took to inspect): a UUID counts as the
/// plain word it is. Anything else in the value that matches still sends
/// the whole value, UUID included, to the tokenizer.
fn triggers(r: &regex::Regex, s: &str) -> bool {
    r.find_iter(s)
        .any(|m| !inside_uuid(s.as_bytes(), m.start(), m.end()))
}

/// Whether bytes `start..end` of `b` lie inside a canonical UUID that stands
/// alone (not part of a longer run of hex digits and dashes).
fn inside_uuid(b: &[u8], start: usize, end: usize) -> bool {
    let part = |c: &u8| c.is_ascii_hexdigit() || *c == b'-';
    if start >= end || !b[start..end].iter().all(part) {
        return false;
    }
    let from = b[..start]
        .iter()
        .rposition(|c| !part(c))
        .map_or(0, |p| p + 1);
    let to = b[end..]
        .iter()
        .position(|c| !part(c))
        .map_or(b.len(), |p| end + p);
    is_uuid(&b[from..to])
}

fn is_uuid(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Body;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn a_uuid_alone_does_not_send_a_value_to_the_sql_tokenizer() -> TestResult {
        // the pre-condition of the embedded rule file's libinjection SQL rule
        let rules = RuleSet::embedded()?;
        let r = rules
            .rules
            .iter()
            .find_map(|rule| match (&rule.op, rule.id) {
                (Op::Sqli(Some(r)), 942100) => Some(r),
                _ => None,
            })
            .ok_or("rule 942100 has no pre-condition")?;
        let id = "01a24478-919a-7371-9d86-1e2d2597efb5";
        for quiet in [
            format!("/api/v1/assets/{id}/thumbnail"),
            id.to_string(),
            format!("{id},{id}"),
            id.to_uppercase(),
        ] {
            assert!(!triggers(r, &quiet), "{quiet}");
        }
        for loud in [
            "/x/1-1".to_string(),
            format!("{id}' OR 1=1"),
            format!("{id} 1-1"),
            // not a UUID: a longer run, a misplaced dash, a non-hex digit
            format!("a{id}"),
            format!("{id}-1"),
            "01a24478-919a7-371-9d86-1e2d2597efb5".to_string(),
            "01a24478-919a-7371-9d86-1e2d2597efbg".to_string(),
        ] {
            assert!(triggers(r, &loud), "{loud}");
        }
        Ok(())
    }

    #[test]
    fn an_injection_beside_a_uuid_is_still_blocked() -> TestResult {
        let h = vec![("Host".to_string(), "x".to_string())];
        let e = Engine::new(RuleSet::embedded()?, Settings::default());
        let get = |target| Request {
            method: "GET",
            target,
            headers: &h,
            body: Body::None,
        };
        let plain = "/api/v1/assets/01a24478-919a-7371-9d86-1e2d2597efb5/original";
        assert!(!e.inspect(&get(plain)).block);
        let v = e.inspect(&get(
            "/api/v1/assets/01a24478-919a-7371-9d86-1e2d2597efb5?sort=1%27%20OR%20%271%27%3D%271",
        ));
        assert!(v.block && v.hits.iter().any(|h| h.id == 942100), "{v:?}");
        Ok(())
    }

    #[test]
    fn remembered_values_give_the_verdicts_of_fresh_ones() -> TestResult {
        let mut settings = Settings::default();
        settings.exclusions.push(Exclusion {
            path_prefix: "/api/v1/search".into(),
            arg: "sort".into(),
            rules: vec![942100],
            categories: Vec::new(),
        });
        let e = Engine::new(RuleSet::embedded()?, settings);
        let plain = vec![("Host".to_string(), "x".to_string())];
        let mut scanner = plain.clone();
        scanner.push(("User-Agent".into(), "sqlmap/1.7".into()));
        scanner.push(("Cookie".into(), "s=<script>alert(1)</script>".into()));
        let sqli = "1%27%20OR%20%271%27%3D%271";
        let targets = [
            "/api/v1/assets/01a24478-919a-7371-9d86-1e2d2597efb5/original".to_string(),
            format!("/api/v1/search?sort={sqli}"),
            format!("/api/v1/assets?sort={sqli}"),
            "/api/v1/../../etc/passwd".to_string(),
            "/api/v1/assets/%252e%252e%252fetc%252fpasswd".to_string(),
            "/api/v1/assets?<script>=1".to_string(),
        ];
        let requests: Vec<Request<'_>> = targets
            .iter()
            .flat_map(|t| [&plain, &scanner].map(|h| (t, h)))
            .map(|(target, headers)| Request {
                method: "GET",
                target,
                headers,
                body: Body::None,
            })
            .collect();
        let fresh: Vec<Verdict> = requests
            .iter()
            .map(|r| {
                e.forget();
                e.inspect(r)
            })
            .collect();
        // every value now remembered, in every order
        for r in requests.iter().chain(requests.iter().rev()) {
            e.inspect(r);
        }
        for (r, f) in requests.iter().zip(&fresh) {
            assert_eq!(&e.inspect(r), f, "{}", r.target);
        }
        // the checks can fail: attacks in every place were seen, and the
        // exclusion took its rule away on its own path only
        for (i, v) in fresh.iter().enumerate() {
            // the scanner's headers block alone, and every target but the
            // first is an attack
            assert_eq!(v.block, i != 0, "{}: {v:?}", requests[i].target);
        }
        // (each target is asked with the plain headers first)
        let sort = |v: &Verdict| {
            v.hits
                .iter()
                .any(|h| h.id == 942100 && h.source == "ARGS:sort")
        };
        assert!(!sort(&fresh[2]) && sort(&fresh[4]), "{fresh:?}");
        Ok(())
    }

    #[test]
    fn the_words_of_a_search_or_a_body_are_never_remembered() -> TestResult {
        let e = Engine::new(RuleSet::embedded()?, Settings::default());
        let h = vec![("Host".to_string(), "x".to_string())];
        let ask = |target, body| {
            e.inspect(&Request {
                method: "POST",
                target,
                headers: &h,
                body,
            })
        };
        ask("/api/v1/search?q=first", Body::None);
        let known = e.memo.len();
        assert!(
            known > 0,
            "the header, path, method and names are remembered"
        );
        // other words in the query and in the body: nothing new remembered
        ask("/api/v1/search?q=holiday%20in%20Paris", Body::None);
        ask("/api/v1/search?q=first", Body::Text(b"our trip to the sea"));
        ask(
            "/api/v1/search?q=first",
            Body::Json(br#"{"q":"a caption"}"#),
        );
        assert_eq!(e.memo.len(), known);
        // a new path is remembered (the checks above can fail)
        ask("/api/v1/albums", Body::None);
        assert!(e.memo.len() > known);
        Ok(())
    }

    #[test]
    fn a_path_exclusion_also_switches_off_a_protocol_check() {
        let h = vec![("Host".to_string(), "x".to_string())];
        let trace = |target: &'static str| Request {
            method: "TRACE",
            target,
            headers: &h,
            body: Body::None,
        };
        let mut settings = Settings::default();
        settings.exclusions.push(Exclusion {
            path_prefix: "/api/".into(),
            arg: String::new(),
            rules: vec![911100],
            categories: Vec::new(),
        });
        let e = Engine::new(
            RuleSet::embedded().unwrap_or_else(|e| panic!("{e}")),
            settings,
        );
        assert!(!e.inspect(&trace("/api/v1/assets")).block);
        let v = e.inspect(&trace("/other"));
        assert!(v.block && v.hits.iter().any(|h| h.id == 911100), "{v:?}");
    }
}
