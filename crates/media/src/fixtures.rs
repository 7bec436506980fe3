//! Files for tests (feature `fixtures`): forged headers that a naive decoder
//! would trust, and well-formed files carrying metadata (TIFF/EXIF blocks,
//! JPEGs with EXIF, XMP and ICC segments, a DNG with an embedded preview,
//! ICC profiles). Never used by the server.

/// CRC-32 (IEEE), as PNG chunks use it.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// A 1×1 PNG whose header claims `side` × `side` pixels, with a valid CRC
/// (a decompression bomb's shape: tiny file, huge declared picture).
pub fn png_bomb(side: u32) -> Vec<u8> {
    let mut png = Vec::new();
    if image::RgbImage::new(1, 1)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .is_err()
    {
        return png;
    }
    png[16..20].copy_from_slice(&side.to_be_bytes());
    png[20..24].copy_from_slice(&side.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

/// A TIFF entry's value, as the builder lays it out.
#[derive(Debug, Clone)]
pub enum Val {
    /// ASCII (type 2), NUL added
    Ascii(String),
    /// SHORTs (type 3)
    Shorts(Vec<u16>),
    /// LONG (type 4)
    Long(u32),
    /// RATIONALs (type 5)
    Rationals(Vec<(u32, u32)>),
    /// BYTEs (type 1)
    Bytes(Vec<u8>),
    /// a LONG offset to a sub-IFD written by the builder
    Ifd(Vec<(u16, Val)>),
    /// a LONG offset to these bytes, placed by the builder
    Blob(Vec<u8>),
}

fn patch(out: &mut [u8], at: usize, v: u32) {
    out[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn write_ifd(out: &mut Vec<u8>, entries: &[(u16, Val)]) -> usize {
    let mut entries = entries.to_vec();
    entries.sort_by_key(|e| e.0);
    if out.len() % 2 == 1 {
        out.push(0);
    }
    let at = out.len();
    out.extend((entries.len() as u16).to_le_bytes());
    let slots = out.len();
    out.resize(slots + entries.len() * 12 + 4, 0);
    let mut later: Vec<(usize, Val)> = Vec::new();
    for (i, (tag, v)) in entries.iter().enumerate() {
        let e = slots + i * 12;
        let (ty, count, bytes): (u16, usize, Vec<u8>) = match v {
            Val::Ascii(s) => {
                let mut b = s.as_bytes().to_vec();
                b.push(0);
                (2, b.len(), b)
            }
            Val::Shorts(v) => (3, v.len(), v.iter().flat_map(|x| x.to_le_bytes()).collect()),
            Val::Long(x) => (4, 1, x.to_le_bytes().to_vec()),
            Val::Rationals(v) => (
                5,
                v.len(),
                v.iter()
                    .flat_map(|(n, d)| n.to_le_bytes().into_iter().chain(d.to_le_bytes()))
                    .collect(),
            ),
            Val::Bytes(b) => (1, b.len(), b.clone()),
            Val::Ifd(_) | Val::Blob(_) => {
                later.push((e + 8, v.clone()));
                (4, 1, vec![0; 4])
            }
        };
        out[e..e + 2].copy_from_slice(&tag.to_le_bytes());
        out[e + 2..e + 4].copy_from_slice(&ty.to_le_bytes());
        out[e + 4..e + 8].copy_from_slice(&(count as u32).to_le_bytes());
        if bytes.len() <= 4 {
            out[e + 8..e + 8 + bytes.len()].copy_from_slice(&bytes);
        } else {
            if out.len() % 2 == 1 {
                out.push(0);
            }
            let off = out.len() as u32;
            out.extend(&bytes);
            patch(out, e + 8, off);
        }
    }
    for (slot, v) in later {
        let off = match v {
            Val::Ifd(sub) => write_ifd(out, &sub),
            Val::Blob(b) => {
                let o = out.len();
                out.extend(b);
                o
            }
            _ => continue,
        };
        patch(out, slot, off as u32);
    }
    at
}

/// A little-endian TIFF: IFD0 and, optionally, a next IFD (IFD1).
pub fn tiff(ifd0: &[(u16, Val)], ifd1: Option<&[(u16, Val)]>) -> Vec<u8> {
    let mut out = b"II*\0\x08\0\0\0".to_vec();
    write_ifd(&mut out, ifd0);
    if let Some(next) = ifd1 {
        let n = u16::from_le_bytes([out[8], out[9]]) as usize;
        let next_slot = 8 + 2 + n * 12;
        let at = write_ifd(&mut out, next);
        patch(&mut out, next_slot, at as u32);
    }
    out
}

/// What an EXIF block says (see [`exif_block`]).
#[derive(Debug, Clone, Default)]
pub struct ExifSpec {
    /// camera maker
    pub make: Option<String>,
    /// camera model
    pub model: Option<String>,
    /// orientation 1–8
    pub orientation: Option<u16>,
    /// "YYYY:MM:DD HH:MM:SS"
    pub taken: Option<String>,
    /// "+02:00"
    pub offset: Option<String>,
    /// exposure time in seconds, as a fraction
    pub exposure_time: Option<(u32, u32)>,
    /// f-number, as a fraction
    pub f_number: Option<(u32, u32)>,
    /// ISO speed
    pub iso: Option<u16>,
    /// focal length in mm, as a fraction
    pub focal_mm: Option<(u32, u32)>,
    /// lens model
    pub lens: Option<String>,
    /// (latitude, longitude) in signed degrees
    pub gps: Option<(f64, f64)>,
}

fn dms(v: f64) -> Vec<(u32, u32)> {
    let v = v.abs();
    let d = v.trunc();
    let m = ((v - d) * 60.0).trunc();
    let s = ((v - d) * 60.0 - m) * 60.0;
    vec![
        (d as u32, 1),
        (m as u32, 1),
        ((s * 100.0).round() as u32, 100),
    ]
}

/// The TIFF structure of an EXIF block (what follows `Exif\0\0` in a JPEG).
pub fn exif_block(spec: &ExifSpec) -> Vec<u8> {
    let mut ifd0 = Vec::new();
    if let Some(m) = &spec.make {
        ifd0.push((0x010F, Val::Ascii(m.clone())));
    }
    if let Some(m) = &spec.model {
        ifd0.push((0x0110, Val::Ascii(m.clone())));
    }
    if let Some(o) = spec.orientation {
        ifd0.push((0x0112, Val::Shorts(vec![o])));
    }
    let mut exif = Vec::new();
    if let Some(t) = &spec.taken {
        exif.push((0x9003, Val::Ascii(t.clone())));
    }
    if let Some(o) = &spec.offset {
        exif.push((0x9011, Val::Ascii(o.clone())));
    }
    if let Some(t) = spec.exposure_time {
        exif.push((0x829A, Val::Rationals(vec![t])));
    }
    if let Some(f) = spec.f_number {
        exif.push((0x829D, Val::Rationals(vec![f])));
    }
    if let Some(i) = spec.iso {
        exif.push((0x8827, Val::Shorts(vec![i])));
    }
    if let Some(f) = spec.focal_mm {
        exif.push((0x920A, Val::Rationals(vec![f])));
    }
    if let Some(l) = &spec.lens {
        exif.push((0xA434, Val::Ascii(l.clone())));
    }
    if !exif.is_empty() {
        ifd0.push((0x8769, Val::Ifd(exif)));
    }
    if let Some((lat, lon)) = spec.gps {
        ifd0.push((
            0x8825,
            Val::Ifd(vec![
                (0x0001, Val::Ascii(if lat < 0.0 { "S" } else { "N" }.into())),
                (0x0002, Val::Rationals(dms(lat))),
                (0x0003, Val::Ascii(if lon < 0.0 { "W" } else { "E" }.into())),
                (0x0004, Val::Rationals(dms(lon))),
            ]),
        ));
    }
    tiff(&ifd0, None)
}

/// A baseline JPEG of a gradient, `w` × `h`.
pub fn plain_jpeg(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x / 8) as u8 ^ seed, (y / 8) as u8, 90u8.wrapping_add(seed)])
    });
    let mut out = Vec::new();
    let _ = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode(
        img.as_raw(),
        w,
        h,
        image::ExtendedColorType::Rgb8,
    );
    out
}

/// Inserts APPn segments right after a JPEG's SOI: EXIF (APP1), XMP (APP1),
/// ICC profile (APP2, one chunk).
pub fn jpeg_with(
    jpeg: &[u8],
    exif: Option<&[u8]>,
    xmp: Option<&str>,
    icc: Option<&[u8]>,
) -> Vec<u8> {
    let mut segs: Vec<(u8, Vec<u8>)> = Vec::new();
    if let Some(t) = exif {
        let mut p = b"Exif\0\0".to_vec();
        p.extend(t);
        segs.push((0xE1, p));
    }
    if let Some(x) = xmp {
        let mut p = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
        p.extend(x.as_bytes());
        segs.push((0xE1, p));
    }
    if let Some(i) = icc {
        let mut p = b"ICC_PROFILE\0\x01\x01".to_vec();
        p.extend(i);
        segs.push((0xE2, p));
    }
    let mut out = jpeg[..2.min(jpeg.len())].to_vec();
    for (marker, p) in segs {
        out.extend([0xFF, marker]);
        out.extend(((p.len() + 2) as u16).to_be_bytes());
        out.extend(p);
    }
    out.extend(jpeg.get(2..).unwrap_or_default());
    out
}

/// A DNG the way cameras write them: IFD0 is a JPEG preview
/// (`preview`, `pw` × `ph`), the raw CFA data sits in a SubIFD (`raw_w` ×
/// `raw_h`, here a few zero bytes: nobody should try to decode it).
pub fn dng(preview: &[u8], pw: u32, ph: u32, raw_w: u32, raw_h: u32, orientation: u16) -> Vec<u8> {
    let raw = vec![
        (0x00FE, Val::Long(0)),
        (0x0100, Val::Long(raw_w)),
        (0x0101, Val::Long(raw_h)),
        (0x0102, Val::Shorts(vec![16])),
        (0x0103, Val::Shorts(vec![1])),
        (0x0106, Val::Shorts(vec![32803])),
        (0x0111, Val::Blob(vec![0; 64])),
        (0x0115, Val::Shorts(vec![1])),
        (0x0117, Val::Long(64)),
    ];
    tiff(
        &[
            (0x00FE, Val::Long(1)),
            (0x0100, Val::Long(pw)),
            (0x0101, Val::Long(ph)),
            (0x0102, Val::Shorts(vec![8, 8, 8])),
            (0x0103, Val::Shorts(vec![7])),
            (0x0106, Val::Shorts(vec![6])),
            (0x010F, Val::Ascii("PixelRaw".into())),
            (0x0110, Val::Ascii("PR-1".into())),
            (0x0111, Val::Blob(preview.to_vec())),
            (0x0112, Val::Shorts(vec![orientation])),
            (0x0115, Val::Shorts(vec![3])),
            (0x0117, Val::Long(preview.len() as u32)),
            (0x014A, Val::Ifd(raw)),
            (0xC612, Val::Bytes(vec![1, 4, 0, 0])),
        ],
        None,
    )
}

fn s15(v: f64) -> [u8; 4] {
    ((v * 65536.0).round() as i32).to_be_bytes()
}

fn icc(r: [f64; 3], g: [f64; 3], b: [f64; 3]) -> Vec<u8> {
    let xyz = |c: [f64; 3]| {
        let mut t = b"XYZ \0\0\0\0".to_vec();
        for v in c {
            t.extend(s15(v));
        }
        t
    };
    // gamma 2.2 as u8Fixed8
    let curv = b"curv\0\0\0\0\0\0\0\x01\x02\x33\0\0".to_vec();
    let tags: Vec<(&[u8; 4], Vec<u8>)> = vec![
        (b"wtpt", xyz([0.9642, 1.0, 0.8249])),
        (b"rXYZ", xyz(r)),
        (b"gXYZ", xyz(g)),
        (b"bXYZ", xyz(b)),
        (b"rTRC", curv.clone()),
        (b"gTRC", curv.clone()),
        (b"bTRC", curv),
    ];
    let table = 4 + tags.len() * 12;
    let mut data = Vec::new();
    let mut entries = Vec::new();
    for (sig, body) in &tags {
        entries.extend(*sig);
        entries.extend(((128 + table + data.len()) as u32).to_be_bytes());
        entries.extend((body.len() as u32).to_be_bytes());
        data.extend(body);
        while data.len() % 4 != 0 {
            data.push(0);
        }
    }
    let size = 128 + table + data.len();
    let mut h = vec![0u8; 128];
    h[0..4].copy_from_slice(&(size as u32).to_be_bytes());
    h[8..12].copy_from_slice(&[2, 0x10, 0, 0]);
    h[12..16].copy_from_slice(b"mntr");
    h[16..20].copy_from_slice(b"RGB ");
    h[20..24].copy_from_slice(b"XYZ ");
    h[36..40].copy_from_slice(b"acsp");
    h[68..72].copy_from_slice(&s15(0.9642));
    h[72..76].copy_from_slice(&s15(1.0));
    h[76..80].copy_from_slice(&s15(0.8249));
    let mut out = h;
    out.extend((tags.len() as u32).to_be_bytes());
    out.extend(entries);
    out.extend(data);
    out
}

const SRGB_R: [f64; 3] = [0.4361, 0.2225, 0.0139];
const SRGB_G: [f64; 3] = [0.3851, 0.7169, 0.0971];
const SRGB_B: [f64; 3] = [0.1431, 0.0606, 0.7141];

/// An ICC v2 matrix/TRC profile with sRGB's primaries and gamma 2.2.
pub fn icc_srgb_like() -> Vec<u8> {
    icc(SRGB_R, SRGB_G, SRGB_B)
}

/// An ICC profile whose first channel is green light and second red: shows
/// whether a converter honours the profile.
pub fn icc_swapped_red_green() -> Vec<u8> {
    icc(SRGB_G, SRGB_R, SRGB_B)
}

#[cfg(test)]
mod tests {
    #[test]
    fn crc_matches_the_standard_check_value() {
        assert_eq!(super::crc32(b"123456789"), 0xCBF4_3926);
    }
}
