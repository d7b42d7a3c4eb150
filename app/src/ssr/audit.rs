//! The audit trail: every sign-in, rejection and session end, in the SQL database. Never raw
//! session ids or tokens: sessions appear as a short hash.
use super::{auth::ClientInfo, clock::Clock, metrics::Metrics};
use crate::model::AuditRecord;
use sqlx::{AnyPool, Row};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum AuditKind {
    LoginOk,
    LoginFailed,
    Logout,
    IdRegenerated,
    Reauth,
    IdleTimeout,
    AbsoluteTimeout,
    FingerprintMismatch,
    Revoked,
    LimitEvicted,
    RememberUsed,
    RememberTheft,
    PolicyChanged,
    PasswordChanged,
    RoleChanged,
}

impl AuditKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::LoginOk => "login_ok",
            AuditKind::LoginFailed => "login_failed",
            AuditKind::Logout => "logout",
            AuditKind::IdRegenerated => "id_regenerated",
            AuditKind::Reauth => "reauth",
            AuditKind::IdleTimeout => "idle_timeout",
            AuditKind::AbsoluteTimeout => "absolute_timeout",
            AuditKind::FingerprintMismatch => "fingerprint_mismatch",
            AuditKind::Revoked => "revoked",
            AuditKind::LimitEvicted => "limit_evicted",
            AuditKind::RememberUsed => "remember_used",
            AuditKind::RememberTheft => "remember_theft",
            AuditKind::PolicyChanged => "policy_changed",
            AuditKind::PasswordChanged => "password_changed",
            AuditKind::RoleChanged => "role_changed",
        }
    }
}

/// One event to record.
#[derive(Clone, Debug)]
pub struct AuditEvent<'a> {
    /// What happened.
    pub kind: AuditKind,
    /// The user concerned.
    pub user_id: Option<&'a str>,
    /// Short hash of the session id.
    pub session_tag: Option<String>,
    /// The client, if the event came from a request.
    pub client: Option<&'a ClientInfo>,
    /// Details.
    pub reason: Option<String>,
}

impl<'a> AuditEvent<'a> {
    /// An event of `kind` about `user_id`.
    pub fn new(kind: AuditKind, user_id: Option<&'a str>) -> Self {
        Self {
            kind,
            user_id,
            session_tag: None,
            client: None,
            reason: None,
        }
    }

    /// With the session's tag.
    pub fn session(mut self, tag: impl Into<Option<String>>) -> Self {
        self.session_tag = tag.into();
        self
    }

    /// With the requesting client.
    pub fn client(mut self, client: &'a ClientInfo) -> Self {
        self.client = Some(client);
        self
    }

    /// With details.
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

/// Writes and reads the `audit_events` table.
#[derive(Clone, Debug)]
pub struct Audit {
    pool: AnyPool,
    clock: Clock,
    metrics: Metrics,
}

impl Audit {
    /// The audit trail in `pool`'s database, counting every event in `metrics`.
    pub fn new(pool: AnyPool, clock: Clock, metrics: Metrics) -> Self {
        Self {
            pool,
            clock,
            metrics,
        }
    }

    /// Records an event. A failure is logged loudly but does not fail the user's action.
    pub async fn record(&self, event: AuditEvent<'_>) {
        self.metrics.event(event.kind.as_str());
        tracing::info!(kind = event.kind.as_str(), user = ?event.user_id, session = ?event.session_tag, reason = ?event.reason, "audit");
        let result = sqlx::query(
            "INSERT INTO audit_events (id, at_ms, user_id, session_tag, ip, user_agent, kind, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(self.clock.now_ms())
        .bind(event.user_id)
        .bind(event.session_tag)
        .bind(event.client.map(|c| c.ip.clone()))
        .bind(event.client.map(|c| c.user_agent.clone()))
        .bind(event.kind.as_str())
        .bind(event.reason)
        .execute(&self.pool)
        .await;
        if let Err(err) = result {
            tracing::error!(%err, kind = event.kind.as_str(), "AUDIT EVENT LOST: could not write to the database");
        }
    }

    /// Deletes events recorded before `before_ms`; how many.
    pub async fn delete_before(&self, before_ms: i64) -> Result<u64, sqlx::Error> {
        Ok(sqlx::query("DELETE FROM audit_events WHERE at_ms < $1")
            .bind(before_ms)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// The newest events first, optionally only those of one user.
    pub async fn recent(
        &self,
        user_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT at_ms, user_id, session_tag, ip, user_agent, kind, reason FROM audit_events \
             WHERE ($1 IS NULL OR user_id = $1) ORDER BY at_ms DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(AuditRecord {
                    at_ms: row.try_get("at_ms")?,
                    user_id: row.try_get("user_id")?,
                    session_tag: row.try_get("session_tag")?,
                    ip: row.try_get("ip")?,
                    user_agent: row.try_get("user_agent")?,
                    kind: row.try_get("kind")?,
                    reason: row.try_get("reason")?,
                })
            })
            .collect()
    }
}
