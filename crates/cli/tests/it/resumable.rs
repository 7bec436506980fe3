//! Resumable uploads (tus 1.0.0: core, creation, termination) on the real
//! binary: discovery, creation checks, offsets, a connection dropped in the
//! middle of a PATCH (what arrived is kept and the upload resumes from the
//! offset HEAD reports), assembly into an asset that downloads byte for
//! byte, duplicates, termination, a finished file that is not a photo, and
//! the content hash carried from one PATCH to the next (and dropped by a
//! seal).

use crate::harness::tus::*;
use crate::harness::*;

#[test]
fn tus_upload_survives_a_dropped_connection() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data);
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");

    // Discovery.
    let (st, h) = tus(&s, &ann, "OPTIONS", "/api/v1/uploads", &[]);
    assert_eq!(st, 204, "{h}");
    assert_eq!(header(&h, "tus-version").as_deref(), Some("1.0.0"));
    assert_eq!(
        header(&h, "tus-extension").as_deref(),
        Some("creation,termination")
    );
    assert!(header(&h, "tus-max-size").is_some());

    // Creation needs the version and a length.
    let r = s
        .call("POST", "/api/v1/uploads")
        .bearer(&ann)
        .header("upload-length", "10")
        .send();
    assert_eq!(r.status, 412, "{}", r.text());
    assert_eq!(r.header("tus-version"), Some("1.0.0"));
    assert_eq!(tus(&s, &ann, "POST", "/api/v1/uploads", &[]).0, 400);
    assert_eq!(
        tus(
            &s,
            &ann,
            "POST",
            "/api/v1/uploads",
            &["-H", "upload-length: 0"]
        )
        .0,
        400
    );
    assert_eq!(
        tus(
            &s,
            &ann,
            "POST",
            "/api/v1/uploads",
            &["-H", "upload-defer-length: 1"]
        )
        .0,
        400
    );

    let file = noise_video(6 << 20, 0);
    let loc = create(&s, &ann, file.len(), "holiday.mp4");
    assert_eq!(offset_of(&s, &ann, &loc), 0);

    // First 1 MiB.
    let (st, h) = patch(&s, &ann, &loc, 0, &file[..1 << 20]);
    assert_eq!(st, 204, "{h}");
    assert_eq!(header(&h, "upload-offset"), Some((1 << 20).to_string()));
    // A wrong offset or content type is refused and changes nothing.
    assert_eq!(patch(&s, &ann, &loc, 0, &file[..10]).0, 409);
    let r = s
        .call("PATCH", &loc)
        .bearer(&ann)
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", "1048576")
        .bytes(b"x".to_vec())
        .send();
    assert_eq!(r.status, 415);
    assert_eq!(offset_of(&s, &ann, &loc), 1 << 20);

    // The rest over a slow link that is cut after ~1 s: what arrived is kept.
    let r = patch_call(&s, &ann, &loc, 1 << 20)
        .reader(throttled(file[1 << 20..].to_vec(), 1 << 20))
        .timeout(std::time::Duration::from_millis(1500))
        .send();
    assert_eq!(r.status, 0, "the client gave up mid-body: {}", r.text());
    let mut kept = 0;
    for _ in 0..50 {
        kept = offset_of(&s, &ann, &loc);
        if kept > 1 << 20 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(kept > 1 << 20 && kept < file.len(), "resumes from {kept}");
    eprintln!(
        "dropped connection kept {} of {} bytes",
        kept - (1 << 20),
        file.len() - (1 << 20)
    );

    // Resume from there: the last PATCH assembles the asset.
    let (st, h) = patch(&s, &ann, &loc, kept, &file[kept..]);
    assert_eq!(st, 204, "{h}");
    assert_eq!(header(&h, "upload-offset"), Some(file.len().to_string()));
    let asset = header(&h, "pixelunion-asset-id").expect("asset id");
    let (_, hh) = tus(&s, &ann, "HEAD", &loc, &[]);
    assert_eq!(
        header(&hh, "pixelunion-asset-id").as_deref(),
        Some(asset.as_str()),
        "HEAD reports it too"
    );
    let (st, v) = s.api("GET", &format!("/api/v1/assets/{asset}"), Some(&ann), None);
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (
            v["file_name"].as_str(),
            v["kind"].as_str(),
            v["size"].as_u64()
        ),
        (Some("holiday.mp4"), Some("video"), Some(file.len() as u64))
    );
    let (_, original) = get_bytes(&s, &ann, &format!("/api/v1/assets/{asset}/original"), &[]);
    assert!(original == file, "the assembled original is byte-exact");
    assert_eq!(
        (
            resumable_completed(&s, "parts"),
            resumable_completed(&s, "carried"),
            resumable_completed(&s, "rehashed")
        ),
        (1.0, 0.0, 0.0),
        "kept as its parts, hashed as the pieces arrived, the one cut short included"
    );
    // A repeated final PATCH is answered idempotently.
    let (st, h) = patch(&s, &ann, &loc, file.len(), b"");
    assert_eq!(
        (st, header(&h, "pixelunion-asset-id")),
        (204, Some(asset.clone()))
    );

    // The same bytes again: the existing asset (the hash carried across the
    // PATCHes, the cut one included, is the file's).
    let loc2 = create(&s, &ann, file.len(), "again.mp4");
    let (st, h) = patch(&s, &ann, &loc2, 0, &file);
    assert_eq!(
        (st, header(&h, "pixelunion-asset-id")),
        (204, Some(asset.clone()))
    );

    // Another user cannot see, write or end it.
    let (_, bob) = new_user(&s, &admin, "bob@example.org");
    let loc3 = create(&s, &ann, 1000, "x.jpg");
    assert_eq!(tus(&s, &bob, "HEAD", &loc3, &[]).0, 404);
    assert_eq!(patch(&s, &bob, &loc3, 0, b"abc").0, 404);
    assert_eq!(tus(&s, &bob, "DELETE", &loc3, &[]).0, 404);

    // Termination deletes what was received.
    assert_eq!(
        patch(&s, &ann, &loc3, 0, &[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3],).0,
        204
    );
    assert_eq!(tus(&s, &ann, "DELETE", &loc3, &[]).0, 204);
    assert_eq!(tus(&s, &ann, "HEAD", &loc3, &[]).0, 404);

    // More bytes than declared: refused beyond the length.
    let loc4 = create(&s, &ann, 100, "y.jpg");
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
    jpeg.resize(150, 7);
    assert_eq!(patch(&s, &ann, &loc4, 0, &jpeg).0, 413);

    // A finished file that is not a photo or video: 415 and the upload is gone.
    let loc5 = create(&s, &ann, 20, "notes.jpg");
    let (st, _) = patch(&s, &ann, &loc5, 0, b"%PDF-1.7 not a photo");
    assert_eq!(st, 415);
    assert_eq!(tus(&s, &ann, "HEAD", &loc5, &[]).0, 404);
    assert_eq!(
        resumable_completed(&s, "adopted"),
        1.0,
        "the one-PATCH duplicate counts; the refused file does not"
    );

    // Only ciphertext ever reached the store; once the jobs ran, the parts
    // no asset keeps are gone.
    let video_blobs = 1 + Db::open(&data).int(&format!(
        "SELECT COUNT(*) FROM asset_parts WHERE asset_id = '{asset}'"
    )) as usize;
    assert_eq!(video_blobs, 3, "the video is its three parts");
    let primary = data.join("blobs/primary");
    for _ in 0..100 {
        let n = store_objects(&primary).len();
        // the video's parts, plus the 100 bytes kept of the over-long
        // upload (one part)
        if n == video_blobs + 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(
        store_objects(&primary).len(),
        video_blobs + 1,
        "parts of finished and ended uploads are deleted, an original's are kept"
    );
    for f in files_under(&data) {
        let b = std::fs::read(&f).unwrap();
        assert!(
            !b.windows(4096).any(|w| w == &file[8192..8192 + 4096]),
            "plaintext in {}",
            f.display()
        );
        assert!(
            !b.windows(11).any(|w| w == b"holiday.mp4"),
            "file name in {}",
            f.display()
        );
    }
    let _ = s.stop();
}

/// An upload is stored once, however it was sent. One sent in one PATCH:
/// its part, encrypted for the upload's id, is adopted as the original and
/// the asset takes that id (the object's name stays random). One sent in
/// several: its parts are kept as they are, the first (bound to the
/// upload's id) named by the asset and the others listed as its later
/// parts. Parts from before their checksums were kept are assembled into a
/// new blob, as before. All download byte for byte, also in ranges across
/// the parts' boundaries, and leave no part behind.
#[test]
fn an_upload_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data);
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    let db = Db::open(&data);

    let mut ids = Vec::new();
    // (seed, pieces, checksums of the parts forgotten before the last PATCH)
    for (seed, pieces, legacy) in [(1u32, 1usize, false), (2, 3, false), (3, 3, true)] {
        let file = noise_video(3 << 20, seed);
        let loc = create(&s, &ann, file.len(), "clip.mp4");
        let upload = loc.rsplit('/').next().expect("upload id").to_string();
        let step = file.len().div_ceil(pieces);
        let mut h = String::new();
        for at in (0..file.len()).step_by(step) {
            if legacy && at + step >= file.len() {
                db.exec(&format!(
                    "UPDATE upload_parts SET sha256 = NULL WHERE upload_id = '{upload}'"
                ));
            }
            let (st, hh) = patch(&s, &ann, &loc, at, &file[at..(at + step).min(file.len())]);
            assert_eq!(st, 204, "{hh}");
            h = hh;
        }
        let asset = header(&h, "pixelunion-asset-id").expect("asset id");
        assert_eq!(
            asset == upload,
            !legacy,
            "the first part, bound to the upload's id, is the original's ({pieces} pieces)"
        );
        let blob = db.texts(&format!(
            "SELECT blob_name FROM assets WHERE id = '{asset}'"
        ));
        assert_eq!(blob.len(), 1);
        let later = db.texts(&format!(
            "SELECT blob_name FROM asset_parts WHERE asset_id = '{asset}' ORDER BY seq"
        ));
        let want_later = if legacy { 0 } else { pieces - 1 };
        assert_eq!(later.len(), want_later, "{pieces} pieces, legacy {legacy}");
        for id in [&asset, &upload] {
            for b in blob.iter().chain(&later) {
                assert_ne!(
                    *b,
                    id.replace('-', ""),
                    "an object name never repeats an id"
                );
            }
        }
        let path = format!("/api/v1/assets/{asset}/original");
        let (_, original) = get_bytes(&s, &ann, &path, &[]);
        assert!(original == file, "byte-exact ({pieces} pieces)");
        // Ranges inside one part, across a boundary, and the last byte.
        for (from, to) in [
            (10, 20),
            (step - 5, step + 5),
            (step - 1, 2 * step + 1),
            (0, file.len() - 1),
            (file.len() - 1, file.len() - 1),
        ] {
            let to = to.min(file.len() - 1);
            let range = format!("range: bytes={from}-{to}");
            let (head, got) = get_bytes(&s, &ann, &path, &["-H", &range]);
            assert!(head.starts_with("http/1.1 206"), "{range}: {head}");
            assert!(got == file[from..=to], "{range} ({pieces} pieces)");
        }
        ids.push((asset, blob.into_iter().chain(later).collect::<Vec<_>>()));
    }
    assert_eq!(resumable_completed(&s, "adopted"), 1.0);
    assert_eq!(resumable_completed(&s, "parts"), 1.0);
    assert_eq!(resumable_completed(&s, "carried"), 1.0);
    // The completed uploads keep no parts, and the originals stay.
    assert_eq!(db.int("SELECT COUNT(*) FROM upload_parts"), 0);
    let primary = data.join("blobs/primary");
    for _ in 0..100 {
        if db.int("SELECT COUNT(*) FROM jobs WHERE kind = 'drop-primary'") == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let names: Vec<String> = store_objects(&primary)
        .iter()
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    for (asset, blobs) in &ids {
        for blob in blobs {
            assert!(names.contains(blob), "a blob of {asset}'s original is kept");
        }
        let (_, original) = get_bytes(&s, &ann, &format!("/api/v1/assets/{asset}/original"), &[]);
        assert_eq!(original.len(), 3 << 20);
    }
    // Nothing else: the legacy upload's parts were dropped after assembly.
    let kept: usize = ids.iter().map(|(_, b)| b.len()).sum();
    assert_eq!(names.len(), kept, "{names:?}");
    let _ = s.stop();
}

/// An upload sent in several PATCHes is hashed piece by piece as it
/// arrives, the hash kept in the node's memory between PATCHes: keeping
/// its parts as the original hashes nothing again, and the same bytes sent
/// again in pieces are known as a duplicate before anything is recorded. A
/// seal between two PATCHes drops the hash: the upload is then hashed by
/// reading its parts back, with the same result. Checked by what the hash decides (a
/// one-PATCH upload of the same bytes, hashed on its own, is found to be
/// the same asset) and by the server's count of how each upload ended.
#[test]
fn pieces_are_hashed_as_they_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data);
    let admin = first_admin(&s);
    let share = shares_printed(&s).remove(0);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    let once = |file: &[u8]| in_pieces(&s, &ann, "clip.mp4", file, 1);

    let file = noise_video(3 << 20, 21);
    let asset = in_pieces(&s, &ann, "clip.mp4", &file, 3);
    assert_eq!(resumable_completed(&s, "parts"), 1.0);
    assert_eq!(resumable_completed(&s, "parts-rehashed"), 0.0);
    let (_, original) = get_bytes(&s, &ann, &format!("/api/v1/assets/{asset}/original"), &[]);
    assert!(original == file, "byte-exact");
    assert_eq!(once(&file), asset, "the carried hash is the file's");
    assert_eq!(resumable_completed(&s, "adopted"), 1.0);

    // The same bytes again, in other pieces: the existing asset, found by
    // the carried hash before anything is written again.
    assert_eq!(in_pieces(&s, &ann, "clip.mp4", &file, 4), asset);
    assert_eq!(resumable_completed(&s, "duplicate"), 1.0);
    assert_eq!(resumable_completed(&s, "parts"), 1.0);
    let db = Db::open(&data);
    assert_eq!(
        db.int("SELECT COUNT(*) FROM assets"),
        1,
        "one asset for the three uploads"
    );

    // Sealed between two PATCHes: the hash in memory is gone, and the
    // upload is hashed from its parts when it is assembled.
    let other = noise_video(2 << 20, 22);
    let loc = create(&s, &ann, other.len(), "other.mp4");
    let half = other.len() / 2;
    assert_eq!(patch(&s, &ann, &loc, 0, &other[..half]).0, 204);
    assert!(s.cli(&data, "seal", "").status.success());
    let out = s.cli(&data, "unseal", &share);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (st, h) = patch(&s, &ann, &loc, half, &other[half..]);
    assert_eq!(st, 204, "{h}");
    let second = header(&h, "pixelunion-asset-id").expect("asset id");
    assert_eq!(
        resumable_completed(&s, "parts-rehashed"),
        1.0,
        "the seal dropped the hash: read back from the parts"
    );
    assert_eq!(resumable_completed(&s, "parts"), 1.0);
    assert_eq!(
        Db::open(&data).int(&format!(
            "SELECT COUNT(*) FROM asset_parts WHERE asset_id = '{second}'"
        )),
        1,
        "kept as its two parts"
    );
    assert_eq!(
        once(&other),
        second,
        "hashed again from the parts, the same"
    );
    let (_, original) = get_bytes(&s, &ann, &format!("/api/v1/assets/{second}/original"), &[]);
    assert!(original == other, "byte-exact");
    let _ = s.stop();
}
