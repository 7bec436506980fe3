//! Videos and HEIF pictures, through external tools fed from memory:
//! - [`probe`]: ffprobe's report → [`VideoInfo`];
//! - [`poster`]: one frame (at most 1440 px, rotation applied) as JPEG;
//! - [`transcode`]: an H.264/AAC fragmented MP4 streamed out of ffmpeg's
//!   stdout (for videos browsers cannot play), at most 1920 px;
//! - [`heif`]: a HEIC/AVIF picture's size (read from its container) and its
//!   pixels, a raw frame (`heif-convert`) or a ≤ 1440 px PNG
//!   (`heif-thumbnailer`), the file handed over as a memfd.
//!
//! ffmpeg may only speak HTTP (`-protocol_whitelist tcp,http`) and reads
//! with the demuxer the sniffed type names ([`demuxer`]): a hostile "video"
//! cannot be taken for a playlist or a concat script that would make it read
//! local files or other hosts.

use std::path::Path;
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

/// A HEIF/AVIF picture's pixels from libheif's tools.
#[derive(Debug)]
pub enum HeifPixels {
    /// the raw frame `heif-convert` wrote (YUV4MPEG2) and the colour the
    /// container declares: for [`pixelunion_media::render::render_heif_frame`]
    Frame(Vec<u8>, pixelunion_media::heif::Colour),
    /// a PNG of at most 1440 px a side from `heif-thumbnailer`
    Png(Vec<u8>),
}

/// A HEIF/AVIF picture decoded by libheif's tools: (full width, full
/// height, pixels). The size is read from the container first
/// ([`pixelunion_media::heif::size`], no decoding) and checked against the
/// pixel budget, so a forged header never reaches the decoder.
///
/// A file the container says holds one image, in a colour the conversion
/// knows, is decoded by `heif-convert` into a raw frame: no RGB conversion,
/// scaling and PNG compression in the tool and no PNG decoding here (the
/// larger part of the work besides the HEVC decoding). `heif-convert`
/// picks its output format from the file name, so it writes to a link
/// named `….y4m` that points at its standard output, in a private
/// directory on the memory file system (`/dev/shm`, removed after the
/// run): were the count wrong, the extra images it writes as files would
/// stay in memory. Anything else — more images, another colour, no
/// `/dev/shm`, a failed run — takes `heif-thumbnailer` and a PNG.
pub async fn heif(tools: &Tools, bytes: &[u8]) -> Result<(u32, u32, HeifPixels), VideoError> {
    let (w, h) = pixelunion_media::heif::size(bytes)?;
    let io = |e: std::io::Error| VideoError::Tool(ToolError::Io("memfd".into(), e));
    if let Ok(layout) = pixelunion_media::heif::layout(bytes)
        && layout.wants_raw_frame()
    {
        match raw_frame(tools, Path::new(SCRATCH), bytes, w, h).await {
            Ok(frame) => return Ok((w, h, HeifPixels::Frame(frame, layout.colour))),
            Err(e @ ToolError::TimedOut(_)) => return Err(e.into()),
            Err(e) => tracing::debug!(error = %e, "no raw HEIF frame; asking for a PNG"),
        }
    }
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
    Ok((w, h, HeifPixels::Png(png)))
}

/// Where `heif-convert`'s link to its stdout lives: the memory file system.
const SCRATCH: &str = "/dev/shm";

/// `heif-convert`'s raw frame of a `w × h` picture (see [`heif`]), its
/// link in a private directory under `scratch`, which is removed with
/// whatever the tool left in it. Output that is not a frame (a file the
/// tool took for several images writes them as files, not to the link)
/// is an error, so that the caller asks for a PNG instead.
async fn raw_frame(
    tools: &Tools,
    scratch: &Path,
    bytes: &[u8],
    w: u32,
    h: u32,
) -> Result<Vec<u8>, ToolError> {
    let io = |e: std::io::Error| ToolError::Io("heif-convert".into(), e);
    let dir = tempfile::Builder::new()
        .prefix("pixelunion-heif-")
        .tempdir_in(scratch)
        .map_err(io)?;
    let link = dir.path().join("frame.y4m");
    std::os::unix::fs::symlink("/dev/stdout", &link).map_err(io)?;
    let link = link
        .to_str()
        .ok_or_else(|| io(std::io::Error::other("temporary path is not UTF-8")))?
        .to_owned();
    let fd = memory_file(bytes).map_err(io)?;
    // 8-bit 4:2:0: 1.5 bytes a pixel, plus the two header lines
    let cap = (u64::from(w) * u64::from(h) * 3 / 2 + 4096) as usize;
    let out = tools
        .output(
            "heif-convert",
            &["--quiet", "/dev/stdin", &link],
            Some(fd),
            cap,
            QUICK,
        )
        .await;
    drop(dir);
    match out? {
        frame if frame.starts_with(b"YUV4MPEG2 ") => Ok(frame),
        _ => Err(io(std::io::Error::other("no raw frame on its output"))),
    }
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

    /// libheif's tools, or `None` (a skip, said on stderr) when they are
    /// missing outside CI.
    #[allow(clippy::disallowed_methods, clippy::print_stderr)]
    async fn libheif(test: &str) -> Option<Tools> {
        let t = Tools::new("");
        let mut there = true;
        for name in ["heif-enc", "heif-convert", "heif-thumbnailer"] {
            there &= t.available(name, "-h").await;
        }
        if there {
            return Some(t);
        }
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: libheif's tools are missing in CI"
        );
        eprintln!(
            "SKIP {test}: libheif's tools are not installed (scripts/install-media-tools.sh)"
        );
        None
    }

    /// A HEIC of saturated bars and a gradient (all of the test's own
    /// making), or several images of it.
    fn heic(images: usize) -> Vec<u8> {
        let dir = tempfile::tempdir().expect("tempdir");
        let bars: [[u8; 3]; 8] = [
            [255, 0, 0],
            [0, 255, 0],
            [0, 0, 255],
            [255, 255, 0],
            [0, 255, 255],
            [255, 0, 255],
            [255, 255, 255],
            [0, 0, 0],
        ];
        let img = image::RgbImage::from_fn(960, 720, |x, y| {
            if y < 360 {
                image::Rgb(bars[(x / 120) as usize])
            } else {
                image::Rgb([(x / 4) as u8, (y / 3) as u8, (255 - x / 4) as u8])
            }
        });
        let src = dir.path().join("src.png");
        img.save(&src).expect("png");
        let out = dir.path().join("pic.heic");
        let src = src.to_string_lossy().into_owned();
        let mut args = vec!["-q".to_string(), "90".into()];
        args.extend(std::iter::repeat_n(src, images));
        args.extend(["-o".into(), out.to_string_lossy().into_owned()]);
        let ok = std::process::Command::new("heif-enc")
            .args(&args)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("heif-enc");
        assert!(ok.success());
        std::fs::read(out).expect("heic")
    }

    fn pixels(jpeg: &[u8]) -> image::RgbImage {
        image::load_from_memory(jpeg).expect("jpeg").into_rgb8()
    }

    #[tokio::test]
    async fn a_raw_frame_renders_as_libheif_s_own_rgb() {
        let Some(tools) = libheif("a_raw_frame_renders_as_libheif_s_own_rgb").await else {
            return;
        };
        let bytes = heic(1);
        let (w, h, pixels_of) = heif(&tools, &bytes).await.expect("decodes");
        assert_eq!((w, h), (960, 720));
        let HeifPixels::Frame(frame, colour) = pixels_of else {
            panic!("one image in the default colour takes the raw path");
        };
        let ours =
            pixelunion_media::render::render_heif_frame(&frame, &colour, w, h).expect("renders");
        assert_eq!((ours.width, ours.height), (960, 720));
        let png = tools
            .output(
                "heif-thumbnailer",
                &["-p", "-s", "1440", "/dev/stdin", "/dev/stdout"],
                Some(memory_file(&bytes).expect("memfd")),
                MAX_HEIF_PNG,
                QUICK,
            )
            .await
            .expect("png");
        let theirs = pixelunion_media::render::render(&png, "image/png", 1).expect("renders");
        let (a, b) = (pixels(&ours.preview.jpeg), pixels(&theirs.preview.jpeg));
        assert_eq!(a.dimensions(), b.dimensions());
        let diff: u64 = a
            .as_raw()
            .iter()
            .zip(b.as_raw())
            .map(|(x, y)| u64::from(x.abs_diff(*y)))
            .sum();
        let mean = diff as f64 / a.as_raw().len() as f64;
        // The same conversion (a wrong matrix or range is 5–10 levels off
        // on these colours); what is left is the JPEG encoding of each.
        assert!(mean < 1.5, "mean difference {mean:.2} levels");
        let red = a.get_pixel(60, 90).0;
        assert!(
            red[0] > 235 && red[1] < 25 && red[2] < 25,
            "red bar {red:?}"
        );
    }

    #[tokio::test]
    async fn several_images_take_the_png_path() {
        let Some(tools) = libheif("several_images_take_the_png_path").await else {
            return;
        };
        let bytes = heic(2);
        let layout = pixelunion_media::heif::layout(&bytes).expect("layout");
        assert_eq!(layout.images, 2);
        let (w, h, pixels_of) = heif(&tools, &bytes).await.expect("decodes");
        assert_eq!((w, h), (960, 720));
        assert!(
            matches!(pixels_of, HeifPixels::Png(_)),
            "two images took the raw path"
        );
    }

    /// Were the container misread, `heif-convert` would write several
    /// images as files beside its link: that is no frame (the caller takes
    /// the PNG path), and nothing of them stays once the run is over.
    #[tokio::test]
    async fn images_written_beside_the_link_are_refused_and_removed() {
        let Some(tools) = libheif("images_written_beside_the_link_are_refused_and_removed").await
        else {
            return;
        };
        let scratch = tempfile::tempdir().expect("tempdir");
        let got = raw_frame(&tools, scratch.path(), &heic(2), 960, 720).await;
        assert!(got.is_err(), "two images are no raw frame");
        let left: Vec<_> = std::fs::read_dir(scratch.path())
            .expect("scratch")
            .collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }
}
