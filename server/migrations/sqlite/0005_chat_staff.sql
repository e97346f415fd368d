-- Whether a chat message's sender was staff (admin or caregiver) when sending it, so that
-- every page shows the staff badge on it, whichever page it was sent from.
ALTER TABLE chat_messages ADD COLUMN sender_is_staff INTEGER NOT NULL DEFAULT 0
    CHECK (sender_is_staff IN (0, 1));

UPDATE chat_messages SET sender_is_staff = 1
 WHERE sender_role = 'camera'
    OR user_id IN (SELECT id FROM users WHERE role IN ('admin', 'caregiver'));
