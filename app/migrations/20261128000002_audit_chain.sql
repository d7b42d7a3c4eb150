-- A session's whole story: every session event names the session's full storage key (the
-- hash of its id, never the id), a regeneration also the key it replaced, and a failed sign-in
-- the account it targeted (a user id, or a keyed hash of an e-mail no account has).
ALTER TABLE audit_events ADD COLUMN session_key TEXT;
ALTER TABLE audit_events ADD COLUMN from_session TEXT;
ALTER TABLE audit_events ADD COLUMN target TEXT;
CREATE INDEX IF NOT EXISTS audit_events_session ON audit_events (session_key);
CREATE INDEX IF NOT EXISTS audit_events_from ON audit_events (from_session);
CREATE INDEX IF NOT EXISTS audit_events_target ON audit_events (target);
CREATE INDEX IF NOT EXISTS audit_events_user ON audit_events (user_id, at_ms);
-- A cookie of an ended session presented again is recorded once per session and reason,
-- however often it is replayed and on however many instances.
CREATE UNIQUE INDEX IF NOT EXISTS audit_events_replayed_once
    ON audit_events (session_key, reason) WHERE kind = 'ended_session_used';

-- The session a remember-me token last started, so the next one it starts continues its story.
ALTER TABLE remember_tokens ADD COLUMN session_key TEXT;
