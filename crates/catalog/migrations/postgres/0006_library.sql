-- The rest of the library: captions and dimensions, quotas and usage,
-- per-month counts for the date scrubber, albums, resumable uploads, blob
-- write intents (crash safety) and a durable job queue (replication, purge).
-- Album names and captions are encrypted under the owner's key.
ALTER TABLE assets ADD COLUMN caption BYTEA;
ALTER TABLE assets ADD COLUMN width INTEGER;
ALTER TABLE assets ADD COLUMN height INTEGER;
ALTER TABLE users ADD COLUMN quota_bytes BIGINT;

CREATE INDEX assets_by_kind ON assets (owner_id, kind, sort_at DESC, id DESC);
CREATE INDEX assets_favorites ON assets (owner_id, sort_at DESC, id DESC) WHERE favorite;
CREATE INDEX assets_archived ON assets (owner_id, sort_at DESC, id DESC) WHERE archived;
CREATE INDEX assets_trash ON assets (owner_id, trashed_at) WHERE trashed_at IS NOT NULL;
CREATE INDEX assets_purge ON assets (trashed_at) WHERE trashed_at IS NOT NULL;

CREATE TABLE user_usage (
    owner_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    bytes BIGINT NOT NULL DEFAULT 0,
    assets BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE asset_months (
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    month INTEGER NOT NULL,
    kind TEXT NOT NULL,
    favorite BOOLEAN NOT NULL,
    archived BOOLEAN NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (owner_id, month, kind, favorite, archived)
);

CREATE FUNCTION asset_month(ms BIGINT) RETURNS INTEGER LANGUAGE sql IMMUTABLE AS
    $$ SELECT to_char(to_timestamp(ms / 1000) AT TIME ZONE 'UTC', 'YYYYMM')::INTEGER $$;

CREATE FUNCTION assets_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO user_usage (owner_id, bytes, assets) VALUES (NEW.owner_id, NEW.size, 1)
            ON CONFLICT (owner_id) DO UPDATE SET bytes = user_usage.bytes + NEW.size,
                                                 assets = user_usage.assets + 1;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE user_usage SET bytes = bytes - OLD.size, assets = assets - 1
            WHERE owner_id = OLD.owner_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.trashed_at IS NULL THEN
        UPDATE asset_months SET n = n - 1
            WHERE owner_id = OLD.owner_id AND month = asset_month(OLD.sort_at)
              AND kind = OLD.kind AND favorite = OLD.favorite AND archived = OLD.archived;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.trashed_at IS NULL THEN
        INSERT INTO asset_months (owner_id, month, kind, favorite, archived, n)
            VALUES (NEW.owner_id, asset_month(NEW.sort_at), NEW.kind, NEW.favorite, NEW.archived, 1)
            ON CONFLICT (owner_id, month, kind, favorite, archived)
            DO UPDATE SET n = asset_months.n + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER assets_count_insert AFTER INSERT OR DELETE ON assets
    FOR EACH ROW EXECUTE FUNCTION assets_count();
CREATE TRIGGER assets_count_update AFTER UPDATE OF sort_at, kind, favorite, archived, trashed_at ON assets
    FOR EACH ROW EXECUTE FUNCTION assets_count();

CREATE TABLE albums (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name BYTEA NOT NULL,
    cover_asset_id TEXT REFERENCES assets (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX albums_owner ON albums (owner_id, created_at DESC, id DESC);

CREATE TABLE album_assets (
    album_id TEXT NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    asset_id TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (album_id, asset_id)
);
CREATE INDEX album_assets_asset ON album_assets (asset_id);

CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    length BIGINT NOT NULL CHECK (length >= 0),
    received BIGINT NOT NULL DEFAULT 0,
    file_name BYTEA,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    busy_until BIGINT,
    asset_id TEXT
);
CREATE INDEX uploads_owner ON uploads (owner_id);
CREATE INDEX uploads_expiry ON uploads (expires_at);

CREATE TABLE upload_parts (
    upload_id TEXT NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    blob_name TEXT NOT NULL,
    len BIGINT NOT NULL,
    PRIMARY KEY (upload_id, seq)
);

CREATE TABLE blob_intents (
    blob_name TEXT PRIMARY KEY,
    lease_until BIGINT NOT NULL
);
CREATE INDEX blob_intents_lease ON blob_intents (lease_until);

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    run_at BIGINT NOT NULL,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (kind, subject)
);
CREATE INDEX jobs_due ON jobs (state, run_at);
