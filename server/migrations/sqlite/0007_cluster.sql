-- The node that recorded each viewing (PostgreSQL's migration 0007 explains why). One
-- Nido on SQLite is its only node, so it leaves this empty.
ALTER TABLE viewing_sessions ADD COLUMN node_id TEXT;
