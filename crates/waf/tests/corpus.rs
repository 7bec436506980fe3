//! The engine on half of the OWASP CRS regression tests
//! (`../shared/waf-corpus/crs-regression-a.jsonl`, or the file named by
//! `PIXELUNION_TEST_WAF_CORPUS`): block rates per category on `attack` rows at
//! paranoia 1 and 2, and how many `clean` rows are blocked. The floors below
//! fail the test when a rate falls under them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::disallowed_methods,
    clippy::print_stdout,
    clippy::type_complexity
)]

use std::collections::BTreeMap;

use base64::Engine as _;
use pixelunion_waf::{Body, Engine, Request, RuleSet, Settings};

fn corpus() -> Option<String> {
    let candidates = [
        std::env::var("PIXELUNION_TEST_WAF_CORPUS").unwrap_or_default(),
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/waf-corpus/crs-regression-a.jsonl"
        )
        .to_string(),
        "/work/shared/waf-corpus/crs-regression-a.jsonl".to_string(),
    ];
    let found = candidates
        .iter()
        .filter(|p| !p.is_empty())
        .find_map(|p| std::fs::read_to_string(p).ok());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs the WAF corpus (PIXELUNION_TEST_WAF_CORPUS)"
        );
        eprintln!("SKIPPED: no WAF corpus (set PIXELUNION_TEST_WAF_CORPUS)");
    }
    found
}

/// A corpus row as the engine sees it: method, target, headers, body.
struct Row {
    category: String,
    attack: bool,
    id: String,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn parse_raw(raw: &[u8]) -> Option<(String, String, Vec<(String, String)>, Vec<u8>)> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = match text.find("\r\n\r\n") {
        Some(i) => (&text[..i], raw[i + 4..].to_vec()),
        None => (&text[..], Vec::new()),
    };
    let mut lines = head.split("\r\n");
    let line = lines.next()?;
    let mut parts = line.splitn(3, ' ');
    let method = parts.next()?.to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let headers = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    Some((method, target, headers, body))
}

fn rows(text: &str) -> Vec<Row> {
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            let (method, target, headers, body) = match v["encoded_request"].as_str() {
                Some(enc) if !enc.is_empty() => {
                    parse_raw(&base64::engine::general_purpose::STANDARD.decode(enc).ok()?)?
                }
                _ => (
                    v["method"].as_str().unwrap_or("GET").to_string(),
                    v["uri"].as_str().unwrap_or("/").to_string(),
                    v["headers"]
                        .as_object()
                        .map(|h| {
                            h.iter()
                                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                                .collect()
                        })
                        .unwrap_or_default(),
                    v["data"].as_str().unwrap_or("").as_bytes().to_vec(),
                ),
            };
            Some(Row {
                category: v["category"].as_str()?.to_string(),
                attack: v["expect"] == "attack",
                id: v["id"].as_str().unwrap_or("").to_string(),
                method,
                target,
                headers,
                body,
            })
        })
        .collect()
}

/// The multipart body's non-file fields (file parts are never read).
fn multipart_fields(body: &[u8], content_type: &str) -> Vec<(String, String)> {
    let Some(boundary) = content_type.split("boundary=").nth(1).map(|b| {
        b.trim_matches('"')
            .split(';')
            .next()
            .unwrap_or("")
            .to_string()
    }) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(body);
    let mut out = Vec::new();
    for part in text.split(&format!("--{boundary}")) {
        let Some((head, value)) = part
            .split_once("\r\n\r\n")
            .or_else(|| part.split_once("\n\n"))
        else {
            continue;
        };
        if head.to_ascii_lowercase().contains("filename=") {
            out.push((
                "__filename".into(),
                head.split("filename=")
                    .nth(1)
                    .unwrap_or("")
                    .trim_matches('"')
                    .to_string(),
            ));
            continue;
        }
        let name = head
            .split("name=")
            .nth(1)
            .map(|n| {
                n.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches('"')
                    .to_string()
            })
            .unwrap_or_default();
        out.push((name, value.trim_end_matches(['\r', '\n', '-']).to_string()));
    }
    out
}

fn inspect(engine: &Engine, r: &Row) -> pixelunion_waf::Verdict {
    with_request(r, |req| engine.inspect(req))
}

/// Calls `f` with `r` as the engine sees a request.
fn with_request<T>(r: &Row, f: impl FnOnce(&Request<'_>) -> T) -> T {
    let ct = r
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.to_ascii_lowercase())
        .unwrap_or_default();
    let fields;
    let body = if r.body.is_empty() {
        Body::None
    } else if ct.starts_with("multipart/") {
        fields = multipart_fields(&r.body, &ct);
        Body::Fields(&fields)
    } else if ct.contains("json") {
        Body::Json(&r.body)
    } else if ct.starts_with("application/x-www-form-urlencoded") || ct.is_empty() {
        Body::Form(&r.body)
    } else {
        Body::Text(&r.body)
    };
    f(&Request {
        method: &r.method,
        target: &r.target,
        headers: &r.headers,
        body,
    })
}

#[test]
fn block_rates_on_the_crs_regression_corpus() {
    let Some(text) = corpus() else { return };
    let rows = rows(&text);
    assert!(rows.len() > 2000, "{} rows", rows.len());
    let mut table: BTreeMap<String, [u32; 4]> = BTreeMap::new(); // attacks, blocked PL1, blocked PL2, (clean)
    let mut clean: BTreeMap<String, [u32; 2]> = BTreeMap::new();
    let pl1 = Engine::new(RuleSet::embedded().unwrap(), Settings::default());
    let pl2 = Engine::new(
        RuleSet::embedded().unwrap(),
        Settings {
            paranoia: 2,
            ..Settings::default()
        },
    );
    let mut missed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // Remembered header and cookie verdicts never change a decision: every
    // row inspected with the memo warm from all rows gives what it gave cold.
    let cold: Vec<pixelunion_waf::Verdict> = rows
        .iter()
        .map(|r| {
            pl1.forget();
            inspect(&pl1, r)
        })
        .collect();
    for r in &rows {
        inspect(&pl1, r);
    }
    for (r, c) in rows.iter().zip(&cold) {
        let warm = inspect(&pl1, r);
        assert_eq!(
            (warm.block, warm.score),
            (c.block, c.score),
            "{}: the memo changed the verdict",
            r.id
        );
    }
    for r in &rows {
        let cat: String = r.category.split('-').nth(1).unwrap_or("").to_string();
        if r.attack {
            let e = table.entry(cat.clone()).or_default();
            e[0] += 1;
            let v1 = inspect(&pl1, r);
            if v1.block {
                e[1] += 1;
            } else {
                missed.entry(cat.clone()).or_default().push(r.id.clone());
            }
            if inspect(&pl2, r).block {
                e[2] += 1;
            }
        } else {
            let e = clean.entry(cat).or_default();
            e[0] += 1;
            if inspect(&pl1, r).block {
                e[1] += 1;
            }
        }
    }
    println!(
        "| category | attacks | blocked at PL1 | at PL2 | clean rows | clean blocked at PL1 |"
    );
    println!("|---|---|---|---|---|---|");
    let rate = |a: u32, b: u32| {
        if b == 0 {
            100.0
        } else {
            100.0 * f64::from(a) / f64::from(b)
        }
    };
    let mut rates = BTreeMap::new();
    for (cat, [n, b1, b2, _]) in &table {
        let c = clean.get(cat).copied().unwrap_or_default();
        println!(
            "| {cat} | {n} | {b1} ({:.1} %) | {b2} ({:.1} %) | {} | {} |",
            rate(*b1, *n),
            rate(*b2, *n),
            c[0],
            c[1]
        );
        rates.insert(cat.clone(), rate(*b1, *n));
    }
    if std::env::var_os("PIXELUNION_TEST_WAF_MISSED").is_some() {
        for (cat, ids) in &missed {
            println!("missed {cat}: {}", ids.join(" "));
        }
    }
    // Floors: the targets (942 and 941 ≥ 95 %, 930–934 ≥ 90 % at
    // paranoia 1), raised to the measured rate rounded down where it is
    // higher, so that no rule change lowers a rate unnoticed.
    let floors = [
        ("942", 99.0),
        ("941", 95.5),
        ("930", 97.0),
        ("931", 100.0),
        ("932", 93.5),
        ("933", 95.0),
        ("934", 95.0),
    ];
    for (cat, floor) in floors {
        let r = rates.get(cat).copied().unwrap_or(0.0);
        assert!(
            r >= floor,
            "{cat}: {r:.1} % blocked at paranoia 1, floor {floor} %"
        );
    }
}

/// The baseline: the real OWASP CRS (Debian's `modsecurity-crs`, through
/// libmodsecurity) on the same rows, side by side with ours. Built and run
/// by `.ci/run` with `--features modsecurity`.
#[cfg(feature = "modsecurity")]
#[test]
fn the_real_crs_side_by_side() {
    use pixelunion_waf::crs::{Crs, CrsSettings};
    let Some(text) = corpus() else { return };
    let rows = rows(&text);
    let ours = Engine::new(RuleSet::embedded().unwrap(), Settings::default());
    let crs: Vec<Crs> = [1u8, 2]
        .iter()
        .map(|&paranoia| {
            Crs::load(CrsSettings {
                paranoia,
                ..CrsSettings::default()
            })
            .unwrap()
        })
        .collect();
    // category → [attacks, ours PL1, CRS PL1, CRS PL2]
    let mut table: BTreeMap<String, [u32; 4]> = BTreeMap::new();
    let started = std::time::Instant::now();
    for r in rows.iter().filter(|r| r.attack) {
        let cat: String = r.category.split('-').nth(1).unwrap_or("").to_string();
        let e = table.entry(cat).or_default();
        e[0] += 1;
        e[1] += u32::from(inspect(&ours, r).block);
        e[2] += u32::from(with_request(r, |q| crs[0].inspect(q)).block);
        e[3] += u32::from(with_request(r, |q| crs[1].inspect(q)).block);
    }
    println!(
        "CRS {} on {} attack rows in {:?}",
        crs[0].version(),
        table.values().map(|e| e[0]).sum::<u32>(),
        started.elapsed()
    );
    println!("| category | attacks | ours PL1 | CRS PL1 | CRS PL2 |");
    println!("|---|---|---|---|---|");
    let pct = |a: u32, b: u32| 100.0 * f64::from(a) / f64::from(b.max(1));
    for (cat, e) in &table {
        println!(
            "| {cat} | {} | {:.1} % | {:.1} % | {:.1} % |",
            e[0],
            pct(e[1], e[0]),
            pct(e[2], e[0]),
            pct(e[3], e[0])
        );
    }
    // the adapter works: the real CRS blocks most of its own SQLi and XSS tests
    for cat in ["941", "942"] {
        let e = table[cat];
        assert!(
            pct(e[2], e[0]) > 60.0,
            "CRS PL1 {cat}: {:.1} %",
            pct(e[2], e[0])
        );
    }
    // and lets an ordinary listing through
    let h = vec![
        ("Host".to_string(), "photos.example.org".to_string()),
        (
            "User-Agent".to_string(),
            "Mozilla/5.0 (X11; Linux x86_64)".to_string(),
        ),
        ("Accept".to_string(), "application/json".to_string()),
    ];
    let v = crs[0].inspect(&Request {
        method: "GET",
        target: "/api/v1/assets?limit=120",
        headers: &h,
        body: Body::None,
    });
    assert!(!v.block, "{v:?}");
}
