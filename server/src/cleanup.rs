//! The periodic clean-up of what has ended: session rows past their time (SQL; Redis expires
//! its own), index entries that name no live session, remember-me tokens past their
//! lifetime, ended-session reasons past `HALLPASS_HISTORY_SECS` and audit events past
//! `HALLPASS_AUDIT_RETENTION_DAYS`.
//!
//! Every step deletes only what can no longer matter, idempotently, so any number of
//! instances may sweep at the same time without coordinating.
use crate::store::{Backend, Store};
use app::ssr::context::ServerState;
use std::{sync::Arc, time::Duration};

/// How often each instance sweeps by default (`HALLPASS_CLEANUP_SECS`).
pub const DEFAULT_CLEANUP_SECS: u64 = 300;
/// How long audit events are kept by default (`HALLPASS_AUDIT_RETENTION_DAYS`).
pub const DEFAULT_AUDIT_RETENTION_DAYS: i64 = 400;

/// What one sweep removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Session records past their time (SQL only).
    pub sessions: u64,
    /// Index entries naming no live session.
    pub index_entries: u64,
    /// Remember-me tokens past their lifetime.
    pub remember_tokens: u64,
    /// Ended-session reasons past their retention (SQL only; Redis expires them).
    pub history: u64,
    /// Audit events past their retention.
    pub audit_events: u64,
    /// Throwaway accounts of security-page audits whose instance stopped mid-run.
    pub audit_accounts: u64,
}

/// The clean-up of one deployment.
#[derive(Clone, Debug)]
pub struct Cleanup {
    /// The server's shared state (policy, clock, tokens, audit).
    pub state: ServerState,
    /// The session store.
    pub store: Arc<Store>,
    /// Why sessions ended.
    pub ended: crate::store::EndedSessions,
    /// How long ended-session reasons are kept (seconds).
    pub history_secs: i64,
    /// How long audit events are kept (days).
    pub audit_retention_days: i64,
}

impl Cleanup {
    /// Sweeps once, now.
    pub async fn sweep(&self) -> anyhow::Result<Swept> {
        let now_ms = self.state.clock.now_ms();
        let now = now_ms / 1000;
        let policy = self.state.policy.current();
        let indexed = self.store.inner();
        let sessions = match indexed.backend() {
            Backend::Sql(sql) => sql.delete_expired(now).await?,
            Backend::Redis(_) => 0,
        };
        let index_entries = indexed
            .index()
            .prune(now_ms, policy.idle_timeout_secs)
            .await?;
        let history = self.ended.prune(now, self.history_secs).await?;
        let remember_tokens = self
            .state
            .remember
            .delete_expired(now, policy.remember_me_secs)
            .await?;
        self.state.passkeys.clean_up(now).await?;
        let audit_events = self
            .state
            .audit
            .delete_before(now_ms - self.audit_retention_days.saturating_mul(86_400_000))
            .await?;
        let runs = app::ssr::self_audit::Runs(self.state.users.pool().clone());
        runs.delete_before(now - self.audit_retention_days.saturating_mul(86_400))
            .await?;
        runs.expire_stale(now).await?;
        let mut audit_accounts = 0;
        for (run, account) in runs.leftovers().await? {
            match self.state.users.find_by_id(&account).await? {
                Some(user) => {
                    if crate::scan::own::remove_account(&self.state, &user).await {
                        runs.account(&run, None).await;
                        audit_accounts += 1;
                    }
                }
                None => runs.account(&run, None).await,
            }
        }
        Ok(Swept {
            sessions,
            index_entries,
            remember_tokens,
            history,
            audit_events,
            audit_accounts,
        })
    }

    /// Sweeps every `every`, in the background, for as long as the process runs.
    pub fn spawn(self, every: Duration) {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                match self.sweep().await {
                    Ok(swept) if swept != Swept::default() => {
                        tracing::info!(?swept, "clean-up")
                    }
                    Ok(_) => {}
                    Err(err) => tracing::warn!(%err, "clean-up failed; trying again later"),
                }
            }
        });
    }
}
