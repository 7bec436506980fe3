-- Originals stored as several blobs. A resumable upload sent in pieces keeps
-- its encrypted parts as they are (each a complete, separately
-- authenticated blob) instead of writing every byte again into one blob:
-- `assets.blob_name` is the first part (its AEAD bound to the asset's id),
-- and the rows here are the parts after it, in order, each bound to its
-- own blob name. An asset with no rows here is one blob, as before.
CREATE TABLE asset_parts (
    asset_id TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL CHECK (seq >= 1),
    blob_name TEXT NOT NULL,
    size BIGINT NOT NULL CHECK (size > 0),
    sha256 BYTEA NOT NULL,
    PRIMARY KEY (asset_id, seq)
);
CREATE INDEX asset_parts_blob ON asset_parts (blob_name);

-- The SHA-256 of each upload part's ciphertext, kept from the write so that
-- a part that becomes part of an original can be checked in the backup
-- store like any other blob (absent on parts written before).
ALTER TABLE upload_parts ADD COLUMN sha256 BYTEA;
