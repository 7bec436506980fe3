//! Untrusted photo bytes and tool reports: metadata extraction (EXIF, XMP),
//! the raw-file walker, the HEIF container and raw-frame readers, ICC
//! profile parsing, ffprobe report parsing and the metadata stripping of
//! public links must never panic, stripping must keep an MP4 box's length,
//! and rendering must end in a picture or a typed error within its limits.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let meta = pixelunion_media::metadata::extract(data);
    assert!((1..=8).contains(&meta.orientation));
    if let Some(l) = pixelunion_media::raw::layout(data) {
        assert!(l.previews.iter().all(|r| r.end <= data.len()));
    }
    if let Some(r) = pixelunion_media::raw::raf_preview(data) {
        assert!(r.end <= data.len());
    }
    let _ = pixelunion_media::xmp::parse(data);
    if let Some(j) = pixelunion_media::strip::strip_jpeg(data) {
        assert!(j.len() <= data.len());
    }
    if let Some(p) = pixelunion_media::strip::strip_png(data) {
        assert!(p.len() <= data.len());
    }
    if let Some(patches) = pixelunion_media::strip::mp4_patches(data, 0) {
        let mut b = data.to_vec();
        pixelunion_media::strip::apply(&patches, 0, &mut b);
        assert_eq!(b.len(), data.len());
    }
    if let Ok(l) = pixelunion_media::heif::layout(data) {
        assert!(l.images <= data.len());
    }
    let colour = pixelunion_media::heif::Colour::default();
    if let Ok(r) = pixelunion_media::render::render_heif_frame(data, &colour, 64, 48) {
        assert!(r.preview.width.max(r.preview.height) <= 1440);
    }
    if let Ok(v) = pixelunion_media::video::parse_ffprobe(data) {
        assert!(v.rotation < 360);
    }
    let mut img = image::RgbImage::from_pixel(2, 2, image::Rgb([10, 20, 30]));
    let _ = pixelunion_media::colour::to_srgb(&mut img, data);
    for mime in [
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/tiff",
        "image/x-adobe-dng",
        "image/x-fujifilm-raf",
    ] {
        if let Ok(r) = pixelunion_media::render::render(data, mime, meta.orientation) {
            assert!(r.thumbnail.width <= r.preview.width.max(1));
            assert!(r.preview.width.max(r.preview.height) <= 1440);
        }
    }
});
