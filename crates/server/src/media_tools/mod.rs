//! The external media tools and how they read plaintext without a disk:
//! - [`run`]: running ffmpeg, ffprobe and libheif's tools with an empty
//!   environment, deadlines, output caps, killed when dropped, stderr never
//!   read; files handed over as memfds;
//! - [`video`]: probing, poster frames, transcoding and HEIF decoding;
//! - [`feed`]: a one-job loopback HTTP URL serving a decrypted original
//!   with Range (the same Range answers as downloads), so that a 4 GiB
//!   video is neither in memory nor on disk.
//!
//! It must never write plaintext to a file, pass a key or user content on a
//! command line, or listen beyond 127.0.0.1.

pub mod feed;
pub mod run;
pub mod video;

pub use run::{ToolError, Tools};
