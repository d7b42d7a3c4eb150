-- Revocation that sticks: session records with their owner and generation, per-user session
-- generations, and the issue time of remember-me tokens. Portable between SQLite and
-- PostgreSQL.
CREATE TABLE IF NOT EXISTS sessions (
    skey       TEXT PRIMARY KEY,
    user_id    TEXT,
    gen        BIGINT NOT NULL,
    record     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires_at);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);

CREATE TABLE IF NOT EXISTS session_generations (
    user_id TEXT PRIMARY KEY,
    gen     BIGINT NOT NULL
);

ALTER TABLE remember_tokens ADD COLUMN issued_at BIGINT;
-- Tokens issued before this column existed: at the latest 30 days (the longest default
-- lifetime) before they expire, or at their last rotation if that was earlier.
UPDATE remember_tokens SET issued_at = CASE WHEN rotated_at < expires_at - 2592000
    THEN rotated_at ELSE expires_at - 2592000 END WHERE issued_at IS NULL;

-- The session index is now scored in milliseconds.
UPDATE session_index SET last_seen = last_seen * 1000 WHERE last_seen < 100000000000;

-- Secrets every instance shares (the device cookies' signing key).
CREATE TABLE IF NOT EXISTS server_secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
