-- Backups. Every stored blob's ciphertext SHA-256 sits beside the row that
-- references it, so a backup copy can be checked without a key. Runs of the
-- backup machinery (snapshots, verifications, scrubs) are kept for status
-- pages; their details are counts and opaque ids, never user content.
ALTER TABLE assets ADD COLUMN blob_sha256 BLOB;
ALTER TABLE asset_files ADD COLUMN sha256 BLOB;

CREATE TABLE backup_runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('snapshot', 'verify', 'scrub', 'restore')),
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    ok INTEGER,
    details TEXT
);
CREATE INDEX backup_runs_kind ON backup_runs (kind, started_at);

-- Finding the row of a blob (verification, self-healing).
CREATE INDEX assets_blob ON assets (blob_name);
CREATE INDEX asset_files_blob ON asset_files (blob_name);
