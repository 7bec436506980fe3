//! A selection on the real binary: its originals as one streamed ZIP (names
//! kept and made unique, bytes identical, another user's id a 404, too many
//! ids a 400), and "delete forever" of single items in the trash (only
//! trashed items, only the owner's, blobs queued for deletion).

use std::io::Read;

use crate::harness::*;

use serde_json::json;

fn jpeg(seed: u8, len: usize) -> Vec<u8> {
    let mut v = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, seed,
    ];
    v.extend((0..len).map(|i| (i as u8).wrapping_mul(seed).wrapping_add(seed)));
    v
}

#[test]
fn a_selection_downloads_as_one_zip_and_trashed_items_can_be_deleted_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    let (_, bob) = new_user(&s, &admin, "bob@example.org");
    let files = [
        ("IMG_1.jpg", jpeg(3, 300_000)),
        ("img_1.JPG", jpeg(5, 1000)),
        // a path (the firewall refuses "../" in names; archive.rs's unit
        // tests cover those): the entry is flat
        ("photos/trip/x.jpg", jpeg(7, 70_000)),
    ];
    let ids: Vec<String> = files
        .iter()
        .enumerate()
        .map(|(i, (name, bytes))| match i {
            // sent in pieces: an original kept as its parts
            0 => crate::harness::tus::in_pieces(&s, &ann, name, bytes, 3),
            _ => upload(&s, &ann, name, bytes),
        })
        .collect();
    let bobs = upload(&s, &bob, "bob.jpg", &jpeg(9, 5000));

    let r = s
        .call("GET", &format!("/api/v1/assets/zip?ids={}", ids.join(",")))
        .bearer(&ann)
        .send();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/zip"));
    assert!(
        r.header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment; filename=\"PixelUnion ")),
        "{:?}",
        r.header("content-disposition")
    );
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(r.body.clone())).unwrap();
    let mut names = Vec::new();
    assert_eq!(zip.len(), files.len());
    for (i, (_, original)) in files.iter().enumerate() {
        let mut f = zip.by_index(i).unwrap();
        let mut got = Vec::new();
        f.read_to_end(&mut got).unwrap();
        let name = f.name().unwrap().to_string();
        assert_eq!(&got, original, "{name} holds the original's bytes");
        names.push(name);
    }
    assert_eq!(names, ["IMG_1.jpg", "img_1 (2).JPG", "x.jpg"]);

    // another user's id anywhere in the list: 404, as for one item
    let r = s
        .call("GET", &format!("/api/v1/assets/zip?ids={},{bobs}", ids[0]))
        .bearer(&ann)
        .send();
    assert_eq!(
        (r.status, r.error_code().as_deref()),
        (404, Some("not-found"))
    );
    let many = vec![ids[0].clone(); 501].join(",");
    let r = s
        .call("GET", &format!("/api/v1/assets/zip?ids={many}"))
        .bearer(&ann)
        .send();
    assert_eq!(
        (r.status, r.error_code().as_deref()),
        (400, Some("too-many"))
    );
    let r = s.call("GET", "/api/v1/assets/zip").bearer(&ann).send();
    assert_eq!(
        (r.status, r.error_code().as_deref()),
        (400, Some("bad-request"))
    );

    // Delete forever: only what is in the trash, only one's own.
    let purge = |token: &str, which: &[&str]| {
        s.call("POST", "/api/v1/assets/batch")
            .bearer(token)
            .json(&json!({"ids": which, "action": "purge"}))
            .send()
            .json()["changed"]
            .as_u64()
    };
    assert_eq!(purge(&ann, &[&ids[0]]), Some(0), "not in the trash");
    let r = s
        .call("DELETE", &format!("/api/v1/assets/{}", ids[0]))
        .bearer(&ann)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    let r = s
        .call("DELETE", &format!("/api/v1/assets/{bobs}"))
        .bearer(&bob)
        .send();
    assert_eq!(r.status, 200);
    assert_eq!(purge(&ann, &[&bobs]), Some(0), "not hers");
    assert_eq!(purge(&ann, &[&ids[0], &ids[1]]), Some(1));
    let r = s
        .call("GET", &format!("/api/v1/assets/{}", ids[0]))
        .bearer(&ann)
        .send();
    assert_eq!(r.status, 404, "gone for good");
    let r = s
        .call("GET", &format!("/api/v1/assets/{bobs}"))
        .bearer(&bob)
        .send();
    assert_eq!(r.status, 200, "bob's trashed item is untouched");
    let trash = s
        .call("GET", "/api/v1/assets?trashed=true")
        .bearer(&ann)
        .send()
        .json();
    assert_eq!(trash["items"].as_array().unwrap().len(), 0);

    // Length limits count what was sent, as the API document says (a name
    // padded with a non-breaking space is one character too long).
    let long_token = format!("\u{a0}{}", "*".repeat(100));
    let r = s
        .call("POST", "/api/v1/auth/tokens")
        .bearer(&bob)
        .json(&json!({"name": long_token, "scope": "read"}))
        .send();
    assert_eq!(
        (r.status, r.error_code().as_deref()),
        (422, Some("invalid-name"))
    );
    let long_album = format!("\u{a0}{}", "a".repeat(200));
    let r = s
        .call("POST", "/api/v1/albums")
        .bearer(&bob)
        .json(&json!({"name": long_album}))
        .send();
    assert_eq!(r.status, 422, "{}", r.text());
    let _ = s.stop();
}
