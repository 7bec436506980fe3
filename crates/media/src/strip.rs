//! Metadata-free copies for public links: what a file says about where,
//! when and with what it was made (EXIF with GPS, XMP, IPTC, comments,
//! PNG text chunks, MP4/MOV `udta`/`meta` boxes and header dates) is
//! removed, the picture and sound are left byte for byte.
//!
//! - JPEG: every APPn segment but APP0 (JFIF), APP2 (ICC colour profile)
//!   and APP14 (Adobe colour transform) is dropped, and so are comments.
//! - PNG: `eXIf`, `tEXt`, `zTXt`, `iTXt` and `tIME` chunks are dropped.
//! - MP4/MOV/3GP: [`mp4_patches`] lists byte edits that keep the file's
//!   length and every offset in it (so a video still plays and seeks by
//!   range): `udta` and `meta` boxes become `free` boxes (ignored by every
//!   player) with zeroed contents, and the creation and modification times
//!   of `mvhd`, `tkhd` and `mdhd` become zero.
//!
//! The parsers read untrusted bytes: they never index out of bounds, never
//! recurse without a depth limit, and answer `None` for what they cannot
//! walk to its end (the caller then serves no original at all).

/// A JPEG without its metadata segments, or `None` if `jpeg` is not a
/// well-formed JPEG up to its first scan.
pub fn strip_jpeg(jpeg: &[u8]) -> Option<Vec<u8>> {
    if jpeg.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut out = Vec::with_capacity(jpeg.len());
    out.extend_from_slice(&jpeg[..2]);
    let mut i = 2;
    loop {
        // Fill bytes (0xFF) may precede a marker.
        while jpeg.get(i)? == &0xFF && jpeg.get(i + 1)? == &0xFF {
            i += 1;
        }
        if jpeg.get(i)? != &0xFF {
            return None;
        }
        let marker = *jpeg.get(i + 1)?;
        match marker {
            // Markers without a length.
            0x01 | 0xD0..=0xD7 => {
                out.extend_from_slice(&jpeg[i..i + 2]);
                i += 2;
                continue;
            }
            0xD9 => {
                out.extend_from_slice(&jpeg[i..i + 2]);
                return Some(out);
            }
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([*jpeg.get(i + 2)?, *jpeg.get(i + 3)?]));
        if len < 2 {
            return None;
        }
        let end = i.checked_add(2 + len)?;
        let segment = jpeg.get(i..end)?;
        let keep = match marker {
            0xE0 | 0xE2 | 0xEE => true,
            0xE1 | 0xE3..=0xED | 0xEF | 0xFE => false,
            _ => true,
        };
        if keep {
            out.extend_from_slice(segment);
        }
        i = end;
        if marker == 0xDA {
            // Start of scan: the rest is entropy-coded data and later
            // markers (restarts, more scans, the end), copied as they are.
            out.extend_from_slice(jpeg.get(i..)?);
            return Some(out);
        }
    }
}

/// A PNG without its text, time and EXIF chunks, or `None` if `png` is not
/// a well-formed chunk sequence ending with `IEND`.
pub fn strip_png(png: &[u8]) -> Option<Vec<u8>> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if png.get(..8)? != SIGNATURE {
        return None;
    }
    let mut out = Vec::with_capacity(png.len());
    out.extend_from_slice(SIGNATURE);
    let mut i = 8;
    loop {
        let len = usize::try_from(u32::from_be_bytes(png.get(i..i + 4)?.try_into().ok()?)).ok()?;
        let kind = png.get(i + 4..i + 8)?;
        let end = i.checked_add(12)?.checked_add(len)?;
        let chunk = png.get(i..end)?;
        if !matches!(kind, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME") {
            out.extend_from_slice(chunk);
        }
        i = end;
        if kind == b"IEND" {
            return Some(out);
        }
    }
}

/// One byte edit: write `bytes` at `offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    /// where, from the start of the file
    pub offset: u64,
    /// what to write there
    pub bytes: Vec<u8>,
}

/// An ISO BMFF box header: `(header length, whole length, type)`; a size of
/// 0 means "to the end of the enclosing space".
pub fn box_header(buf: &[u8], space: u64) -> Option<(u64, u64, [u8; 4])> {
    let size = u64::from(u32::from_be_bytes(buf.get(..4)?.try_into().ok()?));
    let kind: [u8; 4] = buf.get(4..8)?.try_into().ok()?;
    let (header, whole) = match size {
        0 => (8, space),
        1 => (16, u64::from_be_bytes(buf.get(8..16)?.try_into().ok()?)),
        n => (8, n),
    };
    (whole >= header && whole <= space).then_some((header, whole, kind))
}

/// Boxes that hold other boxes and may hold metadata or dated headers.
const CONTAINERS: [&[u8; 4]; 4] = [b"moov", b"trak", b"mdia", b"edts"];
/// Boxes whose whole content is metadata.
const METADATA: [&[u8; 4]; 2] = [b"udta", b"meta"];
/// Full boxes that start with a creation and a modification time.
const DATED: [&[u8; 4]; 3] = [b"mvhd", b"tkhd", b"mdhd"];
/// Deepest nesting walked.
const MAX_DEPTH: usize = 8;

/// The edits that take the metadata out of an MP4/MOV file, given its
/// whole `moov` box (`moov`, starting at file offset `at`). `None` if the
/// box does not parse to its end.
pub fn mp4_patches(moov: &[u8], at: u64) -> Option<Vec<Patch>> {
    let mut patches = Vec::new();
    let (header, whole, kind) = box_header(moov, moov.len() as u64)?;
    if &kind != b"moov" || whole != moov.len() as u64 {
        return None;
    }
    walk(moov, header, whole, at, 0, &mut patches)?;
    Some(patches)
}

fn walk(
    buf: &[u8],
    start: u64,
    end: u64,
    at: u64,
    depth: usize,
    patches: &mut Vec<Patch>,
) -> Option<()> {
    if depth > MAX_DEPTH {
        return None;
    }
    let mut i = start;
    while i < end {
        let from = usize::try_from(i).ok()?;
        let (header, whole, kind) = box_header(buf.get(from..)?, end - i)?;
        let box_end = i.checked_add(whole)?;
        if METADATA.contains(&&kind) {
            // From the type on: `free`, the 64-bit size if there is one,
            // then zeros to the box's end. Same length, no content.
            let size64 = usize::try_from(header - 8).ok()?;
            let mut edit = b"free".to_vec();
            edit.extend_from_slice(buf.get(from + 8..from + 8 + size64)?);
            edit.resize(usize::try_from(whole - 4).ok()?, 0);
            patches.push(Patch {
                offset: at + i + 4,
                bytes: edit,
            });
        } else if DATED.contains(&&kind) {
            let body = from + usize::try_from(header).ok()?;
            let version = *buf.get(body)?;
            let times = if version == 1 { 16 } else { 8 };
            if whole < header + 4 + times as u64 {
                return None;
            }
            patches.push(Patch {
                offset: at + i + header + 4,
                bytes: vec![0; times],
            });
        } else if CONTAINERS.contains(&&kind) {
            walk(buf, i + header, box_end, at, depth + 1, patches)?;
        }
        i = box_end;
    }
    (i == end).then_some(())
}

/// Applies the patches that overlap `chunk`, which starts at file offset
/// `at`.
pub fn apply(patches: &[Patch], at: u64, chunk: &mut [u8]) {
    let end = at + chunk.len() as u64;
    for p in patches {
        let p_end = p.offset + p.bytes.len() as u64;
        if p_end <= at || p.offset >= end {
            continue;
        }
        let from = p.offset.max(at);
        let to = p_end.min(end);
        let (c0, c1) = ((from - at) as usize, (to - at) as usize);
        let (p0, p1) = ((from - p.offset) as usize, (to - p.offset) as usize);
        chunk[c0..c1].copy_from_slice(&p.bytes[p0..p1]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(body);
        s
    }

    fn jpeg_with(meta: &[Vec<u8>]) -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8];
        j.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
        for m in meta {
            j.extend_from_slice(m);
        }
        j.extend(segment(0xE2, b"ICC_PROFILE\0\x01\x01profile"));
        j.extend(segment(0xDB, &[0u8; 65]));
        j.extend(segment(0xDA, &[1, 1, 0, 0, 0x3F, 0]));
        j.extend_from_slice(&[0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD9]);
        j
    }

    #[test]
    fn jpeg_loses_exif_xmp_iptc_and_comments_and_keeps_the_rest() {
        let exif = segment(0xE1, b"Exif\0\0MM\0*GPSCANARY");
        let xmp = segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>XMPCANARY");
        let iptc = segment(0xED, b"Photoshop 3.0\0IPTCCANARY");
        let com = segment(0xFE, b"COMCANARY");
        let with = jpeg_with(&[exif, xmp, iptc, com]);
        let without = jpeg_with(&[]);
        let got = strip_jpeg(&with).expect("parses");
        assert_eq!(got, without);
        for canary in ["GPSCANARY", "XMPCANARY", "IPTCCANARY", "COMCANARY"] {
            assert!(!got.windows(canary.len()).any(|w| w == canary.as_bytes()));
        }
        assert!(got.windows(11).any(|w| w == b"ICC_PROFILE"));
    }

    #[test]
    fn broken_jpegs_are_refused() {
        assert_eq!(strip_jpeg(b"not a jpeg"), None);
        let j = jpeg_with(&[]);
        assert_eq!(strip_jpeg(&j[..10]), None);
        let mut bad = vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01];
        bad.extend_from_slice(&[0; 8]);
        assert_eq!(strip_jpeg(&bad), None);
    }

    fn chunk(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut c = (body.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(body);
        c.extend_from_slice(&[0, 0, 0, 0]);
        c
    }

    #[test]
    fn png_loses_text_time_and_exif() {
        let mut with = b"\x89PNG\r\n\x1a\n".to_vec();
        with.extend(chunk(b"IHDR", &[0; 13]));
        with.extend(chunk(b"tEXt", b"Comment\0TEXTCANARY"));
        with.extend(chunk(b"eXIf", b"MM\0*GPSCANARY"));
        with.extend(chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0XMPCANARY"));
        with.extend(chunk(b"tIME", &[7; 7]));
        with.extend(chunk(b"IDAT", &[1, 2, 3]));
        with.extend(chunk(b"IEND", &[]));
        let got = strip_png(&with).expect("parses");
        let mut want = b"\x89PNG\r\n\x1a\n".to_vec();
        want.extend(chunk(b"IHDR", &[0; 13]));
        want.extend(chunk(b"IDAT", &[1, 2, 3]));
        want.extend(chunk(b"IEND", &[]));
        assert_eq!(got, want);
        assert_eq!(strip_png(&with[..with.len() - 3]), None);
    }

    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(body);
        b
    }

    fn dated(kind: &[u8; 4], version: u8) -> Vec<u8> {
        let mut body = vec![version, 0, 0, 0];
        let times = if version == 1 { 16 } else { 8 };
        body.extend(std::iter::repeat_n(0xAB, times));
        body.extend_from_slice(&[9; 20]);
        bx(kind, &body)
    }

    #[test]
    fn mp4_metadata_boxes_become_free_and_dates_zero() {
        let udta = bx(b"udta", &bx(b"\xA9xyz", b"+48.8577+002.2950/LOCCANARY"));
        let meta = bx(
            b"meta",
            b"\0\0\0\0keys com.apple.quicktime.location.ISO6709 METACANARY",
        );
        let mdia = bx(
            b"mdia",
            &[dated(b"mdhd", 1), bx(b"hdlr", &[5; 24])].concat(),
        );
        let trak = bx(
            b"trak",
            &[dated(b"tkhd", 0), mdia, bx(b"udta", b"TRAKCANARY")].concat(),
        );
        let moov = bx(b"moov", &[dated(b"mvhd", 0), trak, udta, meta].concat());
        let at = 1000;
        let patches = mp4_patches(&moov, at).expect("parses");
        let mut patched = moov.clone();
        apply(&patches, at, &mut patched);
        assert_eq!(patched.len(), moov.len());
        for canary in ["LOCCANARY", "METACANARY", "TRAKCANARY"] {
            assert!(
                !patched
                    .windows(canary.len())
                    .any(|w| w == canary.as_bytes()),
                "{canary}"
            );
        }
        assert!(
            !patched.windows(2).any(|w| w == [0xAB, 0xAB]),
            "dates zeroed"
        );
        assert!(!patched.windows(4).any(|w| w == b"udta" || w == b"meta"));
        // Still a well-formed moov, now with free boxes, and nothing left to do.
        let again = mp4_patches(&patched, at).expect("still parses");
        let mut twice = patched.clone();
        apply(&again, at, &mut twice);
        assert_eq!(twice, patched);
        // Patches apply the same in any chunking.
        for split in [1, 7, 64, 333] {
            let mut chunked = Vec::new();
            for (n, c) in moov.chunks(split).enumerate() {
                let mut c = c.to_vec();
                apply(&patches, at + (n * split) as u64, &mut c);
                chunked.extend(c);
            }
            assert_eq!(chunked, patched, "chunks of {split}");
        }
    }

    #[test]
    fn broken_boxes_are_refused() {
        assert_eq!(mp4_patches(b"", 0), None);
        let moov = bx(b"moov", &bx(b"udta", b"x"));
        assert_eq!(mp4_patches(&moov[..moov.len() - 1], 0), None);
        let mut lying = moov.clone();
        lying[8..12].copy_from_slice(&200u32.to_be_bytes());
        assert_eq!(mp4_patches(&lying, 0), None);
        let mut deep = bx(b"udta", b"");
        for _ in 0..20 {
            deep = bx(b"trak", &deep);
        }
        assert_eq!(mp4_patches(&bx(b"moov", &deep), 0), None);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = strip_jpeg(&bytes);
            let _ = strip_png(&bytes);
            if let Some(p) = mp4_patches(&bytes, 0) {
                let mut b = bytes.clone();
                apply(&p, 0, &mut b);
                prop_assert_eq!(b.len(), bytes.len());
            }
        }

        #[test]
        fn stripped_jpegs_strip_to_themselves(meta in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..5)) {
            let segments: Vec<Vec<u8>> = meta.iter().map(|m| segment(0xE1, m)).collect();
            let once = strip_jpeg(&jpeg_with(&segments)).expect("parses");
            prop_assert_eq!(&once, &jpeg_with(&[]));
            prop_assert_eq!(strip_jpeg(&once).expect("parses"), once);
        }
    }
}
