-- Library exports (docs/data-rights.md): a frozen list of an account's
-- originals with their ZIP entry (path and CRC-32, field-encrypted under the
-- owner's key), and its metadata document as an encrypted blob, so the
-- archive's layout is known before the first byte and any range of it can
-- be served again. Kept for a few days, then deleted with its blob.
CREATE TABLE exports (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('preparing', 'ready', 'failed')),
    created_at INTEGER NOT NULL,
    ready_at INTEGER,
    expires_at INTEGER NOT NULL,
    entries INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0,
    archive_bytes INTEGER,
    metadata_blob TEXT,
    metadata_entry BLOB,
    error TEXT
);
CREATE INDEX exports_owner ON exports (owner_id, created_at);

CREATE TABLE export_entries (
    export_id TEXT NOT NULL REFERENCES exports (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    asset_id TEXT NOT NULL,
    blob_name TEXT NOT NULL,
    size INTEGER NOT NULL,
    entry BLOB NOT NULL,
    PRIMARY KEY (export_id, position)
);
