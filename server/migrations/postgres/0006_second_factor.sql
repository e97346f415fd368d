-- Two-step sign-in (TOTP, RFC 6238) with recovery codes, and the admins' setting that
-- requires it of staff (SQLite's migration 0006).

-- The authenticator secret in force, and one being set up (until a code from it confirms it).
ALTER TABLE users ADD COLUMN totp_secret BYTEA;
ALTER TABLE users ADD COLUMN totp_pending_secret BYTEA;
-- The last time step whose code was accepted: a code logs in once.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- Only a hash of each recovery code is kept.
CREATE TABLE recovery_codes (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BYTEA NOT NULL,
    used_at_us BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

ALTER TABLE settings ADD COLUMN staff_second_factor BOOLEAN NOT NULL DEFAULT FALSE;
