//! Time the engine adds to a request: a typical API call (a listing with a
//! cursor, the browser's headers and session cookie), a caption change (a
//! JSON body), an upload's head (file bytes are never read) and an attack,
//! beside the baseline of only parsing the request into values. The engine
//! remembers which rules a header or cookie value matched (`memo.rs`), so a
//! browser's repeated headers cost a lookup: the listing is also timed with
//! that memo emptied before every request.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use pixelunion_waf::{Body, Engine, Request, RuleSet, Settings};

fn headers() -> Vec<(String, String)> {
    [
        ("Host", "photos.example.org"),
        ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
        ("Accept", "application/json, text/plain, */*"),
        ("Accept-Language", "fr-CH,fr;q=0.9,en;q=0.8"),
        ("Accept-Encoding", "gzip, deflate, br, zstd"),
        ("Cookie", "__Host-pixelunion=pus_3f9a8c7d6e5b4a39281706f5e4d3c2b1a0"),
        ("X-CSRF-Token", "9f86d081884c7d659a2feaa0c55ad015"),
        ("Referer", "https://photos.example.org/albums/01934a2b-7c3d-7e4f-8a9b-0c1d2e3f4a5b"),
        ("Sec-Fetch-Site", "same-origin"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
    .collect()
}

fn bench(c: &mut Criterion) {
    let e = Engine::new(RuleSet::embedded().unwrap(), Settings::default());
    let h = headers();
    let listing = Request {
        method: "GET",
        target: "/api/v1/assets?limit=120&cursor=MTcxNDU2MDAwMDAwMHwwMTkzNGEyYi03YzNk",
        headers: &h,
        body: Body::None,
    };
    let caption = br#"{"caption": "Grandma's 80th birthday, at the lake <3"}"#;
    let edit = Request {
        method: "PATCH",
        target: "/api/v1/assets/01934a2b-7c3d-7e4f-8a9b-0c1d2e3f4a5b",
        headers: &h,
        body: Body::Json(caption),
    };
    let upload = Request {
        method: "POST",
        target: "/api/v1/assets",
        headers: &h,
        body: Body::Opaque,
    };
    let attack = Request {
        method: "GET",
        target: "/api/v1/assets?sort=1%27%20UNION%20SELECT%20password%20FROM%20users--",
        headers: &h,
        body: Body::None,
    };
    assert!(!e.inspect(&listing).block && !e.inspect(&edit).block && e.inspect(&attack).block);
    let mut g = c.benchmark_group("waf");
    g.bench_function("parse only (baseline)", |b| {
        b.iter(|| pixelunion_waf::request::parse(std::hint::black_box(&listing)))
    });
    g.bench_function("inspect: listing GET", |b| {
        b.iter(|| e.inspect(std::hint::black_box(&listing)))
    });
    g.bench_function("inspect: listing GET, header memo cold", |b| {
        b.iter(|| {
            e.forget();
            e.inspect(std::hint::black_box(&listing))
        })
    });
    g.bench_function("inspect: caption PATCH (JSON)", |b| {
        b.iter(|| e.inspect(std::hint::black_box(&edit)))
    });
    g.bench_function("inspect: upload head", |b| {
        b.iter(|| e.inspect(std::hint::black_box(&upload)))
    });
    g.bench_function("inspect: SQL injection", |b| {
        b.iter(|| e.inspect(std::hint::black_box(&attack)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
