//! What `ffprobe -print_format json -show_format -show_streams` says about a
//! video, read into [`VideoInfo`]: duration, displayed size (rotation
//! applied), codecs, capture time with offset, place (ISO 6709) and camera,
//! and whether a browser can play the file as it is. Pure parsing: running
//! ffprobe is the caller's business. The JSON comes from a tool fed with
//! untrusted bytes, so every field is optional and bounded.

use serde::Deserialize;
use serde_json::Value;

use crate::MediaError;
use crate::metadata::Metadata;

/// Largest ffprobe report accepted (a hostile file can make it long).
pub const MAX_REPORT: usize = 1 << 20;

/// A video as ffprobe describes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VideoInfo {
    /// container names as ffprobe lists them ("mov,mp4,m4a,3gp,3g2,mj2")
    pub container: String,
    /// duration in milliseconds
    pub duration_ms: Option<u64>,
    /// displayed width (rotation applied)
    pub width: Option<u32>,
    /// displayed height (rotation applied)
    pub height: Option<u32>,
    /// rotation in degrees clockwise (0, 90, 180, 270)
    pub rotation: u16,
    /// first video stream's codec ("h264", "hevc", …)
    pub video_codec: Option<String>,
    /// its pixel format ("yuv420p", …)
    pub pixel_format: Option<String>,
    /// first audio stream's codec, if any
    pub audio_codec: Option<String>,
    /// capture time, unix ms UTC
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
}

#[derive(Deserialize)]
struct Report {
    #[serde(default)]
    streams: Vec<Value>,
    #[serde(default)]
    format: Option<Value>,
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k)
        .and_then(Value::as_str)
        .map(|x| x.chars().take(200).collect::<String>())
        .filter(|x| !x.trim().is_empty())
}

fn tag(v: &Value, names: &[&str]) -> Option<String> {
    let tags = v.get("tags")?.as_object()?;
    names.iter().find_map(|n| {
        tags.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .and_then(|(_, v)| v.as_str())
            .map(|x| x.trim().chars().take(200).collect::<String>())
            .filter(|x| !x.is_empty())
    })
}

fn num(v: &Value, k: &str) -> Option<f64> {
    match v.get(k)? {
        Value::Number(n) => n.as_f64(),
        Value::String(x) => x.trim().parse().ok(),
        _ => None,
    }
    .filter(|x: &f64| x.is_finite())
}

/// Rotation from the display matrix side data or the legacy `rotate` tag,
/// normalised to 0/90/180/270 clockwise.
fn rotation(stream: &Value) -> u16 {
    let from_side = stream
        .get("side_data_list")
        .and_then(Value::as_array)
        .and_then(|l| l.iter().find_map(|d| num(d, "rotation")))
        // ffprobe's display-matrix rotation is counter-clockwise
        .map(|r| -r);
    let from_tag = tag(stream, &["rotate"]).and_then(|r| r.parse::<f64>().ok());
    let r = from_side.or(from_tag).unwrap_or(0.0);
    let r = ((r / 90.0).round() as i64).rem_euclid(4);
    (r * 90) as u16
}

/// Parses a capture time as cameras and phones write it: RFC 3339, or
/// `2021-07-14T18:30:00+0200` (Apple), or without an offset (read as UTC).
/// Returns (unix ms UTC, offset minutes if stated).
pub fn parse_capture_time(s: &str) -> Option<(i64, Option<i32>)> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        let explicit = !s.ends_with('Z') && !s.ends_with('z');
        return Some((
            t.timestamp_millis(),
            explicit.then(|| t.offset().local_minus_utc() / 60),
        ));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S%z",
    ] {
        if let Ok(t) = chrono::DateTime::parse_from_str(s, f) {
            return Some((
                t.timestamp_millis(),
                Some(t.offset().local_minus_utc() / 60),
            ));
        }
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y:%m:%d %H:%M:%S",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Some((t.and_utc().timestamp_millis(), None));
        }
    }
    None
}

/// Parses an ISO 6709 point as phones store it (`+48.8584+002.2945+035.000/`):
/// decimal degrees latitude, longitude, optional altitude.
pub fn parse_iso6709(s: &str) -> Option<(f64, f64, Option<f64>)> {
    let s = s.trim().trim_end_matches('/');
    let mut parts = Vec::with_capacity(3);
    let mut start = None;
    for (i, c) in s.char_indices() {
        if c == '+' || c == '-' {
            if let Some(b) = start {
                parts.push(&s[b..i]);
            }
            start = Some(i);
        } else if !(c.is_ascii_digit() || c == '.') {
            return None;
        }
    }
    parts.push(&s[start?..]);
    if parts.len() < 2 || parts.len() > 3 {
        return None;
    }
    let n = |p: &str| p.parse::<f64>().ok().filter(|x| x.is_finite());
    let (lat, lon) = (n(parts[0])?, n(parts[1])?);
    if lat.abs() > 90.0 || lon.abs() > 180.0 {
        return None;
    }
    Some((lat, lon, parts.get(2).and_then(|p| n(p))))
}

/// Reads ffprobe's JSON report.
pub fn parse_ffprobe(json: &[u8]) -> Result<VideoInfo, MediaError> {
    if json.len() > MAX_REPORT {
        return Err(MediaError::Decode("ffprobe report too large".into()));
    }
    let r: Report = serde_json::from_slice(json)
        .map_err(|e| MediaError::Decode(format!("unreadable ffprobe report: {e}")))?;
    let format = r.format.unwrap_or(Value::Null);
    let kind = |v: &&Value| {
        v.get("codec_type")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let video = r
        .streams
        .iter()
        .find(|v| kind(v).as_deref() == Some("video") && !attached_picture(v));
    let Some(video) = video else {
        return Err(MediaError::Decode("no video stream".into()));
    };
    let audio = r
        .streams
        .iter()
        .find(|v| kind(v).as_deref() == Some("audio"));
    let rot = rotation(video);
    let (w, h) = (
        num(video, "width").map(|x| x as u32),
        num(video, "height").map(|x| x as u32),
    );
    let (w, h) = if rot == 90 || rot == 270 {
        (h, w)
    } else {
        (w, h)
    };
    let duration = num(&format, "duration")
        .or_else(|| num(video, "duration"))
        .filter(|d| *d >= 0.0 && *d < 1e9)
        .map(|d| (d * 1000.0).round() as u64);
    let when = tag(&format, &["com.apple.quicktime.creationdate"])
        .and_then(|t| parse_capture_time(&t))
        .or_else(|| tag(&format, &["creation_time", "date"]).and_then(|t| parse_capture_time(&t)))
        .or_else(|| tag(video, &["creation_time"]).and_then(|t| parse_capture_time(&t)));
    let place = tag(
        &format,
        &["com.apple.quicktime.location.ISO6709", "location"],
    )
    .and_then(|p| parse_iso6709(&p));
    Ok(VideoInfo {
        container: s(&format, "format_name").unwrap_or_default(),
        duration_ms: duration,
        width: w.filter(|x| *x > 0),
        height: h.filter(|x| *x > 0),
        rotation: rot,
        video_codec: s(video, "codec_name"),
        pixel_format: s(video, "pix_fmt"),
        audio_codec: audio.and_then(|a| s(a, "codec_name")),
        taken_at_ms: when.map(|w| w.0),
        offset_minutes: when.and_then(|w| w.1),
        latitude: place.map(|p| p.0),
        longitude: place.map(|p| p.1),
        altitude: place.and_then(|p| p.2),
        make: tag(&format, &["com.apple.quicktime.make", "make"]),
        model: tag(&format, &["com.apple.quicktime.model", "model"]),
    })
}

fn attached_picture(v: &Value) -> bool {
    v.get("disposition")
        .and_then(|d| d.get("attached_pic"))
        .and_then(Value::as_i64)
        == Some(1)
}

impl VideoInfo {
    /// Whether current browsers (Chromium, Firefox, Safari) play the file as
    /// it is: MP4/MOV with 8-bit 4:2:0 H.264 (or AV1), or WebM/Matroska with
    /// VP8/VP9/AV1; audio absent or AAC/MP3/Opus/Vorbis/FLAC. HEVC is not:
    /// Firefox and many Chromium builds cannot decode it.
    pub fn web_playable(&self) -> bool {
        let c = self.container.as_str();
        let mp4 = c.contains("mp4") || c.contains("mov");
        let webm = c.contains("webm") || c.contains("matroska");
        let v = self.video_codec.as_deref().unwrap_or("");
        let eight_bit_420 = matches!(
            self.pixel_format.as_deref(),
            Some("yuv420p" | "yuvj420p") | None
        );
        let video_ok = match v {
            "h264" => mp4 && eight_bit_420,
            "av1" => mp4 || webm,
            "vp8" | "vp9" => webm || (mp4 && v == "vp9"),
            _ => false,
        };
        let audio_ok = matches!(
            self.audio_codec.as_deref(),
            None | Some("aac" | "mp3" | "opus" | "vorbis" | "flac")
        );
        video_ok && audio_ok
    }

    /// The video's facts as the catalog keeps them (encrypted).
    pub fn metadata(&self) -> Metadata {
        Metadata {
            taken_at_ms: self.taken_at_ms,
            offset_minutes: self.offset_minutes,
            latitude: self.latitude,
            longitude: self.longitude,
            altitude: self.altitude,
            make: self.make.clone(),
            model: self.model.clone(),
            orientation: 1,
            width: self.width,
            height: self.height,
            duration_ms: self.duration_ms,
            video_codec: self.video_codec.clone(),
            audio_codec: self.audio_codec.clone(),
            web_playable: Some(self.web_playable()),
            ..Metadata::default()
        }
    }

    /// Where to take the poster frame: one second in, or the middle of a
    /// shorter clip.
    pub fn poster_at_ms(&self) -> u64 {
        match self.duration_ms {
            Some(d) if d < 2000 => d / 2,
            _ => 1000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const IPHONE: &str = r#"{
      "streams": [
        {"index":0,"codec_name":"hevc","codec_type":"video","width":1920,"height":1080,"pix_fmt":"yuv420p10le",
         "side_data_list":[{"side_data_type":"Display Matrix","rotation":-90}],
         "tags":{"creation_time":"2021-07-14T16:30:00.000000Z"}},
        {"index":1,"codec_name":"aac","codec_type":"audio"},
        {"index":2,"codec_name":"mjpeg","codec_type":"video","disposition":{"attached_pic":1}}
      ],
      "format": {"format_name":"mov,mp4,m4a,3gp,3g2,mj2","duration":"12.345000",
        "tags":{"com.apple.quicktime.creationdate":"2021-07-14T18:30:00+0200",
                "com.apple.quicktime.location.ISO6709":"+48.8584+002.2945+035.000/",
                "com.apple.quicktime.make":"Apple","com.apple.quicktime.model":"iPhone 12"}}
    }"#;

    #[test]
    fn reads_a_phone_video() {
        let v = parse_ffprobe(IPHONE.as_bytes()).expect("parses");
        assert_eq!(v.duration_ms, Some(12_345));
        assert_eq!(v.rotation, 90);
        assert_eq!((v.width, v.height), (Some(1080), Some(1920)));
        assert_eq!(v.video_codec.as_deref(), Some("hevc"));
        assert_eq!(v.audio_codec.as_deref(), Some("aac"));
        // 18:30 at +02:00 = 16:30 UTC
        assert_eq!(v.taken_at_ms, Some(1_626_280_200_000));
        assert_eq!(v.offset_minutes, Some(120));
        assert_eq!(v.latitude, Some(48.8584));
        assert_eq!(v.longitude, Some(2.2945));
        assert_eq!(v.altitude, Some(35.0));
        assert_eq!(v.model.as_deref(), Some("iPhone 12"));
        assert!(!v.web_playable(), "HEVC 10-bit is not web-playable");
        let m = v.metadata();
        assert_eq!(m.web_playable, Some(false));
        assert_eq!(m.duration_ms, Some(12_345));
    }

    #[test]
    fn playability() {
        let mut v = VideoInfo {
            container: "mov,mp4,m4a,3gp,3g2,mj2".into(),
            video_codec: Some("h264".into()),
            pixel_format: Some("yuv420p".into()),
            audio_codec: Some("aac".into()),
            ..VideoInfo::default()
        };
        assert!(v.web_playable());
        v.pixel_format = Some("yuv444p".into());
        assert!(!v.web_playable(), "4:4:4 H.264 does not play in Chromium");
        v.pixel_format = Some("yuv420p".into());
        v.audio_codec = Some("pcm_s16le".into());
        assert!(!v.web_playable());
        v.audio_codec = None;
        assert!(v.web_playable());
        v.container = "matroska,webm".into();
        assert!(!v.web_playable(), "H.264 in Matroska is not for browsers");
        v.video_codec = Some("vp9".into());
        assert!(v.web_playable());
    }

    #[test]
    fn rotation_forms() {
        let s = |j: &str| serde_json::from_str::<Value>(j).expect("json");
        assert_eq!(rotation(&s(r#"{"tags":{"rotate":"270"}}"#)), 270);
        assert_eq!(rotation(&s(r#"{"side_data_list":[{"rotation":90}]}"#)), 270);
        assert_eq!(
            rotation(&s(r#"{"side_data_list":[{"rotation":-180}]}"#)),
            180
        );
        assert_eq!(rotation(&s("{}")), 0);
    }

    #[test]
    fn capture_times() {
        assert_eq!(
            parse_capture_time("2021-07-14T16:30:00.000000Z"),
            Some((1_626_280_200_000, None))
        );
        assert_eq!(
            parse_capture_time("2021-07-14T18:30:00+02:00"),
            Some((1_626_280_200_000, Some(120)))
        );
        assert_eq!(
            parse_capture_time("2021-07-14T11:00:00-0530"),
            Some((1_626_280_200_000, Some(-330)))
        );
        assert_eq!(
            parse_capture_time("2021:07:14 16:30:00"),
            Some((1_626_280_200_000, None))
        );
        assert_eq!(parse_capture_time("yesterday"), None);
    }

    #[test]
    fn iso6709_forms() {
        assert_eq!(
            parse_iso6709("-33.8688+151.2093/"),
            Some((-33.8688, 151.2093, None))
        );
        assert_eq!(parse_iso6709("+91.0+000.0/"), None);
        assert_eq!(parse_iso6709("48.85"), None);
        assert_eq!(parse_iso6709("+1+2+3+4/"), None);
        assert_eq!(parse_iso6709("+1x+2/"), None);
    }

    #[test]
    fn bad_reports_are_errors() {
        assert!(parse_ffprobe(b"").is_err());
        assert!(parse_ffprobe(b"{\"streams\":[]}").is_err());
        assert!(parse_ffprobe(b"{\"streams\":[{\"codec_type\":\"audio\"}]}").is_err());
        assert!(parse_ffprobe(&vec![b' '; MAX_REPORT + 1]).is_err());
    }

    proptest! {
        #[test]
        fn never_panics_on_any_report(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_ffprobe(&bytes);
        }

        #[test]
        fn any_json_values_are_survivable(w in any::<i64>(), rot in any::<f64>(), d in ".{0,20}", t in ".{0,30}") {
            let j = serde_json::json!({
                "streams": [{"codec_type":"video","width":w,"height":w,"side_data_list":[{"rotation":rot}]}],
                "format": {"duration": d, "tags": {"creation_time": t, "location": t}}
            });
            let v = parse_ffprobe(j.to_string().as_bytes()).expect("a video stream is there");
            prop_assert!(v.rotation.is_multiple_of(90) && v.rotation < 360);
            if let Some(lat) = v.latitude { prop_assert!(lat.abs() <= 90.0); }
        }

        #[test]
        fn iso6709_round_trips(lat in -90.0f64..90.0, lon in -180.0f64..180.0) {
            let s = format!("{lat:+08.4}{lon:+09.4}/");
            let (a, b, _) = parse_iso6709(&s).expect("parses");
            prop_assert!((a - lat).abs() < 1e-4 && (b - lon).abs() < 1e-4);
        }
    }
}
