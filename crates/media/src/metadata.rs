//! EXIF metadata, read with kamadak-exif from any container it knows (JPEG,
//! TIFF/DNG and most RAW, PNG, WebP, HEIF), completed from the XMP packet
//! where EXIF is silent ([`crate::xmp`]). Every field is optional: a photo
//! without metadata has an empty [`Metadata`], never an error.

use serde::{Deserialize, Serialize};

/// What the catalog keeps about a photo (encrypted, except what ordering
/// needs: the capture time and the dimensions).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Metadata {
    /// capture time in unix milliseconds (UTC when the offset is known,
    /// otherwise the camera's local clock read as UTC)
    pub taken_at_ms: Option<i64>,
    /// the capture time's UTC offset in minutes, when recorded
    pub offset_minutes: Option<i32>,
    /// latitude, degrees north
    pub latitude: Option<f64>,
    /// longitude, degrees east
    pub longitude: Option<f64>,
    /// altitude in metres
    pub altitude: Option<f64>,
    /// camera maker
    pub make: Option<String>,
    /// camera model
    pub model: Option<String>,
    /// lens model
    pub lens: Option<String>,
    /// EXIF orientation 1–8 (1 = as stored)
    pub orientation: u16,
    /// pixel width as recorded (before orientation)
    pub width: Option<u32>,
    /// pixel height as recorded (before orientation)
    pub height: Option<u32>,
    /// exposure time in seconds
    pub exposure_s: Option<f64>,
    /// f-number
    pub f_number: Option<f64>,
    /// ISO speed
    pub iso: Option<u32>,
    /// focal length in millimetres
    pub focal_mm: Option<f64>,
    /// video duration in milliseconds
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// video codec ("h264", "hevc", …)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_codec: Option<String>,
    /// audio codec of a video
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_codec: Option<String>,
    /// whether browsers play the video file as it is
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web_playable: Option<bool>,
}

/// How much of a JPEG is searched for its Exif block.
const JPEG_PREFIX: usize = 1 << 20;

fn text(f: &exif::Field) -> Option<String> {
    match &f.value {
        exif::Value::Ascii(v) => {
            let s: String = v
                .iter()
                .flat_map(|b| b.iter())
                .map(|&b| b as char)
                .collect::<String>()
                .trim_matches(|c: char| c == '\0' || c.is_whitespace())
                .chars()
                .take(200)
                .collect();
            (!s.is_empty()).then_some(s)
        }
        _ => None,
    }
}

fn rational(f: &exif::Field, i: usize) -> Option<f64> {
    match &f.value {
        exif::Value::Rational(v) => v.get(i).filter(|r| r.denom != 0).map(|r| r.to_f64()),
        exif::Value::SRational(v) => v.get(i).filter(|r| r.denom != 0).map(|r| r.to_f64()),
        _ => None,
    }
    .filter(|x| x.is_finite())
}

fn uint(f: &exif::Field) -> Option<u32> {
    f.value.get_uint(0)
}

/// Degrees from a GPS (degrees, minutes, seconds) triple and its reference.
fn gps(e: &exif::Exif, tag: exif::Tag, ref_tag: exif::Tag, negative: &str) -> Option<f64> {
    let f = e.get_field(tag, exif::In::PRIMARY)?;
    let deg = rational(f, 0)?
        + rational(f, 1).unwrap_or(0.0) / 60.0
        + rational(f, 2).unwrap_or(0.0) / 3600.0;
    let r = e.get_field(ref_tag, exif::In::PRIMARY).and_then(text);
    let signed = if r.as_deref() == Some(negative) {
        -deg
    } else {
        deg
    };
    (signed.abs() <= 180.0).then_some(signed)
}

/// "+02:00" → 120.
fn offset(s: &str) -> Option<i32> {
    let s = s.trim();
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = s[1..].split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    ((0..=14).contains(&h) && (0..60).contains(&m)).then_some(sign * (h * 60 + m))
}

/// Reads the metadata of a photo held in memory.
pub fn extract(bytes: &[u8]) -> Metadata {
    let mut m = Metadata {
        orientation: 1,
        ..Metadata::default()
    };
    // In a JPEG the Exif block sits in the first segments; reading only a
    // prefix keeps a multi-megabyte file from being copied for nothing.
    let scan = if bytes.starts_with(&[0xFF, 0xD8]) {
        &bytes[..bytes.len().min(JPEG_PREFIX)]
    } else {
        bytes
    };
    if let Ok(e) = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(scan)) {
        from_exif(&mut m, &e);
    }
    if let Some(p) = crate::xmp::packet(bytes) {
        crate::xmp::fill(&mut m, crate::xmp::parse(p));
    }
    m
}

fn from_exif(m: &mut Metadata, e: &exif::Exif) {
    let field = |t: exif::Tag| e.get_field(t, exif::In::PRIMARY);
    let date = field(exif::Tag::DateTimeOriginal)
        .or_else(|| field(exif::Tag::DateTimeDigitized))
        .or_else(|| field(exif::Tag::DateTime))
        .and_then(text);
    m.offset_minutes = field(exif::Tag::OffsetTimeOriginal)
        .or_else(|| field(exif::Tag::OffsetTime))
        .and_then(text)
        .and_then(|s| offset(&s));
    if let Some(d) = date
        && let Ok(t) = chrono::NaiveDateTime::parse_from_str(d.trim(), "%Y:%m:%d %H:%M:%S")
    {
        let local = t.and_utc().timestamp_millis();
        m.taken_at_ms = Some(local - i64::from(m.offset_minutes.unwrap_or(0)) * 60_000);
    }
    m.latitude = gps(e, exif::Tag::GPSLatitude, exif::Tag::GPSLatitudeRef, "S");
    m.longitude = gps(e, exif::Tag::GPSLongitude, exif::Tag::GPSLongitudeRef, "W");
    m.altitude = field(exif::Tag::GPSAltitude)
        .and_then(|f| rational(f, 0))
        .map(|a| {
            let below = field(exif::Tag::GPSAltitudeRef).and_then(uint) == Some(1);
            if below { -a } else { a }
        });
    m.make = field(exif::Tag::Make).and_then(text);
    m.model = field(exif::Tag::Model).and_then(text);
    m.lens = field(exif::Tag::LensModel).and_then(text);
    m.orientation = field(exif::Tag::Orientation)
        .and_then(uint)
        .filter(|o| (1..=8).contains(o))
        .map_or(1, |o| o as u16);
    m.width = field(exif::Tag::PixelXDimension).and_then(uint);
    m.height = field(exif::Tag::PixelYDimension).and_then(uint);
    m.exposure_s = field(exif::Tag::ExposureTime).and_then(|f| rational(f, 0));
    m.f_number = field(exif::Tag::FNumber).and_then(|f| rational(f, 0));
    m.iso = field(exif::Tag::PhotographicSensitivity).and_then(uint);
    m.focal_mm = field(exif::Tag::FocalLength).and_then(|f| rational(f, 0));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        assert_eq!(offset("+02:00"), Some(120));
        assert_eq!(offset("-05:30"), Some(-330));
        assert_eq!(offset("02:00"), None);
        assert_eq!(offset("+99:00"), None);
        assert_eq!(offset(""), None);
    }

    #[test]
    fn no_exif_is_empty_not_an_error() {
        let m = extract(b"\xFF\xD8\xFF\xE0 not really a jpeg");
        assert_eq!(m.orientation, 1);
        assert_eq!(m.taken_at_ms, None);
        assert_eq!(extract(&[]).make, None);
    }

    #[test]
    fn exposure_lens_and_local_time_are_read() {
        use crate::fixtures::{ExifSpec, exif_block, jpeg_with, plain_jpeg};
        let exif = exif_block(&ExifSpec {
            make: Some("Canon".into()),
            model: Some("Canon EOS 80D".into()),
            taken: Some("2026:01:01 00:00:05".into()),
            offset: Some("+01:00".into()),
            exposure_time: Some((1, 250)),
            f_number: Some((28, 10)),
            iso: Some(200),
            focal_mm: Some((35, 1)),
            lens: Some("EF 35mm f/2".into()),
            ..ExifSpec::default()
        });
        let m = extract(&jpeg_with(&plain_jpeg(32, 24, 1), Some(&exif), None, None));
        assert_eq!(m.exposure_s, Some(0.004));
        assert_eq!(m.f_number, Some(2.8));
        assert_eq!(m.iso, Some(200));
        assert_eq!(m.focal_mm, Some(35.0));
        assert_eq!(m.lens.as_deref(), Some("EF 35mm f/2"));
        assert_eq!(m.offset_minutes, Some(60));
        // 2025-12-31T23:00:05Z: the UTC instant; local = + offset
        assert_eq!(m.taken_at_ms, Some(1_767_222_005_000));
    }
}
