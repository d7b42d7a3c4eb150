-- One-time set-password links (an admin creates an account without a password, or forces a
-- reset): only the SHA-256 of the token is stored; a link works once, for 24 hours.
CREATE TABLE IF NOT EXISTS password_links (
    hash       TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_by TEXT
);
CREATE INDEX IF NOT EXISTS password_links_user ON password_links (user_id);
