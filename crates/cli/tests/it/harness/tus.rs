//! tus 1.0.0 as a client speaks it (creation, PATCH from an offset, HEAD
//! for the offset), for the resumable-upload and multi-node tests.

use super::client::{Call, Reply};
use super::server::Server;

/// `(status, lower-cased response headers as "name: value" lines)`;
/// `extra` are request headers (`"upload-length: 10"`, optionally after `"-H"`).
pub fn tus(s: &Server, token: &str, method: &str, path: &str, extra: &[&str]) -> (u16, String) {
    let mut c = s
        .call(method, path)
        .bearer(token)
        .header("tus-resumable", "1.0.0");
    for h in extra.iter().filter(|h| **h != "-H") {
        let (k, v) = h.split_once(':').unwrap();
        c = c.header(k.trim(), v.trim());
    }
    head(&c.send())
}

pub fn head(r: &Reply) -> (u16, String) {
    let mut h = String::new();
    for (k, v) in &r.headers {
        h.push_str(&format!("{}: {}\n", k.as_str(), v.to_str().unwrap_or("")));
    }
    (r.status, h.to_ascii_lowercase())
}

pub fn header(h: &str, name: &str) -> Option<String> {
    h.lines().find_map(|l| {
        l.strip_prefix(&format!("{name}: "))
            .map(|v| v.trim().to_string())
    })
}

pub fn create(s: &Server, token: &str, len: usize, name: &str) -> String {
    use base64::Engine;
    let meta = format!(
        "filename {}",
        base64::engine::general_purpose::STANDARD.encode(name)
    );
    let (st, h) = tus(
        s,
        token,
        "POST",
        "/api/v1/uploads",
        &[
            "-H",
            &format!("upload-length: {len}"),
            "-H",
            &format!("upload-metadata: {meta}"),
        ],
    );
    assert_eq!(st, 201, "{h}");
    assert_eq!(header(&h, "tus-resumable").as_deref(), Some("1.0.0"));
    header(&h, "location").expect("location")
}

pub fn patch_call<'a>(s: &'a Server, token: &str, loc: &str, offset: usize) -> Call<'a> {
    s.call("PATCH", loc)
        .bearer(token)
        .header("tus-resumable", "1.0.0")
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", &offset.to_string())
}

pub fn patch(s: &Server, token: &str, loc: &str, offset: usize, bytes: &[u8]) -> (u16, String) {
    head(
        &patch_call(s, token, loc, offset)
            .bytes(bytes.to_vec())
            .send(),
    )
}

pub fn offset_of(s: &Server, token: &str, loc: &str) -> usize {
    let (st, h) = tus(s, token, "HEAD", loc, &[]);
    assert!(st == 200 || st == 204, "HEAD {st}: {h}");
    assert_eq!(header(&h, "cache-control").as_deref(), Some("no-store"));
    header(&h, "upload-offset").unwrap().parse().unwrap()
}

/// Sends `file` as a new upload named `name` in `pieces` PATCHes; returns
/// the asset id.
pub fn in_pieces(s: &Server, token: &str, name: &str, file: &[u8], pieces: usize) -> String {
    let loc = create(s, token, file.len(), name);
    let step = file.len().div_ceil(pieces);
    let mut h = String::new();
    for at in (0..file.len()).step_by(step) {
        let (st, hh) = patch(s, token, &loc, at, &file[at..(at + step).min(file.len())]);
        assert_eq!(st, 204, "{hh}");
        h = hh;
    }
    header(&h, "pixelunion-asset-id").expect("asset id")
}
