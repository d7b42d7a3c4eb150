-- Session lifecycle: policy, audit trail, remember-me tokens, the per-user session index and
-- the record of ended sessions. Portable between SQLite and PostgreSQL.
CREATE TABLE IF NOT EXISTS policy (
    id         BIGINT PRIMARY KEY,
    body       TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT
);

CREATE TABLE IF NOT EXISTS audit_events (
    id          TEXT PRIMARY KEY,
    at_ms       BIGINT NOT NULL,
    user_id     TEXT,
    session_tag TEXT,
    ip          TEXT,
    user_agent  TEXT,
    kind        TEXT NOT NULL,
    reason      TEXT
);
CREATE INDEX IF NOT EXISTS audit_events_at ON audit_events (at_ms);

CREATE TABLE IF NOT EXISTS remember_tokens (
    selector       TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL,
    validator_hash TEXT NOT NULL,
    previous_hash  TEXT,
    rotated_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS remember_tokens_user ON remember_tokens (user_id);

CREATE TABLE IF NOT EXISTS session_index (
    skey      TEXT PRIMARY KEY,
    user_id   TEXT NOT NULL,
    last_seen BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS session_index_user ON session_index (user_id, last_seen);

CREATE TABLE IF NOT EXISTS session_ends (
    skey     TEXT PRIMARY KEY,
    user_id  TEXT NOT NULL,
    reason   TEXT NOT NULL,
    ended_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS session_ends_at ON session_ends (ended_at);
