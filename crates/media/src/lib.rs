//! # pixelunion-media
//!
//! Owns what PixelUnion learns from and makes of a photo, in memory only:
//! EXIF and XMP metadata ([`metadata::extract`]: capture time with offset,
//! GPS, camera, lens, orientation, dimensions), the two renditions the apps
//! show ([`render::render`]: a grid thumbnail and a viewer preview,
//! orientation applied, converted to sRGB, as JPEG; raw files through their
//! embedded preview, [`raw`]), and the reading of ffprobe's report on a
//! video ([`video`]), with limits checked before any pixel is decoded.
//!
//! Must never: touch the disk or the network, spawn processes, log, or
//! allocate beyond its limits for hostile input — every failure is a typed
//! [`MediaError`] the caller records as the job's reason.

pub mod colour;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod heif;
pub mod metadata;
mod png_rows;
pub mod raw;
pub mod render;
mod shrink;
pub mod strip;
pub mod video;
pub mod xmp;
mod y4m;

/// Why a file could not be read or rendered (stored as a job's reason: no
/// user content in these messages).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MediaError {
    /// Larger than the pixel budget (decompression-bomb guard).
    #[error("image too large: {width}x{height} pixels exceeds the {limit_mp} MP limit")]
    TooManyPixels {
        /// declared width
        width: u64,
        /// declared height
        height: u64,
        /// the limit in megapixels
        limit_mp: u64,
    },
    /// A dimension of zero.
    #[error("image has no pixels")]
    Empty,
    /// Not decodable (truncated, corrupt, unsupported variant).
    #[error("cannot decode the image: {0}")]
    Decode(String),
    /// A format this pipeline does not render (yet).
    #[error("no renderer for {0}")]
    Unsupported(String),
    /// Encoding the rendition failed.
    #[error("cannot encode the rendition: {0}")]
    Encode(String),
}

/// Largest picture decoded, in pixels (as declared in the header).
pub const MAX_PIXELS: u64 = 150_000_000;
/// Largest side accepted, in pixels.
pub const MAX_SIDE: u32 = 65_000;
