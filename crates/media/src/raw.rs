//! RAW and DNG: camera raw files are TIFF structures whose full-size data is
//! sensor data (a colour filter array) that needs a raw developer; every
//! camera also stores a JPEG preview in the same structure, usually at full
//! or near-full size. This module finds the largest such preview — in IFD0,
//! the IFD chain, SubIFDs or a JPEG-interchange pointer — so the renderer
//! can use it. A bounded walker over untrusted bytes: at most
//! [`MAX_IFDS`] directories of at most [`MAX_ENTRIES`] entries each, every
//! offset checked, cycles impossible.

/// Directories visited at most.
pub const MAX_IFDS: usize = 32;
/// Entries read per directory at most.
pub const MAX_ENTRIES: usize = 512;

/// What the walk found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawLayout {
    /// a directory holds sensor data (CFA or linear raw) or a DNG version
    /// tag is present: the file's main image is not a picture `image`
    /// should decode
    pub is_raw: bool,
    /// byte ranges of embedded JPEG previews, largest first
    pub previews: Vec<std::ops::Range<usize>>,
}

struct Cursor<'a> {
    b: &'a [u8],
    le: bool,
}

impl Cursor<'_> {
    fn u16(&self, at: usize) -> Option<u16> {
        let s = self.b.get(at..at.checked_add(2)?)?;
        Some(if self.le {
            u16::from_le_bytes([s[0], s[1]])
        } else {
            u16::from_be_bytes([s[0], s[1]])
        })
    }
    fn u32(&self, at: usize) -> Option<u32> {
        let s = self.b.get(at..at.checked_add(4)?)?;
        let a = [s[0], s[1], s[2], s[3]];
        Some(if self.le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }
}

#[derive(Default)]
struct Dir {
    compression: Option<u32>,
    photometric: Option<u32>,
    strip: Option<(u32, u32)>,
    strip_count: u32,
    jpeg_if: Option<u32>,
    jpeg_if_len: Option<u32>,
    subifds: Vec<u32>,
    exif: Option<u32>,
    dng: bool,
}

/// First value of an entry as an integer (SHORT or LONG).
fn first_value(c: &Cursor<'_>, e: usize) -> Option<(u32, u32, Option<u32>)> {
    let ty = c.u16(e + 2)?;
    let count = c.u32(e + 4)?;
    let v = match ty {
        3 => u32::from(c.u16(e + 8)?),
        4 | 13 => c.u32(e + 8)?,
        _ => return Some((u32::from(ty), count, None)),
    };
    Some((u32::from(ty), count, Some(v)))
}

fn read_dir(c: &Cursor<'_>, at: usize) -> Option<(Dir, u32)> {
    let n = usize::from(c.u16(at)?).min(MAX_ENTRIES);
    let mut d = Dir::default();
    for i in 0..n {
        let e = at + 2 + i * 12;
        let tag = c.u16(e)?;
        let Some((ty, count, v)) = first_value(c, e) else {
            break;
        };
        match tag {
            0x0103 => d.compression = v,
            0x0106 => d.photometric = v,
            0x0111 => {
                d.strip_count = count;
                if count == 1 {
                    d.strip = v.map(|o| (o, d.strip.map_or(0, |s| s.1)));
                }
            }
            0x0117 if count == 1 => {
                if let Some(len) = v {
                    d.strip = Some((d.strip.map_or(0, |s| s.0), len));
                }
            }
            0x0201 => d.jpeg_if = v,
            0x0202 => d.jpeg_if_len = v,
            0x8769 => d.exif = v,
            0xC612 => d.dng = true,
            0x014A => {
                // one LONG inline, or an array of LONG/IFD offsets
                let count = count.min(8) as usize;
                if count == 1 {
                    d.subifds.extend(v);
                } else if (ty == 4 || ty == 13)
                    && let Some(base) = c.u32(e + 8)
                {
                    for k in 0..count {
                        d.subifds.extend(c.u32(base as usize + k * 4));
                    }
                }
            }
            _ => {}
        }
    }
    let next = c.u32(at + 2 + n * 12).unwrap_or(0);
    Some((d, next))
}

fn jpeg_at(b: &[u8], off: u32, len: u32) -> Option<std::ops::Range<usize>> {
    let (s, l) = (off as usize, len as usize);
    let end = s.checked_add(l)?;
    (l > 4 && end <= b.len() && b[s..].starts_with(&[0xFF, 0xD8])).then_some(s..end)
}

/// Walks a TIFF-structured file (TIFF, DNG, CR2, NEF, ARW, ORF, RW2, …) and
/// lists its embedded JPEG previews. Not a TIFF: `None`.
pub fn layout(b: &[u8]) -> Option<RawLayout> {
    let le = match b.get(..4)? {
        [b'I', b'I', 42 | 0x52 | 0x55, 0] => true, // TIFF, ORF (IIRO), RW2 (IIU)
        [b'I', b'I', b'R', b'O'] => true,
        [b'M', b'M', 0, 42] => false,
        _ => return None,
    };
    let c = Cursor { b, le };
    let mut todo = vec![c.u32(4)?];
    let mut seen = Vec::new();
    let mut out = RawLayout::default();
    while let Some(at) = todo.pop() {
        if at == 0 || seen.contains(&at) || seen.len() >= MAX_IFDS {
            continue;
        }
        seen.push(at);
        let Some((d, next)) = read_dir(&c, at as usize) else {
            continue;
        };
        out.is_raw |= d.dng || matches!(d.photometric, Some(32803 | 34892));
        let raw_dir = matches!(d.photometric, Some(32803 | 34892));
        if let (Some(o), Some(l)) = (d.jpeg_if, d.jpeg_if_len)
            && let Some(r) = jpeg_at(b, o, l)
        {
            out.previews.push(r);
        }
        if !raw_dir
            && d.strip_count == 1
            && matches!(d.compression, Some(6 | 7))
            && let Some((o, l)) = d.strip
            && let Some(r) = jpeg_at(b, o, l)
        {
            out.previews.push(r);
        }
        todo.extend(d.subifds.iter().copied());
        todo.extend(d.exif);
        todo.push(next);
    }
    out.previews.sort_by_key(|r| std::cmp::Reverse(r.len()));
    out.previews.dedup();
    Some(out)
}

/// The JPEG preview of a Fujifilm RAF (not a TIFF: a fixed header points
/// at it).
pub fn raf_preview(b: &[u8]) -> Option<std::ops::Range<usize>> {
    if !b.starts_with(b"FUJIFILMCCD-RAW ") {
        return None;
    }
    let be = |at: usize| {
        b.get(at..at + 4)
            .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    };
    jpeg_at(b, be(84)?, be(88)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{Val, dng, plain_jpeg, tiff};
    use proptest::prelude::*;

    #[test]
    fn finds_the_preview_of_a_dng() {
        let jpeg = plain_jpeg(300, 200, 1);
        let file = dng(&jpeg, 300, 200, 6000, 4000, 1);
        let l = layout(&file).expect("a TIFF");
        assert!(l.is_raw);
        assert_eq!(l.previews.len(), 1);
        assert_eq!(&file[l.previews[0].clone()], &jpeg[..]);
    }

    #[test]
    fn prefers_the_largest_and_reads_ifd1_thumbnails() {
        let small = plain_jpeg(64, 48, 2);
        let big = plain_jpeg(640, 480, 3);
        let file = tiff(
            &[
                (0x0103, Val::Shorts(vec![6])),
                (0x0111, Val::Blob(big.clone())),
                (0x0117, Val::Long(big.len() as u32)),
            ],
            Some(&[
                (0x0201, Val::Blob(small.clone())),
                (0x0202, Val::Long(small.len() as u32)),
            ]),
        );
        let l = layout(&file).expect("a TIFF");
        assert!(!l.is_raw);
        assert_eq!(l.previews.len(), 2);
        assert_eq!(&file[l.previews[0].clone()], &big[..]);
    }

    #[test]
    fn cycles_and_bad_offsets_end() {
        // IFD0 whose next-IFD pointer is itself, and a strip beyond the end
        let mut f = b"II*\0\x08\0\0\0".to_vec();
        f.extend(2u16.to_le_bytes());
        f.extend([0x03, 0x01, 3, 0, 1, 0, 0, 0, 7, 0, 0, 0]);
        f.extend([0x11, 0x01, 4, 0, 1, 0, 0, 0, 0xFF, 0xFF, 0, 0]);
        f.extend(8u32.to_le_bytes());
        let l = layout(&f).expect("a TIFF");
        assert!(l.previews.is_empty());
        assert!(layout(b"II*").is_none());
        assert!(layout(b"\xFF\xD8\xFF").is_none());
    }

    #[test]
    fn raf_header_points_at_the_preview() {
        let jpeg = plain_jpeg(32, 32, 4);
        let mut f = b"FUJIFILMCCD-RAW 0201FF383501".to_vec();
        f.resize(100, 0);
        f[84..88].copy_from_slice(&100u32.to_be_bytes());
        f[88..92].copy_from_slice(&(jpeg.len() as u32).to_be_bytes());
        f.extend(&jpeg);
        assert_eq!(raf_preview(&f), Some(100..100 + jpeg.len()));
        f[88..92].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(raf_preview(&f), None);
    }

    proptest! {
        #[test]
        fn never_panics_and_ranges_are_in_bounds(tail in proptest::collection::vec(any::<u8>(), 0..400), le in any::<bool>()) {
            let mut f = if le { b"II*\0\x08\0\0\0".to_vec() } else { b"MM\0*\0\0\0\x08".to_vec() };
            f.extend(tail);
            if let Some(l) = layout(&f) {
                for r in l.previews {
                    prop_assert!(r.end <= f.len());
                    prop_assert_eq!(&f[r.start..r.start + 2], &[0xFF, 0xD8]);
                }
            }
        }
    }
}
