//! Ordinary photo-library traffic must pass at paranoia 1 with no false
//! positive: captions and album names in several languages with quotes,
//! `<3`, SQL words, emoji; file names with apostrophes and brackets; dates,
//! search text, tus metadata, and the web app's own requests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use pixelunion_waf::{Body, Engine, Request, RuleSet, Settings};

const CAPTIONS: &[&str] = &[
    "It's my mom's birthday!",
    "\"Select\" the best ones from Mum & Dad's trip; drop the blurry ones",
    "Ölüdeniz 'Blue Lagoon' – 海 – пляж 1=1 fun",
    "Anna's 30th birthday <3 (2019) — l'été à Montréal 🎂",
    "Update: we're 'officially' engaged! (and yes, \"or\" was the answer)",
    "Don't delete these -- Mum's favourites",
    "\"Union\" jack at O'Neill's pub; order by size",
    "we said 'or' and 'and' a lot",
    "Kids' table: 'cake' or 'pie'?",
    "Room 101 -- the \"insert\" coin game",
    "Grandma's 'secret' recipe; don't tell anyone!",
    "Me & Sam's 'first' trip (2nd time really) -- \"where\" next?",
    "L'Auberge d'Olt, 'chez nous'; dîner à 20h",
    "Tom & Jerry <3",
    "I <3 New York",
    "Sunset at Union Square",
    "Select the best ones later -- maybe tomorrow",
    "Drop off at O'Hare; then home",
    "Café « Le Zinc » à Paris",
    "Привет, мир! «кавычки» и 'апострофы'",
    "東京タワー🗼 #travel #japan",
    "שלום עולם",
    "مرحبا بالعالم",
    "5 > 3 and 2 < 4, as the kids say",
    "Rock 'n' roll",
    "100% fun, 0% rain",
    "Who's there? Me & you",
    "cat on the sofa",
    "time for cake (again)",
    "My dad's \"famous\" BBQ",
    "Grandma's 80th: she said 1 + 1 = 3",
    "Trip 2024/05 (Part 2)",
    "Look at this: https://example.com/trip/day-1",
    "The file was called IMG_001 (copy).jpg",
    "Meet at 5 o'clock; bring snacks & drinks",
    "Script for the school play",
    "Order of the day: sleep",
    "Update: we made it to the top!",
    "Insert coin to continue",
    "Delete this later? No, keep it",
    "Where's Waldo?",
    "Null Island, 0°N 0°E",
    "Java & Sumatra 2019",
    "Python the snake, not the language",
    "echo of the canyon",
    "Ping-pong tournament 🏓",
    "ls -- the dog's name is 'ls'",
    "Kids' drawings (2nd grade)",
    "Hiking – Alps (Day 1/3)",
    "Oma's 90. Geburtstag — „Prost!“",
    "Été 2024 🌞🌊",
    "Jour de l'an, 00:00:05",
    "¿Dónde está la playa?",
    "Zürich → München → Wien",
    "[Best of] 2023 {favourites}",
    "Mom & Dad's 40th anniversary",
    "α, β, γ — Greek holiday",
    "Ω ≈ ∞ (math joke)",
    "Re: Re: Fwd: photos",
    "x = 1 is my favourite equation",
    "C'est la vie !",
    "Don't forget: 10% off at the café",
    "user story: ann wants prints",
    "from the top of the hill",
    "version 2 of the family photo",
    "and then there were none",
    "or maybe not",
    "Table for two",
    "Having fun at the beach",
    "Group photo by the lake",
    "The union of two families",
    "Sleep well, little one",
    "Benchmark run: 5k in 25 min",
    "#1 fan <3 <3",
    "a > b > c",
    "Ctrl+C, Ctrl+V",
    "~ tilde ~",
    "Price: $5 (cheap!)",
    "50/50 chance",
    "Dinner @ 8pm",
    "Photo by Ann O'Neil",
    "Smith & Wesson? No, Smith & Jones",
    "Chapter 1: The beginning",
    "1, 2, 3... cheese!",
    "System update (finally)",
    "Exec meeting (Q3) in Berlin",
    "The process: (1) wash (2) dry",
    "Console games night",
    "Saw the eval (again)",
    "Dev laptop showing localhost:3000",
    "while (it lasted) it was great",
    "data: lots of photos",
    "Require more coffee",
    "The constructor of the treehouse",
    "Import/export business trip",
    "Alert: kids asleep!",
    "Prompt delivery, great service",
    "Document: passport photo",
    "Window seat ✈️",
    "Location: unknown",
    "Script & storyboard",
    "Cookie monster party 🍪",
    "Find the cat in this photo",
    "Set the table for 8",
    "sort of a selfie",
    "Head of the river race",
    "Tail of the comet",
    "more or less",
    "Union Jack flags",
    "Drop the mic",
    "top 10 photos",
    "Who am I? (costume party)",
    "Echo Lake, Colorado",
    "Python class at school",
    "Perl necklace from grandma",
    "Ruby's 5th birthday",
    "Java coffee ☕",
    "Node 3 of the ski lift",
    "Shell beach 🐚",
    "Bash at the lake house",
    "Screen time over",
    "Service dog Max",
    "Mount Fuji at dawn",
    "Su casa es mi casa",
    "Net fishing in Portugal",
    "Cat & dog, best friends",
    "id card photo",
    "ps: I love you",
    "env. 200 people came",
    "w/ friends at the lake",
    "ls: Lisbon, Spring 2024",
];

const ALBUMS: &[&str] = &[
    "Summer '24",
    "Mom & Dad",
    "[Best of] 2023",
    "Kids' drawings",
    "Union Station",
    "Select few",
    "Drop zone",
    "Été 2024 🌞",
    "Oma's Geburtstag",
    "Wedding (Ann + Bob)",
    "2024-05-01",
    "Trip #3",
    "Dogs & cats",
    "Pics: Mar 2024",
    "Misc.",
    "家族",
    "Отпуск",
    "Holiday 2026",
];

const FILE_NAMES: &[&str] = &[
    "IMG_20240501_123456.jpg",
    "Mom's photo (1).jpeg",
    "[2023] trip.HEIC",
    "photo #2.png",
    "été_à_paris.jpg",
    "Screen Shot 2024-05-01 at 10.00.00.png",
    "DSC_0001 copy.JPG",
    "VID_20240501_101010.mp4",
    "family & friends.webp",
    "résumé photo.jpg",
    "100% sunset.jpg",
];

fn engine() -> Engine {
    Engine::new(RuleSet::embedded().unwrap(), Settings::default())
}

fn headers(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut h: Vec<(String, String)> = [
        ("Host", "photos.example.org"),
        ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
        ("Accept", "application/json, text/plain, */*"),
        ("Accept-Language", "fr-CH,fr;q=0.9,en;q=0.8,de;q=0.7"),
        ("Accept-Encoding", "gzip, deflate, br, zstd"),
        ("Cookie", "__Host-pixelunion=pus_3f9a8c7d6e5b4a39281706f5e4d3c2b1a0"),
        ("X-CSRF-Token", "9f86d081884c7d659a2feaa0c55ad015"),
        ("Referer", "https://photos.example.org/albums/01934a2b-7c3d-7e4f-8a9b-0c1d2e3f4a5b?photo=01934a2b-7c3d-7e4f-8a9b-0c1d2e3f4a5c"),
        ("Sec-Fetch-Site", "same-origin"),
        ("Sec-Fetch-Mode", "cors"),
        ("Sec-Ch-Ua", "\"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\""),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
    .collect();
    h.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string())),
    );
    h
}

#[test]
fn ordinary_traffic_passes_at_paranoia_1() {
    let e = engine();
    let mut refused = Vec::new();
    let mut count = 0;
    let mut check =
        |what: String, method: &str, target: &str, h: &[(String, String)], body: Body<'_>| {
            count += 1;
            let v = e.inspect(&Request {
                method,
                target,
                headers: h,
                body,
            });
            if v.block || v.score > 0 {
                refused.push(format!("{what}: {:?}", v.hits));
            }
        };
    let h = headers(&[("Content-Type", "application/json")]);
    let id = "01934a2b-7c3d-7e4f-8a9b-0c1d2e3f4a5b";
    for c in CAPTIONS {
        let body = serde_json::json!({ "caption": c }).to_string();
        check(
            format!("caption {c:?}"),
            "PATCH",
            &format!("/api/v1/assets/{id}"),
            &h,
            Body::Json(body.as_bytes()),
        );
        // as search text in a query
        let q: String = c
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        check(
            format!("search {c:?}"),
            "GET",
            &format!("/api/v1/assets?q={q}&limit=120"),
            &headers(&[]),
            Body::None,
        );
    }
    for a in ALBUMS {
        let body = serde_json::json!({ "name": a, "asset_ids": [id] }).to_string();
        check(
            format!("album {a:?}"),
            "POST",
            "/api/v1/albums",
            &h,
            Body::Json(body.as_bytes()),
        );
    }
    for f in FILE_NAMES {
        let up = headers(&[("Content-Type", "image/jpeg"), ("X-File-Name", f)]);
        check(
            format!("upload {f:?}"),
            "POST",
            "/api/v1/assets",
            &up,
            Body::Opaque,
        );
        let meta = format!("filename {},filetype aW1hZ2UvanBlZw==", base64_of(f));
        let tus = headers(&[
            ("Tus-Resumable", "1.0.0"),
            ("Upload-Length", "12345678"),
            ("Upload-Metadata", &meta),
        ]);
        // the server inspects tus metadata decoded, as fields
        let decoded = vec![
            ("filename".to_string(), f.to_string()),
            ("filetype".to_string(), "image/jpeg".to_string()),
        ];
        check(
            format!("tus {f:?}"),
            "POST",
            "/api/v1/uploads",
            &tus,
            Body::Fields(&decoded),
        );
        // a multipart upload's file name, as the upload handler checks it
        let named = vec![("file".to_string(), f.to_string())];
        check(
            format!("multipart name {f:?}"),
            "POST",
            "/api/v1/assets",
            &[("host".to_string(), "upload".to_string())],
            Body::Fields(&named),
        );
        let fields = vec![("note".to_string(), format!("from {f}"))];
        check(
            format!("multipart {f:?}"),
            "POST",
            "/api/v1/assets",
            &headers(&[]),
            Body::Fields(&fields),
        );
    }
    let patch = headers(&[
        ("Tus-Resumable", "1.0.0"),
        ("Upload-Offset", "8388608"),
        ("Content-Type", "application/offset+octet-stream"),
    ]);
    check(
        "tus patch".into(),
        "PATCH",
        "/api/v1/uploads/01934a2b7c3d7e4f8a9b0c1d2e3f4a5b",
        &patch,
        Body::Opaque,
    );
    // the web app's own requests
    let gets = [
        "/",
        "/login?next=/albums",
        "/login?next=/%3Fphoto%3D01934a2b-7c3d-7e4f-8a9b-0c1d2e3f4a5b",
        "/?photo=01934a2b-7c3d-7e4f-8a9b-0c1d2e3f4a5b",
        "/albums/01934a2b-7c3d-7e4f-8a9b-0c1d2e3f4a5b",
        "/favorites",
        "/archive",
        "/trash",
        "/settings",
        "/admin",
        "/setup?mfa=1",
        "/security",
        "/.well-known/security.txt",
        "/static/3f9a8c7d6e5b/app.css",
        "/static/3f9a8c7d6e5b/library.js",
        "/static/3f9a8c7d6e5b/icon.svg",
        "/api/v1/assets?limit=120",
        "/api/v1/assets?limit=120&cursor=MTcxNDU2MDAwMDAwMHwwMTkzNGEyYi03YzNk",
        "/api/v1/assets?favorite=true&limit=120",
        "/api/v1/assets?archived=true&limit=120",
        "/api/v1/assets?trashed=true&limit=120",
        "/api/v1/assets?album=01934a2b-7c3d-7e4f-8a9b-0c1d2e3f4a5b&limit=1",
        "/api/v1/assets?kind=video&limit=50",
        "/api/v1/assets?to=1735689600000&limit=120",
        "/api/v1/library/months?archived=true",
        "/api/v1/library/usage",
        "/api/v1/assets/01934a2b-7c3d-7e4f-8a9b-0c1d2e3f4a5b/thumbnail",
        "/api/v1/assets/01934a2b-7c3d-7e4f-8a9b-0c1d2e3f4a5b/preview?s=ready",
        "/api/v1/assets/01934a2b-7c3d-7e4f-8a9b-0c1d2e3f4a5b/thumbnail?try=3",
        "/api/v1/assets/01934a2b-7c3d-7e4f-8a9b-0c1d2e3f4a5b/original",
        "/api/v1/assets/zip?ids=01934a2b-7c3d-7e4f-8a9b-0c1d2e3f4a5b,01934a2b-7c3d-7e4f-8a9b-0c1d2e3f4a5c",
        "/api/v1/albums",
        "/api/v1/auth/me",
        "/api/v1/auth/sessions",
        "/api/v1/auth/tokens",
        "/api/v1/admin/users",
        "/api/v1/sys/status",
        "/api/v1/sys/backup",
        "/api/openapi.json",
        "/healthz",
        "/readyz",
    ];
    for g in gets {
        check(format!("GET {g}"), "GET", g, &headers(&[]), Body::None);
    }
    let posts: [(&str, &str, serde_json::Value); 9] = [
        (
            "POST",
            "/api/v1/auth/login",
            serde_json::json!({"email": "o'brien@example.ie", "password": "'; DROP TABLE users; --", "totp": "123456"}),
        ),
        (
            "POST",
            "/api/v1/auth/login",
            serde_json::json!({"email": "ann+photos@example.org", "password": "<script>alert(1)</script> correct horse", "recovery_code": "ogb4-3q4p-kppk"}),
        ),
        (
            "POST",
            "/api/v1/auth/password",
            serde_json::json!({"current_password": "x' OR '1'='1", "new_password": "tangerine lamp over the harbour"}),
        ),
        (
            "POST",
            "/api/v1/assets/batch",
            serde_json::json!({"ids": [id, id], "action": "trash"}),
        ),
        (
            "POST",
            "/api/v1/assets/batch",
            serde_json::json!({"ids": [id], "action": "purge"}),
        ),
        (
            "POST",
            "/api/v1/admin/invites",
            serde_json::json!({"role": "user", "email": "carol@example.org"}),
        ),
        (
            "POST",
            "/api/v1/auth/tokens",
            serde_json::json!({"name": "My phone (Pixel 8)", "scope": "upload"}),
        ),
        (
            "POST",
            "/api/v1/sys/backup/verify",
            serde_json::json!({"sample": 20}),
        ),
        (
            "POST",
            "/api/v1/auth/invites/accept",
            serde_json::json!({"code": "inv_8f7e6d5c4b3a29180716", "email": "carol@example.org", "password": "a long passphrase with 'quotes'"}),
        ),
    ];
    for (m, p, b) in posts {
        let body = b.to_string();
        check(
            format!("{m} {p} {body}"),
            m,
            p,
            &h,
            Body::Json(body.as_bytes()),
        );
    }
    for ua in [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "curl/8.5.0",
        "pixelunion-cli/0.1.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    ] {
        check(
            format!("UA {ua}"),
            "GET",
            "/api/v1/assets?limit=120",
            &headers(&[("User-Agent", ua)]),
            Body::None,
        );
    }
    eprintln!("{count} ordinary requests, {} refused", refused.len());
    assert!(
        refused.is_empty(),
        "false positives:\n{}",
        refused.join("\n")
    );
}

fn base64_of(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}
