//! What library operations can fail with. The variants name what went
//! wrong in the domain's terms; `http::error` maps each to a status and a
//! code, background jobs record the `Display` (never user content) with its
//! cause class (`catalog: …`, `store: …`, `vault: …`).

use pixelunion_catalog::CatalogError;
use pixelunion_store::StoreError;
use pixelunion_vault::VaultError;

use crate::keystate::KeyError;

/// A library operation's failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No key in memory: the server is sealed.
    #[error("the server is sealed")]
    Sealed,
    /// No such item of the caller's (another user's looks the same).
    #[error("no such item")]
    NotFound,
    /// The file has no bytes.
    #[error("the file is empty")]
    EmptyFile,
    /// Not a photo or video format we store (decided from the content).
    #[error(
        "not a photo or video format PixelUnion stores (JPEG, PNG, WebP, GIF, HEIC/HEIF, AVIF, TIFF/DNG, RAW, MP4, MOV, WebM, MKV, 3GP)"
    )]
    Unsupported,
    /// The byte stream ended early or failed.
    #[error("the upload ended before the file was complete")]
    Interrupted,
    /// Over `library.max_upload_mib`.
    #[error("files may be at most {max_mib} MiB")]
    TooLarge {
        /// the limit in MiB
        max_mib: u64,
    },
    /// Over the owner's quota.
    #[error(
        "this file does not fit in your storage quota; empty the trash or ask an administrator for more space"
    )]
    OverQuota,
    /// More items than one call may name.
    #[error("at most {max} {what} per request")]
    TooMany {
        /// the limit
        max: usize,
        /// what is counted ("ids", "hashes")
        what: &'static str,
    },
    /// Not a SHA-256 digest in hex.
    #[error("each entry must be a SHA-256 digest in hex (64 characters)")]
    BadHash,
    /// Caption over [`super::assets::MAX_CAPTION`] characters.
    #[error("captions may be at most 2000 characters")]
    CaptionTooLong,
    /// A search over [`super::search::MAX_QUERY`] characters.
    #[error("a search is at most 200 characters")]
    QueryTooLong,
    /// A capture time or place the asset cannot hold (what is wrong).
    #[error("{0}")]
    BadEdit(&'static str),
    /// A capture time or place while the media pipeline still reads the
    /// file (its result would replace the edit).
    #[error("the file is still being processed: set its capture time or place once it is ready")]
    MediaPending,
    /// Album name empty or over 200 characters.
    #[error("an album name has 1 to 200 characters")]
    BadAlbumName,
    /// A cover that is not one of the album's items.
    #[error("the cover must be one of the album's items")]
    NotInAlbum,
    /// Assets named for an album or link that are not all the caller's own
    /// (outside the trash): nothing was changed.
    #[error("each asset must be one of your own, outside the trash; nothing was changed")]
    NotYourAsset,
    /// A share that cannot be made (what is wrong).
    #[error("{0}")]
    BadShare(&'static str),
    /// Adding to an album shared for viewing only.
    #[error("this album is shared with you for viewing only")]
    ViewOnly,
    /// A link that cannot be made (what is wrong).
    #[error("{0}")]
    BadLink(&'static str),
    /// A link that does not allow downloads.
    #[error("this link does not allow downloads")]
    NoDownload,
    /// A file a link cannot serve without its metadata (its format cannot
    /// be cleaned, or it is not ready).
    #[error(
        "this file can only be shared with its metadata; the owner may make a link that keeps it"
    )]
    NoCleanCopy,
    /// Playback asked of a photo.
    #[error("this asset is not a video")]
    NotAVideo,
    /// A resumable upload's bytes sent from the wrong offset.
    #[error("Upload-Offset is not where this upload stands; ask HEAD for the offset")]
    OffsetMismatch,
    /// Another request holds the resumable upload.
    #[error("another request is writing this upload; ask HEAD for the offset and retry shortly")]
    Busy,
    /// An export of this library is being prepared already.
    #[error("an export of your library is being prepared; wait until it is ready")]
    ExportInProgress,
    /// The export is not ready (still preparing, or failed).
    #[error("this export is not ready to download yet")]
    NotReady,
    /// More bytes than the resumable upload's declared length.
    #[error("more bytes than Upload-Length; the bytes up to it were kept")]
    LengthExceeded,
    /// The metadata database failed.
    #[error("catalog: {0}")]
    Catalog(#[from] CatalogError),
    /// A blob store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A key or ciphertext failed.
    #[error("vault: {0}")]
    Vault(#[from] VaultError),
    /// A task of ours failed (panicked or was cancelled).
    #[error("task: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// Stored data breaks an invariant (e.g. an asset id that is not a UUID).
    #[error("corrupt: {0}")]
    Corrupt(&'static str),
}

impl From<KeyError> for Error {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Sealed => Error::Sealed,
            KeyError::Vault(v) => Error::Vault(v),
        }
    }
}

impl Error {
    /// The bytes themselves are unacceptable (empty, not a photo or video,
    /// over a limit): sending them again cannot succeed.
    pub fn is_the_files_fault(&self) -> bool {
        matches!(
            self,
            Error::EmptyFile | Error::Unsupported | Error::TooLarge { .. } | Error::OverQuota
        )
    }
}

/// Result of library operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
