-- Videos browsers cannot play get a transcoded H.264/AAC MP4 as a derived
-- file of kind 'playback' (an encrypted blob like the others).
CREATE TABLE asset_files_new (
    asset_id TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('thumbnail', 'preview', 'playback')),
    blob_name TEXT NOT NULL,
    mime TEXT NOT NULL,
    size INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    PRIMARY KEY (asset_id, kind)
);
INSERT INTO asset_files_new SELECT asset_id, kind, blob_name, mime, size, width, height FROM asset_files;
DROP TABLE asset_files;
ALTER TABLE asset_files_new RENAME TO asset_files;
