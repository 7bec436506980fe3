-- Key custody records. Nothing here is secret: the sealed root key is
-- encrypted under the unseal key (which is never stored), keyring entries
-- under the root key.
CREATE TABLE vault_seal (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sealed_root BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE keyring (
    version INTEGER PRIMARY KEY CHECK (version > 0),
    wrapped BYTEA NOT NULL,
    encryptions BIGINT NOT NULL DEFAULT 0 CHECK (encryptions >= 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
