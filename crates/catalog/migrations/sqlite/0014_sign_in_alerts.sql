-- Sign-in alerts: the devices an account signed in from, as keyed hashes
-- under the account's own key (never the user agent itself), and whether
-- the owner wants an e-mail when a new one appears.
CREATE TABLE known_devices (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device BLOB NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    PRIMARY KEY (user_id, device)
);

CREATE TABLE sign_in_alerts (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    enabled_at INTEGER NOT NULL
);
