-- Runs of `hallpass audit` against this deployment, started from /admin/security: the last one
-- (with its report) is shown with its time, and a run in progress with its progress, on every
-- instance. `lease` is 'running' on the one run under way (unique: two instances cannot both
-- start one); `account_id` is the run's throwaway account until it is deleted.
CREATE TABLE IF NOT EXISTS self_audits (
    id          TEXT PRIMARY KEY,
    started_at  BIGINT NOT NULL,
    started_by  TEXT NOT NULL,
    finished_at BIGINT,
    progress    TEXT NOT NULL,
    grade       TEXT,
    report      TEXT,
    failure     TEXT,
    lease       TEXT UNIQUE,
    account_id  TEXT
);
