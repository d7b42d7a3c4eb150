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
    /// Begins a run `id` (false when another one is under way).
    pub async fn begin(&self, id: &str, by: &str, now: i64) -> Result<bool, ApiError> {
        let mut tx = self.0.begin().await.map_err(db_unavailable)?;
        let running: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM self_audits WHERE finished_at IS NULL AND started_at > $1",
        )
        .bind(now - STALE_SECS)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_unavailable)?;
        if running > 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO self_audits (id, started_at, started_by, progress) VALUES ($1, $2, $3, 'starting')",
        )
        .bind(id)
        .bind(now)
        .bind(by)
        .execute(&mut *tx)
        .await
        .map_err(db_unavailable)?;
        tx.commit().await.map_err(db_unavailable)?;
        Ok(true)
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
            "UPDATE self_audits SET finished_at = $1, progress = 'done', grade = $2, report = $3, failure = $4 WHERE id = $5",
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

    /// Throwaway accounts a run left behind (its instance stopped before deleting them):
    /// older than [`STALE_SECS`].
    pub async fn leftovers(&self, now: i64) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT email FROM users WHERE email LIKE $1 AND created_at < $2")
            .bind(format!("{ACCOUNT_PREFIX}%{ACCOUNT_DOMAIN}"))
            .bind(now - STALE_SECS)
            .fetch_all(&self.0)
            .await
    }

    /// The latest run, if any.
    pub async fn latest(&self) -> Result<Option<SelfAuditRun>, ApiError> {
        let row = sqlx::query(
            "SELECT a.started_at, a.finished_at, a.progress, a.grade, a.report, a.failure, u.email \
             FROM self_audits a LEFT JOIN users u ON u.id = a.started_by \
             ORDER BY a.started_at DESC, a.id DESC LIMIT 1",
        )
        .fetch_optional(&self.0)
        .await
        .map_err(db_unavailable)?;
        Ok(row.map(|row| SelfAuditRun {
            started_at: row.get("started_at"),
            finished_at: row.get("finished_at"),
            started_by: row.get("email"),
            progress: row.get("progress"),
            grade: row.get("grade"),
            report: row.get("report"),
            failure: row.get("failure"),
        }))
    }
}
