//! Known-answer tests: the vectors printed in `docs/blob-format.md` are parsed
//! from that file and recomputed here, so the specification and the code
//! cannot drift apart. `cargo test -p pixelunion-vault print_vectors --
//! --ignored --nocapture` prints the blocks for the document.
#![allow(clippy::print_stdout, clippy::type_complexity)]

use std::collections::BTreeMap;

use crate::blob::BlobEncryptor;
use crate::field::{self, FieldContext};
use crate::keys::{DataKey, KeyId, ObjectId};
use crate::primitives::{hkdf_sha256, wrap_key_with_nonce};
use crate::secure_memory::LockedKey;
use crate::shares::{Share, ShareSetId};

const SPEC: &str = include_str!("../../../docs/blob-format.md");

fn seq(start: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| start.wrapping_add(i as u8)).collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn arr<const N: usize>(v: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(v);
    a
}

type Fields = BTreeMap<String, String>;

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex in vector"))
        .collect()
}

fn bytes(f: &Fields, k: &str) -> Vec<u8> {
    let v = f.get(k).unwrap_or_else(|| panic!("vector lacks {k}"));
    if let Some(text) = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        text.as_bytes().to_vec()
    } else if v == "(empty)" {
        Vec::new()
    } else {
        unhex(v)
    }
}

fn text(f: &Fields, k: &str) -> String {
    String::from_utf8(bytes(f, k)).expect("utf-8")
}

/// Computes the vector of `kind` from its inputs; returns (output name, hex).
fn compute(kind: &str, f: &Fields) -> (String, String) {
    let user = |k: &[u8]| DataKey::from_bytes(KeyId::User { generation: 1 }, &arr(k)).expect("key");
    match kind {
        "object-key" => {
            let k = hkdf_sha256(
                &bytes(f, "salt"),
                &bytes(f, "owner_key"),
                &[b"pixelunion/blob/v1", &bytes(f, "object_id")],
            )
            .expect("hkdf");
            ("object_key".into(), hex(k.expose()))
        }
        "blob" => {
            let key = user(&bytes(f, "owner_key"));
            let log2: u8 = f["segment_log2"].parse().expect("log2");
            let obj = ObjectId(arr(&bytes(f, "object_id")));
            let mut enc =
                BlobEncryptor::with_salt(&key, obj, log2, arr(&bytes(f, "salt"))).expect("enc");
            let mut out = enc.header().as_bytes().to_vec();
            enc.push(&bytes(f, "plaintext"), &mut out).expect("push");
            enc.finish(&mut out).expect("finish");
            assert_eq!(
                crate::blob::decrypt_to_vec(&key, obj, &out).expect("decrypts"),
                bytes(f, "plaintext")
            );
            ("ciphertext".into(), hex(&out))
        }
        "field" => {
            let key = user(&bytes(f, "owner_key"));
            let (owner, table, column, row) = (
                bytes(f, "owner"),
                text(f, "table"),
                text(f, "column"),
                bytes(f, "row"),
            );
            let ctx = FieldContext {
                owner: &owner,
                table: &table,
                column: &column,
                row: &row,
            };
            let ct = field::encrypt_with_salt(
                &key,
                &ctx,
                &bytes(f, "plaintext"),
                arr(&bytes(f, "salt")),
            )
            .expect("enc");
            assert_eq!(
                &field::decrypt(&key, &ctx, &ct).expect("dec")[..],
                &bytes(f, "plaintext")[..]
            );
            ("ciphertext".into(), hex(&ct))
        }
        "blind-index" => {
            let key = user(&bytes(f, "owner_key"));
            let bi =
                crate::blind_index::user_blind_index(&key, &text(f, "domain"), &bytes(f, "value"))
                    .expect("bi");
            ("stored".into(), hex(&bi.to_bytes()))
        }
        "keyring-subkeys" => {
            let base = bytes(f, "keyring_key");
            let w = hkdf_sha256(&[], &base, &[b"pixelunion/keyring/wrap/v1"]).expect("hkdf");
            let s = hkdf_sha256(&[], &base, &[b"pixelunion/keyring/system/v1"]).expect("hkdf");
            (
                "wrap_key system_key".into(),
                format!("{} {}", hex(w.expose()), hex(s.expose())),
            )
        }
        "sealed-root" => {
            let set_id = bytes(f, "set_id");
            let (k, n): (u8, u8) = (
                f["threshold"].parse().expect("k"),
                f["shares"].parse().expect("n"),
            );
            let mut aad = b"pixelunion/root/v1".to_vec();
            aad.extend_from_slice(&set_id);
            aad.extend_from_slice(&[k, n]);
            let wrapped = wrap_key_with_nonce(
                &arr(&bytes(f, "unseal_key")),
                &aad,
                &arr(&bytes(f, "root_key")),
                arr(&bytes(f, "nonce")),
            )
            .expect("wrap");
            let mut rec = vec![1u8];
            rec.extend_from_slice(&set_id);
            rec.extend_from_slice(&[k, n]);
            rec.extend_from_slice(&wrapped);
            ("record".into(), hex(&rec))
        }
        "share-1-of-1" => {
            let key = LockedKey::from_bytes(&arr(&bytes(f, "unseal_key"))).expect("key");
            let shares = crate::shares::split(&key, ShareSetId(arr(&bytes(f, "set_id"))), 1, 1)
                .expect("split");
            let t = shares[0].to_text();
            let back = Share::parse(t.expose()).expect("parse");
            assert_eq!(&back.y[..], key.expose());
            ("share".into(), format!("\"{}\"", t.expose()))
        }
        other => panic!("unknown vector kind {other}"),
    }
}

/// The vectors of the specification (inputs only).
fn inputs() -> Vec<(&'static str, &'static str, Vec<(&'static str, String)>)> {
    let k = hex(&seq(0x00, 32));
    let salt = hex(&seq(0x20, 32));
    let obj = hex(&seq(0x40, 16));
    vec![
        (
            "object-key",
            "object-key",
            vec![
                ("owner_key", k.clone()),
                ("salt", salt.clone()),
                ("object_id", obj.clone()),
            ],
        ),
        (
            "blob-empty",
            "blob",
            vec![
                ("owner_key", k.clone()),
                ("object_id", obj.clone()),
                ("salt", salt.clone()),
                ("segment_log2", "16".into()),
                ("plaintext", "(empty)".into()),
            ],
        ),
        (
            "blob-short",
            "blob",
            vec![
                ("owner_key", k.clone()),
                ("object_id", obj.clone()),
                ("salt", salt.clone()),
                ("segment_log2", "16".into()),
                ("plaintext", "\"PixelUnion\"".into()),
            ],
        ),
        (
            "blob-three-segments",
            "blob",
            vec![
                ("owner_key", k.clone()),
                ("object_id", obj.clone()),
                ("salt", salt.clone()),
                ("segment_log2", "4".into()),
                ("plaintext", hex(&seq(0x00, 40))),
            ],
        ),
        (
            "blob-exact-multiple",
            "blob",
            vec![
                ("owner_key", k.clone()),
                ("object_id", obj.clone()),
                ("salt", salt.clone()),
                ("segment_log2", "4".into()),
                ("plaintext", hex(&seq(0x80, 32))),
            ],
        ),
        (
            "field",
            "field",
            vec![
                ("owner_key", k.clone()),
                ("salt", hex(&seq(0x50, 16))),
                ("owner", "\"user-1\"".into()),
                ("table", "\"assets\"".into()),
                ("column", "\"file_name\"".into()),
                ("row", "\"asset-1\"".into()),
                ("plaintext", "\"IMG_0001.HEIC\"".into()),
            ],
        ),
        (
            "blind-index",
            "blind-index",
            vec![
                ("owner_key", k.clone()),
                ("domain", "\"content\"".into()),
                ("value", "\"abc\"".into()),
            ],
        ),
        (
            "keyring-subkeys",
            "keyring-subkeys",
            vec![("keyring_key", k.clone())],
        ),
        (
            "sealed-root",
            "sealed-root",
            vec![
                ("unseal_key", hex(&seq(0x60, 32))),
                ("root_key", hex(&seq(0x80, 32))),
                ("set_id", "01020304".into()),
                ("threshold", "1".into()),
                ("shares", "1".into()),
                ("nonce", hex(&seq(0xa0, 12))),
            ],
        ),
        (
            "share-1-of-1",
            "share-1-of-1",
            vec![
                ("unseal_key", hex(&seq(0x60, 32))),
                ("set_id", "01020304".into()),
            ],
        ),
    ]
}

/// Parses the ```` ```vector ```` blocks of the spec.
fn parse_spec() -> Vec<Fields> {
    let mut out = Vec::new();
    let mut cur: Option<Fields> = None;
    let mut last_key = String::new();
    for line in SPEC.lines() {
        if line.trim() == "```vector" {
            cur = Some(Fields::new());
        } else if line.trim() == "```" {
            if let Some(f) = cur.take() {
                out.push(f);
            }
        } else if let Some(f) = cur.as_mut() {
            if let Some((k, v)) = line.split_once('=') {
                last_key = k.trim().to_string();
                f.insert(last_key.clone(), v.trim().to_string());
            } else if let Some(v) = f.get_mut(&last_key) {
                // hex continued on the next line
                v.push_str(line.trim());
            }
        }
    }
    out
}

#[test]
fn spec_vectors_match_the_code() {
    let blocks = parse_spec();
    assert_eq!(
        blocks.len(),
        inputs().len(),
        "every vector is in docs/blob-format.md"
    );
    for f in blocks {
        let kind = f.get("kind").expect("kind").clone();
        let (names, value) = compute(&kind, &f);
        for (name, expected) in names.split(' ').zip(value.split(' ')) {
            let in_doc: String = f
                .get(name)
                .unwrap_or_else(|| panic!("{kind}: no {name} in doc"))
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            assert_eq!(in_doc, expected, "vector {} output {name}", f["name"]);
        }
    }
}

#[test]
#[ignore = "prints the vector blocks for docs/blob-format.md"]
fn print_vectors() {
    for (name, kind, fields) in inputs() {
        let mut f: Fields = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        f.insert("kind".into(), kind.into());
        let (names, value) = compute(kind, &f);
        println!("```vector\nname = {name}\nkind = {kind}");
        for (k, v) in &fields {
            println!("{k} = {v}");
        }
        for (n, v) in names.split(' ').zip(value.split(' ')) {
            let mut line = format!("{n} = ");
            let chunks: Vec<&str> = if v.starts_with('"') {
                vec![v]
            } else {
                v.as_bytes()
                    .chunks(64)
                    .map(|c| std::str::from_utf8(c).expect("ascii"))
                    .collect()
            };
            line.push_str(&chunks.join("\n    "));
            println!("{line}");
        }
        println!("```\n");
    }
}
