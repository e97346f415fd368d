-- Access decisions made from one authoritative copy (issue 13).

-- When each person was given each room: a family member sees that room's chat from then
-- on. Memberships from before this migration keep the whole history they already saw.
ALTER TABLE room_members ADD COLUMN added_at_us INTEGER NOT NULL DEFAULT 0;

-- A relative invited by a family member belongs to that member's household; only the
-- household's head (the member the staff invited) invites, and the limit counts the
-- household. NULL for staff and heads of households.
ALTER TABLE users ADD COLUMN household_head INTEGER REFERENCES users (id);

WITH RECURSIVE chain (id, head) AS (
    SELECT u.id, u.invited_by FROM users u JOIN users inviter ON inviter.id = u.invited_by
     WHERE u.role = 'family' AND inviter.role = 'family'
    UNION
    SELECT c.id, above.invited_by FROM chain c
      JOIN users above ON above.id = c.head
      JOIN users top ON top.id = above.invited_by
     WHERE top.role = 'family'
)
UPDATE users SET household_head = (
    SELECT c.head FROM chain c WHERE c.id = users.id AND NOT EXISTS (
        SELECT 1 FROM users h JOIN users p ON p.id = h.invited_by
         WHERE h.id = c.head AND p.role = 'family'))
 WHERE id IN (SELECT id FROM chain);

-- The role an invite's creator had when making it: registering re-checks that it still is.
ALTER TABLE invites ADD COLUMN creator_role TEXT
    CHECK (creator_role IN ('admin', 'caregiver', 'family'));
UPDATE invites SET creator_role = (SELECT role FROM users WHERE users.id = invites.created_by);

-- Links made by relatives (the chains this migration ends) stop working.
UPDATE invites SET revoked_at_us = CAST(strftime('%s', 'now') AS INTEGER) * 1000000
 WHERE revoked_at_us IS NULL
   AND created_by IN (SELECT id FROM users WHERE household_head IS NOT NULL);

-- Who sees a room's camera (its viewing hours and privacy pause) is versioned: every change
-- takes the next number of one counter, and a copy with a lower number never replaces one
-- with a higher number.
ALTER TABLE rooms ADD COLUMN paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1));
ALTER TABLE rooms ADD COLUMN policy_version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE room_policy_counter (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last INTEGER NOT NULL
) STRICT;

INSERT INTO room_policy_counter (id, last) VALUES (1, 0);

-- A room's chat goes with it: the chat tables are rebuilt with foreign keys that cascade,
-- keeping only the rows of rooms that still exist.
CREATE TABLE chat_rooms_new (
    room_slug TEXT PRIMARY KEY REFERENCES rooms (slug) ON DELETE CASCADE,
    last_seq INTEGER NOT NULL
) STRICT;

INSERT INTO chat_rooms_new SELECT room_slug, last_seq FROM chat_rooms
 WHERE room_slug IN (SELECT slug FROM rooms);

CREATE TABLE chat_messages_new (
    room_slug TEXT NOT NULL REFERENCES rooms (slug) ON DELETE CASCADE,
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

INSERT INTO chat_messages_new
SELECT room_slug, seq, user_id, client_id, sender_name, sender_role, text, sent_at_us,
       deleted_at_us, deleted_by
  FROM chat_messages WHERE room_slug IN (SELECT slug FROM rooms);

CREATE TABLE chat_mutes_new (
    room_slug TEXT NOT NULL REFERENCES rooms (slug) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    until_us INTEGER NOT NULL,
    muted_by INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (room_slug, user_id)
) STRICT;

INSERT INTO chat_mutes_new SELECT room_slug, user_id, until_us, muted_by FROM chat_mutes
 WHERE room_slug IN (SELECT slug FROM rooms);

DROP TABLE chat_mutes;
DROP TABLE chat_messages;
DROP TABLE chat_rooms;
ALTER TABLE chat_rooms_new RENAME TO chat_rooms;
ALTER TABLE chat_messages_new RENAME TO chat_messages;
ALTER TABLE chat_mutes_new RENAME TO chat_mutes;

CREATE INDEX chat_messages_by_time ON chat_messages (sent_at_us);
