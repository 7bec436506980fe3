-- API tokens for the command line and phone apps: stored only as hashes;
-- the name is encrypted under the owner's key.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash BLOB NOT NULL UNIQUE,
    name BLOB NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('upload', 'read', 'full')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
