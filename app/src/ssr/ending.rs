//! Ending sessions: the one way any session ends, whatever the reason (a sign-out, a
//! revocation from the device or admin page, a timeout or fingerprint mismatch the guard or
//! a live stream saw, the session limit, a password or role change, a stolen remember-me
//! token). Every end does the same things, in the same order:
//!
//! 1. the remember-me token bound to the session is revoked (unless the reason is a timeout,
//!    which is what the token is for), so a tab told of the end cannot sign itself back in;
//! 2. the reason is recorded, *before* the record goes, so a request that finds the record
//!    gone a moment later learns why (and does not redeem a token instead);
//! 3. the record is deleted and every instance told ([`super::events::Event::SessionEnded`]);
//! 4. the audit trail says which session, why, from which client, and the [`Ending`]'s note.
//!
//! A caller says *why* with an [`Ending`] and picks *which* sessions: one by key
//! ([`end_session`]), the request's own ([`end_current`]) or every session of a user
//! ([`end_everywhere`], which never scans the store: it walks the user's index).
use super::session::Session;
use super::{
    audit::{AuditEvent, AuditKind},
    auth::{AuthState, ClientInfo},
    context::{db_unavailable, store_unavailable, ServerState},
    lifecycle::store_now,
};
use crate::{
    error::ApiError,
    model::{EndReason, SessionKey},
};

/// Why sessions end, who asked, and what the audit trail says about it.
#[derive(Clone, Debug)]
pub struct Ending<'a> {
    reason: EndReason,
    client: &'a ClientInfo,
    note: Option<String>,
    summary: Option<(AuditKind, String)>,
}

impl<'a> Ending<'a> {
    /// Sessions ending for `reason`, at the request of `client`.
    pub fn new(reason: EndReason, client: &'a ClientInfo) -> Self {
        Self {
            reason,
            client,
            note: None,
            summary: None,
        }
    }

    /// With a detail for each ended session's audit event ("by admin …").
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// With a detail, if there is one.
    pub fn maybe_note(mut self, note: Option<String>) -> Self {
        self.note = note;
        self
    }

    /// For [`end_everywhere`]: one audit event of `kind` for the whole sweep, saying `what`
    /// happened and how many sessions it ended (`"<what>; <n> sessions ended"`).
    pub fn recorded_as(mut self, kind: AuditKind, what: impl Into<String>) -> Self {
        self.summary = Some((kind, what.into()));
        self
    }
}

/// The audit kind of a session ending for `reason`.
fn audit_kind(reason: EndReason) -> AuditKind {
    match reason {
        EndReason::Logout => AuditKind::Logout,
        EndReason::Idle => AuditKind::IdleTimeout,
        EndReason::Absolute => AuditKind::AbsoluteTimeout,
        EndReason::Fingerprint => AuditKind::FingerprintMismatch,
        EndReason::Revoked => AuditKind::Revoked,
        EndReason::Theft => AuditKind::RememberTheft,
        EndReason::Limit => AuditKind::LimitEvicted,
        EndReason::PasswordChanged => AuditKind::PasswordChanged,
        EndReason::RoleChanged => AuditKind::RoleChanged,
    }
}

/// Revokes the remember-me token bound to a session that ends for `reason` (every sign-out
/// and revocation; not the idle or absolute timeouts: bridging them is what the token is for).
async fn revoke_bound_token(
    state: &ServerState,
    auth: Option<&AuthState>,
    reason: EndReason,
) -> Result<(), ApiError> {
    match auth.and_then(|a| a.remember.as_deref()) {
        Some(selector) if reason.revokes_remember_me() => state
            .remember
            .revoke_selector(selector)
            .await
            .map_err(db_unavailable),
        _ => Ok(()),
    }
}

async fn audit_end(state: &ServerState, user_id: &str, key: &SessionKey, ending: &Ending<'_>) {
    let mut event = AuditEvent::new(audit_kind(ending.reason), Some(user_id))
        .session(key.clone())
        .client(ending.client);
    if let Some(note) = &ending.note {
        event = event.reason(note.clone());
    }
    state.audit.record(event).await;
}

/// Ends one session of `user_id` by storage key (any session; the request's own goes through
/// [`end_current`]). Whether it was still live.
pub async fn end_session(
    state: &ServerState,
    user_id: &str,
    key: &SessionKey,
    ending: &Ending<'_>,
) -> Result<bool, ApiError> {
    let auth = state.registry.get(key).await.map_err(store_unavailable)?;
    revoke_bound_token(state, auth.as_ref(), ending.reason).await?;
    let live = state
        .registry
        .end(user_id, key, ending.reason)
        .await
        .map_err(store_unavailable)?;
    audit_end(state, user_id, key, ending).await;
    Ok(live)
}

/// Ends the request's own session (a sign-out, or a policy rule the guard applied), like
/// [`end_session`], and empties the request's session so no cookie is set for it.
pub async fn end_current(
    state: &ServerState,
    session: &Session,
    auth: &AuthState,
    ending: &Ending<'_>,
) -> Result<(), ApiError> {
    let Some(key) = session.key() else {
        return session.flush().await.map_err(store_unavailable);
    };
    revoke_bound_token(state, Some(auth), ending.reason).await?;
    state
        .registry
        .end(&auth.user_id, &key, ending.reason)
        .await
        .map_err(store_unavailable)?;
    session.flush().await.map_err(store_unavailable)?;
    audit_end(state, &auth.user_id, &key, ending).await;
    Ok(())
}

/// Ends every session of a user, and every remember-me token first (a tab told of the end
/// must not sign itself back in with a token about to go), after moving the user's
/// generation on, so a session being created meanwhile cannot escape. `keep` is the
/// request's own session and state when it stays signed in: it moves to the new generation.
/// Returns how many sessions ended and, with `keep`, its updated state; audits the sweep
/// when the ending is [`Ending::recorded_as`] something.
pub async fn end_everywhere(
    state: &ServerState,
    user_id: &str,
    keep: Option<(&Session, &AuthState)>,
    ending: &Ending<'_>,
) -> Result<(usize, Option<AuthState>), ApiError> {
    let reason = ending.reason;
    state
        .remember
        .revoke_user(user_id)
        .await
        .map_err(db_unavailable)?;
    // Why, before the generation moves on: from that moment none of these sessions loads,
    // and a request (or a tab's live stream) that finds one gone must learn why at once, not
    // only when the sweep below reaches it.
    let own = keep.and_then(|(session, _)| session.key());
    for key in state
        .registry
        .indexed_keys(user_id)
        .await
        .map_err(store_unavailable)?
    {
        if Some(&key) != own.as_ref() {
            state
                .registry
                .record_end(user_id, &key, reason)
                .await
                .map_err(store_unavailable)?;
        }
    }
    let gen = state
        .registry
        .bump_generation(user_id)
        .await
        .map_err(store_unavailable)?;
    let kept = match keep {
        Some((session, auth)) => {
            let auth = AuthState {
                gen,
                remember: None,
                ..auth.clone()
            };
            // Even if this session ended meanwhile, the others still end below.
            let stored = store_now(state, session, &auth).await;
            Some((session.key(), auth, stored))
        }
        None => None,
    };
    let keep_key = match &kept {
        Some((key, _, Ok(()))) => key.as_ref(),
        _ => None,
    };
    let ended = state
        .registry
        .end_all(user_id, keep_key, reason)
        .await
        .map_err(store_unavailable)?;
    if let Some((kind, what)) = &ending.summary {
        state
            .audit
            .record(
                AuditEvent::new(*kind, Some(user_id))
                    .client(ending.client)
                    .reason(format!("{what}; {ended} sessions ended")),
            )
            .await;
    }
    match kept {
        Some((_, auth, stored)) => stored.map(|()| (ended, Some(auth))),
        None => Ok((ended, None)),
    }
}
