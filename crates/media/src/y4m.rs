//! The raw frame libheif's `heif-convert` writes for a HEIF picture
//! (YUV4MPEG2: a text header, then one 8-bit 4:2:0 frame): converted to
//! RGB and shrunk ([`crate::shrink`]) as its rows are read, instead of a
//! PNG that the tool would compress and this crate decompress. The
//! conversion is the one libheif applies when it makes RGB itself: the
//! matrix and range of the picture's `nclx` colour box, BT.601 full range
//! when there is none, chroma taken from the nearest sample. Anything else
//! (another chroma layout, interlacing, a matrix not listed) is refused so
//! that the caller falls back to libheif's own RGB.

use image::RgbImage;

use crate::MediaError;
use crate::shrink::Shrink;

/// Longest header accepted.
const MAX_HEADER: usize = 256;

fn bad(why: &str) -> MediaError {
    MediaError::Decode(format!("raw HEIF frame: {why}"))
}

/// Whether a picture with this `nclx` (or none) converts here.
pub(crate) fn supports(nclx: Option<(u16, bool)>) -> bool {
    Matrix::of(nclx).is_ok()
}

/// Fixed-point (×2¹⁴) YCbCr → RGB coefficients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Matrix {
    y: i32,
    y_off: i32,
    r_cr: i32,
    g_cb: i32,
    g_cr: i32,
    b_cb: i32,
}

impl Matrix {
    /// From `nclx` (H.273 matrix coefficients, full range); `None` is
    /// libheif's default, BT.601 full range.
    fn of(nclx: Option<(u16, bool)>) -> Result<Self, MediaError> {
        let (matrix, full) = nclx.unwrap_or((6, true));
        let (kr, kb) = match matrix {
            1 => (0.2126, 0.0722),
            5 | 6 => (0.299, 0.114),
            other => {
                return Err(MediaError::Unsupported(format!(
                    "HEIF matrix coefficients {other} in the raw path"
                )));
            }
        };
        let kg = 1.0 - kr - kb;
        let (ys, cs, y_off) = if full {
            (1.0, 1.0, 0)
        } else {
            (255.0 / 219.0, 255.0 / 224.0, 16)
        };
        let fixed = |v: f64| (v * 16384.0).round() as i32;
        Ok(Matrix {
            y: fixed(ys),
            y_off,
            r_cr: fixed(2.0 * (1.0 - kr) * cs),
            g_cb: fixed(2.0 * kb * (1.0 - kb) / kg * cs),
            g_cr: fixed(2.0 * kr * (1.0 - kr) / kg * cs),
            b_cb: fixed(2.0 * (1.0 - kb) * cs),
        })
    }

    fn rgb(&self, y: u8, cb: u8, cr: u8) -> [u8; 3] {
        let l = (i32::from(y) - self.y_off) * self.y + (1 << 13);
        let (cb, cr) = (i32::from(cb) - 128, i32::from(cr) - 128);
        let c = |v: i32| (v >> 14).clamp(0, 255) as u8;
        [
            c(l + self.r_cr * cr),
            c(l - self.g_cb * cb - self.g_cr * cr),
            c(l + self.b_cb * cb),
        ]
    }
}

/// (width, height, offset of the frame's samples) from the headers.
fn headers(y4m: &[u8]) -> Result<(u32, u32, usize), MediaError> {
    let line = |from: usize| -> Result<(&[u8], usize), MediaError> {
        let rest = y4m.get(from..).unwrap_or_default();
        let end = rest
            .iter()
            .take(MAX_HEADER)
            .position(|&b| b == b'\n')
            .ok_or_else(|| bad("no header"))?;
        Ok((&rest[..end], from + end + 1))
    };
    let (stream, next) = line(0)?;
    let mut tags = stream.split(|&b| b == b' ');
    if tags.next() != Some(b"YUV4MPEG2".as_slice()) {
        return Err(bad("not YUV4MPEG2"));
    }
    let (mut w, mut h) = (None, None);
    for t in tags.filter(|t| !t.is_empty()) {
        let v = std::str::from_utf8(&t[1..]).map_err(|_| bad("header"))?;
        match t[0] {
            b'W' => w = v.parse::<u32>().ok(),
            b'H' => h = v.parse::<u32>().ok(),
            b'C' if !matches!(v, "420jpeg" | "420" | "420paldv" | "420mpeg2") => {
                return Err(MediaError::Unsupported(format!("raw HEIF frame in {v}")));
            }
            b'I' if !matches!(v, "p" | "?") => return Err(bad("interlaced")),
            _ => {}
        }
    }
    let (w, h) = w.zip(h).ok_or_else(|| bad("no size"))?;
    crate::render::check_size(u64::from(w), u64::from(h))?;
    let (frame, start) = line(next)?;
    if !frame.starts_with(b"FRAME") {
        return Err(bad("no frame"));
    }
    Ok((w, h, start))
}

/// The picture in `y4m`, as RGB reduced to keep `want` (see
/// [`crate::shrink::factor`]), with its full size.
pub(crate) fn decode_reduced(
    y4m: &[u8],
    nclx: Option<(u16, bool)>,
    want: u32,
) -> Result<(RgbImage, u32, u32), MediaError> {
    let m = Matrix::of(nclx)?;
    let (w, h, start) = headers(y4m)?;
    let (wu, hu) = (w as usize, h as usize);
    let (cw, ch) = (wu.div_ceil(2), hu.div_ceil(2));
    let luma = wu * hu;
    let planes = y4m.get(start..).unwrap_or_default();
    if planes.len() != luma + 2 * cw * ch {
        return Err(bad("the frame has the wrong length"));
    }
    let (ys, chroma) = planes.split_at(luma);
    let (cbs, crs) = chroma.split_at(cw * ch);
    let mut shrink = Shrink::new(w, h, want);
    for (row, y) in ys.chunks_exact(wu).enumerate() {
        let at = (row / 2) * cw;
        let (cb, cr) = (&cbs[at..at + cw], &crs[at..at + cw]);
        shrink.push(
            y.iter()
                .enumerate()
                .map(|(x, &l)| m.rgb(l, cb[x / 2], cr[x / 2])),
        );
    }
    Ok((shrink.finish()?, w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(w: u32, h: u32, y: u8, cb: u8, cr: u8) -> Vec<u8> {
        let mut v = format!("YUV4MPEG2 W{w} H{h} F30:1\nFRAME\n").into_bytes();
        let (cw, ch) = (w.div_ceil(2) as usize, h.div_ceil(2) as usize);
        v.extend(std::iter::repeat_n(y, (w * h) as usize));
        v.extend(std::iter::repeat_n(cb, cw * ch));
        v.extend(std::iter::repeat_n(cr, cw * ch));
        v
    }

    #[test]
    fn colours_convert_by_the_pictures_matrix_and_range() {
        // BT.601 full range (libheif's default): grey stays grey, and a
        // saturated red (Y 76, Cb 85, Cr 255) comes back as red.
        let m = Matrix::of(None).expect("601");
        assert_eq!(m.rgb(128, 128, 128), [128, 128, 128]);
        let red = m.rgb(76, 85, 255);
        assert!(red[0] >= 253 && red[1] <= 2 && red[2] <= 2, "{red:?}");
        // BT.709 limited: black and white at 16 and 235.
        let m = Matrix::of(Some((1, false))).expect("709");
        assert_eq!(m.rgb(16, 128, 128), [0, 0, 0]);
        assert_eq!(m.rgb(235, 128, 128), [255, 255, 255]);
        // BT.709 full: pure blue (Y 18, Cb 255, Cr 116).
        let blue = Matrix::of(Some((1, true))).expect("709").rgb(18, 255, 116);
        assert!(blue[0] <= 3 && blue[1] <= 3 && blue[2] >= 252, "{blue:?}");
        assert!(
            Matrix::of(Some((9, true))).is_err(),
            "BT.2020 goes to libheif"
        );
        assert!(Matrix::of(Some((0, true))).is_err(), "RGB goes to libheif");
    }

    #[test]
    fn a_frame_is_read_and_shrunk_with_odd_sides() {
        let (img, w, h) =
            decode_reduced(&frame(3001, 1001, 128, 128, 128), None, 1440).expect("decodes");
        assert_eq!((w, h), (3001, 1001));
        assert_eq!(img.dimensions(), (1501, 501));
        assert_eq!(img.get_pixel(1500, 500).0, [128, 128, 128]);
    }

    #[test]
    fn other_layouts_and_broken_frames_are_refused() {
        let good = frame(64, 48, 100, 120, 140);
        assert!(decode_reduced(&good, None, 1440).is_ok());
        for cut in [0, 10, 30, good.len() / 2, good.len() - 1] {
            assert!(
                decode_reduced(&good[..cut], None, 1440).is_err(),
                "cut at {cut}"
            );
        }
        let mut long = good.clone();
        long.push(0);
        assert!(decode_reduced(&long, None, 1440).is_err(), "trailing bytes");
        for header in [
            "YUV4MPEG2 W64 H48 C444\nFRAME\n",
            "YUV4MPEG2 W64 H48 C420p10\nFRAME\n",
            "YUV4MPEG2 W64 H48 It\nFRAME\n",
            "YUV4MPEG2 W64\nFRAME\n",
            "YUV4MPEG W64 H48\nFRAME\n",
            "YUV4MPEG2 W64 H48\nFRAMX\n",
        ] {
            let mut v = header.as_bytes().to_vec();
            v.extend(&good[good.len() - 64 * 48 * 3 / 2..]);
            assert!(decode_reduced(&v, None, 1440).is_err(), "{header:?}");
        }
        let bomb = "YUV4MPEG2 W60000 H60000\nFRAME\n".as_bytes();
        assert!(matches!(
            decode_reduced(bomb, None, 1440),
            Err(MediaError::TooManyPixels { .. })
        ));
    }
}
