-- Photos and videos. Only what ordering and quotas need is plaintext (kind,
-- type, size, times); the file name is encrypted under the owner's key and
-- the content hash is a per-user keyed blind index. Times are unix milliseconds.
CREATE TABLE assets (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blob_name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('photo', 'video')),
    mime TEXT NOT NULL,
    size BIGINT NOT NULL CHECK (size >= 0),
    content_index BYTEA NOT NULL,
    file_name BYTEA,
    taken_at BIGINT,
    uploaded_at BIGINT NOT NULL,
    sort_at BIGINT NOT NULL,
    trashed_at BIGINT,
    favorite BOOLEAN NOT NULL DEFAULT FALSE,
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (owner_id, content_index)
);
CREATE INDEX assets_timeline ON assets (owner_id, sort_at DESC, id DESC);
