-- Account deletion (docs/data-rights.md): an account asked to be deleted is
-- disabled at once and purged — every row, every blob in both stores, and
-- its wrapped key (crypto-shredding) — once `purge_after` (unix seconds)
-- has passed; until then an administrator can cancel.
ALTER TABLE users ADD COLUMN deletion_requested_at INTEGER;
ALTER TABLE users ADD COLUMN purge_after INTEGER;
ALTER TABLE users ADD COLUMN deletion_requested_by TEXT;
CREATE INDEX users_purge_after ON users (purge_after);
