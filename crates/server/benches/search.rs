//! Search over 100,000 assets: building the index (decrypting each row's
//! file name, caption and metadata) and answering queries from it.
//! `cargo bench -p pixelunion-server --bench search`; the baseline,
//! `grep -ci` over the same text, is in `scripts/bench-search.sh`.

use criterion::{Criterion, criterion_group, criterion_main};
use pixelunion_catalog::{AssetKind, AssetRow, MediaState};
use pixelunion_server::fields::{self, Column};
use pixelunion_server::library::search::{self, Query};
use pixelunion_vault::{DataKey, KeyId};

const N: usize = 100_000;
const CAMERAS: [(&str, &str); 4] = [
    ("Canon", "Canon EOS R5"),
    ("NIKON CORPORATION", "NIKON D700"),
    ("Apple", "iPhone 15 Pro"),
    ("SONY", "ILCE-7M3"),
];
const WORDS: [&str; 8] = [
    "beach", "mountain", "birthday", "city", "snow", "garden", "concert", "harbour",
];

fn rows(key: &DataKey) -> Vec<AssetRow> {
    (0..N)
        .map(|i| {
            let id = format!("0190c0de-0000-7000-8000-{i:012}");
            let owner = "u1";
            let seal = |col, text: &str| fields::seal_text(key, col, owner, &id, text).ok();
            let (make, model) = CAMERAS[i % CAMERAS.len()];
            let taken = 1_262_304_000_000 + (i as i64) * 4_000_000; // 2010 on, every ~67 min
            // half of them with a place (near one of four towns)
            const PLACES: [(f64, f64); 4] = [
                (43.48, -1.56),
                (46.20, 6.14),
                (41.89, 12.49),
                (35.68, 139.69),
            ];
            let mut meta = serde_json::json!({"make": make, "model": model, "taken_at_ms": taken});
            if i % 2 == 0 {
                let (la, lo) = PLACES[i / 2 % PLACES.len()];
                meta["latitude"] = la.into();
                meta["longitude"] = lo.into();
            }
            let meta = meta.to_string();
            AssetRow {
                id: id.clone(),
                owner_id: owner.into(),
                blob_name: id.clone(),
                kind: if i % 10 == 0 {
                    AssetKind::Video
                } else {
                    AssetKind::Photo
                },
                mime: "image/jpeg".into(),
                size: 3_000_000,
                content_index: vec![0; 32],
                file_name: seal(Column::AssetFileName, &format!("IMG_{i:05}.jpg")),
                taken_at: Some(taken),
                uploaded_at: taken,
                sort_at: taken,
                trashed_at: None,
                favorite: i % 17 == 0,
                archived: false,
                caption: (i % 5 == 0)
                    .then(|| {
                        seal(
                            Column::AssetCaption,
                            &format!("A {} day with friends", WORDS[i % WORDS.len()]),
                        )
                    })
                    .flatten(),
                width: Some(4000),
                height: Some(3000),
                metadata: seal(Column::AssetMetadata, &meta),
                media_state: MediaState::Ready,
                media_error: None,
                blob_sha256: None,
            }
        })
        .rev() // newest first, as the catalog pages them
        .collect()
}

fn bench(c: &mut Criterion) {
    let Ok(key) = DataKey::generate(KeyId::User { generation: 1 }) else {
        return;
    };
    let rows = rows(&key);
    let mut g = c.benchmark_group("search 100k");
    g.sample_size(10);
    g.bench_function("build the index (decrypt 100k rows)", |b| {
        b.iter(|| search::index_rows(&key, &rows))
    });
    let index = search::index_rows(&key, &rows);
    g.sample_size(30);
    let words = |t: &str| Query {
        text: Some(t.into()),
        ..Query::default()
    };
    for (name, q) in [
        ("one word (beach)", words("beach")),
        ("two words (beach 2014)", words("beach 2014")),
        ("no hit (zanzibar)", words("zanzibar")),
        (
            "place (rome)",
            Query {
                place: Some("rome".into()),
                ..Query::default()
            },
        ),
        (
            "camera and year range",
            Query {
                camera: Some("d700".into()),
                from_ms: Some(1_388_534_400_000),
                to_ms: Some(1_420_070_400_000),
                ..Query::default()
            },
        ),
    ] {
        g.bench_function(name, |b| b.iter(|| search::count(&index, &q)));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
