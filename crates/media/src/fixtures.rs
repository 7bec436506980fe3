//! Hostile files for tests (feature `fixtures`): forged headers that a naive
//! decoder would trust. Never used by the server.

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

#[cfg(test)]
mod tests {
    #[test]
    fn crc_matches_the_standard_check_value() {
        assert_eq!(super::crc32(b"123456789"), 0xCBF4_3926);
    }
}
