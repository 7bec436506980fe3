-- The media pipeline's results: EXIF and other metadata (encrypted JSON under
-- the owner's key), the pipeline state, and the derived files (thumbnail,
-- preview) stored as encrypted blobs like originals.
ALTER TABLE assets ADD COLUMN metadata BYTEA;
ALTER TABLE assets ADD COLUMN media_state TEXT NOT NULL DEFAULT 'pending'
    CHECK (media_state IN ('pending', 'ready', 'failed', 'none'));
ALTER TABLE assets ADD COLUMN media_error TEXT;

CREATE TABLE asset_files (
    asset_id TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('thumbnail', 'preview')),
    blob_name TEXT NOT NULL,
    mime TEXT NOT NULL,
    size BIGINT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    PRIMARY KEY (asset_id, kind)
);

-- Assets stored before the pipeline existed get their media job now.
INSERT INTO jobs (id, kind, subject, run_at, created_at)
    SELECT 'media-' || id, 'media', id, 0, 0 FROM assets;
