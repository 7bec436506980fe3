-- What several compute nodes on one catalog must agree on.
--
-- Sign-in, MFA, invitation, recovery and public-link failures, counted per
-- key (a client address, an account, a link) so that a guesser gains
-- nothing by landing on another node. Keys are keyed hashes (the keyring's
-- blind index): the catalog never holds an address. Rows are transient:
-- forgotten after success or once the back-off has passed, and never in a
-- snapshot.
CREATE TABLE throttle (
    key BLOB PRIMARY KEY,
    failures INTEGER NOT NULL CHECK (failures >= 0),
    last_at BIGINT NOT NULL
);
CREATE INDEX throttle_last ON throttle (last_at);

-- A counter per account, bumped whenever its library changes, so that a
-- node's search index in memory can tell it has gone stale on another
-- node's change. Not in snapshots (a restored service starts from zero and
-- builds its indexes anew).
CREATE TABLE library_revisions (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    rev BIGINT NOT NULL
);

-- The compute nodes running now: each writes its row every few seconds
-- (a random id per process, whether it holds the key) and deletes it when
-- it stops. The nodes that serve share the deployment's request rates.
-- Not in snapshots.
CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    seen_at BIGINT NOT NULL,
    serving INTEGER NOT NULL CHECK (serving IN (0, 1))
);
