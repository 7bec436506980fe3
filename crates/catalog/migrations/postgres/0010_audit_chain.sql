-- The tamper-evident audit trail (docs/audit-format.md). Every entry written
-- while unsealed carries an HMAC over the previous entry's MAC and its own
-- fields (`mac`, under the audit key of keyring version `key_version`);
-- the client's address and agent are encrypted under the system key. Rows
-- from before this migration keep no MAC and precede the chain.
ALTER TABLE audit_events ADD COLUMN key_version BIGINT;
ALTER TABLE audit_events ADD COLUMN mac BYTEA;
ALTER TABLE audit_events ADD COLUMN client BYTEA;

-- Events raised while sealed (no key to MAC them with) wait here and join
-- the chain, in order, at the next unseal.
CREATE TABLE audit_pending (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT,
    action TEXT NOT NULL,
    target TEXT,
    outcome TEXT NOT NULL
);

-- One row whose update serialises appends (across nodes on PostgreSQL).
CREATE TABLE audit_lock (
    id INTEGER PRIMARY KEY,
    n BIGINT NOT NULL
);
INSERT INTO audit_lock (id, n) VALUES (1, 0);

-- Signed heads of the chain (also written to the backup store).
CREATE TABLE audit_checkpoints (
    seq BIGINT PRIMARY KEY,
    first_seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    mac BYTEA NOT NULL,
    signature BYTEA NOT NULL
);
