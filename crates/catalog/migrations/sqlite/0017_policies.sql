-- Policy notices (security policy §15): each published version of the
-- privacy and the security policy (public text), and the latest version
-- each account has seen.
CREATE TABLE policies (
    kind TEXT NOT NULL CHECK (kind IN ('privacy', 'security')),
    version INTEGER NOT NULL CHECK (version > 0),
    body TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    published_by TEXT NOT NULL,
    PRIMARY KEY (kind, version)
);

CREATE TABLE policy_views (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('privacy', 'security')),
    version INTEGER NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind)
);
