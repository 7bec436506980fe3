//! Thumbnail and preview from one decode, in memory. JPEG is decoded with
//! DCT scaling (shrink-on-load: 1/2, 1/4 or 1/8 of the size, so a 24 MP photo
//! is never expanded to full size for a 1440 px preview); other formats
//! through `image` with allocation limits. Sizes are checked from the header
//! before any pixel is decoded. Raw files (DNG, CR2, NEF, ARW, ORF, RW2,
//! RAF) give their embedded JPEG preview. Embedded ICC profiles are
//! converted to sRGB. Resizing is `fast_image_resize` (SIMD, Lanczos3);
//! output is baseline JPEG (`jpeg-encoder`, SIMD). HEIC/AVIF are decoded by the caller (a
//! subprocess) and handed over as a raw frame ([`render_heif_frame`]) or,
//! where that path does not apply, as a PNG.

use fast_image_resize as fr;
use image::{DynamicImage, ImageDecoder, RgbImage};

use crate::{MAX_PIXELS, MAX_SIDE, MediaError};

/// Shorter side of a grid thumbnail (it is never upscaled).
pub const THUMBNAIL_SHORT_SIDE: u32 = 250;
/// Longer side of a viewer preview (never upscaled).
pub const PREVIEW_LONG_SIDE: u32 = 1440;
const QUALITY: u8 = 82;

/// One encoded rendition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendition {
    /// JPEG bytes
    pub jpeg: Vec<u8>,
    /// width in pixels
    pub width: u32,
    /// height in pixels
    pub height: u32,
}

/// Both renditions and the picture's size as displayed (orientation applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// grid thumbnail
    pub thumbnail: Rendition,
    /// viewer preview
    pub preview: Rendition,
    /// full width as displayed
    pub width: u32,
    /// full height as displayed
    pub height: u32,
}

/// Refuses an empty picture or one beyond the pixel budget ([`MAX_PIXELS`],
/// [`MAX_SIDE`]), from its declared size.
pub fn check_size(width: u64, height: u64) -> Result<(), MediaError> {
    if width == 0 || height == 0 {
        return Err(MediaError::Empty);
    }
    if width > u64::from(MAX_SIDE) || height > u64::from(MAX_SIDE) || width * height > MAX_PIXELS {
        return Err(MediaError::TooManyPixels {
            width,
            height,
            limit_mp: MAX_PIXELS / 1_000_000,
        });
    }
    Ok(())
}

/// Decodes a JPEG at the smallest DCT scale still at least `want` px on its
/// longer side; returns the RGB picture and the full size.
fn decode_jpeg(bytes: &[u8], want: u32) -> Result<(RgbImage, u32, u32), MediaError> {
    let bad = |e: jpeg_decoder::Error| MediaError::Decode(e.to_string());
    let mut d = jpeg_decoder::Decoder::new(std::io::Cursor::new(bytes));
    d.read_info().map_err(bad)?;
    let info = d
        .info()
        .ok_or_else(|| MediaError::Decode("no JPEG header".into()))?;
    let (fw, fh) = (u32::from(info.width), u32::from(info.height));
    check_size(u64::from(fw), u64::from(fh))?;
    let long = fw.max(fh);
    let target = want.min(long);
    // scale() picks the smallest factor keeping one axis ≥ the request.
    let (rw, rh) = if fw >= fh {
        (
            target,
            ((u64::from(target) * u64::from(fh)) / u64::from(long).max(1)) as u32,
        )
    } else {
        (
            ((u64::from(target) * u64::from(fw)) / u64::from(long).max(1)) as u32,
            target,
        )
    };
    let (w, h) = d
        .scale(rw.clamp(1, 65_535) as u16, rh.clamp(1, 65_535) as u16)
        .map_err(bad)?;
    let px = d.decode().map_err(bad)?;
    let icc = d.icc_profile();
    let info = d
        .info()
        .ok_or_else(|| MediaError::Decode("no JPEG header".into()))?;
    let (w, h) = (u32::from(w), u32::from(h));
    let n = (w as usize) * (h as usize);
    let rgb: Vec<u8> = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => px,
        jpeg_decoder::PixelFormat::L8 => px.iter().flat_map(|&l| [l, l, l]).collect(),
        jpeg_decoder::PixelFormat::L16 => px
            .chunks_exact(2)
            .flat_map(|c| [c[0], c[0], c[0]])
            .collect(),
        jpeg_decoder::PixelFormat::CMYK32 => px
            .chunks_exact(4)
            .flat_map(|c| {
                let k = u16::from(c[3]);
                let f = |v: u8| ((u16::from(v) * k) / 255) as u8;
                [f(c[0]), f(c[1]), f(c[2])]
            })
            .collect(),
    };
    if rgb.len() != n * 3 {
        return Err(MediaError::Decode("unexpected JPEG pixel data".into()));
    }
    let mut img = RgbImage::from_raw(w, h, rgb)
        .ok_or_else(|| MediaError::Decode("unexpected JPEG pixel data".into()))?;
    if info.pixel_format != jpeg_decoder::PixelFormat::CMYK32
        && let Some(icc) = icc
    {
        crate::colour::to_srgb(&mut img, &icc);
    }
    Ok((img, fw, fh))
}

/// Decodes any other still format `image` knows, within limits.
fn decode_other(bytes: &[u8]) -> Result<(RgbImage, u32, u32), MediaError> {
    let bad = |e: image::ImageError| MediaError::Decode(e.to_string());
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| MediaError::Decode(e.to_string()))?;
    if reader.format().is_none() {
        return Err(MediaError::Unsupported("this image format".into()));
    }
    let mut decoder = reader.into_decoder().map_err(bad)?;
    let (w, h) = decoder.dimensions();
    check_size(u64::from(w), u64::from(h))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 4 + (64 << 20));
    decoder.set_limits(limits).map_err(bad)?;
    let icc = decoder.icc_profile().ok().flatten();
    let img = DynamicImage::from_decoder(decoder).map_err(bad)?;
    let mut rgb = img.into_rgb8();
    if let Some(icc) = icc {
        crate::colour::to_srgb(&mut rgb, &icc);
    }
    Ok((rgb, w, h))
}

/// A PNG, shrunk by a whole factor as its rows are read (see
/// [`crate::png_rows`]); interlaced files are decoded whole.
fn decode_png(bytes: &[u8]) -> Result<(RgbImage, u32, u32), MediaError> {
    match crate::png_rows::decode_reduced(bytes, PREVIEW_LONG_SIDE)? {
        Some((mut img, w, h, icc)) => {
            if let Some(icc) = icc {
                crate::colour::to_srgb(&mut img, &icc);
            }
            Ok((img, w, h))
        }
        None => decode_other(bytes),
    }
}

/// A raw file's embedded JPEG preview (its sensor data is not developed).
fn decode_preview(
    bytes: &[u8],
    at: Option<std::ops::Range<usize>>,
) -> Result<(RgbImage, u32, u32), MediaError> {
    let at =
        at.ok_or_else(|| MediaError::Unsupported("a raw file without a JPEG preview".into()))?;
    decode_jpeg(&bytes[at], PREVIEW_LONG_SIDE)
}

fn resize(src: &RgbImage, w: u32, h: u32) -> Result<RgbImage, MediaError> {
    if (w, h) == src.dimensions() {
        return Ok(src.clone());
    }
    let bad = |e: &dyn std::fmt::Display| MediaError::Encode(e.to_string());
    let from =
        fr::images::ImageRef::new(src.width(), src.height(), src.as_raw(), fr::PixelType::U8x3)
            .map_err(|e| bad(&e))?;
    let mut to = fr::images::Image::new(w, h, fr::PixelType::U8x3);
    fr::Resizer::new()
        .resize(
            &from,
            &mut to,
            &fr::ResizeOptions::new()
                .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3)),
        )
        .map_err(|e| bad(&e))?;
    RgbImage::from_raw(w, h, to.into_vec()).ok_or_else(|| bad(&"resize buffer"))
}

fn encode(img: &RgbImage) -> Result<Rendition, MediaError> {
    let mut out = Vec::with_capacity(64 << 10);
    let (w, h) = (
        u16::try_from(img.width()).map_err(|_| MediaError::Encode("too wide".into()))?,
        u16::try_from(img.height()).map_err(|_| MediaError::Encode("too high".into()))?,
    );
    jpeg_encoder::Encoder::new(&mut out, QUALITY)
        .encode(img.as_raw(), w, h, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| MediaError::Encode(e.to_string()))?;
    Ok(Rendition {
        jpeg: out,
        width: img.width(),
        height: img.height(),
    })
}

/// Fits `(w, h)` so that `side(w, h)` becomes at most `limit` (never upscales).
fn fit(w: u32, h: u32, limit: u32, side: fn(u32, u32) -> u32) -> (u32, u32) {
    let s = side(w, h);
    if s <= limit {
        return (w, h);
    }
    let f = f64::from(limit) / f64::from(s);
    (
        ((f64::from(w) * f).round() as u32).max(1),
        ((f64::from(h) * f).round() as u32).max(1),
    )
}

/// Makes the thumbnail and the preview of a still image. `mime` is the
/// sniffed type; `orientation` the EXIF orientation (1–8).
pub fn render(bytes: &[u8], mime: &str, orientation: u16) -> Result<Rendered, MediaError> {
    let (img, fw, fh) = match mime {
        "image/jpeg" => decode_jpeg(bytes, PREVIEW_LONG_SIDE)?,
        "image/png" => decode_png(bytes)?,
        "image/gif" | "image/webp" => decode_other(bytes)?,
        "image/tiff"
        | "image/x-adobe-dng"
        | "image/x-canon-cr2"
        | "image/x-nikon-nef"
        | "image/x-sony-arw"
        | "image/x-olympus-orf"
        | "image/x-panasonic-rw2" => match crate::raw::layout(bytes) {
            Some(l) if l.is_raw || mime != "image/tiff" => {
                decode_preview(bytes, l.previews.first().cloned())?
            }
            _ => decode_other(bytes)?,
        },
        "image/x-fujifilm-raf" => decode_preview(bytes, crate::raw::raf_preview(bytes))?,
        other => return Err(MediaError::Unsupported(other.to_string())),
    };
    finish(img, fw, fh, orientation)
}

/// Makes both renditions of a HEIF/AVIF picture from the raw frame
/// libheif's `heif-convert` wrote ([`crate::y4m`]), converted with the
/// colour the container declares ([`crate::heif::layout`]). `(fw, fh)` is
/// the size the container declares; libheif has applied the orientation.
pub fn render_heif_frame(
    y4m: &[u8],
    colour: &crate::heif::Colour,
    fw: u32,
    fh: u32,
) -> Result<Rendered, MediaError> {
    let (mut img, ..) = crate::y4m::decode_reduced(y4m, colour.nclx, PREVIEW_LONG_SIDE)?;
    if let Some(icc) = &colour.icc {
        crate::colour::to_srgb(&mut img, icc);
    }
    finish(img, fw, fh, 1)
}

/// Orientation, then the preview and the thumbnail of a decoded picture.
fn finish(img: RgbImage, fw: u32, fh: u32, orientation: u16) -> Result<Rendered, MediaError> {
    let mut img = DynamicImage::ImageRgb8(img);
    if let Some(o) = image::metadata::Orientation::from_exif(orientation.clamp(1, 8) as u8) {
        img.apply_orientation(o);
    }
    let img = img.into_rgb8();
    let (fw, fh) = if orientation >= 5 { (fh, fw) } else { (fw, fh) };
    let (pw, ph) = fit(img.width(), img.height(), PREVIEW_LONG_SIDE, u32::max);
    let preview = resize(&img, pw, ph)?;
    let (tw, th) = fit(pw, ph, THUMBNAIL_SHORT_SIDE, u32::min);
    let thumbnail = resize(&preview, tw, th)?;
    Ok(Rendered {
        thumbnail: encode(&thumbnail)?,
        preview: encode(&preview)?,
        width: fw,
        height: fh,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
            .expect("encode");
        out
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, _| image::Rgb([x as u8, 0, 0]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png)
            .expect("png");
        out.into_inner()
    }

    fn dims(jpeg: &[u8]) -> (u32, u32) {
        let img = image::load_from_memory(jpeg).expect("decodes");
        (img.width(), img.height())
    }

    #[test]
    fn jpeg_renditions_have_the_right_sizes() {
        let r = render(&jpeg(4000, 3000), "image/jpeg", 1).expect("render");
        assert_eq!((r.width, r.height), (4000, 3000));
        assert_eq!((r.preview.width, r.preview.height), (1440, 1080));
        assert_eq!((r.thumbnail.width, r.thumbnail.height), (333, 250));
        assert_eq!(dims(&r.preview.jpeg), (1440, 1080));
        assert_eq!(dims(&r.thumbnail.jpeg), (333, 250));
    }

    #[test]
    fn orientation_is_applied() {
        // 6 = rotate 90° clockwise: a landscape file shows as portrait.
        let r = render(&jpeg(2000, 1000), "image/jpeg", 6).expect("render");
        assert_eq!((r.width, r.height), (1000, 2000));
        assert_eq!((r.preview.width, r.preview.height), (720, 1440));
        assert_eq!((r.thumbnail.width, r.thumbnail.height), (250, 500));
    }

    #[test]
    fn small_pictures_are_not_upscaled() {
        let r = render(&png(100, 60), "image/png", 1).expect("render");
        assert_eq!((r.preview.width, r.preview.height), (100, 60));
        assert_eq!((r.thumbnail.width, r.thumbnail.height), (100, 60));
    }

    #[test]
    fn raw_files_render_their_embedded_preview() {
        let preview = crate::fixtures::plain_jpeg(600, 400, 0);
        let dng = crate::fixtures::dng(&preview, 600, 400, 6000, 4000, 1);
        for mime in ["image/tiff", "image/x-adobe-dng"] {
            let r = render(&dng, mime, 1).expect("render");
            assert_eq!((r.preview.width, r.preview.height), (600, 400), "{mime}");
        }
        let bare =
            crate::fixtures::tiff(&[(0x0106, crate::fixtures::Val::Shorts(vec![32803]))], None);
        assert!(matches!(
            render(&bare, "image/x-adobe-dng", 1),
            Err(MediaError::Unsupported(_))
        ));
    }

    #[test]
    fn embedded_icc_profiles_are_converted_to_srgb() {
        let img = RgbImage::from_pixel(64, 64, image::Rgb([230, 20, 20]));
        let mut plain = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 95)
            .encode(img.as_raw(), 64, 64, image::ExtendedColorType::Rgb8)
            .expect("encode");
        let icc = crate::fixtures::icc_swapped_red_green();
        let tagged = crate::fixtures::jpeg_with(&plain, None, None, Some(&icc));
        let green = |jpeg: &[u8]| {
            let p = image::load_from_memory(jpeg).expect("decodes").to_rgb8();
            let px = p.get_pixel(p.width() / 2, p.height() / 2).0;
            px[1] > 150 && px[0] < 100
        };
        assert!(!green(
            &render(&plain, "image/jpeg", 1)
                .expect("render")
                .preview
                .jpeg
        ));
        assert!(green(
            &render(&tagged, "image/jpeg", 1)
                .expect("render")
                .preview
                .jpeg
        ));
    }

    #[test]
    fn hostile_inputs_fail_cleanly() {
        let full = jpeg(800, 600);
        for cut in [0, 2, 20, 200, full.len() / 2] {
            assert!(
                render(&full[..cut], "image/jpeg", 1).is_err(),
                "cut at {cut}"
            );
        }
        // A PNG header declaring 100,000 × 100,000 pixels: refused before decoding.
        assert_eq!(
            render(&crate::fixtures::png_bomb(100_000), "image/png", 1),
            Err(MediaError::TooManyPixels {
                width: 100_000,
                height: 100_000,
                limit_mp: 150
            })
        );
        // 20,000 × 20,000 passes the side limit but not the pixel budget.
        assert!(matches!(
            render(&crate::fixtures::png_bomb(20_000), "image/png", 1),
            Err(MediaError::TooManyPixels { .. })
        ));
        assert!(matches!(
            render(&full, "video/mp4", 1),
            Err(MediaError::Unsupported(_))
        ));
        assert!(render(b"", "image/png", 1).is_err());
    }
}
