-- API tokens for the command line and phone apps: stored only as hashes;
-- the name is encrypted under the owner's key.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash BYTEA NOT NULL UNIQUE,
    name BYTEA NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('upload', 'read', 'full')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
