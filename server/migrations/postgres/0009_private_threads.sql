-- Private conversations between a family account and a room's staff (issue 18). A room's
-- chat is its thread 0; the private thread with a family account is numbered by that
-- account's id. Each thread numbers its messages 1, 2, 3… with no gaps, as the room's chat
-- did, so the room's counter becomes one counter per thread (appending locks its row).

ALTER TABLE chat_rooms RENAME TO chat_threads;
ALTER TABLE chat_threads ADD COLUMN thread BIGINT NOT NULL DEFAULT 0;
ALTER TABLE chat_threads ALTER COLUMN thread DROP DEFAULT;
ALTER TABLE chat_threads DROP CONSTRAINT chat_rooms_pkey;
ALTER TABLE chat_threads ADD PRIMARY KEY (room_slug, thread);

ALTER TABLE chat_messages ADD COLUMN thread BIGINT NOT NULL DEFAULT 0;
ALTER TABLE chat_messages ALTER COLUMN thread DROP DEFAULT;
ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_pkey;
ALTER TABLE chat_messages ADD PRIMARY KEY (room_slug, thread, seq);

-- How far each side of a private thread has read it: reader 0 is the room's staff together
-- (what the family sees as "seen by the room"), any other reader a family account.
CREATE TABLE chat_reads (
    room_slug TEXT NOT NULL REFERENCES rooms (slug) ON DELETE CASCADE,
    thread BIGINT NOT NULL,
    reader BIGINT NOT NULL,
    read_seq BIGINT NOT NULL,
    PRIMARY KEY (room_slug, thread, reader)
);

-- Family accounts the staff added to another account's thread (a relative, the other
-- parent): they read and write it as its own account does.
CREATE TABLE thread_guests (
    room_slug TEXT NOT NULL REFERENCES rooms (slug) ON DELETE CASCADE,
    thread BIGINT NOT NULL REFERENCES users (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    added_by BIGINT NOT NULL REFERENCES users (id),
    added_at_us BIGINT NOT NULL,
    PRIMARY KEY (room_slug, thread, user_id)
);
