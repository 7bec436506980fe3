-- The incident register (docs/incidents.md). What an incident is about —
-- title, summary, affected systems, the review, notification texts, the
-- timeline's notes, recipients — is field-encrypted under the system key;
-- severity, status and the times that drive the 72-hour clock are plain.
CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    status TEXT NOT NULL CHECK (status IN ('open', 'contained', 'resolved', 'closed')),
    details BYTEA NOT NULL,
    detected_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    notified_at BIGINT,
    reminders BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX incidents_open ON incidents (status, confirmed_at);

CREATE TABLE incident_events (
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT,
    kind TEXT NOT NULL,
    note BYTEA,
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
    recipient BYTEA NOT NULL,
    subject BYTEA NOT NULL,
    body BYTEA NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('sent', 'not-configured', 'failed')),
    detail TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX incident_messages_incident ON incident_messages (incident_id, at);
