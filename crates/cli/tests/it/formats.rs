//! The media pipeline's formats on the real binary, with the real tools:
//! an H.264 MP4 (moov at the end, rotated 90°, with capture time and place)
//! gets its metadata, a poster thumbnail and preview and plays through
//! `/playback` with Range; an HEVC MP4 is marked not web-playable and gets
//! a transcoded H.264/AAC MP4; HEIC and AVIF pictures render through
//! libheif's tools; a DNG through its embedded preview; a JPEG's XMP fills
//! the date EXIF lacks; an embedded ICC profile is converted to sRGB.
//! Hostile versions of each fail with a reason and keep their original.
//! Nothing readable reaches the disk.

use crate::harness::*;

use pixelunion_media::fixtures;
use serde_json::Value;

fn ffprobe_codecs(bytes: &[u8], dir: &std::path::Path) -> (String, String) {
    let f = dir.join("probe.mp4");
    std::fs::write(&f, bytes).unwrap();
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-print_format", "json", "-show_streams"])
        .arg(&f)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    let codec = |t: &str| {
        v["streams"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["codec_type"] == t)
            .and_then(|s| s["codec_name"].as_str())
            .unwrap_or("")
            .to_string()
    };
    (codec("video"), codec("audio"))
}

fn dims(jpeg: &[u8]) -> (u32, u32) {
    let i = image::load_from_memory(jpeg).expect("a picture");
    (i.width(), i.height())
}

#[test]
fn videos_posters_playback_and_transcoding() {
    if !media_tools("videos_posters_playback_and_transcoding") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let made = dir.path().join("gen");
    std::fs::create_dir(&made).unwrap();
    let p = |n: &str| made.join(n).to_string_lossy().into_owned();
    // 640×360 H.264 + AAC, 3 s, moov at the end, then remuxed with a 90° rotation.
    make_video(
        &made.join("a.mp4"),
        "640x360",
        3,
        false,
        true,
        &[
            "-metadata",
            "creation_time=2021-07-14T16:30:00Z",
            "-metadata",
            "location=+48.8584+002.2945/",
        ],
    );
    run_ok(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-y",
            "-i",
            &p("a.mp4"),
            "-c",
            "copy",
            "-map_metadata",
            "0",
            "-metadata:s:v:0",
            "rotate=90",
            &p("rotated.mp4"),
        ],
    );
    // 320×240 HEVC, 1 s: not web-playable.
    make_video(&made.join("hevc.mp4"), "320x240", 1, true, true, &[]);
    let rotated = std::fs::read(p("rotated.mp4")).unwrap();
    let hevc = std::fs::read(p("hevc.mp4")).unwrap();

    let s = Server::start(&data);
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    let up = dir.path().join("up");
    std::fs::create_dir(&up).unwrap();
    let a = upload(&s, &ann, "holiday.mp4", &rotated);
    let b = upload(&s, &ann, "phone.mp4", &hevc);

    let v = settled(&s, &ann, &a);
    assert_eq!(v["media"]["state"], "ready", "{v}");
    assert_eq!(v["taken_at"], 1_626_280_200_000i64, "{v}");
    assert_eq!(
        (v["width"].as_i64(), v["height"].as_i64()),
        (Some(360), Some(640)),
        "rotation applied: {v}"
    );
    let m = &v["metadata"];
    assert_eq!(m["video_codec"], "h264", "{m}");
    assert_eq!(m["audio_codec"], "aac", "{m}");
    assert_eq!(m["web_playable"], true, "{m}");
    assert!(
        (m["duration_ms"].as_i64().unwrap() - 3000).abs() < 100,
        "{m}"
    );
    assert!(
        (m["latitude"].as_f64().unwrap() - 48.8584).abs() < 1e-4,
        "{m}"
    );
    let (head, thumb) = get_bytes(&s, &ann, &format!("/api/v1/assets/{a}/thumbnail"), &[]);
    assert!(head.contains("content-type: image/jpeg"), "{head}");
    assert_eq!(dims(&thumb), (250, 444), "a portrait poster");
    let (_, prev) = get_bytes(&s, &ann, &format!("/api/v1/assets/{a}/preview"), &[]);
    assert_eq!(dims(&prev), (360, 640), "never upscaled");
    // Played as it is, with Range.
    let (head, part) = get_bytes(
        &s,
        &ann,
        &format!("/api/v1/assets/{a}/playback"),
        &["-H", "range: bytes=1000-1999"],
    );
    assert!(head.starts_with("http/1.1 206"), "{head}");
    assert!(head.contains("content-type: video/mp4"), "{head}");
    assert_eq!(part, &rotated[1000..2000]);

    // HEVC: not web-playable, so a transcode job makes an H.264/AAC MP4.
    let v = settled(&s, &ann, &b);
    assert_eq!(v["media"]["state"], "ready", "{v}");
    assert_eq!(v["metadata"]["web_playable"], false, "{v}");
    assert_eq!(v["metadata"]["video_codec"], "hevc", "{v}");
    let mut converted = Vec::new();
    wait_secs("the transcode", 120, || {
        let (head, body) = get_bytes(&s, &ann, &format!("/api/v1/assets/{b}/playback"), &[]);
        let ok = head.starts_with("http/1.1 200") && body != hevc;
        if ok {
            converted = body;
        }
        ok
    });
    assert_eq!(
        ffprobe_codecs(&converted, dir.path()),
        ("h264".to_string(), "aac".to_string())
    );
    let (head, part) = get_bytes(
        &s,
        &ann,
        &format!("/api/v1/assets/{b}/playback"),
        &["-H", "range: bytes=-100"],
    );
    assert!(head.starts_with("http/1.1 206"), "{head}");
    assert_eq!(part, &converted[converted.len() - 100..]);
    // The original is untouched.
    let (_, orig) = get_bytes(&s, &ann, &format!("/api/v1/assets/{b}/original"), &[]);
    assert!(orig == hevc);
    // A photo has no playback; another user's video is a 404.
    let (_, bob) = new_user(&s, &admin, "bob@example.org");
    let (st, _) = s.api(
        "GET",
        &format!("/api/v1/assets/{b}/playback"),
        Some(&bob),
        None,
    );
    assert_eq!(st, 404);

    // A truncated MP4 (moov lost): failed with a reason, original kept.
    let cut = &rotated[..rotated.len() / 2];
    let c = upload(&s, &ann, "cut.mp4", cut);
    let v = settled(&s, &ann, &c);
    assert_eq!(v["media"]["state"], "failed", "{v}");
    assert!(
        v["media"]["error"].as_str().unwrap().contains("ffprobe"),
        "{v}"
    );
    let (_, orig) = get_bytes(&s, &ann, &format!("/api/v1/assets/{c}/original"), &[]);
    assert!(orig == cut);

    // Nothing readable on disk: no frame of the videos, no place, no date,
    // no codec names from the files, and the playback file is ciphertext.
    let log = s.stop();
    let needles: Vec<&[u8]> = vec![
        b"+48.8584",
        b"2021-07-14",
        b"Lavf",
        b"ftypisom",
        b"hvc1",
        &converted[converted.len() - 64..],
        &rotated[rotated.len() - 64..],
    ];
    for f in files_under(&data) {
        let bytes = std::fs::read(&f).unwrap();
        for n in &needles {
            assert!(
                !bytes.windows(n.len()).any(|w| w == *n),
                "{} holds plaintext {:?}",
                f.display(),
                String::from_utf8_lossy(n)
            );
        }
    }
    assert!(
        !log.windows(8).any(|w| w == b"+48.8584"),
        "the log names a place"
    );
}

#[test]
fn heif_avif_raw_xmp_and_colour() {
    if !media_tools("heif_avif_raw_xmp_and_colour") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let made = dir.path().join("gen");
    std::fs::create_dir(&made).unwrap();
    let p = |n: &str| made.join(n).to_string_lossy().into_owned();
    // A 1600×1200 PNG encoded as HEIC and AVIF by libheif's encoder.
    let png = image::RgbImage::from_fn(1600, 1200, |x, y| {
        image::Rgb([(x / 7) as u8, (y / 5) as u8, 120])
    });
    png.save(p("src.png")).unwrap();
    run_ok(
        "heif-enc",
        &["-q", "60", &p("src.png"), "-o", &p("pic.heic")],
    );
    run_ok(
        "heif-enc",
        &["-q", "60", "-A", &p("src.png"), "-o", &p("pic.avif")],
    );
    let heic = std::fs::read(p("pic.heic")).unwrap();
    let avif = std::fs::read(p("pic.avif")).unwrap();
    let dng = fixtures::dng(
        &fixtures::plain_jpeg(1200, 800, 9),
        1200,
        800,
        6000,
        4000,
        8,
    );
    let xmp_only = fixtures::jpeg_with(
        &fixtures::plain_jpeg(400, 300, 3),
        None,
        Some(
            r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:DateTimeOriginal="2019-03-02T10:00:00-05:00" exif:GPSLatitude="33,52.128S" exif:GPSLongitude="151,12.558E"/></rdf:RDF></x:xmpmeta>"#,
        ),
        None,
    );
    let red = {
        let img = image::RgbImage::from_pixel(300, 200, image::Rgb([230, 20, 20]));
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95)
            .encode(img.as_raw(), 300, 200, image::ExtendedColorType::Rgb8)
            .unwrap();
        fixtures::jpeg_with(&out, None, None, Some(&fixtures::icc_swapped_red_green()))
    };

    let s = Server::start(&data);
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    let up = dir.path().join("up");
    std::fs::create_dir(&up).unwrap();
    let ids: Vec<(String, &str)> = [
        ("pic.heic", &heic[..]),
        ("pic.avif", &avif[..]),
        ("raw.dng", &dng[..]),
        ("xmp.jpg", &xmp_only[..]),
        ("p3.jpg", &red[..]),
    ]
    .iter()
    .map(|(n, b)| (upload(&s, &ann, n, b), *n))
    .collect();
    for (id, name) in &ids {
        let v = settled(&s, &ann, id);
        assert_eq!(v["media"]["state"], "ready", "{name}: {v}");
    }
    let thumb = |id: &str| get_bytes(&s, &ann, &format!("/api/v1/assets/{id}/thumbnail"), &[]).1;
    let preview = |id: &str| get_bytes(&s, &ann, &format!("/api/v1/assets/{id}/preview"), &[]).1;
    for (id, _) in &ids[..2] {
        let v = settled(&s, &ann, id);
        assert_eq!(
            (v["width"].as_i64(), v["height"].as_i64()),
            (Some(1600), Some(1200)),
            "{v}"
        );
        assert_eq!(dims(&thumb(id)), (333, 250));
        assert_eq!(dims(&preview(id)), (1440, 1080));
    }
    // DNG: the embedded preview, orientation 8 (rotate 90° counter-clockwise).
    assert_eq!(dims(&preview(&ids[2].0)), (800, 1200));
    let v = settled(&s, &ann, &ids[2].0);
    assert_eq!(v["metadata"]["make"], "PixelRaw", "{v}");
    // XMP: the date and place EXIF did not give.
    let v = settled(&s, &ann, &ids[3].0);
    assert_eq!(v["taken_at"], 1_551_538_800_000i64, "{v}");
    assert!(
        (v["metadata"]["latitude"].as_f64().unwrap() + 33.8688).abs() < 1e-4,
        "{v}"
    );
    // ICC: stored red under a profile whose first channel is green → green in sRGB.
    let t = image::load_from_memory(&thumb(&ids[4].0))
        .unwrap()
        .to_rgb8();
    let px = t.get_pixel(t.width() / 2, t.height() / 2).0;
    assert!(px[1] > 150 && px[0] < 100, "converted to sRGB: {px:?}");

    // Hostile: a truncated HEIC, and a DNG whose preview is cut off.
    let cut_heic = &heic[..heic.len() / 2];
    let mut bad_dng = dng.clone();
    bad_dng.truncate(dng.len() - 2000);
    for (name, bytes) in [("cut.heic", cut_heic), ("cut.dng", &bad_dng[..])] {
        let id = upload(&s, &ann, name, bytes);
        let v = settled(&s, &ann, &id);
        assert_ne!(v["media"]["state"], "ready", "{name}: {v}");
        assert!(
            v["media"]["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{name}: {v}"
        );
        let (_, orig) = get_bytes(&s, &ann, &format!("/api/v1/assets/{id}/original"), &[]);
        assert!(orig == bytes, "{name}: the original stays downloadable");
    }
    drop(s);
    // libheif never wrote a decoded picture anywhere we can see.
    for f in files_under(&data) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(8).any(|w| w == b"\x89PNG\r\n\x1a\n"),
            "{} holds a PNG",
            f.display()
        );
        assert!(
            !bytes.windows(4).any(|w| w == b"ftyp"),
            "{} holds a HEIF header",
            f.display()
        );
    }
}
