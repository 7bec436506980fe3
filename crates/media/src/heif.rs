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
}
