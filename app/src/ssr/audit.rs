//! The audit trail: every sign-in, rejection and session end, in the SQL database. Never raw
//! session ids or tokens: a session appears by its storage key (the SHA-256 of its id), which
//! is also how the dashboard names it.
//!
//! Events chain: a sign-in or a remember-me restore names the session it started, every
//! regeneration (re-authentication, privilege change, a sign-in over a live session) both the
//! key it replaced (`from_session`) and the new one, and every end the key it ended. Following
//! `from_session` back and forth gives a session's story from sign-in to end
//! ([`Audit::timeline`]).
use super::{auth::ClientInfo, clock::Clock, metrics::Metrics};
use crate::model::{AuditRecord, SessionKey, Timeline};
use sqlx::{AnyPool, Row};
use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
};

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
    EndedSessionUsed,
    AccountCreated,
    PasswordReset,
    AccountDeleted,
    PasskeyAdded,
    PasskeyRemoved,
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
            AuditKind::EndedSessionUsed => "ended_session_used",
            AuditKind::AccountCreated => "account_created",
            AuditKind::PasswordReset => "password_reset",
            AuditKind::AccountDeleted => "account_deleted",
            AuditKind::PasskeyAdded => "passkey_added",
            AuditKind::PasskeyRemoved => "passkey_removed",
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
    /// The session's storage key.
    pub session_key: Option<SessionKey>,
    /// For a regeneration: the storage key it replaced.
    pub from_session: Option<SessionKey>,
    /// For a failed sign-in: the account it targeted (see [`AuditEvent::target`]).
    pub target: Option<String>,
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
            session_key: None,
            from_session: None,
            target: None,
            client: None,
            reason: None,
        }
    }

    /// With the session's storage key.
    pub fn session(mut self, key: impl Into<Option<SessionKey>>) -> Self {
        self.session_key = key.into();
        self
    }

    /// With the storage key a regeneration replaced.
    pub fn from_session(mut self, key: impl Into<Option<SessionKey>>) -> Self {
        self.from_session = key.into();
        self
    }

    /// With the account a failed attempt targeted: a user id, or `unknown:<keyed hash>` for
    /// an e-mail no account has (grouped without storing what was typed).
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
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
    /// What [`Audit::record_once`] has recorded lately on this instance, so a replay loop
    /// costs a set lookup, not a database write per request.
    recorded_once: Arc<Mutex<HashSet<String>>>,
}

/// How many [`Audit::record_once`] entries an instance remembers before starting afresh (the
/// database's unique index still holds them to once).
const RECORDED_ONCE_MEMORY: usize = 10_000;

impl Audit {
    /// The audit trail in `pool`'s database, counting every event in `metrics`.
    pub fn new(pool: AnyPool, clock: Clock, metrics: Metrics) -> Self {
        Self {
            pool,
            clock,
            metrics,
            recorded_once: Arc::default(),
        }
    }

    /// Records an event. A failure is logged loudly but does not fail the user's action.
    pub async fn record(&self, event: AuditEvent<'_>) {
        if let Err(err) = self.insert(&event, false).await {
            tracing::error!(%err, kind = event.kind.as_str(), "AUDIT EVENT LOST: could not write to the database");
        }
    }

    /// Records an event unless one of its kind, session and reason is already recorded
    /// (`ended_session_used`: a unique index makes it once per session and reason on every
    /// instance, however often the cookie is replayed).
    pub async fn record_once(&self, event: AuditEvent<'_>) {
        let marker = format!(
            "{}|{}|{}",
            event.kind.as_str(),
            event.session_key.as_ref().map_or("", SessionKey::as_str),
            event.reason.as_deref().unwrap_or("")
        );
        {
            let mut seen = self.recorded_once.lock().expect("audit memory lock");
            if seen.len() >= RECORDED_ONCE_MEMORY {
                seen.clear();
            }
            if !seen.insert(marker) {
                return;
            }
        }
        if let Err(err) = self.insert(&event, true).await {
            tracing::error!(%err, kind = event.kind.as_str(), "AUDIT EVENT LOST: could not write to the database");
        }
    }

    async fn insert(&self, event: &AuditEvent<'_>, once: bool) -> Result<(), sqlx::Error> {
        let tag = event.session_key.as_ref().map(SessionKey::tag);
        let sql = if once {
            "INSERT INTO audit_events (id, at_ms, user_id, session_tag, ip, user_agent, kind, reason, session_key, from_session, target) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING"
        } else {
            "INSERT INTO audit_events (id, at_ms, user_id, session_tag, ip, user_agent, kind, reason, session_key, from_session, target) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        };
        let inserted = sqlx::query(sql)
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(self.clock.now_ms())
            .bind(event.user_id)
            .bind(tag.clone())
            .bind(event.client.map(|c| c.ip.clone()))
            .bind(event.client.map(|c| c.user_agent.clone()))
            .bind(event.kind.as_str())
            .bind(event.reason.as_deref())
            .bind(event.session_key.as_ref().map(SessionKey::as_str))
            .bind(event.from_session.as_ref().map(SessionKey::as_str))
            .bind(event.target.as_deref())
            .execute(&self.pool)
            .await?
            .rows_affected();
        if inserted > 0 {
            self.metrics.event(event.kind.as_str());
            tracing::info!(kind = event.kind.as_str(), user = ?event.user_id, session = ?tag, reason = ?event.reason, "audit");
        }
        Ok(())
    }

    /// Deletes events recorded before `before_ms`; how many.
    pub async fn delete_before(&self, before_ms: i64) -> Result<u64, sqlx::Error> {
        Ok(sqlx::query("DELETE FROM audit_events WHERE at_ms < $1")
            .bind(before_ms)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// The newest events first (or, with `since_ms`, the oldest since then first), of one
    /// user or targeting one account when asked.
    pub async fn recent(&self, query: AuditQuery<'_>) -> Result<Vec<AuditRecord>, sqlx::Error> {
        let order = if query.since_ms.is_some() {
            "ASC"
        } else {
            "DESC"
        };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM audit_events \
             WHERE (($1 IS NULL AND $2 IS NULL) OR user_id = $1 OR target = $2) AND at_ms >= $3 \
             ORDER BY at_ms {order}, id {order} LIMIT $4"
        ))
        .bind(query.user_id)
        .bind(query.target)
        .bind(query.since_ms.unwrap_or(0))
        .bind(query.limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(record).collect()
    }

    /// The story of the session stored under `key`: every event of it and of the sessions it
    /// was regenerated from or into, oldest first, and the user's other sessions active in
    /// that span. With `owner`, only that user's events (a user asking about their own).
    pub async fn timeline(
        &self,
        key: &SessionKey,
        owner: Option<&str>,
    ) -> Result<Timeline, sqlx::Error> {
        const MAX_KEYS: usize = 64;
        const MAX_EVENTS_PER_KEY: usize = 500;
        let mut keys = vec![key.to_string()];
        let mut events: Vec<AuditRecord> = Vec::new();
        let mut next = 0;
        while next < keys.len() && keys.len() <= MAX_KEYS {
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM audit_events WHERE session_key = $1 OR from_session = $1 \
                 ORDER BY at_ms LIMIT {MAX_EVENTS_PER_KEY}"
            ))
            .bind(&keys[next])
            .fetch_all(&self.pool)
            .await?;
            next += 1;
            for event in rows.iter().map(record) {
                let event = event?;
                // The owner sees their sessions' events, and those naming no user (a replay
                // of one of their ended cookies), never another user's.
                if owner.is_some() && event.user_id.is_some() && event.user_id.as_deref() != owner {
                    continue;
                }
                for linked in [&event.session_key, &event.from_session]
                    .into_iter()
                    .flatten()
                {
                    if !keys.contains(linked) {
                        keys.push(linked.clone());
                    }
                }
                if !events.iter().any(|e| e.id == event.id) {
                    events.push(event);
                }
            }
        }
        if owner.is_some() && !events.iter().any(|e| e.user_id.as_deref() == owner) {
            return Ok(Timeline::default());
        }
        events.sort_by_key(|e| e.at_ms);
        let mut ordered: Vec<String> = Vec::new();
        for event in &events {
            for key in [&event.from_session, &event.session_key]
                .into_iter()
                .flatten()
            {
                if !ordered.contains(key) {
                    ordered.push(key.clone());
                }
            }
        }
        let mut others = Vec::new();
        if let (Some(first), Some(last), Some(user)) = (
            events.first(),
            events.last(),
            events.iter().find_map(|e| e.user_id.clone()),
        ) {
            let rows = sqlx::query(
                "SELECT DISTINCT session_key FROM audit_events \
                 WHERE user_id = $1 AND at_ms >= $2 AND at_ms <= $3 AND session_key IS NOT NULL",
            )
            .bind(&user)
            .bind(first.at_ms)
            .bind(last.at_ms)
            .fetch_all(&self.pool)
            .await?;
            for row in rows {
                let other: String = row.try_get(0)?;
                if !ordered.contains(&other) && !others.contains(&other) {
                    others.push(other);
                }
            }
        }
        Ok(Timeline {
            events,
            keys: ordered,
            others,
        })
    }
}

/// Which events [`Audit::recent`] reads.
#[derive(Clone, Copy, Debug)]
pub struct AuditQuery<'a> {
    /// Only events about this user, or (with `target`) targeting it.
    pub user_id: Option<&'a str>,
    /// Only failed attempts targeting this account (see [`AuditEvent::target`]).
    pub target: Option<&'a str>,
    /// Only events at or after this time, oldest first (else the newest first).
    pub since_ms: Option<i64>,
    /// At most this many.
    pub limit: i64,
}

impl<'a> AuditQuery<'a> {
    /// The events of one account (all of them, when `None`).
    pub fn of(account: Option<&'a Account>) -> Self {
        match account {
            Some(account) => Self {
                user_id: account.user_id.as_deref(),
                target: Some(&account.target),
                ..Self::default()
            },
            None => Self::default(),
        }
    }
}

/// One person's events, as an admin names them by e-mail: those about their account, and
/// the failed attempts at it (an e-mail no account has still finds the attempts made at it).
#[derive(Clone, Debug)]
pub struct Account {
    /// The account's user id, when it exists.
    pub user_id: Option<String>,
    /// What failed attempts at it are recorded under (see [`AuditEvent::target`]).
    pub target: String,
}

impl Account {
    /// The account with this e-mail (400 for one that is not an e-mail address), looked up
    /// in `users`; `devices` holds the key unknown e-mails are hashed with.
    pub async fn find(
        users: &super::users::Users,
        devices: &super::devices::Devices,
        email: &str,
    ) -> Result<Self, crate::error::ApiError> {
        let email =
            super::users::normalize_email(email).map_err(crate::error::ApiError::bad_request)?;
        let user = users
            .find_by_email(&email)
            .await
            .map_err(super::context::db_unavailable)?;
        Ok(match user {
            Some(user) => Self {
                user_id: Some(user.id.clone()),
                target: user.id,
            },
            None => Self {
                user_id: None,
                target: super::attempts::unknown_account(devices, &email),
            },
        })
    }
}

/// Events as JSON Lines (one object per line, what SIEMs ingest).
pub fn json_lines(records: &[AuditRecord]) -> String {
    let mut out = String::new();
    for record in records {
        if let Ok(line) = serde_json::to_string(record) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

impl Default for AuditQuery<'_> {
    fn default() -> Self {
        Self {
            user_id: None,
            target: None,
            since_ms: None,
            limit: 200,
        }
    }
}

const COLUMNS: &str = "id, at_ms, user_id, session_tag, ip, user_agent, kind, reason, \
                       session_key, from_session, target";

fn record(row: &sqlx::any::AnyRow) -> Result<AuditRecord, sqlx::Error> {
    Ok(AuditRecord {
        id: row.try_get("id")?,
        at_ms: row.try_get("at_ms")?,
        user_id: row.try_get("user_id")?,
        session_tag: row.try_get("session_tag")?,
        ip: row.try_get("ip")?,
        user_agent: row.try_get("user_agent")?,
        kind: row.try_get("kind")?,
        reason: row.try_get("reason")?,
        session_key: row.try_get("session_key")?,
        from_session: row.try_get("from_session")?,
        target: row.try_get("target")?,
    })
}
