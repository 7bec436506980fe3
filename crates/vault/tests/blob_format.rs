//! Properties of the segmented blob format: round trips for every length,
#![allow(clippy::expect_used, clippy::unwrap_used)]
//! random access, and rejection of every kind of tampering.

use std::ops::Range;

use pixelunion_vault::blob::{
    BlobDecryptor, BlobEncryptor, BlobHeader, BlobLayout, CiphertextSpan, HEADER_LEN,
    RangeDecryptor, decrypt_range, decrypt_to_vec, encrypt_to_vec,
};
use pixelunion_vault::{DataKey, KeyId, ObjectId, VaultError};
use proptest::prelude::*;

const OBJ: ObjectId = ObjectId([0x0b; 16]);
const OTHER_OBJ: ObjectId = ObjectId([0x0c; 16]);

fn key(b: u8) -> DataKey {
    DataKey::from_bytes(KeyId::User { generation: 1 }, &[b; 32]).expect("key")
}

fn plaintext(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Encrypts with segment size 2^log2, pushing in `chunk`-sized pieces.
fn encrypt(k: &DataKey, obj: ObjectId, log2: u8, pt: &[u8], chunk: usize) -> Vec<u8> {
    let mut enc = BlobEncryptor::with_segment_log2(k, obj, log2).expect("encryptor");
    let mut out = enc.header().as_bytes().to_vec();
    for c in pt.chunks(chunk.max(1)) {
        enc.push(c, &mut out).expect("push");
    }
    enc.finish(&mut out).expect("finish");
    out
}

fn decrypt_chunked(
    k: &DataKey,
    obj: ObjectId,
    blob: &[u8],
    chunk: usize,
) -> Result<Vec<u8>, VaultError> {
    let header = BlobHeader::parse(blob)?;
    let mut dec = BlobDecryptor::new(k, obj, &header)?;
    let mut out = Vec::new();
    for c in blob[HEADER_LEN..].chunks(chunk.max(1)) {
        dec.push(c, &mut out)?;
    }
    dec.finish(&mut out)?;
    Ok(out)
}

/// What reading plaintext `range` of `blob` takes: its header, layout, span
/// and the span's ciphertext.
fn reading(blob: &[u8], range: Range<u64>) -> (BlobHeader, BlobLayout, CiphertextSpan, Vec<u8>) {
    let header = BlobHeader::parse(blob).expect("header");
    let layout = BlobLayout::from_ciphertext_len(&header, blob.len() as u64).expect("layout");
    let span = layout.span(range).expect("span");
    let ct = blob[span.ciphertext.start as usize..span.ciphertext.end as usize].to_vec();
    (header, layout, span, ct)
}

fn segments(blob: &[u8], log2: u8) -> Vec<Vec<u8>> {
    blob[HEADER_LEN..]
        .chunks((1 << log2) + 16)
        .map(<[u8]>::to_vec)
        .collect()
}

fn assemble(header: &[u8], segs: &[Vec<u8>]) -> Vec<u8> {
    let mut b = header.to_vec();
    for s in segs {
        b.extend_from_slice(s);
    }
    b
}

#[test]
fn every_length_round_trips_with_small_segments() {
    let k = key(1);
    for len in 0..=(16 * 6 + 1) {
        let pt = plaintext(len, 3);
        let blob = encrypt(&k, OBJ, 4, &pt, 7);
        let layout = BlobLayout::new(4, len as u64);
        assert_eq!(blob.len() as u64, layout.ciphertext_len(), "len {len}");
        let header = BlobHeader::parse(&blob).expect("header");
        assert_eq!(
            BlobLayout::from_ciphertext_len(&header, blob.len() as u64).expect("layout"),
            layout
        );
        for chunk in [1, 5, 16, 17, 32, 33, 1000] {
            assert_eq!(
                decrypt_chunked(&k, OBJ, &blob, chunk).expect("decrypt"),
                pt,
                "len {len} chunk {chunk}"
            );
        }
    }
}

#[test]
fn default_segment_size_boundaries_round_trip() {
    let k = key(2);
    for len in [
        0usize,
        1,
        65535,
        65536,
        65537,
        131071,
        131072,
        131073,
        3 * 65536,
    ] {
        let pt = plaintext(len, 9);
        let blob = encrypt_to_vec(&k, OBJ, &pt).expect("encrypt");
        let expected_segments = len.div_ceil(65536).max(1);
        assert_eq!(
            blob.len(),
            HEADER_LEN + len + 16 * expected_segments,
            "len {len}"
        );
        assert_eq!(decrypt_to_vec(&k, OBJ, &blob).expect("decrypt"), pt);
        assert_eq!(decrypt_chunked(&k, OBJ, &blob, 4096).expect("decrypt"), pt);
    }
}

#[test]
fn every_subrange_of_small_blobs_matches_the_plaintext_slice() {
    let k = key(3);
    for len in [1usize, 15, 16, 17, 48, 63, 64, 65] {
        let pt = plaintext(len, 1);
        let blob = encrypt(&k, OBJ, 4, &pt, 64);
        for start in 0..len {
            for end in start + 1..=len {
                let got = decrypt_range(&k, OBJ, &blob, start as u64..end as u64).expect("range");
                assert_eq!(got, &pt[start..end], "len {len} range {start}..{end}");
            }
        }
        assert!(matches!(
            decrypt_range(&k, OBJ, &blob, 0..len as u64 + 1),
            Err(VaultError::RangeNotSatisfiable { .. })
        ));
        assert!(matches!(
            decrypt_range(&k, OBJ, &blob, 3..3),
            Err(VaultError::RangeNotSatisfiable { .. })
        ));
    }
}

#[test]
fn span_fetches_exactly_the_touched_segments() {
    let layout = BlobLayout::new(16, 1_000_000);
    let s = 65536u64;
    let span = layout.span(s..s + 1).expect("span");
    assert_eq!((span.first_segment, span.last_segment), (1, 1));
    assert_eq!(span.ciphertext, 44 + (s + 16)..44 + 2 * (s + 16));
    let span = layout.span(s - 1..s + 1).expect("span");
    assert_eq!((span.first_segment, span.last_segment), (0, 1));
    let tail = layout.span(999_999..1_000_000).expect("span");
    assert_eq!(tail.ciphertext.end, layout.ciphertext_len());
    assert_eq!(tail.last_segment, layout.segment_count() - 1);
}

#[test]
fn bit_flips_anywhere_are_rejected() {
    let k = key(4);
    let pt = plaintext(40, 5); // 3 segments of 16
    let blob = encrypt(&k, OBJ, 4, &pt, 40);
    for bit in 0..blob.len() * 8 {
        let mut bad = blob.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        assert!(
            decrypt_to_vec(&k, OBJ, &bad).is_err(),
            "flip of bit {bit} went unnoticed"
        );
        assert!(
            decrypt_range(&k, OBJ, &bad, 0..40).is_err(),
            "range: flip {bit}"
        );
    }
}

#[test]
fn truncation_at_every_point_is_rejected() {
    let k = key(5);
    for len in [0usize, 16, 32, 40] {
        let pt = plaintext(len, 6);
        let blob = encrypt(&k, OBJ, 4, &pt, 40);
        for cut in 0..blob.len() {
            assert!(
                decrypt_to_vec(&k, OBJ, &blob[..cut]).is_err(),
                "len {len} cut at {cut}"
            );
            assert!(decrypt_chunked(&k, OBJ, &blob[..cut], 3).is_err());
        }
    }
}

#[test]
fn reordering_duplicating_dropping_and_appending_segments_are_rejected() {
    let k = key(6);
    let pt = plaintext(16 * 4, 7);
    let blob = encrypt(&k, OBJ, 4, &pt, 64);
    let h = &blob[..HEADER_LEN];
    let segs = segments(&blob, 4);
    assert_eq!(segs.len(), 4);
    let swapped = assemble(
        h,
        &[
            segs[1].clone(),
            segs[0].clone(),
            segs[2].clone(),
            segs[3].clone(),
        ],
    );
    let duplicated = assemble(
        h,
        &[
            segs[0].clone(),
            segs[0].clone(),
            segs[2].clone(),
            segs[3].clone(),
        ],
    );
    let dropped_middle = assemble(h, &[segs[0].clone(), segs[2].clone(), segs[3].clone()]);
    let dropped_last = assemble(h, &segs[..3]);
    let last_repeated = assemble(
        h,
        &[
            segs[0].clone(),
            segs[1].clone(),
            segs[2].clone(),
            segs[3].clone(),
            segs[3].clone(),
        ],
    );
    let mut appended = blob.clone();
    appended.extend_from_slice(b"more");
    for (name, b) in [
        ("swapped", swapped),
        ("duplicated", duplicated),
        ("dropped middle", dropped_middle),
        ("dropped last", dropped_last),
        ("last repeated", last_repeated),
        ("appended bytes", appended),
    ] {
        assert!(decrypt_to_vec(&k, OBJ, &b).is_err(), "{name}");
    }
}

#[test]
fn splicing_between_objects_and_moving_objects_are_rejected() {
    let k = key(7);
    let a = encrypt(&k, OBJ, 4, &plaintext(48, 1), 48);
    let b = encrypt(&k, OBJ, 4, &plaintext(48, 2), 48);
    let (sa, sb) = (segments(&a, 4), segments(&b, 4));
    // Segment 1 of b (same key, same object id, other salt) inside a.
    let spliced = assemble(
        &a[..HEADER_LEN],
        &[sa[0].clone(), sb[1].clone(), sa[2].clone()],
    );
    assert!(decrypt_to_vec(&k, OBJ, &spliced).is_err());
    // b's segments under a's header.
    assert!(decrypt_to_vec(&k, OBJ, &assemble(&a[..HEADER_LEN], &sb)).is_err());
    // The whole blob read as another object id.
    assert_eq!(
        decrypt_to_vec(&k, OTHER_OBJ, &a).err(),
        Some(VaultError::DecryptionFailed)
    );
    assert!(decrypt_range(&k, OTHER_OBJ, &a, 20..30).is_err());
}

#[test]
fn wrong_key_is_rejected() {
    let a = encrypt(&key(8), OBJ, 4, b"some photo bytes", 4);
    assert_eq!(
        decrypt_to_vec(&key(9), OBJ, &a).err(),
        Some(VaultError::DecryptionFailed)
    );
    let other_gen = DataKey::from_bytes(KeyId::User { generation: 2 }, &[8; 32]).expect("key");
    assert!(matches!(
        decrypt_to_vec(&other_gen, OBJ, &a),
        Err(VaultError::WrongKey { .. })
    ));
}

#[test]
fn barrier_stored_bytes_differ_and_same_plaintext_encrypts_differently() {
    let k = key(10);
    let pt = b"The quick brown fox jumps over the lazy dog. ".repeat(4000);
    let a = encrypt_to_vec(&k, OBJ, &pt).expect("encrypt");
    let b = encrypt_to_vec(&k, OBJ, &pt).expect("encrypt");
    assert_ne!(a, b);
    assert_ne!(
        a[HEADER_LEN..HEADER_LEN + 64],
        b[HEADER_LEN..HEADER_LEN + 64]
    );
    for blob in [&a, &b] {
        assert!(
            !blob.windows(16).any(|w| pt[..16] == *w),
            "plaintext visible in ciphertext"
        );
    }
}

#[test]
fn range_decryptor_rejects_wrong_segment_and_short_input() {
    let k = key(11);
    let pt = plaintext(16 * 3, 3);
    let blob = encrypt(&k, OBJ, 4, &pt, 64);
    let header = BlobHeader::parse(&blob).expect("header");
    let layout = BlobLayout::from_ciphertext_len(&header, blob.len() as u64).expect("layout");
    let span = layout.span(16..32).expect("span");
    // The store answers with segment 2's bytes instead of segment 1's.
    let wrong = &blob[HEADER_LEN + 2 * 32..HEADER_LEN + 3 * 32];
    let mut dec = RangeDecryptor::new(&k, OBJ, &header, layout, span.clone()).expect("dec");
    let mut out = Vec::new();
    assert!(dec.push(wrong, &mut out).is_err());
    assert!(out.is_empty());
    // Short input: finish reports truncation.
    let right = &blob[span.ciphertext.start as usize..span.ciphertext.end as usize];
    let mut dec = RangeDecryptor::new(&k, OBJ, &header, layout, span).expect("dec");
    dec.push(&right[..10], &mut out).expect("push");
    assert_eq!(dec.finish().err(), Some(VaultError::Truncated));
}

#[test]
fn opening_in_place_rejects_tampering_wrong_lengths_and_use_after_a_push() {
    let k = key(12);
    let pt = plaintext(16 * 4, 5);
    let blob = encrypt(&k, OBJ, 4, &pt, 64);
    let (header, layout, span, ct) = reading(&blob, 5..50);
    let dec = || RangeDecryptor::new(&k, OBJ, &header, layout, span.clone()).expect("dec");
    // A flipped bit in the last segment: refused, and the segments already
    // opened are zeroed with the rest.
    let mut bad = ct.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert!(dec().open_in_place(&mut bad).is_err());
    assert!(
        bad.iter().all(|&b| b == 0),
        "plaintext left after a failure"
    );
    assert_eq!(
        dec().open_in_place(&mut ct[..ct.len() - 1].to_vec()).err(),
        Some(VaultError::Truncated)
    );
    let mut longer = ct.clone();
    longer.push(0);
    assert_eq!(
        dec().open_in_place(&mut longer).err(),
        Some(VaultError::TrailingData)
    );
    let mut pushed = dec();
    pushed.push(&ct[..32], &mut Vec::new()).expect("push");
    assert!(pushed.open_in_place(&mut ct.clone()).is_err());
    // The right bytes: the range, and nothing else left readable.
    let mut good = ct.clone();
    let pieces = dec().open_in_place(&mut good).expect("open");
    let got: Vec<u8> = pieces
        .iter()
        .flat_map(|r| good[r.clone()].to_vec())
        .collect();
    assert_eq!(got, pt[5..50]);
    let mut outside = good
        .iter()
        .enumerate()
        .filter(|(i, _)| !pieces.iter().any(|r| r.contains(i)));
    assert!(outside.clone().count() > 0 && outside.all(|(_, &b)| b == 0));
}

#[test]
fn impossible_ciphertext_lengths_are_rejected() {
    let header = BlobHeader::parse(&encrypt(&key(1), OBJ, 4, b"", 1)).expect("header");
    // header + 0..15 bytes: no room for a tag.
    for extra in 0..16u64 {
        assert!(BlobLayout::from_ciphertext_len(&header, 44 + extra).is_err());
    }
    // One full segment then a tag-only segment: never produced.
    assert!(BlobLayout::from_ciphertext_len(&header, 44 + 32 + 16).is_err());
    assert!(BlobLayout::from_ciphertext_len(&header, 44 + 32 + 17).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn prop_round_trip_any_length_any_chunking(
        len in 0usize..3000,
        log2 in 4u8..=9,
        enc_chunk in 1usize..700,
        dec_chunk in 1usize..700,
        seed in any::<u8>(),
    ) {
        let k = key(seed);
        let pt = plaintext(len, seed);
        let blob = encrypt(&k, OBJ, log2, &pt, enc_chunk);
        prop_assert_eq!(blob.len() as u64, BlobLayout::new(log2, len as u64).ciphertext_len());
        prop_assert_eq!(decrypt_chunked(&k, OBJ, &blob, dec_chunk).expect("decrypt"), pt);
    }

    #[test]
    fn prop_any_range_equals_slice(
        len in 1usize..5000,
        log2 in 4u8..=10,
        a in any::<u64>(),
        b in any::<u64>(),
        chunk in 1usize..300,
        before in 0usize..40,
    ) {
        let k = key(42);
        let pt = plaintext(len, 1);
        let blob = encrypt(&k, OBJ, log2, &pt, 1024);
        let start = a % len as u64;
        let end = start + 1 + b % (len as u64 - start);
        let (header, layout, span, ct) = reading(&blob, start..end);
        let mut dec = RangeDecryptor::new(&k, OBJ, &header, layout, span).expect("dec");
        // (appends after what `out` already holds)
        let mut out = vec![0xa5; before];
        for c in ct.chunks(chunk) {
            dec.push(c, &mut out).expect("push");
        }
        dec.finish().expect("finish");
        prop_assert!(out[..before].iter().all(|&b| b == 0xa5));
        prop_assert_eq!(&out[before..], &pt[start as usize..end as usize]);
    }

    #[test]
    fn prop_any_range_opened_in_place_equals_slice(
        len in 1usize..5000,
        log2 in 4u8..=10,
        a in any::<u64>(),
        b in any::<u64>(),
    ) {
        let k = key(43);
        let pt = plaintext(len, 2);
        let blob = encrypt(&k, OBJ, log2, &pt, 1024);
        let start = a % len as u64;
        let end = start + 1 + b % (len as u64 - start);
        let (header, layout, span, mut ct) = reading(&blob, start..end);
        let dec = RangeDecryptor::new(&k, OBJ, &header, layout, span).expect("dec");
        let pieces = dec.open_in_place(&mut ct).expect("open");
        let got: Vec<u8> = pieces.iter().flat_map(|r| ct[r.clone()].to_vec()).collect();
        prop_assert_eq!(&got[..], &pt[start as usize..end as usize]);
        prop_assert!(pieces.windows(2).all(|w| w[0].end <= w[1].start), "in order");
    }

    #[test]
    fn prop_random_corruption_is_rejected(
        len in 0usize..400,
        pos in any::<usize>(),
        mask in 1u8..=255,
    ) {
        let k = key(7);
        let pt = plaintext(len, 2);
        let mut blob = encrypt(&k, OBJ, 5, &pt, 64);
        let i = pos % blob.len();
        blob[i] ^= mask;
        prop_assert!(decrypt_to_vec(&k, OBJ, &blob).is_err());
    }
}
