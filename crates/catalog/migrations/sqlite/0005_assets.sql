-- Photos and videos. Only what ordering and quotas need is plaintext (kind,
-- type, size, times); the file name is encrypted under the owner's key and
-- the content hash is a per-user keyed blind index. Times are unix milliseconds.
CREATE TABLE assets (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blob_name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('photo', 'video')),
    mime TEXT NOT NULL,
    size INTEGER NOT NULL CHECK (size >= 0),
    content_index BLOB NOT NULL,
    file_name BLOB,
    taken_at INTEGER,
    uploaded_at INTEGER NOT NULL,
    sort_at INTEGER NOT NULL,
    trashed_at INTEGER,
    favorite INTEGER NOT NULL DEFAULT 0,
    archived INTEGER NOT NULL DEFAULT 0,
    UNIQUE (owner_id, content_index)
);
CREATE INDEX assets_timeline ON assets (owner_id, sort_at DESC, id DESC);
