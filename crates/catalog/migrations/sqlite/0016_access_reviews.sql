-- Access reviews: every quarter (configurable) a review lists each account
-- holding a privileged role — its role, last sign-in, MFA state and when it
-- last used each permission (from the audit trail) — and a security officer
-- confirms or revokes each line. Facts only (ids, times, states).
CREATE TABLE access_reviews (
    id TEXT PRIMARY KEY,
    opened_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    closed_at INTEGER,
    opened_by TEXT
);
CREATE UNIQUE INDEX access_reviews_one_open ON access_reviews ((closed_at IS NULL)) WHERE closed_at IS NULL;

CREATE TABLE access_review_lines (
    review_id TEXT NOT NULL REFERENCES access_reviews (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('support', 'operator', 'security', 'admin')),
    last_login_at INTEGER,
    mfa_enrolled INTEGER NOT NULL,
    role_expires_at INTEGER,
    last_used TEXT NOT NULL,
    decision TEXT CHECK (decision IN ('confirmed', 'revoked', 'lapsed')),
    decided_by TEXT,
    decided_at INTEGER,
    PRIMARY KEY (review_id, user_id)
);
