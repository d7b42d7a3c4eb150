//! Starting, regenerating and ending sessions: the one place each of these happens, shared by
//! sign-in, remember-me, re-authentication, the admin and device pages and the request guard.
//!
//! How revocation holds against requests in flight (see also `server/src/store`):
//! - A session that is replaced (regenerated) must still exist when it is replaced: it is
//!   *taken* from the store, and if it was already gone the new session is not created.
//! - Ending a user's sessions everywhere moves the user's generation on *before* listing
//!   them; a session is created first and its generation checked *after*. Either the check
//!   sees the new generation (and the new session is dropped), or the session was stored
//!   before the listing (and is ended with the rest). The stores also refuse to load a
//!   session of an older generation.
use super::{
    audit::{AuditEvent, AuditKind},
    auth::{key_tag, session_key, AuthState, ClientInfo, AUTH_KEY},
    context::{db_unavailable, store_unavailable, ServerState},
    registry::SessionGone,
    users::User,
};
use crate::{error::ApiError, model::EndReason, policy::Policy};
use tower_sessions::{Expiry, Session};

/// Extra time a record stays in the store past the moment the policy would end it, so the
/// request that finds it expired can still say why.
const STORE_SLACK_SECS: i64 = 60;

/// Writes the session's authenticated state, and has the store drop the record when the
/// policy would end it (idle or absolute, whichever comes first).
pub async fn save_auth(
    session: &Session,
    auth: &AuthState,
    policy: &Policy,
) -> Result<(), ApiError> {
    let until = (auth.last_seen + policy.idle_timeout_secs)
        .min(auth.created_at + policy.absolute_timeout_secs)
        + STORE_SLACK_SECS;
    if let Ok(at) = time::OffsetDateTime::from_unix_timestamp(until) {
        session.set_expiry(Some(Expiry::AtDateTime(at)));
    }
    session
        .insert(AUTH_KEY, auth)
        .await
        .map_err(store_unavailable)
}

/// Writes `auth` and stores the record now (creating it under a new id after
/// `cycle_id`), rather than when the response goes out.
async fn store_now(state: &ServerState, session: &Session, auth: &AuthState) -> Result<(), ApiError> {
    save_auth(session, auth, &state.policy.current()).await?;
    match session.save().await {
        Ok(()) => Ok(()),
        Err(err) if SessionGone::is(&err) => {
            let key = session_key_of(session).unwrap_or_default();
            session.flush().await.map_err(store_unavailable)?;
            Err(ended_error(state, &key).await)
        }
        Err(err) => Err(store_unavailable(err)),
    }
}

/// The error for a request whose session ended under it: 401 with the recorded reason.
async fn ended_error(state: &ServerState, key: &str) -> ApiError {
    match state.registry.end_reason(key).await {
        Ok(Some(reason)) => ApiError::ended(reason),
        _ => ApiError::not_signed_in(),
    }
}

/// Removes the request's current record before its replacement is created; refuses (401
/// with the reason) when it is already gone: a session ended while this request was in
/// flight is not reborn under a new id.
async fn take_current(state: &ServerState, session: &Session) -> Result<(), ApiError> {
    let Some(id) = session.id() else {
        return Ok(());
    };
    let key = session_key(&id).to_string();
    if state.registry.take(&key).await.map_err(store_unavailable)? {
        Ok(())
    } else {
        session.flush().await.map_err(store_unavailable)?;
        Err(ended_error(state, &key).await)
    }
}

/// After a session was created: if its user's generation moved on meanwhile, the session
/// was created during a sign-out everywhere and is dropped (401 revoked).
async fn confirm_generation(
    state: &ServerState,
    session: &Session,
    auth: &AuthState,
) -> Result<(), ApiError> {
    let current = state
        .registry
        .generation(&auth.user_id)
        .await
        .map_err(store_unavailable)?;
    if current > auth.gen {
        session.flush().await.map_err(store_unavailable)?;
        return Err(ApiError::ended(EndReason::Revoked));
    }
    Ok(())
}

/// The user's current session generation (read before checking credentials, so a password
/// change or sign-out everywhere during the check is noticed afterwards).
pub async fn generation(state: &ServerState, user_id: &str) -> Result<i64, ApiError> {
    state
        .registry
        .generation(user_id)
        .await
        .map_err(store_unavailable)
}

/// Starts a new session for `user` in place of whatever the request had: ends the least
/// recently used sessions beyond the policy's limit, regenerates the id, records the sign-in.
/// `gen` is the user's generation read before the credentials were checked.
pub async fn start_session(
    state: &ServerState,
    session: &Session,
    user: &User,
    client: &ClientInfo,
    remembered: bool,
    gen: i64,
) -> Result<AuthState, ApiError> {
    let policy = state.policy.current();
    take_current(state, session).await?;
    let live = state
        .registry
        .sessions_of(&user.id)
        .await
        .map_err(store_unavailable)?;
    let keep = usize::try_from(policy.max_sessions_per_user - 1).unwrap_or(0);
    for key in live.iter().take(live.len().saturating_sub(keep)) {
        end_session(state, &user.id, key, EndReason::Limit, client, None).await?;
    }

    session.cycle_id().await.map_err(store_unavailable)?;
    let auth = AuthState::start(user, client, state.clock.now_ms(), remembered, gen);
    store_now(state, session, &auth).await?;
    confirm_generation(state, session, &auth).await?;
    let kind = if remembered {
        AuditKind::RememberUsed
    } else {
        AuditKind::LoginOk
    };
    state
        .audit
        .record(AuditEvent::new(kind, Some(&user.id)).client(client))
        .await;
    Ok(auth)
}

/// Regenerates the id of a signed-in session (re-authentication, privilege change) and
/// writes its new state. Refuses when the session ended while this request was in flight,
/// or when its generation is no longer current.
pub async fn regenerate(
    state: &ServerState,
    session: &Session,
    auth: &AuthState,
) -> Result<(), ApiError> {
    let old = session.id().map(|id| key_tag(&session_key(&id).to_string()));
    take_current(state, session).await?;
    session.cycle_id().await.map_err(store_unavailable)?;
    store_now(state, session, auth).await?;
    confirm_generation(state, session, auth).await?;
    state
        .audit
        .record(AuditEvent::new(AuditKind::IdRegenerated, Some(&auth.user_id)).session(old))
        .await;
    Ok(())
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

/// What follows every end of one session: its remember-me token goes too (unless it simply
/// timed out: that is what the token is for), the reason is recorded for its tab, every
/// instance is told, and the audit trail says who and why.
async fn after_end(
    state: &ServerState,
    auth: Option<&AuthState>,
    user_id: &str,
    key: &str,
    reason: EndReason,
    client: &ClientInfo,
    note: Option<String>,
) -> Result<(), ApiError> {
    if reason.revokes_remember_me() {
        if let Some(selector) = auth.and_then(|a| a.remember.as_deref()) {
            state
                .remember
                .revoke_selector(selector)
                .await
                .map_err(db_unavailable)?;
        }
    }
    state
        .registry
        .ended(user_id, key, reason)
        .await
        .map_err(store_unavailable)?;
    let mut event = AuditEvent::new(audit_kind(reason), Some(user_id))
        .session(key_tag(key))
        .client(client);
    if let Some(note) = note {
        event = event.reason(note);
    }
    state.audit.record(event).await;
    Ok(())
}

/// Ends one session by storage key (any reason but the request's own session, see
/// [`end_current`]): deletes it, revokes its remember-me token, records why, tells every
/// instance and audits. Whether it was still live.
pub async fn end_session(
    state: &ServerState,
    user_id: &str,
    key: &str,
    reason: EndReason,
    client: &ClientInfo,
    note: Option<String>,
) -> Result<bool, ApiError> {
    let auth = state.registry.get(key).await.map_err(store_unavailable)?;
    let live = state.registry.take(key).await.map_err(store_unavailable)?;
    after_end(state, auth.as_ref(), user_id, key, reason, client, note).await?;
    Ok(live)
}

/// Ends the request's own session (sign-out, or a policy rule the guard applied).
pub async fn end_current(
    state: &ServerState,
    session: &Session,
    auth: &AuthState,
    reason: EndReason,
    client: &ClientInfo,
    note: Option<String>,
) -> Result<(), ApiError> {
    let key = session.id().map(|id| session_key(&id).to_string());
    session.flush().await.map_err(store_unavailable)?;
    if let Some(key) = key {
        after_end(state, Some(auth), &auth.user_id, &key, reason, client, note).await?;
    }
    Ok(())
}

/// Ends every session of a user, and every remember-me token first (a tab told of the end
/// must not sign itself back in with a token about to go), after moving the user's
/// generation on, so a session being created meanwhile cannot escape. `keep` is the
/// request's own session and state when it stays signed in: it moves to the new generation.
/// Returns how many sessions ended and, with `keep`, its updated state.
pub async fn end_everywhere(
    state: &ServerState,
    user_id: &str,
    keep: Option<(&Session, &AuthState)>,
    reason: EndReason,
) -> Result<(usize, Option<AuthState>), ApiError> {
    state
        .remember
        .revoke_user(user_id)
        .await
        .map_err(db_unavailable)?;
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
            store_now(state, session, &auth).await?;
            Some((session_key_of(session), auth))
        }
        None => None,
    };
    let ended = state
        .registry
        .end_all(user_id, kept.as_ref().and_then(|(k, _)| k.as_deref()), reason)
        .await
        .map_err(store_unavailable)?;
    Ok((ended, kept.map(|(_, auth)| auth)))
}

fn session_key_of(session: &Session) -> Option<String> {
    session.id().map(|id| session_key(&id).to_string())
}
