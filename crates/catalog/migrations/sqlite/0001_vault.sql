-- Key custody records. Nothing here is secret: the sealed root key is
-- encrypted under the unseal key (which is never stored), keyring entries
-- under the root key.
CREATE TABLE vault_seal (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sealed_root BLOB NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE keyring (
    version INTEGER PRIMARY KEY CHECK (version > 0),
    wrapped BLOB NOT NULL,
    encryptions INTEGER NOT NULL DEFAULT 0 CHECK (encryptions >= 0),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
