//! The photo library's domain: uploads (one stream, or resumable in parts,
//! kept as those parts), reading the timeline, one asset and its edits,
//! trash and purge, albums, and reading originals and renditions. Every
//! operation is scoped to its caller, so another user's id is "not found";
//! names, captions, album names and metadata are encrypted under the
//! owner's key before they reach the catalog. Operations that queue jobs
//! wake the workers themselves.
//!
//! Callers: `http::library` (the JSON API, as thin protocol adapters),
//! `background` (the sweeper's purge, media jobs' write leases) and CLI
//! commands. It must never depend on `http` or axum, answer in HTTP terms,
//! or log user content.

pub mod albums;
pub mod archive;
pub mod assets;
pub mod carried_hash;
mod error;
pub mod export;
pub mod files;
pub mod ingest;
pub mod kept_parts;
pub mod lease;
pub mod link_files;
pub mod links;
pub mod purge;
pub mod quota;
pub mod search;
pub mod sharing;
pub mod timeline;
pub mod uploads;

use pixelunion_vault::ObjectId;

pub use error::{Error, Result};

/// The object id an asset's original is bound to: the asset's UUID.
pub fn asset_object_id(asset_id: &str) -> Result<ObjectId> {
    uuid::Uuid::parse_str(asset_id)
        .map(|u| ObjectId(*u.as_bytes()))
        .map_err(|_| Error::Corrupt("an asset id is not a UUID"))
}
