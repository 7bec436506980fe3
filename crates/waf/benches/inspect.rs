//! Time the engine adds to a request: a typical API call (a listing with a
//! cursor, the browser's headers and session cookie), a caption change (a
//! JSON body), an upload's head (file bytes are never read), an attack, a
//! video being sought (one URL, a Range of its own each time) and a
//! timeline's thumbnails (a new id each time), beside the baseline of only
//! parsing the request into values. The engine remembers which rules a
//! value matched (`memo.rs`), so a browser's repeated headers and a sought
//! video's repeated path cost a lookup: the listing is also timed with that
//! memo emptied before every request.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use pixelunion_waf::{Engine, RuleSet, Settings};

mod common;

fn bench(c: &mut Criterion) {
    let e = Engine::new(RuleSet::embedded().unwrap(), Settings::default());
    let h = common::headers();
    let [listing, edit, upload, attack] = common::requests(&h);
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
    // (an id whose groups end in digits, as 98 % of random ones do: "8-"
    // matched the SQL tokenizer's pre-condition before ids were words)
    let thumbnail = pixelunion_waf::Request {
        method: "GET",
        target: "/api/v1/assets/01a24478-919a-7371-9d86-1e2d2597efb5/thumbnail",
        headers: &h,
        body: pixelunion_waf::Body::None,
    };
    g.bench_function("inspect: thumbnail GET (an id in the path)", |b| {
        b.iter(|| e.inspect(std::hint::black_box(&thumbnail)))
    });
    // A timeline's thumbnails: a new id each time (the memo never saw the
    // path: what remembering costs when it cannot help).
    let mut n = 0u64;
    g.bench_function("inspect: thumbnail GETs of new ids", |b| {
        b.iter(|| {
            n += 1;
            let target = format!("/api/v1/assets/01a24478-919a-7371-9d86-{n:012x}/thumbnail");
            e.inspect(std::hint::black_box(&pixelunion_waf::Request {
                method: "GET",
                target: &target,
                headers: &h,
                body: pixelunion_waf::Body::None,
            }))
        })
    });
    // A video being sought: the same URL asked again and again, each time
    // with a Range of its own (the one value the memo cannot have seen).
    let ranges: Vec<Vec<(String, String)>> = (0..1024u64)
        .map(|i| {
            let mut h = h.clone();
            let from = i * 7_340_033 % (1 << 30);
            h.push((
                "Range".into(),
                format!("bytes={from}-{}", from + (1 << 20) - 1),
            ));
            h
        })
        .collect();
    let mut i = 0usize;
    g.bench_function("inspect: ranged GET of an original (a video sought)", |b| {
        b.iter(|| {
            i = (i + 1) % ranges.len();
            e.inspect(std::hint::black_box(&pixelunion_waf::Request {
                method: "GET",
                target: "/api/v1/assets/01a24478-919a-7371-9d86-1e2d2597efb5/original",
                headers: &ranges[i],
                body: pixelunion_waf::Body::None,
            }))
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
