//! Videos and HEIF pictures, through external tools fed from memory:
//! - [`probe`]: ffprobe's report → [`VideoInfo`];
//! - [`poster`]: one frame (at most 1440 px, rotation applied) as JPEG;
//! - [`transcode`]: an H.264/AAC fragmented MP4 streamed out of ffmpeg's
//!   stdout (for videos browsers cannot play), at most 1920 px;
//! - [`heif`]: a HEIC/AVIF picture's size (read from its container) and a
//!   ≤ 1440 px PNG rendering (`heif-thumbnailer`), the file handed over as a
//!   memfd.
//!
//! ffmpeg may only speak HTTP (`-protocol_whitelist tcp,http`) and reads
//! with the demuxer the sniffed type names ([`demuxer`]): a hostile "video"
//! cannot be taken for a playlist or a concat script that would make it read
//! local files or other hosts.

use std::time::Duration;

use pixelunion_media::MediaError;
use pixelunion_media::video::{MAX_REPORT, VideoInfo, parse_ffprobe};
use tokio::process::{Child, ChildStdout};

use super::run::{ToolError, Tools, memory_file};

/// Deadline of a probe or a poster.
const QUICK: Duration = Duration::from_secs(120);
/// Largest poster frame accepted from ffmpeg.
const MAX_FRAME: usize = 32 << 20;
/// Largest PNG accepted from heif-thumbnailer (1440² RGBA, uncompressed, and more).
const MAX_HEIF_PNG: usize = 16 << 20;

/// Why a video or HEIF step failed.
#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    /// the tool refused the file, or is missing
    #[error("{0}")]
    Tool(#[from] ToolError),
    /// the tool's output made no sense
    #[error("{0}")]
    Media(#[from] MediaError),
}

const INPUT: [&str; 6] = [
    "-v",
    "error",
    "-protocol_whitelist",
    "tcp,http",
    "-seekable",
    "1",
];

/// The demuxer for a sniffed video type: pinned, so that ffmpeg never
/// probes the bytes as something else (a playlist, a concat script).
pub fn demuxer(mime: &str) -> Option<&'static str> {
    match mime {
        "video/mp4" | "video/quicktime" | "video/3gpp" | "video/x-m4v" => Some("mov"),
        "video/webm" | "video/x-matroska" => Some("matroska"),
        _ => None,
    }
}

/// ffprobe's view of the video at `url` (read with demuxer `format`). A
/// picture larger than the pixel budget is refused here, before any frame
/// is decoded.
pub async fn probe(tools: &Tools, url: &str, format: &str) -> Result<VideoInfo, VideoError> {
    let mut args = INPUT.to_vec();
    args.extend([
        "-f",
        format,
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        "-i",
        url,
    ]);
    let out = tools
        .output("ffprobe", &args, None, MAX_REPORT, QUICK)
        .await?;
    let info = parse_ffprobe(&out)?;
    if let (Some(w), Some(h)) = (info.width, info.height) {
        pixelunion_media::render::check_size(u64::from(w), u64::from(h))?;
    }
    Ok(info)
}

fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// One frame at `at_ms` (rotation applied, at most 1440 px a side) as JPEG;
/// falls back to the first frame when the video is shorter than that.
pub async fn poster(
    tools: &Tools,
    url: &str,
    format: &str,
    at_ms: u64,
) -> Result<Vec<u8>, VideoError> {
    for at in [at_ms, 0] {
        let at = seconds(at);
        let mut args = INPUT.to_vec();
        args.extend([
            "-nostdin",
            "-ss",
            &at,
            "-f",
            format,
            "-i",
            url,
            "-map",
            "0:v:0",
            "-frames:v",
            "1",
            "-vf",
            "scale='min(1440,iw)':'min(1440,ih)':force_original_aspect_ratio=decrease",
            "-f",
            "image2pipe",
            "-c:v",
            "mjpeg",
            "-q:v",
            "3",
            "pipe:1",
        ]);
        let out = tools
            .output("ffmpeg", &args, None, MAX_FRAME, QUICK)
            .await?;
        if !out.is_empty() {
            return Ok(out);
        }
    }
    Err(MediaError::Decode("the video has no frame to show".into()).into())
}

/// Starts converting the video at `url` to H.264 (8-bit 4:2:0, at most
/// 1920 px on its longer side, rotation applied) and AAC in a fragmented MP4
/// written to the returned stdout, so it can be encrypted as it comes out.
pub fn transcode(
    tools: &Tools,
    url: &str,
    format: &str,
) -> Result<(Child, ChildStdout), ToolError> {
    let mut c = tools.command("ffmpeg");
    c.args(INPUT).args([
        "-nostdin",
        "-f",
        format,
        "-i",
        url,
        "-map",
        "0:v:0",
        "-map",
        "0:a:0?",
        "-vf",
        "scale='if(gte(iw,ih),min(1920,iw),-2)':'if(gte(iw,ih),-2,min(1920,ih))'",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "160k",
        "-movflags",
        "+frag_keyframe+empty_moov+default_base_moof",
        "-f",
        "mp4",
        "pipe:1",
    ]);
    let mut child = super::run::spawn(&mut c, "ffmpeg")?;
    let out = child
        .stdout
        .take()
        .ok_or_else(|| ToolError::Io("ffmpeg".into(), std::io::Error::other("no stdout pipe")))?;
    Ok((child, out))
}

/// A HEIF/AVIF picture rendered by libheif's tools: (full width, full
/// height, PNG of at most 1440 px a side). The size is read from the
/// container first ([`pixelunion_media::heif::size`], no decoding) and
/// checked against the pixel budget, so a forged header never reaches the
/// decoder; the picture is then decoded once.
pub async fn heif(tools: &Tools, bytes: &[u8]) -> Result<(u32, u32, Vec<u8>), VideoError> {
    let (w, h) = pixelunion_media::heif::size(bytes)?;
    let io = |e: std::io::Error| VideoError::Tool(ToolError::Io("memfd".into(), e));
    let fd = memory_file(bytes).map_err(io)?;
    let png = tools
        .output(
            "heif-thumbnailer",
            &["-p", "-s", "1440", "/dev/stdin", "/dev/stdout"],
            Some(fd),
            MAX_HEIF_PNG,
            QUICK,
        )
        .await?;
    Ok((w, h, png))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demuxers_are_pinned() {
        assert_eq!(demuxer("video/quicktime"), Some("mov"));
        assert_eq!(demuxer("video/webm"), Some("matroska"));
        assert_eq!(demuxer("application/vnd.apple.mpegurl"), None);
    }

    #[test]
    fn seconds_are_exact() {
        assert_eq!(seconds(1500), "1.500");
        assert_eq!(seconds(0), "0.000");
    }
}
