-- Durable chat: every message stored before anyone is told, numbered per room with no gaps
-- (SQLite's migration 0002, with the foreign keys that SQLite's 0003 added).

-- The last sequence number each room handed out; kept apart from the messages so that
-- numbers never repeat, even after old messages are removed. Appending locks the room's
-- row, so the nodes number one room's messages one after another.
CREATE TABLE chat_rooms (
    room_slug TEXT PRIMARY KEY REFERENCES rooms (slug) ON DELETE CASCADE,
    last_seq BIGINT NOT NULL
);

CREATE TABLE chat_messages (
    room_slug TEXT NOT NULL REFERENCES rooms (slug) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    -- The sending client's id: sending it again returns this message instead of a new one.
    client_id TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    sender_role TEXT NOT NULL CHECK (sender_role IN ('camera', 'viewer')),
    -- Emptied when the message is deleted.
    text TEXT NOT NULL,
    sent_at_us BIGINT NOT NULL,
    deleted_at_us BIGINT,
    deleted_by BIGINT REFERENCES users (id),
    PRIMARY KEY (room_slug, seq),
    UNIQUE (room_slug, user_id, client_id)
);

CREATE INDEX chat_messages_by_time ON chat_messages (sent_at_us);

CREATE TABLE chat_mutes (
    room_slug TEXT NOT NULL REFERENCES rooms (slug) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    until_us BIGINT NOT NULL,
    muted_by BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (room_slug, user_id)
);
