//! The size of a HEIF/AVIF picture, read from its container (the `ispe`
//! properties, `irot` applied) without decoding a pixel: the pipeline
//! checks it against the pixel budget before the decoder sees the file, and
//! records it as the picture's size. Parsing is `imagesize`'s; when a file
//! holds several images (tiles of a grid, a thumbnail, a depth map) the
//! largest is the picture, which for a grid is the primary item's declared
//! size and is never smaller than any image the decoder could be made to
//! produce from the file.

use crate::MediaError;

/// (width, height) as displayed; refused if it is not a HEIF/AVIF file, has
/// no declared size, or exceeds the pixel budget.
pub fn size(bytes: &[u8]) -> Result<(u32, u32), MediaError> {
    let no_size = || MediaError::Decode("no image size in the HEIF file".into());
    if !matches!(
        imagesize::image_type(bytes),
        Ok(imagesize::ImageType::Heif(_))
    ) {
        return Err(MediaError::Decode("not a HEIF file".into()));
    }
    let s = imagesize::blob_size(bytes).map_err(|_| no_size())?;
    crate::render::check_size(s.width as u64, s.height as u64)?;
    let w = u32::try_from(s.width).map_err(|_| no_size())?;
    let h = u32::try_from(s.height).map_err(|_| no_size())?;
    Ok((w, h))
}

/// The colour description of the primary image (`colr` properties): how
/// its samples convert to RGB, and its ICC profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Colour {
    /// `nclx`: matrix coefficients (ITU-T H.273) and full-range flag
    pub nclx: Option<(u16, bool)>,
    /// `prof`/`rICC`: the ICC profile
    pub icc: Option<Vec<u8>>,
}

/// What the container says before anything is decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    /// Items that may be top-level images: every item except metadata
    /// (`Exif`, `mime`, `uri `), thumbnails and auxiliary images (`thmb`,
    /// `auxl` references) and the inputs of derived images (`dimg`: a
    /// grid's tiles). Never fewer than libheif counts, so `1` means one.
    pub images: usize,
    /// the primary item's colour
    pub colour: Colour,
}

impl Layout {
    /// Whether the picture can be handed over as a raw frame
    /// ([`crate::render::render_heif_frame`]): one image, in a colour the
    /// conversion knows.
    pub fn wants_raw_frame(&self) -> bool {
        self.images == 1 && crate::y4m::supports(self.colour.nclx)
    }
}

/// One ISOBMFF box: (type, body).
fn boxes(mut data: &[u8]) -> impl Iterator<Item = Result<([u8; 4], &[u8]), MediaError>> {
    std::iter::from_fn(move || {
        if data.is_empty() {
            return None;
        }
        let bad = || MediaError::Decode("broken HEIF box".into());
        let step = (|| {
            let size = u32::from_be_bytes(data.get(0..4)?.try_into().ok()?) as u64;
            let kind: [u8; 4] = data.get(4..8)?.try_into().ok()?;
            let (head, size) = match size {
                1 => (16, u64::from_be_bytes(data.get(8..16)?.try_into().ok()?)),
                0 => (8, data.len() as u64),
                n => (8, n),
            };
            let size = usize::try_from(size).ok()?;
            if size < head || size > data.len() {
                return None;
            }
            let body = &data[head..size];
            data = &data[size..];
            Some((kind, body))
        })();
        if step.is_none() {
            data = &[];
        }
        Some(step.ok_or_else(bad))
    })
}

/// A big-endian reader over a box body that fails instead of panicking.
struct Be<'a>(&'a [u8]);

impl<'a> Be<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], MediaError> {
        if self.0.len() < n {
            return Err(MediaError::Decode("short HEIF box".into()));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, MediaError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, MediaError> {
        Ok(u16::from_be_bytes([self.u8()?, self.u8()?]))
    }
    fn u32(&mut self) -> Result<u32, MediaError> {
        Ok(u32::from_be_bytes([
            self.u8()?,
            self.u8()?,
            self.u8()?,
            self.u8()?,
        ]))
    }
    /// a 16- or 32-bit item id
    fn id(&mut self, wide: bool) -> Result<u32, MediaError> {
        if wide {
            self.u32()
        } else {
            self.u16().map(u32::from)
        }
    }
    /// version and flags of a full box
    fn full(&mut self) -> Result<(u8, u32), MediaError> {
        let v = self.u32()?;
        Ok(((v >> 24) as u8, v & 0x00FF_FFFF))
    }
}

/// Reads the item list, references and properties of a HEIF/AVIF file
/// (the `meta` box); refused when there is none or it is malformed.
pub fn layout(bytes: &[u8]) -> Result<Layout, MediaError> {
    let meta = boxes(bytes)
        .find_map(|b| match b {
            Ok((k, body)) if &k == b"meta" => Some(Ok(body)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .ok_or_else(|| MediaError::Decode("no meta box in the HEIF file".into()))??;
    let meta = meta
        .get(4..)
        .ok_or_else(|| MediaError::Decode("short meta box".into()))?;
    let mut items = Vec::new();
    let mut not_top_level = std::collections::HashSet::new();
    let mut primary = None;
    let mut props = Properties::default();
    for b in boxes(meta) {
        let (kind, body) = b?;
        match &kind {
            b"pitm" => {
                let mut r = Be(body);
                let (v, _) = r.full()?;
                primary = Some(r.id(v > 0)?);
            }
            b"iinf" => items = item_types(body)?,
            b"iref" => not_top_level.extend(referenced_away(body)?),
            b"iprp" => props = Properties::read(body)?,
            _ => {}
        }
    }
    let images = items
        .iter()
        .filter(|(id, kind)| {
            !matches!(kind, b"Exif" | b"mime" | b"uri ") && !not_top_level.contains(id)
        })
        .count();
    let colour = primary.map(|p| props.colour_of(p)).unwrap_or_default();
    Ok(Layout { images, colour })
}

/// `iinf`: every item's (id, type); an old entry without a type reads as
/// `????` (counted as an image).
fn item_types(iinf: &[u8]) -> Result<Vec<(u32, [u8; 4])>, MediaError> {
    let mut r = Be(iinf);
    let (v, _) = r.full()?;
    r.id(v > 0)?; // the entry count: the boxes themselves are read
    let mut items = Vec::new();
    for e in boxes(r.0) {
        let (k, body) = e?;
        if &k != b"infe" {
            continue;
        }
        let mut e = Be(body);
        let (v, _) = e.full()?;
        items.push(if v >= 2 {
            let id = e.id(v > 2)?;
            e.u16()?; // protection index
            (id, e.take(4)?.try_into().unwrap_or(*b"????"))
        } else {
            (u32::from(e.u16()?), *b"????")
        });
    }
    Ok(items)
}

/// `iref`: the items that are not top-level images — thumbnails and
/// auxiliary images (`thmb`, `auxl`: the referring item) and the inputs
/// of derived images (`dimg`: the referred items, a grid's tiles).
fn referenced_away(iref: &[u8]) -> Result<Vec<u32>, MediaError> {
    let mut r = Be(iref);
    let (v, _) = r.full()?;
    let mut away = Vec::new();
    for e in boxes(r.0) {
        let (k, body) = e?;
        let mut e = Be(body);
        let from = e.id(v > 0)?;
        let n = e.u16()?;
        match &k {
            b"thmb" | b"auxl" => away.push(from),
            b"dimg" => {
                for _ in 0..n {
                    away.push(e.id(v > 0)?);
                }
            }
            _ => {}
        }
    }
    Ok(away)
}

/// `iprp`: the properties (`ipco`, indexed from 1) and which items have
/// which (`ipma`).
#[derive(Default)]
struct Properties<'a> {
    all: Vec<([u8; 4], &'a [u8])>,
    of_item: Vec<(u32, Vec<u16>)>,
}

impl<'a> Properties<'a> {
    fn read(iprp: &'a [u8]) -> Result<Self, MediaError> {
        let mut p = Properties::default();
        for e in boxes(iprp) {
            let (k, body) = e?;
            match &k {
                b"ipco" => {
                    for b in boxes(body) {
                        p.all.push(b?);
                    }
                }
                b"ipma" => {
                    let mut m = Be(body);
                    let (v, flags) = m.full()?;
                    for _ in 0..m.u32()? {
                        let id = m.id(v >= 1)?;
                        let count = m.u8()?;
                        let mut idx = Vec::with_capacity(usize::from(count));
                        for _ in 0..count {
                            idx.push(if flags & 1 == 1 {
                                m.u16()? & 0x7FFF
                            } else {
                                u16::from(m.u8()? & 0x7F)
                            });
                        }
                        p.of_item.push((id, idx));
                    }
                }
                _ => {}
            }
        }
        Ok(p)
    }

    /// The `colr` properties of item `id`.
    fn colour_of(&self, id: u32) -> Colour {
        let mut colour = Colour::default();
        let indices = self.of_item.iter().filter(|(i, _)| *i == id);
        for &i in indices.flat_map(|(_, idx)| idx) {
            let Some((kind, body)) = usize::from(i).checked_sub(1).and_then(|i| self.all.get(i))
            else {
                continue;
            };
            if kind != b"colr" || body.len() < 4 {
                continue;
            }
            match &body[..4] {
                b"nclx" if body.len() >= 11 => {
                    let matrix = u16::from_be_bytes([body[8], body[9]]);
                    colour.nclx = Some((matrix, body[10] & 0x80 != 0));
                }
                b"prof" | b"rICC" => colour.icc = Some(body[4..].to_vec()),
                _ => {}
            }
        }
        colour
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal HEIF header: ftyp, then meta → iprp → ipco holding the
    /// given properties (each `(fourcc, payload)`).
    fn heif(props: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
        fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
            let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
            b.extend_from_slice(kind);
            b.extend_from_slice(body);
            b
        }
        let ipco: Vec<u8> = props.iter().flat_map(|(k, p)| boxed(k, p)).collect();
        let iprp = boxed(b"iprp", &boxed(b"ipco", &ipco));
        let mut meta_body = vec![0u8; 4]; // version and flags
        meta_body.extend(boxed(b"hdlr", &[0u8; 25]));
        meta_body.extend(iprp);
        let mut out = boxed(b"ftyp", b"heic\0\0\0\0mif1heic");
        out.extend(boxed(b"meta", &meta_body));
        out
    }

    fn ispe(w: u32, h: u32) -> Vec<u8> {
        let mut p = vec![0u8; 4];
        p.extend(w.to_be_bytes());
        p.extend(h.to_be_bytes());
        p
    }

    #[test]
    fn the_largest_declared_image_is_the_picture() {
        let f = heif(&[(b"ispe", ispe(512, 512)), (b"ispe", ispe(4032, 3024))]);
        assert_eq!(size(&f), Ok((4032, 3024)));
    }

    #[test]
    fn a_quarter_turn_swaps_the_sides() {
        let f = heif(&[(b"ispe", ispe(4032, 3024)), (b"irot", vec![1])]);
        assert_eq!(size(&f), Ok((3024, 4032)));
    }

    #[test]
    fn forged_and_broken_headers_are_refused() {
        let bomb = heif(&[(b"ispe", ispe(60_000, 60_000))]);
        assert!(matches!(size(&bomb), Err(MediaError::TooManyPixels { .. })));
        assert!(size(&heif(&[(b"ispe", ispe(0, 10))])).is_err());
        assert!(size(&heif(&[])).is_err(), "no ispe");
        let whole = heif(&[(b"ispe", ispe(4032, 3024))]);
        for cut in 0..whole.len() {
            assert!(size(&whole[..cut]).is_err(), "cut at {cut}");
        }
        assert!(size(b"\xff\xd8\xff\xe0 a JPEG").is_err());
    }

    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(body);
        b
    }

    fn full(kind: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
        let mut b = ((u32::from(version) << 24) | flags).to_be_bytes().to_vec();
        b.extend_from_slice(body);
        boxed(kind, &b)
    }

    /// A file with `items` (id, type), references (type, from, to),
    /// primary `pitm`, and properties associated with the primary.
    fn file(
        items: &[(u16, &[u8; 4])],
        refs: &[(&[u8; 4], u16, &[u16])],
        props: &[Vec<u8>],
    ) -> Vec<u8> {
        let mut iinf = (items.len() as u16).to_be_bytes().to_vec();
        for (id, kind) in items {
            let mut e = id.to_be_bytes().to_vec();
            e.extend([0, 0]);
            e.extend_from_slice(*kind);
            iinf.extend(full(b"infe", 2, 0, &e));
        }
        let mut iref = Vec::new();
        for (kind, from, to) in refs {
            let mut r = from.to_be_bytes().to_vec();
            r.extend((to.len() as u16).to_be_bytes());
            for t in *to {
                r.extend(t.to_be_bytes());
            }
            iref.extend(boxed(kind, &r));
        }
        let ipco: Vec<u8> = props.iter().flatten().copied().collect();
        let mut ipma = 1u32.to_be_bytes().to_vec();
        ipma.extend(1u16.to_be_bytes());
        ipma.push(props.len() as u8);
        for i in 1..=props.len() {
            ipma.push(0x80 | i as u8);
        }
        let mut iprp = boxed(b"ipco", &ipco);
        iprp.extend(full(b"ipma", 0, 0, &ipma));
        let mut meta = boxed(b"hdlr", &[0u8; 25]);
        meta.extend(full(b"pitm", 0, 0, &1u16.to_be_bytes()));
        meta.extend(full(b"iinf", 0, 0, &iinf));
        meta.extend(full(b"iref", 0, 0, &iref));
        meta.extend(boxed(b"iprp", &iprp));
        let mut out = boxed(b"ftyp", b"heic\0\0\0\0mif1heic");
        out.extend(full(b"meta", 0, 0, &meta));
        out
    }

    fn nclx(matrix: u16, full_range: bool) -> Vec<u8> {
        let mut b = b"nclx".to_vec();
        b.extend([0, 1, 0, 13]);
        b.extend(matrix.to_be_bytes());
        b.push(if full_range { 0x80 } else { 0 });
        boxed(b"colr", &b)
    }

    #[test]
    fn tiles_thumbnails_depth_and_exif_are_not_images_of_their_own() {
        // An iPhone-like file: a grid (1) of four tiles, a thumbnail (6),
        // a depth map (7), Exif (8).
        let f = file(
            &[
                (1, b"grid"),
                (2, b"hvc1"),
                (3, b"hvc1"),
                (4, b"hvc1"),
                (5, b"hvc1"),
                (6, b"hvc1"),
                (7, b"hvc1"),
                (8, b"Exif"),
            ],
            &[
                (b"dimg", 1, &[2, 3, 4, 5]),
                (b"thmb", 6, &[1]),
                (b"auxl", 7, &[1]),
                (b"cdsc", 8, &[1]),
            ],
            &[nclx(1, false), boxed(b"colr", b"profICC-BYTES")],
        );
        let l = layout(&f).expect("layout");
        assert_eq!(l.images, 1);
        assert_eq!(l.colour.nclx, Some((1, false)));
        assert_eq!(l.colour.icc.as_deref(), Some(&b"ICC-BYTES"[..]));
        assert!(l.wants_raw_frame());
    }

    #[test]
    fn several_images_or_an_unknown_colour_keep_the_png_path() {
        let two = file(&[(1, b"hvc1"), (2, b"hvc1")], &[], &[]);
        assert_eq!(layout(&two).expect("layout").images, 2);
        assert!(!layout(&two).expect("layout").wants_raw_frame());
        let bt2020 = file(&[(1, b"hvc1")], &[], &[nclx(9, true)]);
        assert!(!layout(&bt2020).expect("layout").wants_raw_frame());
        let plain = file(&[(1, b"hvc1")], &[], &[]);
        let l = layout(&plain).expect("layout");
        assert_eq!((l.images, l.colour.clone()), (1, Colour::default()));
        assert!(l.wants_raw_frame(), "no colour box: libheif's default");
    }

    #[test]
    fn broken_containers_are_refused_not_trusted() {
        let whole = file(&[(1, b"hvc1")], &[(b"thmb", 1, &[1])], &[nclx(6, true)]);
        assert!(layout(&whole).is_ok());
        for cut in 0..whole.len() {
            if let Ok(l) = layout(&whole[..cut]) {
                // a cut inside the last box drops it, never invents images
                assert!(l.images <= 1, "cut at {cut}");
            }
        }
        assert!(layout(b"\xff\xd8\xff\xe0 a JPEG").is_err());
        // a box that claims to be longer than the file
        let mut long = whole.clone();
        long[3] = 0xff;
        assert!(layout(&long).is_err());
    }
}
