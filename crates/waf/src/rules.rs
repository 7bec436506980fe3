//! The rule file: data, not code. A versioned TOML document of rules, each
//! naming its targets, transformations, operator, paranoia level and
//! severity; compiled once (regular expressions with a size limit, phrase
//! sets as Aho–Corasick automata) and checked for mistakes, which name the
//! rule.

use aho_corasick::AhoCorasick;
use regex::{Regex, RegexBuilder};
use serde::Deserialize;

use crate::transform::Transform;

/// A rule file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// Not TOML of the expected shape.
    #[error("rule file: {0}")]
    Syntax(String),
    /// A rule is wrong.
    #[error("line {line}: rule {id}: {why}")]
    Rule {
        /// the line of the rule's `id = …` (1-based; 0 when not found)
        line: usize,
        /// the rule's id
        id: u32,
        /// what is wrong
        why: String,
    },
}

/// How much a match adds to the anomaly score (as in CRS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// 5
    Critical,
    /// 4
    Error,
    /// 3
    Warning,
    /// 2
    Notice,
}

impl Severity {
    /// The anomaly score it adds.
    pub fn score(self) -> u32 {
        match self {
            Severity::Critical => 5,
            Severity::Error => 4,
            Severity::Warning => 3,
            Severity::Notice => 2,
        }
    }
}

/// A protocol check the engine implements (its paranoia and severity come
/// from the rule file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// no Host header
    MissingHost,
    /// more than one Host header
    DuplicateHost,
    /// both Content-Length and Transfer-Encoding
    LengthAndChunked,
    /// a method outside GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS
    MethodNotAllowed,
    /// the path is not valid UTF-8 once decoded
    InvalidUtf8Path,
    /// a NUL byte in an argument, the path or a header
    NulByte,
    /// more than 255 arguments
    TooManyArgs,
    /// an argument name over 100 characters
    LongArgName,
    /// a JSON body that does not parse
    BadJson,
    /// a control character (other than tab) in a header value
    HeaderControlChar,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum OpSpec {
    LibinjectionSqli {
        #[serde(default)]
        requires: Option<String>,
    },
    LibinjectionXss,
    Regex {
        pattern: String,
    },
    Phrases {
        phrases: Vec<String>,
    },
    Protocol {
        check: Check,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: u32,
    msg: String,
    category: String,
    paranoia: u8,
    severity: Severity,
    #[serde(default)]
    targets: Vec<String>,
    #[serde(default)]
    transforms: Vec<Transform>,
    op: OpSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    version: String,
    #[serde(rename = "rule")]
    rules: Vec<RuleSpec>,
}

/// What a rule tests a value with.
#[derive(Debug)]
pub enum Op {
    /// libinjection's SQL tokenizer and fingerprints, on values that also
    /// match the optional pre-condition (plain words are left alone: the
    /// tokenizer calls some English sentences SQL)
    Sqli(Option<Regex>),
    /// libinjection's HTML5 tokenizer
    Xss,
    /// a regular expression
    Regex(Regex),
    /// any of these phrases (ASCII case-insensitive)
    Phrases(AhoCorasick),
    /// a protocol check on the whole request
    Protocol(Check),
}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    /// its id (CRS's numbering where it does the same job)
    pub id: u32,
    /// what it detects
    pub msg: String,
    /// its family (`sqli`, `xss`, `lfi`, `rfi`, `rce`, `php`, `java`, …)
    pub category: String,
    /// the lowest paranoia level that runs it (1–4)
    pub paranoia: u8,
    /// the score a match adds
    pub severity: Severity,
    /// `args`, `args_names`, `path`, `headers`, `headers:NAME`, `cookies`,
    /// `cookies_names`, `method`, `body`, `target_raw`
    pub targets: Vec<String>,
    /// transformations before the operator
    pub transforms: Vec<Transform>,
    /// the index of `transforms` among the file's distinct chains
    pub chain: usize,
    /// the kinds of value `targets` names, as bits (`request::source_bit`)
    pub sources: u16,
    /// `headers` is a target: every header is read
    pub all_headers: bool,
    /// the headers `headers:NAME` targets name, in lower case
    pub header_names: Vec<String>,
    /// the operator
    pub op: Op,
}

/// A compiled rule file.
#[derive(Debug)]
pub struct RuleSet {
    /// the file's version (shown to operators)
    pub version: String,
    /// the rules, in file order
    pub rules: Vec<Rule>,
    /// the distinct transformation chains (a value is transformed once per chain)
    pub chains: Vec<Vec<Transform>>,
}

const TARGETS: [&str; 9] = [
    "args",
    "args_names",
    "path",
    "headers",
    "cookies",
    "cookies_names",
    "method",
    "body",
    "target_raw",
];

impl RuleSet {
    /// Parses and compiles a rule file.
    pub fn parse(text: &str) -> Result<RuleSet, RuleError> {
        let spec: FileSpec = toml::from_str(text).map_err(|e| RuleError::Syntax(e.to_string()))?;
        if spec.version.trim().is_empty() {
            return Err(RuleError::Syntax("version is empty".into()));
        }
        let mut seen = std::collections::HashSet::new();
        let mut rules = Vec::with_capacity(spec.rules.len());
        let mut chains: Vec<Vec<Transform>> = Vec::new();
        for r in spec.rules {
            let bad = |why: String| RuleError::Rule {
                line: line_of_id(text, r.id),
                id: r.id,
                why,
            };
            if !seen.insert(r.id) {
                return Err(bad("the id is used twice".into()));
            }
            if !(1..=4).contains(&r.paranoia) {
                return Err(bad("paranoia must be 1 to 4".into()));
            }
            for t in &r.targets {
                let base = t.split(':').next().unwrap_or("");
                if !TARGETS.contains(&base) || (t.contains(':') && base != "headers") {
                    return Err(bad(format!("unknown target {t:?}")));
                }
            }
            let op = match r.op {
                OpSpec::LibinjectionSqli { requires } => Op::Sqli(
                    requires
                        .map(|p| RegexBuilder::new(&p).size_limit(1 << 20).build())
                        .transpose()
                        .map_err(|e| bad(format!("requires: {e}")))?,
                ),
                OpSpec::LibinjectionXss => Op::Xss,
                OpSpec::Regex { pattern } => Op::Regex(
                    RegexBuilder::new(&pattern)
                        .size_limit(8 << 20)
                        .build()
                        .map_err(|e| bad(format!("pattern: {e}")))?,
                ),
                OpSpec::Phrases { phrases } => {
                    if phrases.is_empty() {
                        return Err(bad("no phrases".into()));
                    }
                    Op::Phrases(
                        AhoCorasick::builder()
                            .ascii_case_insensitive(true)
                            .build(&phrases)
                            .map_err(|e| bad(format!("phrases: {e}")))?,
                    )
                }
                OpSpec::Protocol { check } => Op::Protocol(check),
            };
            if !matches!(op, Op::Protocol(_)) && r.targets.is_empty() {
                return Err(bad("no targets".into()));
            }
            let chain = match chains.iter().position(|c| *c == r.transforms) {
                Some(i) => i,
                None => {
                    chains.push(r.transforms.clone());
                    chains.len() - 1
                }
            };
            let sources = r
                .targets
                .iter()
                .fold(0, |m, t| m | crate::request::source_bit(t));
            let all_headers = r.targets.iter().any(|t| t == "headers");
            let header_names = r
                .targets
                .iter()
                .filter_map(|t| t.strip_prefix("headers:"))
                .map(str::to_ascii_lowercase)
                .collect();
            rules.push(Rule {
                all_headers,
                header_names,
                id: r.id,
                msg: r.msg,
                category: r.category,
                paranoia: r.paranoia,
                severity: r.severity,
                targets: r.targets,
                transforms: r.transforms,
                chain,
                sources,
                op,
            });
        }
        Ok(RuleSet {
            version: spec.version,
            rules,
            chains,
        })
    }

    /// The rules embedded in the binary.
    pub fn embedded() -> Result<RuleSet, RuleError> {
        RuleSet::parse(EMBEDDED)
    }
}

/// The line (1-based) where rule `id` is declared (`id = 942100`), 0 if
/// it cannot be found.
fn line_of_id(text: &str, id: u32) -> usize {
    text.lines()
        .position(|l| {
            l.split_once('=').is_some_and(|(k, v)| {
                k.trim() == "id" && v.split('#').next().unwrap_or("").trim() == id.to_string()
            })
        })
        .map_or(0, |i| i + 1)
}

/// The embedded rule file's text.
pub const EMBEDDED: &str = include_str!("../rules/pixelunion-rules.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_rules_compile() {
        let r = RuleSet::embedded().unwrap();
        assert!(r.rules.len() > 20);
        assert!(!r.version.is_empty());
    }

    #[test]
    fn mistakes_name_the_rule() {
        let e = RuleSet::parse("version = \"1\"\n[[rule]]\nid = 7\nmsg = \"m\"\ncategory = \"x\"\nparanoia = 1\nseverity = \"critical\"\ntargets = [\"args\"]\nop = { type = \"regex\", pattern = \"(\" }\n").unwrap_err();
        assert!(e.to_string().starts_with("line 3: rule 7: pattern"), "{e}");
        let e = RuleSet::parse("version = \"1\"\n[[rule]]\nid = 8\nmsg = \"m\"\ncategory = \"x\"\nparanoia = 5\nseverity = \"critical\"\ntargets = [\"args\"]\nop = { type = \"libinjection_sqli\" }\n").unwrap_err();
        assert!(e.to_string().contains("paranoia"), "{e}");
        let e = RuleSet::parse("version = \"1\"\n[[rule]]\nid = 9\nmsg = \"m\"\ncategory = \"x\"\nparanoia = 1\nseverity = \"critical\"\ntargets = [\"argz\"]\nop = { type = \"libinjection_sqli\" }\n").unwrap_err();
        assert!(e.to_string().contains("unknown target"), "{e}");
        assert!(RuleSet::parse("version = 3").is_err());
        // TOML mistakes name their line too
        let e = RuleSet::parse("version = \"1\"\n[[rule]]\nid = 10\nmsg = oops\n").unwrap_err();
        assert!(e.to_string().contains("line 4"), "{e}");
    }
}
