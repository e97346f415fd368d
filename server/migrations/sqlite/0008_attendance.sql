-- Children, the family accounts linked to them, and their stays (issue 17).

CREATE TABLE children (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at_us INTEGER NOT NULL
) STRICT;
CREATE INDEX children_by_room ON children (room_id);

-- A child may have several family accounts (separated parents are two), and an account
-- several children.
CREATE TABLE child_families (
    child_id INTEGER NOT NULL REFERENCES children (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (child_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX child_families_by_user ON child_families (user_id);

-- One row per check-in; its check-out fills in when the child leaves.
CREATE TABLE stays (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children (id) ON DELETE CASCADE,
    checked_in_at_us INTEGER NOT NULL,
    checked_out_at_us INTEGER CHECK (checked_out_at_us >= checked_in_at_us),
    checked_in_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    checked_out_by INTEGER REFERENCES users (id) ON DELETE SET NULL
) STRICT;
CREATE INDEX stays_by_child ON stays (child_id, checked_in_at_us);

-- The per-room options, versioned with the rest of the room's policy.
ALTER TABLE rooms ADD COLUMN attendance_required INTEGER NOT NULL DEFAULT 0
    CHECK (attendance_required IN (0, 1));
ALTER TABLE rooms ADD COLUMN watermark INTEGER NOT NULL DEFAULT 0 CHECK (watermark IN (0, 1));
