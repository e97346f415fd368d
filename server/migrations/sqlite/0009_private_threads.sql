-- Private conversations between a family account and a room's staff (issue 18). A room's
-- chat is its thread 0; the private thread with a family account is numbered by that
-- account's id. Each thread numbers its messages 1, 2, 3… with no gaps, as the room's chat
-- did, so the room's counter becomes one counter per thread.

CREATE TABLE chat_threads (
    room_slug TEXT NOT NULL REFERENCES rooms (slug) ON DELETE CASCADE,
    thread INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (room_slug, thread)
) STRICT;

INSERT INTO chat_threads (room_slug, thread, last_seq)
SELECT room_slug, 0, last_seq FROM chat_rooms;

CREATE TABLE chat_messages_new (
    room_slug TEXT NOT NULL REFERENCES rooms (slug) ON DELETE CASCADE,
    thread INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    -- The sending client's id: sending it again returns this message instead of a new one.
    client_id TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    sender_role TEXT NOT NULL CHECK (sender_role IN ('camera', 'viewer')),
    sender_is_staff INTEGER NOT NULL CHECK (sender_is_staff IN (0, 1)),
    -- Emptied when the message is deleted.
    text TEXT NOT NULL,
    sent_at_us INTEGER NOT NULL,
    deleted_at_us INTEGER,
    deleted_by INTEGER REFERENCES users (id),
    PRIMARY KEY (room_slug, thread, seq),
    UNIQUE (room_slug, user_id, client_id)
) STRICT, WITHOUT ROWID;

INSERT INTO chat_messages_new
    (room_slug, thread, seq, user_id, client_id, sender_name, sender_role, sender_is_staff,
     text, sent_at_us, deleted_at_us, deleted_by)
SELECT room_slug, 0, seq, user_id, client_id, sender_name, sender_role, sender_is_staff,
       text, sent_at_us, deleted_at_us, deleted_by
  FROM chat_messages;

DROP TABLE chat_messages;
DROP TABLE chat_rooms;
ALTER TABLE chat_messages_new RENAME TO chat_messages;
CREATE INDEX chat_messages_by_time ON chat_messages (sent_at_us);

-- How far each side of a private thread has read it: reader 0 is the room's staff together
-- (what the family sees as "seen by the room"), any other reader a family account.
CREATE TABLE chat_reads (
    room_slug TEXT NOT NULL REFERENCES rooms (slug) ON DELETE CASCADE,
    thread INTEGER NOT NULL,
    reader INTEGER NOT NULL,
    read_seq INTEGER NOT NULL,
    PRIMARY KEY (room_slug, thread, reader)
) STRICT, WITHOUT ROWID;

-- Family accounts the staff added to another account's thread (a relative, the other
-- parent): they read and write it as its own account does.
CREATE TABLE thread_guests (
    room_slug TEXT NOT NULL REFERENCES rooms (slug) ON DELETE CASCADE,
    thread INTEGER NOT NULL REFERENCES users (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    added_by INTEGER NOT NULL REFERENCES users (id),
    added_at_us INTEGER NOT NULL,
    PRIMARY KEY (room_slug, thread, user_id)
) STRICT, WITHOUT ROWID;
