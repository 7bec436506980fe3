-- E-mail account recovery (optional): a link e-mailed to the owner that
-- sets a new password only after a delay, during which the owner is told
-- and can cancel (any sign-in of theirs cancels it too). Only the link's
-- hash is stored.
CREATE TABLE account_recoveries (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash BYTEA NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    usable_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'cancelled', 'used')),
    ended_at BIGINT
);
CREATE UNIQUE INDEX account_recoveries_one_pending ON account_recoveries (user_id) WHERE state = 'pending';
