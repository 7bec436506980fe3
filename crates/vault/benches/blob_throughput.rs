//! Blob encrypt/decrypt throughput on one core, beside the bare AES-256-GCM
//! call it is built on. `scripts/bench-vault.sh` runs this next to
//! `openssl speed -evp aes-256-gcm` and writes the ratios.
#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pixelunion_vault::blob::{BlobDecryptor, BlobEncryptor, BlobHeader, HEADER_LEN};
use pixelunion_vault::{DataKey, KeyId, ObjectId};
use std::hint::black_box;
use std::time::Duration;

const TOTAL: usize = 16 << 20;
const CHUNK: usize = 1 << 20;

fn key() -> DataKey {
    DataKey::from_bytes(KeyId::User { generation: 1 }, &[3; 32]).expect("key")
}

fn encrypt_all(k: &DataKey, log2: u8, pt: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut enc = BlobEncryptor::with_segment_log2(k, ObjectId([1; 16]), log2).expect("enc");
    out.extend_from_slice(enc.header().as_bytes());
    for c in pt.chunks(CHUNK) {
        enc.push(c, out).expect("push");
    }
    enc.finish(out).expect("finish");
}

fn bench(c: &mut Criterion) {
    let k = key();
    let pt = vec![0xa5u8; TOTAL];
    let mut g = c.benchmark_group("blob");
    g.throughput(Throughput::Bytes(TOTAL as u64));
    g.sample_size(30);
    g.measurement_time(Duration::from_secs(4));

    // Streaming, as in an upload: 1 MiB chunks arrive, their ciphertext is
    // handed to the store and the output buffer reused (cache-resident).
    let chunk = vec![0x5au8; CHUNK];
    for log2 in [14u8, 16, 18, 20] {
        let mut out = Vec::with_capacity(2 * CHUNK);
        g.bench_with_input(
            BenchmarkId::new("stream-encrypt", 1usize << log2),
            &log2,
            |b, &log2| {
                b.iter(|| {
                    let mut enc =
                        BlobEncryptor::with_segment_log2(&k, ObjectId([1; 16]), log2).expect("enc");
                    for _ in 0..TOTAL / CHUNK {
                        out.clear();
                        enc.push(black_box(&chunk), &mut out).expect("push");
                    }
                    out.clear();
                    enc.finish(&mut out).expect("finish");
                })
            },
        );
        let mut blob = Vec::new();
        encrypt_all(&k, log2, &pt, &mut blob);
        let header = BlobHeader::parse(&blob).expect("header");
        let mut plain = Vec::with_capacity(2 * CHUNK);
        g.bench_with_input(
            BenchmarkId::new("stream-decrypt", 1usize << log2),
            &log2,
            |b, _| {
                b.iter(|| {
                    let mut dec = BlobDecryptor::new(&k, ObjectId([1; 16]), &header).expect("dec");
                    for c in blob[HEADER_LEN..].chunks(CHUNK) {
                        plain.clear();
                        dec.push(black_box(c), &mut plain).expect("push");
                    }
                    plain.clear();
                    dec.finish(&mut plain).expect("finish");
                })
            },
        );
    }

    for log2 in [14u8, 16, 18, 20] {
        let mut out = Vec::with_capacity(TOTAL * 2);
        g.bench_with_input(
            BenchmarkId::new("encrypt", 1usize << log2),
            &log2,
            |b, &log2| b.iter(|| encrypt_all(&k, log2, black_box(&pt), &mut out)),
        );
        let mut blob = Vec::new();
        encrypt_all(&k, log2, &pt, &mut blob);
        let header = BlobHeader::parse(&blob).expect("header");
        let mut plain = Vec::with_capacity(TOTAL + CHUNK);
        g.bench_with_input(
            BenchmarkId::new("decrypt", 1usize << log2),
            &log2,
            |b, _| {
                b.iter(|| {
                    plain.clear();
                    let mut dec = BlobDecryptor::new(&k, ObjectId([1; 16]), &header).expect("dec");
                    for c in blob[HEADER_LEN..].chunks(CHUNK) {
                        dec.push(black_box(c), &mut plain).expect("push");
                    }
                    dec.finish(&mut plain).expect("finish");
                })
            },
        );
    }

    // The primitive alone: AES-256-GCM over 64 KiB buffers, in place.
    let raw = aws_lc_rs::aead::LessSafeKey::new(
        aws_lc_rs::aead::UnboundKey::new(&aws_lc_rs::aead::AES_256_GCM, &[3; 32]).expect("key"),
    );
    let mut buf = vec![0u8; TOTAL];
    g.bench_function("aws-lc-rs-seal-64KiB", |b| {
        b.iter(|| {
            for (i, seg) in buf.chunks_mut(1 << 16).enumerate() {
                let mut n = [0u8; 12];
                n[4..].copy_from_slice(&(i as u64).to_be_bytes());
                let _ = black_box(
                    raw.seal_in_place_separate_tag(
                        aws_lc_rs::aead::Nonce::assume_unique_for_key(n),
                        aws_lc_rs::aead::Aad::empty(),
                        seg,
                    )
                    .expect("seal"),
                );
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
