-- The rest of the library: captions and dimensions, quotas and usage,
-- per-month counts for the date scrubber, albums, resumable uploads, blob
-- write intents (crash safety) and a durable job queue (replication, purge).
-- Album names and captions are encrypted under the owner's key.
ALTER TABLE assets ADD COLUMN caption BLOB;
ALTER TABLE assets ADD COLUMN width INTEGER;
ALTER TABLE assets ADD COLUMN height INTEGER;
ALTER TABLE users ADD COLUMN quota_bytes INTEGER;

-- Filtered timelines walk their own index instead of skipping rows.
CREATE INDEX assets_by_kind ON assets (owner_id, kind, sort_at DESC, id DESC);
CREATE INDEX assets_favorites ON assets (owner_id, sort_at DESC, id DESC) WHERE favorite = 1;
CREATE INDEX assets_archived ON assets (owner_id, sort_at DESC, id DESC) WHERE archived = 1;
CREATE INDEX assets_trash ON assets (owner_id, trashed_at) WHERE trashed_at IS NOT NULL;
CREATE INDEX assets_purge ON assets (trashed_at) WHERE trashed_at IS NOT NULL;

-- Usage per user (every stored asset, trash included), kept by triggers.
CREATE TABLE user_usage (
    owner_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    bytes INTEGER NOT NULL DEFAULT 0,
    assets INTEGER NOT NULL DEFAULT 0
);

-- Assets outside the trash per UTC month (yyyymm) and facet, kept by triggers
-- so that the date scrubber never groups the assets table.
CREATE TABLE asset_months (
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    month INTEGER NOT NULL,
    kind TEXT NOT NULL,
    favorite INTEGER NOT NULL,
    archived INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (owner_id, month, kind, favorite, archived)
);

CREATE TRIGGER assets_count_insert AFTER INSERT ON assets BEGIN
    INSERT INTO user_usage (owner_id, bytes, assets) VALUES (NEW.owner_id, NEW.size, 1)
        ON CONFLICT (owner_id) DO UPDATE SET bytes = bytes + NEW.size, assets = assets + 1;
    INSERT INTO asset_months (owner_id, month, kind, favorite, archived, n)
        SELECT NEW.owner_id, CAST(strftime('%Y%m', NEW.sort_at / 1000, 'unixepoch') AS INTEGER),
               NEW.kind, NEW.favorite, NEW.archived, 1
        WHERE NEW.trashed_at IS NULL
        ON CONFLICT (owner_id, month, kind, favorite, archived) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER assets_count_delete AFTER DELETE ON assets BEGIN
    UPDATE user_usage SET bytes = bytes - OLD.size, assets = assets - 1 WHERE owner_id = OLD.owner_id;
    UPDATE asset_months SET n = n - 1
        WHERE OLD.trashed_at IS NULL AND owner_id = OLD.owner_id
          AND month = CAST(strftime('%Y%m', OLD.sort_at / 1000, 'unixepoch') AS INTEGER)
          AND kind = OLD.kind AND favorite = OLD.favorite AND archived = OLD.archived;
END;

CREATE TRIGGER assets_count_update AFTER UPDATE OF sort_at, kind, favorite, archived, trashed_at ON assets BEGIN
    UPDATE asset_months SET n = n - 1
        WHERE OLD.trashed_at IS NULL AND owner_id = OLD.owner_id
          AND month = CAST(strftime('%Y%m', OLD.sort_at / 1000, 'unixepoch') AS INTEGER)
          AND kind = OLD.kind AND favorite = OLD.favorite AND archived = OLD.archived;
    INSERT INTO asset_months (owner_id, month, kind, favorite, archived, n)
        SELECT NEW.owner_id, CAST(strftime('%Y%m', NEW.sort_at / 1000, 'unixepoch') AS INTEGER),
               NEW.kind, NEW.favorite, NEW.archived, 1
        WHERE NEW.trashed_at IS NULL
        ON CONFLICT (owner_id, month, kind, favorite, archived) DO UPDATE SET n = n + 1;
END;

CREATE TABLE albums (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name BLOB NOT NULL,
    cover_asset_id TEXT REFERENCES assets (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX albums_owner ON albums (owner_id, created_at DESC, id DESC);

CREATE TABLE album_assets (
    album_id TEXT NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    asset_id TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (album_id, asset_id)
);
CREATE INDEX album_assets_asset ON album_assets (asset_id);

-- Resumable (tus) uploads: received bytes are kept as encrypted parts.
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    length INTEGER NOT NULL CHECK (length >= 0),
    received INTEGER NOT NULL DEFAULT 0,
    file_name BLOB,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    busy_until INTEGER,
    asset_id TEXT
);
CREATE INDEX uploads_owner ON uploads (owner_id);
CREATE INDEX uploads_expiry ON uploads (expires_at);

CREATE TABLE upload_parts (
    upload_id TEXT NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    blob_name TEXT NOT NULL,
    len INTEGER NOT NULL,
    PRIMARY KEY (upload_id, seq)
);

-- A blob being written: recorded before the first byte, removed in the same
-- transaction that references the blob. An intent whose lease ran out is a
-- crashed write: the sweeper deletes its blob and any partial upload.
CREATE TABLE blob_intents (
    blob_name TEXT PRIMARY KEY,
    lease_until INTEGER NOT NULL
);
CREATE INDEX blob_intents_lease ON blob_intents (lease_until);

-- Durable jobs. `subject` is an opaque id (object name, asset id), never
-- user content. Finished jobs are deleted; `dead` ones keep their reason.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    run_at INTEGER NOT NULL,
    lease_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (kind, subject)
);
CREATE INDEX jobs_due ON jobs (state, run_at);
