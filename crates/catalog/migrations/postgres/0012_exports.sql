-- Library exports (docs/data-rights.md): a frozen list of an account's
-- originals with their ZIP entry (path and CRC-32, field-encrypted under the
-- owner's key), and its metadata document as an encrypted blob, so the
-- archive's layout is known before the first byte and any range of it can
-- be served again. Kept for a few days, then deleted with its blob.
CREATE TABLE exports (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('preparing', 'ready', 'failed')),
    created_at BIGINT NOT NULL,
    ready_at BIGINT,
    expires_at BIGINT NOT NULL,
    entries BIGINT NOT NULL DEFAULT 0,
    done BIGINT NOT NULL DEFAULT 0,
    archive_bytes BIGINT,
    metadata_blob TEXT,
    metadata_entry BYTEA,
    error TEXT
);
CREATE INDEX exports_owner ON exports (owner_id, created_at);

CREATE TABLE export_entries (
    export_id TEXT NOT NULL REFERENCES exports (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    asset_id TEXT NOT NULL,
    blob_name TEXT NOT NULL,
    size BIGINT NOT NULL,
    entry BYTEA NOT NULL,
    PRIMARY KEY (export_id, position)
);
