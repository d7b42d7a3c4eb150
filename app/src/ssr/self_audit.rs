//! The security page's "run the audit": `hallpass audit` against this deployment's own public
//! origin, never any other host. The scanner lives in the server crate, which provides a
//! [`SelfAudit`]; this module keeps the runs (in the database, so every instance shows the same
//! progress and the last report with its time).
use super::context::{db_unavailable, ServerState};
use crate::{error::ApiError, model::SelfAuditRun};
use sqlx::{AnyPool, Row};

/// How long a run may go without finishing before another may start (a run whose instance
/// died is not waited for for ever).
pub const STALE_SECS: i64 = 600;

/// The e-mail domain of the audit's throwaway accounts (`.invalid` never receives mail).
pub const ACCOUNT_DOMAIN: &str = "@hallpass.invalid";

/// The prefix of the audit's throwaway accounts' e-mails.
pub const ACCOUNT_PREFIX: &str = "self-audit-";

/// How long a run may take before it is given up (well within [`STALE_SECS`], so its
/// account is never cleaned up under it).
pub const RUN_SECS: u64 = 300;

/// Starts audits of this deployment.
#[async_trait::async_trait]
pub trait SelfAudit: Send + Sync + std::fmt::Debug {
    /// Starts a run for admin `by` (a user id) in the background; refuses while one runs or
    /// when this deployment has no public origin.
    async fn start(&self, state: ServerState, by: String) -> Result<(), ApiError>;
}

/// The runs, in the database.
#[derive(Clone, Debug)]
pub struct Runs(pub AnyPool);

impl Runs {
    /// Begins a run `id` (false when another one is under way, on any instance: the one
    /// `running` lease is a unique value). A run left unfinished by an instance that stopped
    /// is closed first, once it is [`STALE_SECS`] old.
    pub async fn begin(&self, id: &str, by: &str, now: i64) -> Result<bool, ApiError> {
        self.expire_stale(now).await.map_err(db_unavailable)?;
        let inserted = sqlx::query(
            "INSERT INTO self_audits (id, started_at, started_by, progress, lease) VALUES ($1, $2, $3, 'starting', 'running')",
        )
        .bind(id)
        .bind(now)
        .bind(by)
        .execute(&self.0)
        .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(err)
                if err
                    .as_database_error()
                    .is_some_and(|e| e.is_unique_violation()) =>
            {
                Ok(false)
            }
            Err(err) => Err(db_unavailable(err)),
        }
    }

    /// Closes runs whose instance stopped (unfinished after [`STALE_SECS`]) as failed.
    pub async fn expire_stale(&self, now: i64) -> Result<u64, sqlx::Error> {
        Ok(sqlx::query(
            "UPDATE self_audits SET lease = NULL, finished_at = $1, progress = 'done', \
             failure = 'the instance running it stopped before it finished' \
             WHERE lease = 'running' AND started_at < $2",
        )
        .bind(now)
        .bind(now - STALE_SECS)
        .execute(&self.0)
        .await?
        .rows_affected())
    }

    /// Records run `id`'s throwaway account (`None` once it is deleted).
    pub async fn account(&self, id: &str, account: Option<&str>) {
        let done = sqlx::query("UPDATE self_audits SET account_id = $1 WHERE id = $2")
            .bind(account)
            .bind(id)
            .execute(&self.0)
            .await;
        if let Err(err) = done {
            tracing::error!(%err, "could not record the self-audit's account");
        }
    }

    /// Records how far run `id` has got.
    pub async fn progress(&self, id: &str, progress: &str) {
        let done = sqlx::query(
            "UPDATE self_audits SET progress = $1 WHERE id = $2 AND finished_at IS NULL",
        )
        .bind(progress)
        .bind(id)
        .execute(&self.0)
        .await;
        if let Err(err) = done {
            tracing::warn!(%err, "could not record the self-audit's progress");
        }
    }

    /// Records the end of run `id`: its grade and report, or why it failed.
    pub async fn finish(&self, id: &str, now: i64, outcome: Result<(char, String), String>) {
        let (grade, report, failure) = match outcome {
            Ok((grade, report)) => (Some(grade.to_string()), Some(report), None),
            Err(failure) => (None, None, Some(failure)),
        };
        let done = sqlx::query(
            "UPDATE self_audits SET finished_at = $1, progress = 'done', grade = $2, report = $3, failure = $4, lease = NULL WHERE id = $5",
        )
        .bind(now)
        .bind(grade)
        .bind(report)
        .bind(failure)
        .bind(id)
        .execute(&self.0)
        .await;
        if let Err(err) = done {
            tracing::error!(%err, "could not record the self-audit's report");
        }
    }

    /// Forgets runs that started before `at` (the audit trail's retention).
    pub async fn delete_before(&self, at: i64) -> Result<u64, sqlx::Error> {
        Ok(sqlx::query("DELETE FROM self_audits WHERE started_at < $1")
            .bind(at)
            .execute(&self.0)
            .await?
            .rows_affected())
    }

    /// Throwaway accounts of runs that are over (finished, or closed as stale) but still
    /// exist: their instance stopped before deleting them. Ids, with their run.
    pub async fn leftovers(&self) -> Result<Vec<(String, String)>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, account_id FROM self_audits WHERE account_id IS NOT NULL AND lease IS NULL",
        )
        .fetch_all(&self.0)
        .await?;
        Ok(rows
            .iter()
            .map(|row| (row.get("id"), row.get("account_id")))
            .collect())
    }

    /// The latest run, if any (one left unfinished past [`STALE_SECS`] shows as failed).
    pub async fn latest(&self, now: i64) -> Result<Option<SelfAuditRun>, ApiError> {
        let row = sqlx::query(
            "SELECT a.started_at, a.finished_at, a.progress, a.grade, a.report, a.failure, u.email \
             FROM self_audits a LEFT JOIN users u ON u.id = a.started_by \
             ORDER BY a.started_at DESC, a.id DESC LIMIT 1",
        )
        .fetch_optional(&self.0)
        .await
        .map_err(db_unavailable)?;
        Ok(row.map(|row| {
            let mut run = SelfAuditRun {
                started_at: row.get("started_at"),
                finished_at: row.get("finished_at"),
                started_by: row.get("email"),
                progress: row.get("progress"),
                grade: row.get("grade"),
                report: row.get("report"),
                failure: row.get("failure"),
            };
            if run.finished_at.is_none() && run.started_at < now - STALE_SECS {
                run.finished_at = Some(run.started_at + STALE_SECS);
                run.failure = Some("the instance running it stopped before it finished".into());
            }
            run
        }))
    }
}
