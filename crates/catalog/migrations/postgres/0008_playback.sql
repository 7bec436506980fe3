-- Videos browsers cannot play get a transcoded H.264/AAC MP4 as a derived
-- file of kind 'playback' (an encrypted blob like the others).
ALTER TABLE asset_files DROP CONSTRAINT asset_files_kind_check;
ALTER TABLE asset_files ADD CONSTRAINT asset_files_kind_check
    CHECK (kind IN ('thumbnail', 'preview', 'playback'));
