//! Untrusted photo bytes: metadata extraction must never panic, and
//! rendering must end in a picture or a typed error within its limits.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let meta = pixelunion_media::metadata::extract(data);
    assert!((1..=8).contains(&meta.orientation));
    for mime in ["image/jpeg", "image/png", "image/gif", "image/webp", "image/tiff"] {
        if let Ok(r) = pixelunion_media::render::render(data, mime, meta.orientation) {
            assert!(r.thumbnail.width <= r.preview.width.max(1));
            assert!(r.preview.width.max(r.preview.height) <= 1440);
        }
    }
});
