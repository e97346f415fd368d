-- Access decisions made from one authoritative copy (issue 13): SQLite's migration 0003.
-- Its data fixes (households of earlier invite chains, the chat of deleted rooms) have
-- nothing to fix here: a PostgreSQL database starts empty, or is filled by
-- `nido-server migrate-to-postgres` from an SQLite database that has them already.

-- When each person was given each room: a family member sees that room's chat from then on.
ALTER TABLE room_members ADD COLUMN added_at_us BIGINT NOT NULL DEFAULT 0;

-- A relative invited by a family member belongs to that member's household; only the
-- household's head (the member the staff invited) invites, and the limit counts the
-- household. NULL for staff and heads of households.
ALTER TABLE users ADD COLUMN household_head BIGINT REFERENCES users (id);

-- The role an invite's creator had when making it: registering re-checks that it still is.
ALTER TABLE invites ADD COLUMN creator_role TEXT
    CHECK (creator_role IN ('admin', 'caregiver', 'family'));

-- Who sees a room's camera (its viewing hours and privacy pause) is versioned: every change
-- takes the next number of one counter, and a copy with a lower number never replaces one
-- with a higher number.
ALTER TABLE rooms ADD COLUMN paused BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE rooms ADD COLUMN policy_version BIGINT NOT NULL DEFAULT 0;

CREATE TABLE room_policy_counter (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    last BIGINT NOT NULL
);

INSERT INTO room_policy_counter (id, last) VALUES (1, 0);
