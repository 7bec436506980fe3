//! Which tables a snapshot holds, in the order a restore inserts them
//! (parents before children), and the type of each column.
//!
//! Left out on purpose: `user_usage` and `asset_months` (kept by triggers:
//! inserting the assets rebuilds them), `blob_intents` (writes in progress),
//! `audit_lock` (one row the migration makes, only ever counted up),
//! `throttle`, `library_revisions` and `nodes` (failure counts,
//! search-index revisions and the running nodes: transient state the
//! nodes share),
//! `exports` and `export_entries` (a few days' downloads, made again on
//! request; their metadata blobs are not replicated),
//! `account_recoveries` (e-mailed recovery links live two days at most; a
//! restored service asks for a new one),
//! `uploads` and `upload_parts` (unfinished resumable uploads: their parts
//! are never copied to the backup store; a client starts over), and the
//! database-made timestamps of `vault_seal` and `keyring` (informational,
//! typed differently on each backend). A job's lease is not kept either.

use super::format::ColType;

/// A column: its name, its type in the stream, and whether the database
/// holds it as a 32-bit integer (PostgreSQL `INTEGER`).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// name
    pub name: &'static str,
    /// type in the stream
    pub ty: ColType,
    /// a 32-bit integer column
    pub int32: bool,
}

/// A table of the snapshot.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    /// name
    pub name: &'static str,
    /// its columns
    pub columns: &'static [Column],
    /// the column order rows are read in (stable across runs)
    pub order_by: &'static str,
}

const fn int(name: &'static str) -> Column {
    Column {
        name,
        ty: ColType::Int,
        int32: false,
    }
}
const fn int32(name: &'static str) -> Column {
    Column {
        name,
        ty: ColType::Int,
        int32: true,
    }
}
const fn text(name: &'static str) -> Column {
    Column {
        name,
        ty: ColType::Text,
        int32: false,
    }
}
const fn bytes(name: &'static str) -> Column {
    Column {
        name,
        ty: ColType::Bytes,
        int32: false,
    }
}
const fn boolean(name: &'static str) -> Column {
    Column {
        name,
        ty: ColType::Bool,
        int32: false,
    }
}

/// Every table a snapshot holds, parents first.
pub const TABLES: &[Table] = &[
    Table {
        name: "vault_seal",
        columns: &[int32("id"), bytes("sealed_root")],
        order_by: "id",
    },
    Table {
        name: "keyring",
        columns: &[int32("version"), bytes("wrapped"), int("encryptions")],
        order_by: "version",
    },
    Table {
        name: "users",
        columns: &[
            text("id"),
            bytes("email_index"),
            bytes("email"),
            bytes("user_key"),
            text("password_hash"),
            text("role"),
            boolean("disabled"),
            boolean("must_change_password"),
            bytes("totp_secret"),
            int("totp_last_step"),
            int("created_at"),
            int("last_login_at"),
            int("quota_bytes"),
            int("deletion_requested_at"),
            int("purge_after"),
            text("deletion_requested_by"),
            int("role_expires_at"),
            int("role_reminded_at"),
            bytes("display_name"),
        ],
        order_by: "id",
    },
    Table {
        name: "role_requests",
        columns: &[
            text("id"),
            text("user_id"),
            text("role"),
            text("requested_by"),
            bytes("reason"),
            int("duration_secs"),
            int("created_at"),
            int("expires_at"),
            text("state"),
            text("decided_by"),
            int("decided_at"),
        ],
        order_by: "id",
    },
    Table {
        name: "recovery_codes",
        columns: &[text("user_id"), bytes("code_hash"), int("used_at")],
        order_by: "user_id, code_hash",
    },
    Table {
        name: "sessions",
        columns: &[
            bytes("token_hash"),
            text("id"),
            text("user_id"),
            int("created_at"),
            int("last_seen_at"),
            int("idle_secs"),
            int("expires_at"),
            bytes("client"),
        ],
        order_by: "id",
    },
    Table {
        name: "api_tokens",
        columns: &[
            text("id"),
            text("user_id"),
            bytes("token_hash"),
            bytes("name"),
            text("scope"),
            int("created_at"),
            int("expires_at"),
            int("last_used_at"),
        ],
        order_by: "id",
    },
    Table {
        name: "invites",
        columns: &[
            text("id"),
            bytes("token_hash"),
            text("role"),
            bytes("email_index"),
            text("created_by"),
            int("created_at"),
            int("expires_at"),
            int("used_at"),
        ],
        order_by: "id",
    },
    Table {
        name: "audit_events",
        columns: &[
            int("seq"),
            int("at"),
            text("actor"),
            text("action"),
            text("target"),
            text("outcome"),
            bytes("details"),
            int("key_version"),
            bytes("mac"),
            bytes("client"),
        ],
        order_by: "seq",
    },
    Table {
        name: "incidents",
        columns: &[
            text("id"),
            text("severity"),
            text("status"),
            bytes("details"),
            int("detected_at"),
            int("confirmed_at"),
            int("notified_at"),
            int("reminders"),
            text("created_by"),
            int("created_at"),
            int("updated_at"),
        ],
        order_by: "id",
    },
    Table {
        name: "incident_events",
        columns: &[
            text("incident_id"),
            int("seq"),
            int("at"),
            text("actor"),
            text("kind"),
            bytes("note"),
        ],
        order_by: "incident_id, seq",
    },
    Table {
        name: "incident_affected",
        columns: &[text("incident_id"), text("user_id")],
        order_by: "incident_id, user_id",
    },
    Table {
        name: "incident_messages",
        columns: &[
            text("id"),
            text("incident_id"),
            text("audience"),
            bytes("recipient"),
            bytes("subject"),
            bytes("body"),
            text("state"),
            text("detail"),
            int("at"),
        ],
        order_by: "id",
    },
    Table {
        name: "access_reviews",
        columns: &[
            text("id"),
            int("opened_at"),
            int("due_at"),
            int("closed_at"),
            text("opened_by"),
        ],
        order_by: "id",
    },
    Table {
        name: "access_review_lines",
        columns: &[
            text("review_id"),
            text("user_id"),
            text("role"),
            int("last_login_at"),
            boolean("mfa_enrolled"),
            int("role_expires_at"),
            text("last_used"),
            text("decision"),
            text("decided_by"),
            int("decided_at"),
        ],
        order_by: "review_id, user_id",
    },
    Table {
        name: "policies",
        columns: &[
            text("kind"),
            int("version"),
            text("body"),
            int("published_at"),
            text("published_by"),
        ],
        order_by: "kind, version",
    },
    Table {
        name: "policy_views",
        columns: &[
            text("user_id"),
            text("kind"),
            int("version"),
            int("seen_at"),
        ],
        order_by: "user_id, kind",
    },
    Table {
        name: "known_devices",
        columns: &[
            text("user_id"),
            bytes("device"),
            int("first_seen"),
            int("last_seen"),
        ],
        order_by: "user_id, device",
    },
    Table {
        name: "sign_in_alerts",
        columns: &[text("user_id"), int("enabled_at")],
        order_by: "user_id",
    },
    Table {
        name: "audit_checkpoints",
        columns: &[
            int("seq"),
            int("first_seq"),
            int("at"),
            bytes("mac"),
            bytes("signature"),
        ],
        order_by: "seq",
    },
    Table {
        name: "audit_pending",
        columns: &[
            int("id"),
            int("at"),
            text("actor"),
            text("action"),
            text("target"),
            text("outcome"),
        ],
        order_by: "id",
    },
    Table {
        name: "assets",
        columns: &[
            text("id"),
            text("owner_id"),
            text("blob_name"),
            text("kind"),
            text("mime"),
            int("size"),
            bytes("content_index"),
            bytes("file_name"),
            int("taken_at"),
            int("uploaded_at"),
            int("sort_at"),
            int("trashed_at"),
            boolean("favorite"),
            boolean("archived"),
            bytes("caption"),
            int32("width"),
            int32("height"),
            bytes("metadata"),
            text("media_state"),
            text("media_error"),
            bytes("blob_sha256"),
        ],
        order_by: "id",
    },
    Table {
        name: "asset_parts",
        columns: &[
            text("asset_id"),
            int32("seq"),
            text("blob_name"),
            int("size"),
            bytes("sha256"),
        ],
        order_by: "asset_id, seq",
    },
    Table {
        name: "asset_files",
        columns: &[
            text("asset_id"),
            text("kind"),
            text("blob_name"),
            text("mime"),
            int("size"),
            int32("width"),
            int32("height"),
            bytes("sha256"),
        ],
        order_by: "asset_id, kind",
    },
    Table {
        name: "albums",
        columns: &[
            text("id"),
            text("owner_id"),
            bytes("name"),
            text("cover_asset_id"),
            int("created_at"),
            int("updated_at"),
        ],
        order_by: "id",
    },
    Table {
        name: "album_assets",
        columns: &[text("album_id"), text("asset_id"), int("added_at")],
        order_by: "album_id, asset_id",
    },
    Table {
        name: "album_shares",
        columns: &[
            text("id"),
            text("album_id"),
            text("user_id"),
            bytes("email_index"),
            bytes("email"),
            text("role"),
            int("created_at"),
        ],
        order_by: "id",
    },
    Table {
        name: "links",
        columns: &[
            text("id"),
            text("owner_id"),
            bytes("token_hash"),
            bytes("token"),
            text("album_id"),
            text("password_hash"),
            boolean("allow_download"),
            boolean("keep_metadata"),
            int("expires_at"),
            int("views"),
            int("created_at"),
            int("last_viewed_at"),
        ],
        order_by: "id",
    },
    Table {
        name: "link_assets",
        columns: &[text("link_id"), text("asset_id")],
        order_by: "link_id, asset_id",
    },
    Table {
        name: "jobs",
        columns: &[
            text("id"),
            text("kind"),
            text("subject"),
            text("state"),
            int32("attempts"),
            int("run_at"),
            text("last_error"),
            int("created_at"),
        ],
        order_by: "id",
    },
    Table {
        name: "backup_runs",
        columns: &[
            text("id"),
            text("kind"),
            int("started_at"),
            int("finished_at"),
            boolean("ok"),
            text("details"),
        ],
        order_by: "id",
    },
];

/// The table spec named `name`.
pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}
