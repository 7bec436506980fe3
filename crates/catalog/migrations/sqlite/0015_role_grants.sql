-- Four-eyes role grants. A privileged role is held until `role_expires_at`
-- (unix s; the sweep puts it back to 'user' then); `role_reminded_at` says
-- when its holder was last told the end is near. A request to grant one is
-- made by one administrator (or, just in time, by the grantee) and approved
-- by another; its reason is field-encrypted under the system key.
ALTER TABLE users ADD COLUMN role_expires_at INTEGER;
ALTER TABLE users ADD COLUMN role_reminded_at INTEGER;

CREATE TABLE role_requests (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('support', 'operator', 'security', 'admin')),
    requested_by TEXT NOT NULL,
    reason BLOB NOT NULL,
    duration_secs INTEGER NOT NULL CHECK (duration_secs > 0),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'cancelled')),
    decided_by TEXT,
    decided_at INTEGER
);
CREATE UNIQUE INDEX role_requests_one_pending ON role_requests (user_id) WHERE state = 'pending';
CREATE INDEX role_requests_created ON role_requests (created_at);
