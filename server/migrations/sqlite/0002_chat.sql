-- Durable chat: every message stored before anyone is told, numbered per room with no gaps.

-- The last sequence number each room handed out; kept apart from the messages so that
-- numbers never repeat, even after old messages are removed.
CREATE TABLE chat_rooms (
    room_slug TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL
) STRICT;

CREATE TABLE chat_messages (
    room_slug TEXT NOT NULL,
    seq INTEGER NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    -- The sending client's id: sending it again returns this message instead of a new one.
    client_id TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    sender_role TEXT NOT NULL CHECK (sender_role IN ('camera', 'viewer')),
    -- Emptied when the message is deleted.
    text TEXT NOT NULL,
    sent_at_us INTEGER NOT NULL,
    deleted_at_us INTEGER,
    deleted_by INTEGER REFERENCES users (id),
    PRIMARY KEY (room_slug, seq),
    UNIQUE (room_slug, user_id, client_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX chat_messages_by_time ON chat_messages (sent_at_us);

CREATE TABLE chat_mutes (
    room_slug TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    until_us INTEGER NOT NULL,
    muted_by INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (room_slug, user_id)
) STRICT;
