//! Google Takeout sidecars: the JSON file Takeout writes beside each photo
//! (`IMG_1234.jpg.json`, newer exports `IMG_1234.jpg.supplemental-metadata.json`,
//! names cut to 51 characters by Takeout) with the capture time, the place
//! and the description the photo had in Google Photos. Untrusted input: a
//! file that is not such JSON is no sidecar, never an error.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// What a sidecar says about its photo.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sidecar {
    /// capture time, unix milliseconds (UTC)
    pub taken_at_ms: Option<i64>,
    /// latitude, longitude and altitude
    pub place: Option<(f64, f64, Option<f64>)>,
    /// the description, as a caption
    pub caption: Option<String>,
}

impl Sidecar {
    /// Whether it says anything.
    pub(crate) fn is_empty(&self) -> bool {
        self.taken_at_ms.is_none() && self.place.is_none() && self.caption.is_none()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    #[serde(default)]
    photo_taken_time: Option<Time>,
    #[serde(default)]
    geo_data: Option<Geo>,
    #[serde(default)]
    geo_data_exif: Option<Geo>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
struct Time {
    /// seconds, as a string ("1563712345") — or a number in some exports
    timestamp: serde_json::Value,
}

#[derive(Deserialize)]
struct Geo {
    latitude: f64,
    longitude: f64,
    #[serde(default)]
    altitude: Option<f64>,
}

/// Capture times a sidecar may give: from 1800 to the year 3000.
const SECS_RANGE: std::ops::RangeInclusive<i64> = -5_364_662_400..=32_503_680_000;

impl Geo {
    /// Takeout writes 0/0 for "no place".
    fn place(&self) -> Option<(f64, f64, Option<f64>)> {
        let on_globe = self.latitude.is_finite()
            && self.longitude.is_finite()
            && (-90.0..=90.0).contains(&self.latitude)
            && (-180.0..=180.0).contains(&self.longitude);
        let nowhere = self.latitude == 0.0 && self.longitude == 0.0;
        let altitude = self
            .altitude
            .filter(|a| a.is_finite() && a.abs() <= 100_000.0 && *a != 0.0);
        (on_globe && !nowhere).then_some((self.latitude, self.longitude, altitude))
    }
}

/// Reads a sidecar's JSON; `None` when it is not one.
pub(crate) fn parse(bytes: &[u8]) -> Option<Sidecar> {
    let raw: Raw = serde_json::from_slice(bytes).ok()?;
    let taken_at_ms = raw.photo_taken_time.and_then(|t| {
        let secs = match t.timestamp {
            serde_json::Value::String(s) => s.trim().parse::<i64>().ok(),
            serde_json::Value::Number(n) => n.as_i64(),
            _ => None,
        }?;
        // 0 is Takeout's "unknown"
        (secs != 0 && SECS_RANGE.contains(&secs)).then(|| secs * 1000)
    });
    let place = raw
        .geo_data
        .as_ref()
        .and_then(Geo::place)
        .or_else(|| raw.geo_data_exif.as_ref().and_then(Geo::place));
    let caption = raw
        .description
        .map(|d| d.trim().chars().take(2000).collect::<String>())
        .filter(|d| !d.is_empty());
    Some(Sidecar {
        taken_at_ms,
        place,
        caption,
    })
}

/// The sidecar files Takeout may have written for `media`, most likely
/// first.
pub(crate) fn candidates(media: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (media.parent(), media.file_name()) else {
        return Vec::new();
    };
    let name = name.to_string_lossy();
    let mut out = Vec::new();
    for suffix in [".supplemental-metadata.json", ".json"] {
        let full = format!("{name}{suffix}");
        out.push(dir.join(&full));
        // Takeout cuts a sidecar's name to 51 characters (with ".json")
        let cut: String = full.chars().take(46).collect();
        if full.chars().count() > 51 {
            out.push(dir.join(format!("{cut}.json")));
        }
    }
    // "IMG_1234(1).jpg" → "IMG_1234.jpg(1).json"
    if let Some(open) = name.rfind('(')
        && let Some(close) = name[open..].find(')')
        && let Some(dot) = name.rfind('.')
        && dot > open + close
    {
        let counter = &name[open..=open + close];
        let stem = &name[..open];
        let ext = &name[dot..];
        out.push(dir.join(format!("{stem}{ext}{counter}.json")));
    }
    out
}

/// The sidecar of `media`, if one of its candidates is a readable sidecar
/// (at most 1 MiB).
pub(crate) fn find(media: &Path) -> Option<Sidecar> {
    candidates(media).into_iter().find_map(|p| {
        let meta = std::fs::metadata(&p).ok()?;
        if !meta.is_file() || meta.len() > 1 << 20 {
            return None;
        }
        parse(&std::fs::read(&p).ok()?).filter(|s| !s.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn reads_what_takeout_writes() -> TestResult {
        let s = parse(
            br#"{"title":"IMG_1.jpg","description":" Beach day ","photoTakenTime":{"timestamp":"1563712345","formatted":"21 Jul 2019"},
                "geoData":{"latitude":43.48,"longitude":-1.56,"altitude":12.5,"latitudeSpan":0,"longitudeSpan":0}}"#,
        )
        .ok_or("a sidecar")?;
        assert_eq!(s.taken_at_ms, Some(1_563_712_345_000));
        assert_eq!(s.place, Some((43.48, -1.56, Some(12.5))));
        assert_eq!(s.caption.as_deref(), Some("Beach day"));
        Ok(())
    }

    #[test]
    fn zeros_and_blanks_mean_unknown() -> TestResult {
        let s = parse(
            br#"{"description":"","photoTakenTime":{"timestamp":"0"},"geoData":{"latitude":0.0,"longitude":0.0,"altitude":0.0},
                "geoDataExif":{"latitude":48.85,"longitude":2.35,"altitude":0.0}}"#,
        )
        .ok_or("a sidecar")?;
        assert_eq!(s.taken_at_ms, None);
        assert_eq!(
            s.place,
            Some((48.85, 2.35, None)),
            "the EXIF place when the other is 0/0"
        );
        assert_eq!(s.caption, None);
        assert!(parse(br#"{"title":"x"}"#).ok_or("json")?.is_empty());
        Ok(())
    }

    #[test]
    fn what_is_not_a_sidecar_is_none_or_ignored() -> TestResult {
        for bytes in [
            &b"not json"[..],
            b"[1,2]",
            b"{\"photoTakenTime\":{\"timestamp\":[]}}",
            b"{\"geoData\":{\"latitude\":\"x\"}}",
        ] {
            assert!(parse(bytes).is_none_or(|s| s.is_empty()), "{bytes:?}");
        }
        let far = parse(br#"{"photoTakenTime":{"timestamp":"99999999999999"},"geoData":{"latitude":95,"longitude":0}}"#)
            .ok_or("json")?;
        assert!(far.is_empty(), "out of range: {far:?}");
        Ok(())
    }

    #[test]
    fn candidate_names_follow_takeout() {
        let names = |p: &str| -> Vec<String> {
            candidates(Path::new(p))
                .iter()
                .filter_map(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect()
        };
        assert_eq!(
            names("/t/IMG_1.jpg"),
            ["IMG_1.jpg.supplemental-metadata.json", "IMG_1.jpg.json"]
        );
        assert!(names("/t/IMG_1(2).jpg").contains(&"IMG_1.jpg(2).json".to_string()));
        let long = format!("/t/{}.jpg", "a".repeat(60));
        assert!(names(&long).iter().all(|n| n.chars().count() <= 51
            || n.ends_with(".jpg.json")
            || n.ends_with("metadata.json")));
        assert!(names(&long).iter().any(|n| n.chars().count() == 51));
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any bytes: a sidecar or none, never a panic, and whatever it
            /// gives is in range.
            #[test]
            fn any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
                if let Some(s) = parse(&bytes) {
                    if let Some(t) = s.taken_at_ms { prop_assert!(SECS_RANGE.contains(&(t / 1000))); }
                    if let Some((la, lo, _)) = s.place { prop_assert!(la.abs() <= 90.0 && lo.abs() <= 180.0); }
                }
            }

            #[test]
            fn any_numbers(t in any::<i64>(), la in any::<f64>(), lo in any::<f64>()) {
                let json = serde_json::json!({"photoTakenTime": {"timestamp": t.to_string()}, "geoData": {"latitude": la, "longitude": lo}});
                let s = parse(json.to_string().as_bytes());
                if let Some(s) = s {
                    if let Some(ms) = s.taken_at_ms { prop_assert_eq!(ms, t * 1000); }
                    // (JSON's decimal text may move the last bit)
                    if let Some((a, b, _)) = s.place {
                        prop_assert!((a - la).abs() <= 1e-9 && (b - lo).abs() <= 1e-9, "{a} {b}");
                    }
                }
            }
        }
    }
}
