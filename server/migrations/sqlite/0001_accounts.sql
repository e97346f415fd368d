-- People, classrooms, sessions, invites, login throttling and the viewing audit log.
-- Times are microseconds since the UNIX epoch. People are never deleted, only revoked,
-- so that the audit log keeps naming them.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'caregiver', 'family')),
    invited_by INTEGER REFERENCES users (id),
    created_at_us INTEGER NOT NULL,
    revoked_at_us INTEGER
) STRICT;

CREATE TABLE rooms (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    schedule TEXT NOT NULL,
    created_at_us INTEGER NOT NULL
) STRICT;

CREATE TABLE room_members (
    room_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (room_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX room_members_by_user ON room_members (user_id);

-- Only a hash of each session token is kept: a copy of the database opens no session.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at_us INTEGER NOT NULL,
    expires_at_us INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE invites (
    id INTEGER PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'caregiver', 'family')),
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at_us INTEGER NOT NULL,
    expires_at_us INTEGER NOT NULL,
    max_uses INTEGER NOT NULL CHECK (max_uses > 0),
    uses INTEGER NOT NULL DEFAULT 0 CHECK (uses <= max_uses),
    revoked_at_us INTEGER
) STRICT;

CREATE TABLE invite_rooms (
    invite_id INTEGER NOT NULL REFERENCES invites (id) ON DELETE CASCADE,
    room_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    PRIMARY KEY (invite_id, room_id)
) STRICT, WITHOUT ROWID;

-- Consecutive failed logins per username, whether or not the account exists, so that
-- both answer alike; cleared by a successful login.
CREATE TABLE login_failures (
    username TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure_us INTEGER NOT NULL
) STRICT;

-- Browsers that logged in successfully before: they keep their own failure count, so that
-- an attack that locks an account does not lock its owner out.
CREATE TABLE trusted_devices (
    token_hash BLOB PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at_us INTEGER NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    last_failure_us INTEGER
) STRICT;

-- Every time someone watched or streamed a room. The room is kept by its slug, so the log
-- outlives a deleted room.
CREATE TABLE viewing_sessions (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    room_slug TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('camera', 'viewer')),
    client_addr TEXT NOT NULL,
    started_at_us INTEGER NOT NULL,
    ended_at_us INTEGER
) STRICT;

CREATE INDEX viewing_sessions_by_start ON viewing_sessions (started_at_us);

CREATE TABLE settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    family_invite_limit INTEGER NOT NULL CHECK (family_invite_limit >= 0)
) STRICT;

INSERT INTO settings (id, family_invite_limit) VALUES (1, 3);
