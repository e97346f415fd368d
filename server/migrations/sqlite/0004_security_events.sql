-- Security events: failed logins, refused joins and every staff action, for the audit log.
-- Names are kept as they were (a username tried need not exist; a room may be deleted).
CREATE TABLE security_events (
    id INTEGER PRIMARY KEY,
    at_us INTEGER NOT NULL,
    kind TEXT NOT NULL,
    -- Who did it: NULL when nobody was logged in.
    actor_id INTEGER REFERENCES users (id),
    -- The account it concerns, by username.
    account TEXT,
    room_slug TEXT,
    role TEXT CHECK (role IN ('admin', 'caregiver', 'family')),
    -- Space-separated room ids.
    rooms TEXT NOT NULL DEFAULT '',
    amount INTEGER,
    client_addr TEXT NOT NULL
) STRICT;

CREATE INDEX security_events_by_time ON security_events (at_us);
