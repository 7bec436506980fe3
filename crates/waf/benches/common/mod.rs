//! The requests both benchmarks time: a typical listing with a browser's
//! headers and session cookie, a caption change (JSON), an upload's head
//! and an SQL injection.
#![allow(dead_code)]

use pixelunion_waf::{Body, Request};

/// A signed-in browser's headers.
pub fn headers() -> Vec<(String, String)> {
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

/// The JSON body of a caption change.
pub const CAPTION: &[u8] = br#"{"caption": "Grandma's 80th birthday, at the lake <3"}"#;

/// `(listing, caption change, upload head, SQL injection)` with headers `h`.
pub fn requests(h: &[(String, String)]) -> [Request<'_>; 4] {
    [
        Request {
            method: "GET",
            target: "/api/v1/assets?limit=120&cursor=MTcxNDU2MDAwMDAwMHwwMTkzNGEyYi03YzNk",
            headers: h,
            body: Body::None,
        },
        Request {
            method: "PATCH",
            target: "/api/v1/assets/01934a2b-7c3d-7e4f-8a9b-0c1d2e3f4a5b",
            headers: h,
            body: Body::Json(CAPTION),
        },
        Request {
            method: "POST",
            target: "/api/v1/assets",
            headers: h,
            body: Body::Opaque,
        },
        Request {
            method: "GET",
            target: "/api/v1/assets?sort=1%27%20UNION%20SELECT%20password%20FROM%20users--",
            headers: h,
            body: Body::None,
        },
    ]
}
