//! PNG decoded row by row and shrunk as it is read ([`crate::shrink`]): PNG
//! has no shrink-on-load like JPEG's DCT scaling, so a whole 12 MP picture
//! would be held as RGB (36 MiB) plus a converted copy. Each row is
//! expanded to 8-bit RGB on the way. Interlaced (Adam7) files come in
//! passes and are decoded whole instead.

use image::RgbImage;

use crate::MediaError;
use crate::shrink::Shrink;

/// Decodes a non-interlaced PNG reduced by [`crate::shrink::factor`] (a box filter), with
/// its full size and ICC profile; `Ok(None)` for an interlaced file.
#[allow(clippy::type_complexity)]
pub(crate) fn decode_reduced(
    bytes: &[u8],
    want: u32,
) -> Result<Option<(RgbImage, u32, u32, Option<Vec<u8>>)>, MediaError> {
    let bad = |e: png::DecodingError| MediaError::Decode(e.to_string());
    let mut d =
        png::Decoder::new_with_limits(std::io::Cursor::new(bytes), png::Limits { bytes: 64 << 20 });
    d.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut r = d.read_info().map_err(bad)?;
    let info = r.info();
    let (w, h) = (info.width, info.height);
    crate::render::check_size(u64::from(w), u64::from(h))?;
    if info.interlaced {
        return Ok(None);
    }
    let icc = info.icc_profile.as_ref().map(|p| p.to_vec());
    let (ct, _) = r.output_color_type();
    let channels = match ct {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => {
            return Err(MediaError::Decode("palette not expanded".into()));
        }
    };
    let mut shrink = Shrink::new(w, h, want);
    while let Some(row) = r.next_row().map_err(bad)? {
        let data = row.data();
        if data.len() < w as usize * channels {
            return Err(MediaError::Decode("short PNG row".into()));
        }
        shrink.push(data.chunks_exact(channels).map(|px| match channels {
            1 | 2 => [px[0], px[0], px[0]],
            _ => [px[0], px[1], px[2]],
        }));
    }
    let img = shrink
        .finish()
        .map_err(|_| MediaError::Decode("truncated PNG".into()))?;
    Ok(Some((img, w, h, icc)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_of(img: &image::DynamicImage) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png)
            .expect("png");
        out.into_inner()
    }

    #[test]
    fn the_factor_keeps_the_wanted_size() {
        use crate::shrink::factor;
        assert_eq!(factor(4032, 3024, 1440), 2);
        assert_eq!(factor(6000, 4000, 1440), 4);
        assert_eq!(factor(1000, 800, 1440), 1);
        assert!(4032 / factor(4032, 3024, 1440) >= 1440);
    }

    #[test]
    fn reduced_rows_average_the_full_picture() {
        let full = image::RgbImage::from_fn(3001, 2001, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
        });
        let bytes = png_of(&image::DynamicImage::ImageRgb8(full.clone()));
        let (img, w, h, icc) = decode_reduced(&bytes, 1440)
            .expect("ok")
            .expect("not interlaced");
        assert_eq!((w, h, icc), (3001, 2001, None));
        assert_eq!(img.dimensions(), (1501, 1001), "factor 2, edges kept");
        // Each reduced pixel is the rounded mean of its 2×2 box.
        for (x, y) in [(0u32, 0u32), (10, 20), (700, 500), (1499, 999)] {
            let mut s = [0u32; 3];
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let p = full.get_pixel(2 * x + dx, 2 * y + dy).0;
                for c in 0..3 {
                    s[c] += u32::from(p[c]);
                }
            }
            let want: Vec<u8> = s.iter().map(|v| ((v + 2) / 4) as u8).collect();
            assert_eq!(img.get_pixel(x, y).0.to_vec(), want, "({x}, {y})");
        }
        // The last column and row (a box of one pixel wide / high).
        assert_eq!(img.get_pixel(1500, 1000).0, full.get_pixel(3000, 2000).0);
    }

    #[test]
    fn grey_alpha_sixteen_bit_and_palette_files_decode() {
        let grey = image::DynamicImage::ImageLuma8(image::GrayImage::from_pixel(
            3000,
            10,
            image::Luma([77]),
        ));
        let (img, ..) = decode_reduced(&png_of(&grey), 1440)
            .expect("ok")
            .expect("rows");
        assert_eq!(img.get_pixel(5, 2).0, [77, 77, 77]);
        let rgba = image::DynamicImage::ImageRgba16(image::ImageBuffer::from_pixel(
            20,
            10,
            image::Rgba([0xffff, 0x8000, 0, 0x1234]),
        ));
        let (img, ..) = decode_reduced(&png_of(&rgba), 1440)
            .expect("ok")
            .expect("rows");
        assert_eq!(img.get_pixel(3, 3).0, [255, 128, 0]);
        let mut indexed = Vec::new();
        {
            let mut e = png::Encoder::new(&mut indexed, 4, 2);
            e.set_color(png::ColorType::Indexed);
            e.set_depth(png::BitDepth::Eight);
            e.set_palette(vec![10, 20, 30, 200, 100, 50]);
            let mut w = e.write_header().expect("header");
            w.write_image_data(&[0, 1, 0, 1, 1, 1, 0, 0]).expect("data");
        }
        let (img, ..) = decode_reduced(&indexed, 1440).expect("ok").expect("rows");
        assert_eq!(img.get_pixel(1, 0).0, [200, 100, 50]);
        assert_eq!(img.get_pixel(3, 1).0, [10, 20, 30]);
        assert_eq!(
            decode_reduced(&crate::fixtures::png_bomb(100_000), 1440).map(|_| ()),
            Err(MediaError::TooManyPixels {
                width: 100_000,
                height: 100_000,
                limit_mp: 150
            })
        );
        let whole = png_of(&grey);
        for cut in [0, 8, 40, whole.len() / 2, whole.len() - 13] {
            assert!(decode_reduced(&whole[..cut], 1440).is_err(), "cut at {cut}");
        }
    }
}
