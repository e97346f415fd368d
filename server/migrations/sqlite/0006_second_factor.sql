-- Two-step sign-in (TOTP, RFC 6238) with recovery codes, and the admins' setting that
-- requires it of staff.

-- The authenticator secret in force, and one being set up (until a code from it confirms it).
ALTER TABLE users ADD COLUMN totp_secret BLOB;
ALTER TABLE users ADD COLUMN totp_pending_secret BLOB;
-- The last time step whose code was accepted: a code logs in once.
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;

-- Only a hash of each recovery code is kept.
CREATE TABLE recovery_codes (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BLOB NOT NULL,
    used_at_us INTEGER,
    PRIMARY KEY (user_id, code_hash)
) STRICT, WITHOUT ROWID;

ALTER TABLE settings ADD COLUMN staff_second_factor INTEGER NOT NULL DEFAULT 0
    CHECK (staff_second_factor IN (0, 1));
