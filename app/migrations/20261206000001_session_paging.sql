-- The admin list pages through everyone's sessions, most recently active first, and the
-- dashboard counts recent activity: both read this order, which needs its own index once
-- there are many sessions (without it, every page sorted the whole table).
CREATE INDEX IF NOT EXISTS session_index_recent ON session_index (last_seen DESC, skey ASC);
