-- Sharing: albums shared with other accounts, and public links.
--
-- A share names an e-mail address (its blind index, and the address
-- encrypted under the album owner's key for the owner's list). When an
-- account has that address the share points at it (`user_id`); otherwise it
-- waits, and the account created later with that address receives it. The
-- owner's answer and list are the same either way: a share says nothing
-- about whether an account exists. Access checks use `user_id` only.
CREATE TABLE album_shares (
    id TEXT PRIMARY KEY,
    album_id TEXT NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    email_index BLOB NOT NULL,
    email BLOB NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'contributor')),
    created_at INTEGER NOT NULL,
    UNIQUE (album_id, email_index)
);
CREATE INDEX album_shares_user ON album_shares (user_id, album_id);
CREATE INDEX album_shares_waiting ON album_shares (email_index) WHERE user_id IS NULL;

-- A public link to an album (it follows the album) or to a selection.
-- Only the token's SHA-256 is looked up; the token itself is kept under
-- the owner's key so that the owner can copy the link again. Revoking
-- deletes the row: a revoked link is as unknown as a wrong one.
CREATE TABLE links (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash BLOB NOT NULL UNIQUE,
    token BLOB NOT NULL,
    album_id TEXT REFERENCES albums (id) ON DELETE CASCADE,
    password_hash TEXT,
    allow_download INTEGER NOT NULL,
    keep_metadata INTEGER NOT NULL,
    expires_at INTEGER,
    views INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    last_viewed_at INTEGER
);
CREATE INDEX links_owner ON links (owner_id, created_at DESC, id DESC);

CREATE TABLE link_assets (
    link_id TEXT NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    asset_id TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    PRIMARY KEY (link_id, asset_id)
);
CREATE INDEX link_assets_asset ON link_assets (asset_id);

-- The name other people see beside what one shares (under one's own key).
ALTER TABLE users ADD COLUMN display_name BLOB;
