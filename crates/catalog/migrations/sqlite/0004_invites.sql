-- Invitations: single-use, expiring codes stored only as hashes, optionally
-- bound to one e-mail (by its blind index).
CREATE TABLE invites (
    id TEXT PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('user', 'support', 'operator', 'security', 'admin')),
    email_index BLOB,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
