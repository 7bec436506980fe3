//! A mixed import of a few hundred generated files on the real binary: JPEGs
//! with EXIF dates and every orientation (some dated only by XMP), PNG,
//! GIF, WebP, TIFF, DNG, HEIC and videos, uploaded four at a time, plus a
//! hostile set. Every readable file ends `ready` with the right date,
//! displayed size, thumbnail and preview sizes; every hostile one ends
//! `failed` (or is refused at upload) with its original intact.

use crate::harness::*;

use pixelunion_media::fixtures::{self, ExifSpec};
use serde_json::Value;

struct Item {
    name: String,
    bytes: Vec<u8>,
    /// displayed size (orientation applied)
    size: Option<(u32, u32)>,
    /// capture time, unix ms
    taken: Option<i64>,
    /// hostile: must fail
    hostile: bool,
}

fn fit(w: u32, h: u32, limit: u32, short: bool) -> (u32, u32) {
    let s = if short { w.min(h) } else { w.max(h) };
    if s <= limit {
        return (w, h);
    }
    let f = f64::from(limit) / f64::from(s);
    (
        ((f64::from(w) * f).round() as u32).max(1),
        ((f64::from(h) * f).round() as u32).max(1),
    )
}

fn encode(img: &image::RgbImage, f: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    if f == image::ImageFormat::WebP {
        let rgba = image::DynamicImage::ImageRgb8(img.clone()).to_rgba8();
        image::codecs::webp::WebPEncoder::new_lossless(&mut out)
            .encode(
                rgba.as_raw(),
                rgba.width(),
                rgba.height(),
                image::ExtendedColorType::Rgba8,
            )
            .unwrap();
    } else {
        img.write_to(&mut out, f).unwrap();
    }
    out.into_inner()
}

fn items(tools: bool, tmp: &std::path::Path) -> Vec<Item> {
    let day = 86_400_000i64;
    let base = 1_420_070_400_000i64; // 2015-01-01 00:00 UTC
    let mut v = Vec::new();
    for i in 0..220u32 {
        let (w, h) = (160 + (i % 7) * 80, 120 + (i % 5) * 60);
        let o = (i % 8 + 1) as u16;
        let when = base + i64::from(i) * day + 3_600_000;
        let date = chrono::DateTime::from_timestamp_millis(when).unwrap();
        let plain = fixtures::plain_jpeg(w, h, i as u8);
        let bytes = if i % 10 == 9 {
            // dated only by XMP (with an offset: 03:00 at +02:00 = 01:00 UTC)
            let local = date + chrono::Duration::hours(2);
            let xmp = format!(
                r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" exif:DateTimeOriginal="{}+02:00" tiff:Orientation="{o}"/></rdf:RDF></x:xmpmeta>"#,
                local.format("%Y-%m-%dT%H:%M:%S")
            );
            fixtures::jpeg_with(&plain, None, Some(&xmp), None)
        } else {
            let exif = fixtures::exif_block(&ExifSpec {
                orientation: Some(o),
                taken: Some(date.format("%Y:%m:%d %H:%M:%S").to_string()),
                offset: Some("+00:00".into()),
                ..ExifSpec::default()
            });
            fixtures::jpeg_with(&plain, Some(&exif), None, None)
        };
        let size = if o >= 5 { (h, w) } else { (w, h) };
        v.push(Item {
            name: format!("IMG_{i:04}.JPG"),
            bytes,
            size: Some(size),
            taken: Some(when),
            hostile: false,
        });
    }
    let formats = [
        (image::ImageFormat::Png, "png", 30),
        (image::ImageFormat::Gif, "gif", 15),
        (image::ImageFormat::WebP, "webp", 15),
        (image::ImageFormat::Tiff, "tif", 8),
    ];
    for (f, ext, n) in formats {
        for i in 0..n {
            let (w, h) = (200 + i * 37, 150 + i * 23);
            let img =
                image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x + i) as u8, y as u8, 60]));
            v.push(Item {
                name: format!("pic{i}.{ext}"),
                bytes: encode(&img, f),
                size: Some((w, h)),
                taken: None,
                hostile: false,
            });
        }
    }
    // A JPEG named .png: the content decides.
    v.push(Item {
        name: "really-a-jpeg.png".into(),
        bytes: fixtures::plain_jpeg(300, 200, 7),
        size: Some((300, 200)),
        taken: None,
        hostile: false,
    });
    for i in 0..5u32 {
        let (pw, ph) = (900 + i * 10, 600);
        let dng = fixtures::dng(
            &fixtures::plain_jpeg(pw, ph, i as u8),
            pw,
            ph,
            6000,
            4000,
            1,
        );
        v.push(Item {
            name: format!("RAW_{i}.DNG"),
            bytes: dng,
            size: Some((pw, ph)),
            taken: None,
            hostile: false,
        });
    }
    if tools {
        for i in 0..5u32 {
            let (w, h) = (480 + i * 16, 320);
            let src = tmp.join(format!("h{i}.png"));
            image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, (y + i) as u8, 30]))
                .save(&src)
                .unwrap();
            let out = tmp.join(format!("h{i}.heic"));
            run_ok(
                "heif-enc",
                &[
                    "-q",
                    "50",
                    src.to_str().unwrap(),
                    "-o",
                    out.to_str().unwrap(),
                ],
            );
            v.push(Item {
                name: format!("IMG_{i}.HEIC"),
                bytes: std::fs::read(&out).unwrap(),
                size: Some((w, h)),
                taken: None,
                hostile: false,
            });
        }
        for i in 0..3u32 {
            let out = tmp.join(format!("v{i}.mp4"));
            make_video(&out, &format!("{}x240", 320 + i * 32), 1, false, false, &[]);
            v.push(Item {
                name: format!("VID_{i}.mp4"),
                bytes: std::fs::read(&out).unwrap(),
                size: Some((320 + i * 32, 240)),
                taken: None,
                hostile: false,
            });
        }
    }
    // Hostile set.
    let full = fixtures::plain_jpeg(800, 600, 1);
    for (i, cut) in [10usize, 400, full.len() / 2].into_iter().enumerate() {
        v.push(Item {
            name: format!("cut{i}.jpg"),
            bytes: full[..cut].to_vec(),
            size: None,
            taken: None,
            hostile: true,
        });
    }
    for side in [100_000u32, 30_000] {
        v.push(Item {
            name: format!("bomb{side}.png"),
            bytes: fixtures::png_bomb(side),
            size: None,
            taken: None,
            hostile: true,
        });
    }
    // A JPEG whose frame header claims 65,500 × 65,500 pixels.
    let mut huge = fixtures::plain_jpeg(64, 64, 2);
    if let Some(sof) = huge.windows(2).position(|w| w == [0xFF, 0xC0]) {
        huge[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xDC, 0xFF, 0xDC]);
    }
    v.push(Item {
        name: "absurd.jpg".into(),
        bytes: huge,
        size: None,
        taken: None,
        hostile: true,
    });
    // A JPEG with a 60 KB EXIF block of junk: not hostile to us, just ignored.
    let junk = fixtures::jpeg_with(
        &fixtures::plain_jpeg(120, 90, 5),
        Some(&vec![0x41; 60_000]),
        None,
        None,
    );
    v.push(Item {
        name: "big-exif.jpg".into(),
        bytes: junk,
        size: Some((120, 90)),
        taken: None,
        hostile: false,
    });
    v.push(Item {
        name: "noise.mp4".into(),
        bytes: noise_video(50_000, 9),
        size: None,
        taken: None,
        hostile: true,
    });
    v
}

#[test]
fn a_mixed_import_of_hundreds_of_files() {
    let tools = media_tools("a_mixed_import_of_hundreds_of_files (HEIC and video part)");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let made = dir.path().join("made");
    std::fs::create_dir(&made).unwrap();
    let items = items(tools, &made);
    assert!(items.len() >= 300, "{} files", items.len());
    let s = Server::start(&data);
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");

    // Refused at the door: empty and non-media files (whatever their names).
    for (name, bytes) in [
        ("empty.jpg", &b""[..]),
        ("notes.jpg", &b"just some text, not a photo"[..]),
    ] {
        let st = s
            .call("POST", "/api/v1/assets")
            .bearer(&ann)
            .header("x-file-name", name)
            .bytes(bytes.to_vec())
            .send()
            .status;
        assert!((400..500).contains(&st), "{name}: {st}");
    }

    let started = std::time::Instant::now();
    let ids: Vec<String> = std::thread::scope(|sc| {
        let chunks: Vec<_> = items.chunks(items.len().div_ceil(4)).enumerate().collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|(_, chunk)| {
                let (s, ann) = (&s, &ann);
                sc.spawn(move || {
                    chunk
                        .iter()
                        .map(|it| upload(s, ann, &it.name, &it.bytes))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let uploaded = started.elapsed();
    let mut states = Vec::new();
    wait_secs("every media job", 600, || {
        states = ids
            .iter()
            .map(|id| {
                s.api("GET", &format!("/api/v1/assets/{id}"), Some(&ann), None)
                    .1
            })
            .collect::<Vec<Value>>();
        states.iter().all(|v| v["media"]["state"] != "pending")
    });
    eprintln!(
        "{} files uploaded in {:.1} s, all processed after {:.1} s",
        ids.len(),
        uploaded.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    for ((it, id), v) in items.iter().zip(&ids).zip(&states) {
        let name = &it.name;
        if it.hostile {
            assert_eq!(v["media"]["state"], "failed", "{name}: {v}");
            assert!(
                v["media"]["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{name}"
            );
            let (_, orig) = get_bytes(&s, &ann, &format!("/api/v1/assets/{id}/original"), &[]);
            assert!(orig == it.bytes, "{name}: original intact");
            continue;
        }
        assert_eq!(v["media"]["state"], "ready", "{name}: {v}");
        let (w, h) = it.size.unwrap();
        assert_eq!(
            (v["width"].as_u64(), v["height"].as_u64()),
            (Some(u64::from(w)), Some(u64::from(h))),
            "{name}: {v}"
        );
        if let Some(t) = it.taken {
            assert_eq!(v["taken_at"].as_i64(), Some(t), "{name}: {v}");
        }
        let (_, thumb) = get_bytes(&s, &ann, &format!("/api/v1/assets/{id}/thumbnail"), &[]);
        let (_, prev) = get_bytes(&s, &ann, &format!("/api/v1/assets/{id}/preview"), &[]);
        let t = image::load_from_memory(&thumb).unwrap_or_else(|e| panic!("{name}: thumbnail {e}"));
        let p = image::load_from_memory(&prev).unwrap_or_else(|e| panic!("{name}: preview {e}"));
        let (pw, ph) = fit(w, h, 1440, false);
        // a resize rounds each side once: allow one pixel
        let near = |a: (u32, u32), b: (u32, u32)| a.0.abs_diff(b.0) <= 1 && a.1.abs_diff(b.1) <= 1;
        assert!(
            near((p.width(), p.height()), (pw, ph)),
            "{name}: preview {}x{}",
            p.width(),
            p.height()
        );
        assert!(
            near((t.width(), t.height()), fit(pw, ph, 250, true)),
            "{name}: thumbnail {}x{}",
            t.width(),
            t.height()
        );
    }
    // The timeline is ordered by capture time: the newest dated JPEG first
    // among the dated ones.
    let (_, months) = s.api("GET", "/api/v1/library/months", Some(&ann), None);
    let total: i64 = months["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["count"].as_i64().unwrap())
        .sum();
    assert_eq!(total, ids.len() as i64, "{months}");
}

/// Writes the photos of this generator (no videos, nothing hostile) into
/// `PIXELUNION_BENCH_IMPORT_DIR`, `PIXELUNION_BENCH_IMPORT_COUNT` of them
/// (default 1,000): after the first round, copies of the JPEG, PNG, GIF,
/// TIFF and DNG files made distinct by trailing bytes (which decoders
/// ignore), so that none is a duplicate. For `scripts/bench-import.py`.
#[test]
#[ignore = "writes the corpus of scripts/bench-import.py"]
fn write_bench_corpus() {
    let Some(out) = std::env::var_os("PIXELUNION_BENCH_IMPORT_DIR") else {
        eprintln!("SKIPPED write_bench_corpus: set PIXELUNION_BENCH_IMPORT_DIR");
        return;
    };
    let out = std::path::PathBuf::from(out);
    let count: usize = std::env::var("PIXELUNION_BENCH_IMPORT_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let tools = media_tools("write_bench_corpus (HEIC part)");
    let made = tempfile::tempdir().unwrap();
    let photos: Vec<Item> = items(tools, made.path())
        .into_iter()
        .filter(|i| !i.hostile && !i.name.ends_with(".mp4"))
        .collect();
    std::fs::create_dir_all(&out).unwrap();
    let mut written = 0;
    for item in &photos {
        if written == count {
            break;
        }
        std::fs::write(out.join(&item.name), &item.bytes).unwrap();
        written += 1;
    }
    let copyable: Vec<&Item> = photos
        .iter()
        .filter(|i| {
            let n = i.name.to_ascii_lowercase();
            [".jpg", ".png", ".gif", ".tif", ".dng"]
                .iter()
                .any(|e| n.ends_with(e))
        })
        .collect();
    let mut round = 1u32;
    while written < count {
        for item in &copyable {
            if written == count {
                break;
            }
            let mut bytes = item.bytes.clone();
            bytes.extend_from_slice(format!("copy {round}").as_bytes());
            std::fs::write(out.join(format!("c{round}-{}", item.name)), bytes).unwrap();
            written += 1;
        }
        round += 1;
    }
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), count);
}
