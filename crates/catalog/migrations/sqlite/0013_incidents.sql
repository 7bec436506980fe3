-- The incident register (docs/incidents.md). What an incident is about —
-- title, summary, affected systems, the review, notification texts, the
-- timeline's notes, recipients — is field-encrypted under the system key;
-- severity, status and the times that drive the 72-hour clock are plain.
CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    status TEXT NOT NULL CHECK (status IN ('open', 'contained', 'resolved', 'closed')),
    details BLOB NOT NULL,
    detected_at INTEGER NOT NULL,
    confirmed_at INTEGER,
    notified_at INTEGER,
    reminders INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX incidents_open ON incidents (status, confirmed_at);

CREATE TABLE incident_events (
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT,
    kind TEXT NOT NULL,
    note BLOB,
    PRIMARY KEY (incident_id, seq)
);

CREATE TABLE incident_affected (
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    PRIMARY KEY (incident_id, user_id)
);

CREATE TABLE incident_messages (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    audience TEXT NOT NULL CHECK (audience IN ('users', 'authority', 'partner', 'security')),
    recipient BLOB NOT NULL,
    subject BLOB NOT NULL,
    body BLOB NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('sent', 'not-configured', 'failed')),
    detail TEXT,
    at INTEGER NOT NULL
);
CREATE INDEX incident_messages_incident ON incident_messages (incident_id, at);
