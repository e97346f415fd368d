-- Many nodes on one database (issue 15): which nodes are alive, which node holds each room's
-- camera, and a counter that every change of someone's access moves on.

-- One row per running node, its heartbeat in microseconds of the database's own clock (so
-- node clocks do not matter). A node whose heartbeat is old is dead: its viewings are
-- ended and its camera seats may be taken.
CREATE TABLE cluster_nodes (
    node_id TEXT PRIMARY KEY,
    -- Where it runs, for people reading this table.
    description TEXT NOT NULL,
    started_at_us BIGINT NOT NULL,
    last_seen_us BIGINT NOT NULL
);

-- The node that records a viewing, so that the viewings of a node that died are ended.
ALTER TABLE viewing_sessions ADD COLUMN node_id TEXT;
CREATE INDEX viewing_sessions_open_by_node ON viewing_sessions (node_id)
    WHERE ended_at_us IS NULL;

-- One camera per room across every node. The same camera (by its key) takes its seat
-- back from anywhere; another camera only once the seat is free or its node is dead. Every
-- new holder takes a higher epoch, and frames of a lower epoch are dropped. A free seat
-- keeps its row (with no node), so that epochs only grow.
CREATE TABLE camera_seats (
    room_slug TEXT PRIMARY KEY REFERENCES rooms (slug) ON DELETE CASCADE,
    -- SHA-256 of the camera's key (a secret of the camera page's).
    camera_key_hash BYTEA,
    node_id TEXT,
    epoch BIGINT NOT NULL
);

-- Moved on, in the same transaction, by every change that can close or silence a socket:
-- a session ended, a person revoked or given another role, a room taken from someone, a
-- room deleted, paused or given other hours, a second factor required. Each node polls it
-- and re-checks its open sockets when it moves.
CREATE TABLE access_epoch (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    epoch BIGINT NOT NULL
);

INSERT INTO access_epoch (id, epoch) VALUES (1, 0);

CREATE FUNCTION bump_access_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE access_epoch SET epoch = epoch + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER sessions_ended AFTER DELETE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_epoch();
CREATE TRIGGER users_access_changed AFTER UPDATE OF role, revoked_at_us, totp_secret ON users
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_epoch();
CREATE TRIGGER room_members_removed AFTER DELETE ON room_members
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_epoch();
CREATE TRIGGER rooms_changed AFTER UPDATE OF schedule, paused, policy_version OR DELETE ON rooms
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_epoch();
CREATE TRIGGER settings_changed AFTER UPDATE OF staff_second_factor ON settings
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_epoch();
