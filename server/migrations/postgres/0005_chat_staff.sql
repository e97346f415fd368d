-- Whether a chat message's sender was staff (admin or caregiver) when sending it, so that
-- every page shows the staff badge on it, whichever page it was sent from (SQLite's 0005).
ALTER TABLE chat_messages ADD COLUMN sender_is_staff BOOLEAN NOT NULL DEFAULT FALSE;
