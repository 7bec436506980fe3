//! The firewall's added latency as a distribution: every inspection of a
//! typical API call timed on its own (20,000 of each request, after a warm-up)
//! and the median, p99 and p99.9 printed — the target is p99 ≤ 50 µs
//! for a typical API request. Same requests as `inspect.rs`.
//!
//! `cargo bench -p pixelunion-waf --bench latency`
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)]

use std::time::Instant;

use pixelunion_waf::{Engine, RuleSet, Settings};

mod common;

fn percentiles(name: &str, mut f: impl FnMut()) {
    for _ in 0..2_000 {
        f();
    }
    let mut t: Vec<u64> = (0..20_000)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_nanos() as u64
        })
        .collect();
    t.sort_unstable();
    let at = |q: f64| t[((t.len() as f64 * q) as usize).min(t.len() - 1)] as f64 / 1000.0;
    println!(
        "{name:<44} p50 {:>7.1} µs   p99 {:>7.1} µs   p99.9 {:>7.1} µs",
        at(0.5),
        at(0.99),
        at(0.999)
    );
}

fn main() {
    let e = Engine::new(RuleSet::embedded().unwrap(), Settings::default());
    let h = common::headers();
    let [listing, edit, upload, _] = common::requests(&h);
    let parse = || {
        std::hint::black_box(pixelunion_waf::request::parse(std::hint::black_box(
            &listing,
        )));
    };
    percentiles("parse only (baseline)", parse);
    percentiles("listing GET", || {
        std::hint::black_box(e.inspect(std::hint::black_box(&listing)));
    });
    percentiles("caption PATCH (JSON)", || {
        std::hint::black_box(e.inspect(std::hint::black_box(&edit)));
    });
    percentiles("upload head", || {
        std::hint::black_box(e.inspect(std::hint::black_box(&upload)));
    });
    percentiles("listing GET, header memo cold", || {
        e.forget();
        std::hint::black_box(e.inspect(std::hint::black_box(&listing)));
    });
}
