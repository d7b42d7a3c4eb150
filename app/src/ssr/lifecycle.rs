//! Starting sessions and writing their authenticated state: shared by sign-in, remember-me,
//! re-authentication and the request guard.
use super::{
    audit::{AuditEvent, AuditKind},
    auth::{key_tag, session_tag, AuthState, ClientInfo, AUTH_KEY},
    context::{store_unavailable, ServerState},
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

/// Starts a new session for `user` in place of whatever the request had: ends the least
/// recently used sessions beyond the policy's limit, regenerates the id, records the sign-in.
pub async fn start_session(
    state: &ServerState,
    session: &Session,
    user: &User,
    client: &ClientInfo,
    remembered: bool,
) -> Result<AuthState, ApiError> {
    let policy = state.policy.current();
    let live = state
        .registry
        .sessions_of(&user.id)
        .await
        .map_err(store_unavailable)?;
    let keep = usize::try_from(policy.max_sessions_per_user - 1).unwrap_or(0);
    for key in live.iter().take(live.len().saturating_sub(keep)) {
        state
            .registry
            .end(&user.id, key, EndReason::Limit)
            .await
            .map_err(store_unavailable)?;
        state
            .audit
            .record(
                AuditEvent::new(AuditKind::LimitEvicted, Some(&user.id))
                    .session(key_tag(key))
                    .client(client),
            )
            .await;
    }

    session.cycle_id().await.map_err(store_unavailable)?;
    let auth = AuthState::start(user, client, state.clock.now(), remembered);
    save_auth(session, &auth, &policy).await?;
    state.events.publish(super::events::Event::SessionStarted {
        user_id: user.id.clone(),
    });
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
/// writes its new state.
pub async fn regenerate(
    state: &ServerState,
    session: &Session,
    auth: &AuthState,
) -> Result<(), ApiError> {
    let old = session.id().map(|id| session_tag(&id));
    session.cycle_id().await.map_err(store_unavailable)?;
    save_auth(session, auth, &state.policy.current()).await?;
    state
        .audit
        .record(AuditEvent::new(AuditKind::IdRegenerated, Some(&auth.user_id)).session(old))
        .await;
    Ok(())
}

/// Ends every session of a user except `keep`, and every remember-me token first: a tab told
/// of the end must not be able to sign itself back in with a token that is about to go.
/// Returns how many sessions ended.
pub async fn end_everywhere(
    state: &ServerState,
    user_id: &str,
    keep: Option<&str>,
    reason: EndReason,
) -> Result<usize, ApiError> {
    state
        .remember
        .revoke_user(user_id)
        .await
        .map_err(super::context::db_unavailable)?;
    state
        .registry
        .end_all(user_id, keep, reason)
        .await
        .map_err(store_unavailable)
}
