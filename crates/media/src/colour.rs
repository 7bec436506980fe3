//! Colour: a picture with an embedded ICC profile (Display P3 from phones,
//! Adobe RGB from cameras) is converted to sRGB before it is resized and
//! encoded, because the renditions carry no profile and browsers show
//! untagged pictures as sRGB. The colour management engine is `moxcms` (the
//! one `image` uses). A profile that cannot be read is ignored: the picture
//! is shown as if it were sRGB, never refused.

use image::RgbImage;
use moxcms::{ColorProfile, Layout, TransformOptions};

/// Largest ICC profile accepted (real ones are a few KiB; 1 MiB covers
/// profiles with big lookup tables).
const MAX_PROFILE: usize = 1 << 20;

/// Converts `img` from the colour space `icc` describes to sRGB, in place.
/// Returns whether a conversion happened.
pub fn to_srgb(img: &mut RgbImage, icc: &[u8]) -> bool {
    if icc.is_empty() || icc.len() > MAX_PROFILE {
        return false;
    }
    let Ok(src) = ColorProfile::new_from_slice(icc) else {
        return false;
    };
    let dst = ColorProfile::new_srgb();
    let Ok(t) =
        src.create_transform_8bit(Layout::Rgb, &dst, Layout::Rgb, TransformOptions::default())
    else {
        return false;
    };
    let mut out = vec![0u8; img.as_raw().len()];
    if t.transform(img.as_raw(), &mut out).is_err() {
        return false;
    }
    img.copy_from_slice(&out);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swapped_primaries_profile_turns_red_into_green() {
        // The profile says channel 1 is green light and channel 2 red: a
        // pixel stored as (255, 0, 0) is green once shown in sRGB.
        let icc = crate::fixtures::icc_swapped_red_green();
        let mut img = RgbImage::from_pixel(4, 4, image::Rgb([255, 0, 0]));
        assert!(to_srgb(&mut img, &icc));
        let p = img.get_pixel(1, 1).0;
        assert!(p[1] > 200 && p[0] < 60 && p[2] < 60, "{p:?}");
    }

    #[test]
    fn an_srgb_profile_changes_little() {
        let icc = crate::fixtures::icc_srgb_like();
        let mut img = RgbImage::from_fn(16, 16, |x, y| {
            image::Rgb([(x * 16) as u8, (y * 16) as u8, 90])
        });
        let before = img.clone();
        assert!(to_srgb(&mut img, &icc));
        let diffs: Vec<u8> = before
            .as_raw()
            .iter()
            .zip(img.as_raw())
            .map(|(a, b)| a.abs_diff(*b))
            .collect();
        let worst = diffs.iter().copied().max().unwrap_or(0);
        let mean = diffs.iter().map(|&d| f64::from(d)).sum::<f64>() / diffs.len() as f64;
        // gamma 2.2 and sRGB's curve part only in the deep shadows
        assert!(worst <= 12 && mean <= 3.0, "worst {worst}, mean {mean}");
    }

    #[test]
    fn garbage_profiles_are_ignored() {
        let mut img = RgbImage::from_pixel(2, 2, image::Rgb([1, 2, 3]));
        assert!(!to_srgb(&mut img, b"not an icc profile at all"));
        assert!(!to_srgb(&mut img, &[]));
        let mut cut = crate::fixtures::icc_swapped_red_green();
        cut.truncate(100);
        assert!(!to_srgb(&mut img, &cut));
        assert_eq!(img.get_pixel(0, 0).0, [1, 2, 3]);
    }
}
