//! Media benchmark beside `vipsthumbnail` on the same files, one process per
//! file for both (as a worker would see a cold file): generates 24 MP and
//! 12 MP JPEGs and a 12 MP PNG, then per file and per tool records the wall
//! time and the peak RSS (GNU `/usr/bin/time -f "%e %M"`). PixelUnion makes
//! the thumbnail *and* the preview from one decode; vipsthumbnail is run once
//! per size. EXIF extraction is timed in-process against `exiftool` when it
//! is installed. Prints Markdown (docs/benchmarks.md).
//!
//! `scripts/bench-media.sh` (installs libvips-tools), or
//! `cargo bench -p pixelunion-media --bench render`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods
)]

use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// The server's allocator (`pixelunion serve` runs on mimalloc), so that
/// the figures are the ones a media job sees.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RUNS: usize = 7;

fn photo(w: u32, h: u32, seed: u32) -> image::RgbImage {
    // Smooth gradients plus fine noise: compresses like a photo, not like a flat test card.
    let mut x = seed | 1;
    image::RgbImage::from_fn(w, h, |i, j| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let n = (x & 15) as u8;
        image::Rgb([
            ((i * 255 / w) as u8).wrapping_add(n),
            ((j * 255 / h) as u8).wrapping_add(n),
            (((i + j) * 97 / (w + h)) as u8).wrapping_add(n),
        ])
    })
}

fn write(
    dir: &Path,
    name: &str,
    img: &image::RgbImage,
    fmt: image::ImageFormat,
) -> std::path::PathBuf {
    let p = dir.join(name);
    if fmt == image::ImageFormat::Jpeg {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode(
                img.as_raw(),
                img.width(),
                img.height(),
                image::ExtendedColorType::Rgb8,
            )
            .unwrap();
        std::fs::write(&p, out).unwrap();
    } else {
        img.save_with_format(&p, fmt).unwrap();
    }
    p
}

/// (seconds, peak KiB) of one command, via GNU time.
fn timed(cmd: &[&str]) -> (f64, u64) {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%e %M"])
        .args(cmd)
        .output()
        .expect("/usr/bin/time");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.lines().last().unwrap_or_default();
    let mut f = last.split_whitespace();
    (
        f.next().and_then(|v| v.parse().ok()).unwrap_or(0.0),
        f.next().and_then(|v| v.parse().ok()).unwrap_or(0),
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Child mode: render one file (both sizes) and exit.
    if let Some(i) = args.iter().position(|a| a == "--render-one") {
        let path = &args[i + 1];
        let mime = &args[i + 2];
        let bytes = std::fs::read(path).unwrap();
        let meta = pixelunion_media::metadata::extract(&bytes);
        // HEIC and video go through the same tools and steps as the server
        // (the container read, then heif-convert's raw frame through a
        // link to its stdout in a private /dev/shm directory; ffprobe + one
        // ffmpeg frame). Other files are rendered from the one copy read,
        // as the server's media job does (a second copy would count the
        // file twice in the peak memory).
        if mime == "image/heic" {
            let (w, h) = pixelunion_media::heif::size(&bytes).unwrap();
            let layout = pixelunion_media::heif::layout(&bytes).unwrap();
            assert!(
                layout.wants_raw_frame(),
                "the bench's HEIC takes the raw path"
            );
            let dir = tempfile::Builder::new()
                .prefix("pu-bench-heif-")
                .tempdir_in("/dev/shm")
                .unwrap();
            let link = dir.path().join("frame.y4m");
            std::os::unix::fs::symlink("/dev/stdout", &link).unwrap();
            let out = Command::new("heif-convert")
                .args(["--quiet", "/dev/stdin"])
                .arg(&link)
                .stdin(std::fs::File::open(path).unwrap())
                .output()
                .unwrap();
            assert!(out.status.success(), "heif-convert");
            drop(bytes);
            let r = pixelunion_media::render::render_heif_frame(&out.stdout, &layout.colour, w, h)
                .unwrap();
            assert!(r.thumbnail.jpeg.len() > 100 && r.preview.jpeg.len() > 100);
            return;
        }
        let (decoded, mime, orientation): (std::borrow::Cow<[u8]>, _, _) =
            match mime.as_str() {
                "video/mp4" => {
                    let probe = Command::new("ffprobe")
                        .args([
                            "-v",
                            "error",
                            "-print_format",
                            "json",
                            "-show_format",
                            "-show_streams",
                            "-i",
                            path,
                        ])
                        .output()
                        .unwrap();
                    let info = pixelunion_media::video::parse_ffprobe(&probe.stdout).unwrap();
                    let at = format!("{}", info.poster_at_ms() as f64 / 1000.0);
                    let frame = Command::new("ffmpeg")
                    .args(["-v", "error", "-ss", &at, "-i", path, "-frames:v", "1", "-vf",
                        "scale='min(1440,iw)':'min(1440,ih)':force_original_aspect_ratio=decrease",
                        "-f", "image2pipe", "-c:v", "mjpeg", "-q:v", "3", "pipe:1"])
                    .output()
                    .unwrap();
                    (std::borrow::Cow::Owned(frame.stdout), "image/jpeg", 1)
                }
                m => (std::borrow::Cow::Borrowed(&bytes[..]), m, meta.orientation),
            };
        let r = pixelunion_media::render::render(&decoded, mime, orientation).unwrap();
        assert!(r.thumbnail.jpeg.len() > 100 && r.preview.jpeg.len() > 100);
        return;
    }
    let have_vips = Command::new("vipsthumbnail")
        .arg("--version")
        .output()
        .is_ok();
    let dir = std::env::temp_dir().join(format!("pu-media-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files = [
        (
            "24 MP JPEG",
            write(
                &dir,
                "24mp.jpg",
                &photo(6000, 4000, 1),
                image::ImageFormat::Jpeg,
            ),
            "image/jpeg",
        ),
        (
            "12 MP JPEG",
            write(
                &dir,
                "12mp.jpg",
                &photo(4032, 3024, 2),
                image::ImageFormat::Jpeg,
            ),
            "image/jpeg",
        ),
        (
            "12 MP PNG",
            write(
                &dir,
                "12mp.png",
                &photo(4032, 3024, 3),
                image::ImageFormat::Png,
            ),
            "image/png",
        ),
    ];
    let mut files = files.to_vec();
    let have = |c: &str| Command::new(c).arg("-version").output().is_ok();
    if have("heif-enc") {
        let png = dir.join("12mp.png");
        let heic = dir.join("12mp.heic");
        let ok = Command::new("heif-enc")
            .args(["-q", "80"])
            .arg(&png)
            .arg("-o")
            .arg(&heic)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            files.push(("12 MP HEIC", heic, "image/heic"));
        }
    }
    if have("ffmpeg") {
        let mp4 = dir.join("1080p.mp4");
        let ok = Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=1920x1080:rate=30:duration=10",
                "-c:v",
                "libx264",
                "-preset",
                "fast",
                "-pix_fmt",
                "yuv420p",
            ])
            .arg(&mp4)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            files.push(("1080p H.264 video, 10 s", mp4, "video/mp4"));
        }
    }
    let me = std::env::current_exe().unwrap();
    println!(
        "| file | PixelUnion: 250 px + 1440 px, one decode (median s / peak MiB) | vipsthumbnail 250 px | vipsthumbnail 1440 px | time ratio vs vips 250+1440 | memory ratio vs vips 1440 |"
    );
    // (for the video row the baseline columns are plain `ffmpeg` frame grabs)
    println!("|---|---|---|---|---|---|");
    for (label, path, mime) in files.iter() {
        let p = path.to_str().unwrap();
        let mut ours = Vec::new();
        let mut ours_rss = 0;
        for _ in 0..RUNS {
            let (t, m) = timed(&[me.to_str().unwrap(), "--render-one", p, mime]);
            ours.push(t);
            ours_rss = ours_rss.max(m);
        }
        let ours_t = median(ours);
        if !have_vips {
            println!(
                "| {label} | {ours_t:.3} / {:.0} | (vipsthumbnail not installed) | | | |",
                ours_rss as f64 / 1024.0
            );
            continue;
        }
        let mut vips = Vec::new();
        for size in ["250", "1440"] {
            let out = dir.join(format!("out-{size}.jpg"));
            let o = format!("{}[Q=82]", out.display());
            let mut t = Vec::new();
            let mut rss = 0;
            for _ in 0..RUNS {
                let (s, m) = if *mime == "video/mp4" {
                    let vf = format!(
                        "scale='min({size},iw)':'min({size},ih)':force_original_aspect_ratio=decrease"
                    );
                    let out = out.to_str().unwrap().to_string();
                    timed(&[
                        "ffmpeg",
                        "-v",
                        "error",
                        "-y",
                        "-ss",
                        "1",
                        "-i",
                        p,
                        "-frames:v",
                        "1",
                        "-vf",
                        &vf,
                        "-q:v",
                        "3",
                        &out,
                    ])
                } else {
                    timed(&["vipsthumbnail", p, "--size", size, "-o", &o])
                };
                t.push(s);
                rss = rss.max(m);
            }
            vips.push((median(t), rss));
        }
        let both = vips[0].0 + vips[1].0;
        println!(
            "| {label} | {ours_t:.3} / {:.0} | {:.3} / {:.0} | {:.3} / {:.0} | {:.2}× | {:.2}× |",
            ours_rss as f64 / 1024.0,
            vips[0].0,
            vips[0].1 as f64 / 1024.0,
            vips[1].0,
            vips[1].1 as f64 / 1024.0,
            ours_t / both.max(1e-9),
            ours_rss as f64 / vips[1].1.max(1) as f64,
        );
    }
    // EXIF: in-process extraction vs exiftool on the same file.
    let files: Vec<_> = files.into_iter().take(3).collect();
    let jpeg = std::fs::read(&files[1].1).unwrap();
    let t = Instant::now();
    for _ in 0..1000 {
        std::hint::black_box(pixelunion_media::metadata::extract(std::hint::black_box(
            &jpeg,
        )));
    }
    let ours = t.elapsed().as_secs_f64() / 1000.0;
    match Command::new("exiftool").arg("-ver").output() {
        Ok(_) => {
            let (s, _) = timed(&["exiftool", "-j", files[1].1.to_str().unwrap()]);
            println!(
                "\nEXIF: PixelUnion {:.1} µs per file in-process; exiftool {:.0} ms per file ({:.0}×)",
                ours * 1e6,
                s * 1e3,
                s / ours
            );
        }
        Err(_) => println!(
            "\nEXIF: PixelUnion {:.1} µs per file in-process (exiftool not installed)",
            ours * 1e6
        ),
    }
    let _ = std::fs::remove_dir_all(&dir);
}
