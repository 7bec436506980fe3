//! The data classification registry: every table and column of the catalog,
//! its class (policy §5: confidential, internal, public) and how it is
//! protected — field ciphertext under the owner's key or the system key,
//! key material wrapped by the keyring, a keyed blind index, a hash, a MAC,
//! or plaintext kept on purpose, with the reason. Conformance tests compare
//! it with the live schema of both backends (a column missing here fails),
//! an integration test writes canaries through the API and checks every
//! column against its entry, and the threat model's list of plaintext kept
//! on purpose is generated from it ([`plaintext_markdown`]).
//!
//! It must never say a column is protected when the code does not protect
//! it: the tests read what is stored, not this list.

/// How much harm its disclosure does (the security policy's classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, std::hash::Hash, PartialOrd, Ord)]
pub enum Class {
    /// people's content and what describes it, credentials and keys
    Confidential,
    /// how the service runs: ids, times, states, counts
    Internal,
    /// published anyway (with the audit checkpoints, in ciphertext headers)
    Public,
}

/// How a column's values are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, std::hash::Hash)]
pub enum Protection {
    /// field ciphertext (AES-256-GCM) under the owner's key
    UserKey,
    /// field ciphertext under the keyring's system key
    SystemKey,
    /// key material wrapped by the keyring or the unseal key
    Wrapped,
    /// a keyed blind index (HMAC), for lookups and equality
    BlindIndex,
    /// a hash: SHA-256 of a secret token or of ciphertext, Argon2id of a password
    Hash,
    /// a MAC or signature over other rows
    Mac,
    /// plaintext, on purpose; why
    Plain(&'static str),
}

impl Protection {
    /// Whether values are field ciphertext (checked as such by the tests).
    pub fn is_field_ciphertext(self) -> bool {
        matches!(self, Protection::UserKey | Protection::SystemKey)
    }
}

/// One column of the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// table
    pub table: &'static str,
    /// column
    pub column: &'static str,
    /// class
    pub class: Class,
    /// protection
    pub protection: Protection,
}

const fn e(
    table: &'static str,
    column: &'static str,
    class: Class,
    protection: Protection,
) -> Entry {
    Entry {
        table,
        column,
        class,
        protection,
    }
}

use Class::{Confidential, Internal, Public};
use Protection::{BlindIndex, Hash, Mac, Plain, SystemKey, UserKey, Wrapped};

/// Every column of every table the migrations make (both backends have the
/// same ones), by table.
pub const REGISTRY: &[Entry] = &[
    e(
        "account_recoveries",
        "id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "account_recoveries",
        "user_id",
        Internal,
        Plain("whose account: one pending recovery each"),
    ),
    e("account_recoveries", "token_hash", Confidential, Hash),
    e(
        "account_recoveries",
        "created_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "account_recoveries",
        "usable_at",
        Internal,
        Plain("the delay before the link works"),
    ),
    e(
        "account_recoveries",
        "expires_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "account_recoveries",
        "state",
        Internal,
        Plain("pending, cancelled, used"),
    ),
    e(
        "account_recoveries",
        "ended_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "access_review_lines",
        "review_id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "access_review_lines",
        "user_id",
        Internal,
        Plain("the reviewed account's id"),
    ),
    e(
        "access_review_lines",
        "role",
        Internal,
        Plain("the role under review"),
    ),
    e(
        "access_review_lines",
        "last_login_at",
        Internal,
        Plain("the review shows it"),
    ),
    e(
        "access_review_lines",
        "mfa_enrolled",
        Internal,
        Plain("the review shows it"),
    ),
    e(
        "access_review_lines",
        "role_expires_at",
        Internal,
        Plain("the review shows it"),
    ),
    e(
        "access_review_lines",
        "last_used",
        Internal,
        Plain("when each permission was last used: the review shows it"),
    ),
    e(
        "access_review_lines",
        "decision",
        Internal,
        Plain("confirmed or revoked"),
    ),
    e(
        "access_review_lines",
        "decided_by",
        Internal,
        Plain("who decided (an account id)"),
    ),
    e(
        "access_review_lines",
        "decided_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "access_reviews",
        "id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "access_reviews",
        "opened_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "access_reviews",
        "due_at",
        Internal,
        Plain("when an open review becomes overdue"),
    ),
    e(
        "access_reviews",
        "closed_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "access_reviews",
        "opened_by",
        Internal,
        Plain("who opened it (an account id)"),
    ),
    e(
        "album_assets",
        "album_id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "album_assets",
        "asset_id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "album_assets",
        "added_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "album_shares",
        "id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "album_shares",
        "album_id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "album_shares",
        "user_id",
        Internal,
        Plain("who may see the album: every access check is scoped by it"),
    ),
    e("album_shares", "email_index", Confidential, BlindIndex),
    e("album_shares", "email", Confidential, UserKey),
    e(
        "album_shares",
        "role",
        Internal,
        Plain("viewer or contributor: the access check reads it"),
    ),
    e(
        "album_shares",
        "created_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "albums",
        "id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "albums",
        "owner_id",
        Internal,
        Plain("whose album: every query is owner-scoped by it"),
    ),
    e("albums", "name", Confidential, UserKey),
    e(
        "albums",
        "cover_asset_id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "albums",
        "created_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "albums",
        "updated_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "api_tokens",
        "id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e("api_tokens", "user_id", Internal, Plain("whose token")),
    e("api_tokens", "token_hash", Confidential, Hash),
    e("api_tokens", "name", Confidential, UserKey),
    e(
        "api_tokens",
        "scope",
        Internal,
        Plain("what the token may do, checked on every call"),
    ),
    e(
        "api_tokens",
        "created_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "api_tokens",
        "expires_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "api_tokens",
        "last_used_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "asset_files",
        "asset_id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "asset_files",
        "kind",
        Internal,
        Plain("thumbnail, preview or playable copy"),
    ),
    e(
        "asset_files",
        "blob_name",
        Internal,
        Plain("an opaque random object name"),
    ),
    e(
        "asset_files",
        "mime",
        Internal,
        Plain("the rendition's media type, for serving it"),
    ),
    e(
        "asset_files",
        "size",
        Internal,
        Plain("a size: quotas and Range answers need it"),
    ),
    e(
        "asset_files",
        "width",
        Internal,
        Plain("pixel dimensions, for layout"),
    ),
    e(
        "asset_files",
        "height",
        Internal,
        Plain("pixel dimensions, for layout"),
    ),
    e("asset_files", "sha256", Internal, Hash),
    e(
        "asset_parts",
        "asset_id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e("asset_parts", "seq", Internal, Plain("the order")),
    e(
        "asset_parts",
        "blob_name",
        Internal,
        Plain("an opaque random object name"),
    ),
    e(
        "asset_parts",
        "size",
        Internal,
        Plain("a size: Range answers need it"),
    ),
    e("asset_parts", "sha256", Internal, Hash),
    e(
        "asset_months",
        "owner_id",
        Internal,
        Plain("whose timeline"),
    ),
    e(
        "asset_months",
        "month",
        Confidential,
        Plain("how many items per month: the timeline's scrubber, kept by triggers"),
    ),
    e("asset_months", "kind", Internal, Plain("photo or video")),
    e("asset_months", "favorite", Internal, Plain("a facet flag")),
    e("asset_months", "archived", Internal, Plain("a facet flag")),
    e("asset_months", "n", Internal, Plain("a count")),
    e(
        "assets",
        "id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "assets",
        "owner_id",
        Internal,
        Plain("whose item: every query is owner-scoped by it"),
    ),
    e(
        "assets",
        "blob_name",
        Internal,
        Plain("an opaque random object name"),
    ),
    e("assets", "kind", Internal, Plain("photo or video")),
    e(
        "assets",
        "mime",
        Internal,
        Plain("the media type, for serving and the pipeline"),
    ),
    e(
        "assets",
        "size",
        Internal,
        Plain("a size: quotas and Range answers need it"),
    ),
    e("assets", "content_index", Confidential, BlindIndex),
    e("assets", "file_name", Confidential, UserKey),
    e(
        "assets",
        "taken_at",
        Confidential,
        Plain(
            "the capture time (UTC, its offset encrypted): the timeline sorts and pages by it in the database",
        ),
    ),
    e(
        "assets",
        "uploaded_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "assets",
        "sort_at",
        Confidential,
        Plain("the timeline position (capture or upload time): sorted and paged in the database"),
    ),
    e(
        "assets",
        "trashed_at",
        Internal,
        Plain("when it was trashed: the purge after trash_days needs it"),
    ),
    e(
        "assets",
        "favorite",
        Internal,
        Plain("a facet flag, filtered in the database"),
    ),
    e(
        "assets",
        "archived",
        Internal,
        Plain("a facet flag, filtered in the database"),
    ),
    e("assets", "caption", Confidential, UserKey),
    e(
        "assets",
        "width",
        Internal,
        Plain("pixel dimensions, for layout"),
    ),
    e(
        "assets",
        "height",
        Internal,
        Plain("pixel dimensions, for layout"),
    ),
    e("assets", "metadata", Confidential, UserKey),
    e(
        "assets",
        "media_state",
        Internal,
        Plain("the pipeline's state"),
    ),
    e(
        "assets",
        "media_error",
        Internal,
        Plain("an error class from a decoder, never content"),
    ),
    e("assets", "blob_sha256", Internal, Hash),
    e(
        "audit_checkpoints",
        "seq",
        Public,
        Plain("a sequence number, published with the signature"),
    ),
    e(
        "audit_checkpoints",
        "first_seq",
        Public,
        Plain("a sequence number, published with the signature"),
    ),
    e(
        "audit_checkpoints",
        "at",
        Public,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e("audit_checkpoints", "mac", Public, Mac),
    e("audit_checkpoints", "signature", Public, Mac),
    e("audit_events", "seq", Internal, Plain("the chain's order")),
    e(
        "audit_events",
        "at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "audit_events",
        "actor",
        Internal,
        Plain("who acted (an account id): the trail is for reading"),
    ),
    e(
        "audit_events",
        "action",
        Internal,
        Plain("what was done (a fixed name)"),
    ),
    e("audit_events", "target", Internal, Plain("on what (an id)")),
    e(
        "audit_events",
        "outcome",
        Internal,
        Plain("success, failure, denied"),
    ),
    e("audit_events", "details", Confidential, SystemKey),
    e(
        "audit_events",
        "key_version",
        Internal,
        Plain("which keyring version keyed the MAC"),
    ),
    e("audit_events", "mac", Internal, Mac),
    e("audit_events", "client", Confidential, SystemKey),
    e("audit_lock", "id", Internal, Plain("the one row")),
    e(
        "audit_lock",
        "n",
        Internal,
        Plain("a counter that serialises writers"),
    ),
    e("audit_pending", "id", Internal, Plain("an order")),
    e(
        "audit_pending",
        "at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "audit_pending",
        "actor",
        Internal,
        Plain("who acted (an account id), while sealed"),
    ),
    e(
        "audit_pending",
        "action",
        Internal,
        Plain("what was done (a fixed name)"),
    ),
    e(
        "audit_pending",
        "target",
        Internal,
        Plain("on what (an id)"),
    ),
    e(
        "audit_pending",
        "outcome",
        Internal,
        Plain("success, failure, denied"),
    ),
    e(
        "backup_runs",
        "id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "backup_runs",
        "kind",
        Internal,
        Plain("snapshot, verify, scrub, restore"),
    ),
    e(
        "backup_runs",
        "started_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "backup_runs",
        "finished_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e("backup_runs", "ok", Internal, Plain("the outcome")),
    e(
        "backup_runs",
        "details",
        Internal,
        Plain("counts and opaque ids, never content"),
    ),
    e(
        "blob_intents",
        "blob_name",
        Internal,
        Plain("an opaque random object name being written"),
    ),
    e(
        "blob_intents",
        "lease_until",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "export_entries",
        "export_id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "export_entries",
        "position",
        Internal,
        Plain("the order in the archive"),
    ),
    e(
        "export_entries",
        "asset_id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "export_entries",
        "blob_name",
        Internal,
        Plain("an opaque random object name"),
    ),
    e(
        "export_entries",
        "size",
        Internal,
        Plain("a size: the archive's layout needs it"),
    ),
    e("export_entries", "entry", Confidential, UserKey),
    e(
        "exports",
        "id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e("exports", "owner_id", Internal, Plain("whose export")),
    e("exports", "state", Internal, Plain("the job's state")),
    e(
        "exports",
        "created_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "exports",
        "ready_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "exports",
        "expires_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e("exports", "entries", Internal, Plain("a count")),
    e("exports", "done", Internal, Plain("a count")),
    e("exports", "archive_bytes", Internal, Plain("a size")),
    e(
        "exports",
        "metadata_blob",
        Internal,
        Plain("an opaque random object name"),
    ),
    e("exports", "metadata_entry", Confidential, UserKey),
    e(
        "exports",
        "error",
        Internal,
        Plain("an error class, never content"),
    ),
    e(
        "incident_affected",
        "incident_id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "incident_affected",
        "user_id",
        Internal,
        Plain("an affected account's id: notification needs the list"),
    ),
    e(
        "incident_events",
        "incident_id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "incident_events",
        "seq",
        Internal,
        Plain("the timeline's order"),
    ),
    e(
        "incident_events",
        "at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "incident_events",
        "actor",
        Internal,
        Plain("who (an account id)"),
    ),
    e(
        "incident_events",
        "kind",
        Internal,
        Plain("the step's kind (a fixed name)"),
    ),
    e("incident_events", "note", Confidential, SystemKey),
    e(
        "incident_messages",
        "id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "incident_messages",
        "incident_id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "incident_messages",
        "audience",
        Internal,
        Plain("users, authority, partner, security"),
    ),
    e("incident_messages", "recipient", Confidential, SystemKey),
    e("incident_messages", "subject", Confidential, SystemKey),
    e("incident_messages", "body", Confidential, SystemKey),
    e(
        "incident_messages",
        "state",
        Internal,
        Plain("the delivery's state"),
    ),
    e(
        "incident_messages",
        "detail",
        Internal,
        Plain("an SMTP error class, never the message"),
    ),
    e(
        "incident_messages",
        "at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "incidents",
        "id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "incidents",
        "severity",
        Internal,
        Plain("low to critical: the register sorts by it"),
    ),
    e(
        "incidents",
        "status",
        Internal,
        Plain("open, contained, resolved, closed"),
    ),
    e("incidents", "details", Confidential, SystemKey),
    e(
        "incidents",
        "detected_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "incidents",
        "confirmed_at",
        Internal,
        Plain("the 72-hour clock's start: the reminders run on it"),
    ),
    e(
        "incidents",
        "notified_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "incidents",
        "reminders",
        Internal,
        Plain("which reminders went"),
    ),
    e(
        "incidents",
        "created_by",
        Internal,
        Plain("who opened it (an account id)"),
    ),
    e(
        "incidents",
        "created_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "incidents",
        "updated_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "invites",
        "id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e("invites", "token_hash", Confidential, Hash),
    e(
        "invites",
        "role",
        Internal,
        Plain("the role to give (always user now)"),
    ),
    e("invites", "email_index", Confidential, BlindIndex),
    e(
        "invites",
        "created_by",
        Internal,
        Plain("who invited (an account id)"),
    ),
    e(
        "invites",
        "created_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "invites",
        "expires_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "invites",
        "used_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "jobs",
        "id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e("jobs", "kind", Internal, Plain("the job's kind")),
    e(
        "jobs",
        "subject",
        Internal,
        Plain("an opaque id or object name"),
    ),
    e("jobs", "state", Internal, Plain("ready, running, dead")),
    e("jobs", "attempts", Internal, Plain("a count")),
    e(
        "jobs",
        "run_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "jobs",
        "lease_until",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "jobs",
        "last_error",
        Internal,
        Plain("an error class, never content"),
    ),
    e(
        "jobs",
        "created_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "keyring",
        "version",
        Public,
        Plain("a key version, named in every ciphertext header"),
    ),
    e("keyring", "wrapped", Confidential, Wrapped),
    e(
        "keyring",
        "encryptions",
        Internal,
        Plain("a usage count for rotation"),
    ),
    e(
        "keyring",
        "created_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "link_assets",
        "link_id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "link_assets",
        "asset_id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "links",
        "id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "links",
        "owner_id",
        Internal,
        Plain("whose link: the owner's list is scoped by it"),
    ),
    e("links", "token_hash", Confidential, Hash),
    e("links", "token", Confidential, UserKey),
    e(
        "links",
        "album_id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e("links", "password_hash", Confidential, Hash),
    e(
        "links",
        "allow_download",
        Internal,
        Plain("a setting the link's checks read"),
    ),
    e(
        "links",
        "keep_metadata",
        Internal,
        Plain("a setting the link's checks read"),
    ),
    e(
        "links",
        "expires_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e("links", "views", Internal, Plain("a count")),
    e(
        "links",
        "created_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "links",
        "last_viewed_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e("known_devices", "user_id", Internal, Plain("whose device")),
    e("known_devices", "device", Confidential, BlindIndex),
    e(
        "known_devices",
        "first_seen",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "known_devices",
        "last_seen",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e("recovery_codes", "user_id", Internal, Plain("whose code")),
    e("recovery_codes", "code_hash", Confidential, Hash),
    e("policies", "kind", Public, Plain("privacy or security")),
    e(
        "policies",
        "version",
        Public,
        Plain("a version number, shown to everyone"),
    ),
    e(
        "policies",
        "body",
        Public,
        Plain("a published policy: public by design"),
    ),
    e(
        "policies",
        "published_at",
        Public,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "policies",
        "published_by",
        Internal,
        Plain("who published it (an account id)"),
    ),
    e("policy_views", "user_id", Internal, Plain("whose view")),
    e(
        "policy_views",
        "kind",
        Internal,
        Plain("privacy or security"),
    ),
    e(
        "policy_views",
        "version",
        Internal,
        Plain("the version the account has seen (policy §15 asks for the record)"),
    ),
    e(
        "policy_views",
        "seen_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "recovery_codes",
        "used_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "role_requests",
        "id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "role_requests",
        "user_id",
        Internal,
        Plain("the grantee's id: one pending request each"),
    ),
    e(
        "role_requests",
        "role",
        Internal,
        Plain("the role asked for"),
    ),
    e(
        "role_requests",
        "requested_by",
        Internal,
        Plain("who asked (an account id)"),
    ),
    e("role_requests", "reason", Confidential, SystemKey),
    e(
        "role_requests",
        "duration_secs",
        Internal,
        Plain("how long the grant lasts"),
    ),
    e(
        "role_requests",
        "created_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "role_requests",
        "expires_at",
        Internal,
        Plain("when an unanswered request lapses"),
    ),
    e(
        "role_requests",
        "state",
        Internal,
        Plain("pending, approved, …"),
    ),
    e(
        "role_requests",
        "decided_by",
        Internal,
        Plain("who decided (an account id)"),
    ),
    e(
        "role_requests",
        "decided_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e("sessions", "token_hash", Confidential, Hash),
    e(
        "sessions",
        "id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e("sessions", "user_id", Internal, Plain("whose session")),
    e(
        "sessions",
        "created_at",
        Internal,
        Plain("timeouts are checked against it"),
    ),
    e(
        "sessions",
        "last_seen_at",
        Internal,
        Plain("timeouts are checked against it"),
    ),
    e("sessions", "idle_secs", Internal, Plain("the idle timeout")),
    e(
        "sessions",
        "expires_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e("sessions", "client", Confidential, UserKey),
    e(
        "sign_in_alerts",
        "user_id",
        Internal,
        Plain("whose setting"),
    ),
    e(
        "sign_in_alerts",
        "enabled_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "upload_parts",
        "upload_id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e("upload_parts", "seq", Internal, Plain("the order")),
    e(
        "upload_parts",
        "blob_name",
        Internal,
        Plain("an opaque random object name"),
    ),
    e(
        "upload_parts",
        "len",
        Internal,
        Plain("a size: resuming needs the offset"),
    ),
    e("upload_parts", "sha256", Internal, Hash),
    e(
        "uploads",
        "id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e("uploads", "owner_id", Internal, Plain("whose upload")),
    e(
        "uploads",
        "length",
        Internal,
        Plain("the declared size (tus)"),
    ),
    e("uploads", "received", Internal, Plain("the offset (tus)")),
    e("uploads", "file_name", Confidential, UserKey),
    e(
        "uploads",
        "created_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "uploads",
        "expires_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "uploads",
        "busy_until",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "uploads",
        "asset_id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e(
        "nodes",
        "id",
        Internal,
        Plain("a random id per running compute node: says nothing"),
    ),
    e(
        "nodes",
        "seen_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "nodes",
        "serving",
        Internal,
        Plain("whether that node holds the key: operators see it anyway"),
    ),
    e("throttle", "key", Confidential, BlindIndex),
    e("throttle", "failures", Internal, Plain("a count")),
    e(
        "throttle",
        "last_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "library_revisions",
        "user_id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e("library_revisions", "rev", Internal, Plain("a count")),
    e("user_usage", "owner_id", Internal, Plain("whose usage")),
    e(
        "user_usage",
        "bytes",
        Internal,
        Plain("storage used: quotas"),
    ),
    e("user_usage", "assets", Internal, Plain("a count")),
    e(
        "users",
        "id",
        Internal,
        Plain("a random id (UUID): links rows, says nothing"),
    ),
    e("users", "email_index", Confidential, BlindIndex),
    e("users", "email", Confidential, UserKey),
    e("users", "display_name", Confidential, UserKey),
    e("users", "user_key", Confidential, Wrapped),
    e("users", "password_hash", Confidential, Hash),
    e(
        "users",
        "role",
        Internal,
        Plain("the role: every request is checked against it"),
    ),
    e("users", "disabled", Internal, Plain("sign-in refused")),
    e(
        "users",
        "must_change_password",
        Internal,
        Plain("the first sign-in's gate"),
    ),
    e("users", "totp_secret", Confidential, UserKey),
    e(
        "users",
        "totp_last_step",
        Internal,
        Plain("the replay guard"),
    ),
    e(
        "users",
        "created_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "users",
        "last_login_at",
        Internal,
        Plain("access reviews show it"),
    ),
    e("users", "quota_bytes", Internal, Plain("a quota")),
    e(
        "users",
        "deletion_requested_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "users",
        "purge_after",
        Internal,
        Plain("when the purge runs"),
    ),
    e(
        "users",
        "deletion_requested_by",
        Internal,
        Plain("who asked (an account id)"),
    ),
    e(
        "users",
        "role_expires_at",
        Internal,
        Plain("when a privileged role ends"),
    ),
    e(
        "users",
        "role_reminded_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e("vault_seal", "id", Internal, Plain("the one row")),
    e("vault_seal", "sealed_root", Confidential, Wrapped),
    e(
        "vault_seal",
        "created_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
    e(
        "vault_seal",
        "updated_at",
        Internal,
        Plain("a time: the service schedules, expires and orders by it"),
    ),
];

/// The entry of `table.column`.
pub fn entry(table: &str, column: &str) -> Option<&'static Entry> {
    REGISTRY
        .iter()
        .find(|e| e.table == table && e.column == column)
}

/// The plaintext kept on purpose, as the markdown table
/// `docs/threat-model.md` holds (a test keeps them identical).
pub fn plaintext_markdown() -> String {
    let mut s =
        String::from("| table | column | class | why it is plaintext |\n|---|---|---|---|\n");
    for e in REGISTRY {
        if let Plain(why) = e.protection {
            let class = match e.class {
                Confidential => "confidential",
                Internal => "internal",
                Public => "public",
            };
            s.push_str(&format!(
                "| {} | {} | {class} | {why} |\n",
                e.table, e.column
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_once_with_a_reason_when_plain() {
        let mut seen = std::collections::HashSet::new();
        for e in REGISTRY {
            assert!(
                seen.insert((e.table, e.column)),
                "{}.{} twice",
                e.table,
                e.column
            );
            if let Plain(why) = e.protection {
                assert!(
                    why.len() >= 5,
                    "{}.{}: say why it is plaintext",
                    e.table,
                    e.column
                );
            }
        }
    }

    #[test]
    fn secrets_are_never_plain() {
        // Credentials and content descriptions must be protected; the
        // only confidential plaintext is the timeline's positions.
        for e in REGISTRY {
            if e.class == Confidential && matches!(e.protection, Plain(_)) {
                assert!(
                    matches!(
                        (e.table, e.column),
                        ("assets", "taken_at") | ("assets", "sort_at") | ("asset_months", "month")
                    ),
                    "{}.{} is confidential and plaintext",
                    e.table,
                    e.column
                );
            }
        }
    }

    #[test]
    fn the_threat_model_lists_the_registry_plaintext() {
        let doc = include_str!("../../../docs/threat-model.md");
        assert!(
            doc.contains(&plaintext_markdown()),
            "regenerate the table in docs/threat-model.md:\n{}",
            plaintext_markdown()
        );
    }
}
