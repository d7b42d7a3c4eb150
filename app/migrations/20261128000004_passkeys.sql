-- Passkeys (WebAuthn credentials) and the ceremonies in flight. Portable between SQLite and
-- PostgreSQL (queried through sqlx::Any).
--
-- `credential` is webauthn-rs's Passkey as JSON: the public key, the signature counter and
-- the backup flags; `credential_id` (hex) is unique across all users.
CREATE TABLE IF NOT EXISTS passkeys (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL,
    credential_id TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    credential    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX IF NOT EXISTS passkeys_user ON passkeys (user_id);

-- A ceremony's server-side state, bound to the session that started it, one per purpose;
-- taken (deleted) by the first answer. Sign-ins store nothing at their start (their state
-- travels sealed in a cookie) and leave a `used:<hash>` mark here when answered, so the same
-- state is never accepted twice.
CREATE TABLE IF NOT EXISTS passkey_challenges (
    bound_to   TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    user_id    TEXT,
    state      TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (bound_to, purpose)
);
