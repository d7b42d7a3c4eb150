//! Your own devices: the live sessions of the signed-in account, ending one or all others,
//! and one session's story.
use crate::{
    error::ApiError,
    model::{SessionInfo, Timeline},
};
use leptos::prelude::*;

/// Your live sessions, least recently active first, the current one marked.
#[server(prefix = "/api", endpoint = "my_sessions")]
pub async fn my_sessions() -> Result<Vec<SessionInfo>, ApiError> {
    use crate::ssr::{access::*, context::*, listing::session_info};
    let state = server_state()?;
    let principal = require_principal()?;
    let current = current_key()?;
    let policy = state.policy.current();
    let sessions = state
        .registry
        .list_user(&principal.0.user_id)
        .await
        .map_err(store_unavailable)?;
    Ok(sessions
        .iter()
        .map(|(key, auth)| session_info(key, auth, &policy, current.as_ref()))
        .collect())
}

/// Ends one of your sessions (re-authentication required).
#[server(prefix = "/api", endpoint = "revoke_session")]
pub async fn revoke_session(handle: String) -> Result<(), ApiError> {
    use crate::{
        model::EndReason,
        ssr::{access::*, context::*, ending::Ending},
    };
    let state = server_state()?;
    let principal = require_fresh(&state).await?;
    let handle = crate::model::SessionKey::from_handle(&handle)?;
    let owner = state
        .registry
        .get(&handle)
        .await
        .map_err(store_unavailable)?;
    if owner.map(|auth| auth.user_id) != Some(principal.0.user_id.clone()) {
        return Err(ApiError::bad_request("No such session among yours."));
    }
    crate::ssr::ending::end_session(
        &state,
        &principal.0.user_id,
        &handle,
        &Ending::new(EndReason::Revoked, &client_info()).note("by its owner"),
    )
    .await?;
    Ok(())
}

/// Ends all your sessions but this one (re-authentication required); returns how many.
#[server(prefix = "/api", endpoint = "revoke_other_sessions")]
pub async fn revoke_other_sessions() -> Result<usize, ApiError> {
    use crate::{
        model::EndReason,
        ssr::{access::*, audit::*, context::*, ending::Ending},
    };
    let state = server_state()?;
    let principal = require_fresh(&state).await?;
    let (ended, _) = crate::ssr::ending::end_everywhere(
        &state,
        &principal.0.user_id,
        Some((&session()?, &principal.0)),
        &Ending::new(EndReason::Revoked, &client_info()).recorded_as(
            AuditKind::Revoked,
            "signed out of every other session by their owner",
        ),
    )
    .await?;
    Ok(ended)
}

/// The story of one of the caller's own sessions (no other user's data).
#[server(prefix = "/api", endpoint = "my_session_timeline")]
pub async fn my_session_timeline(handle: String) -> Result<Timeline, ApiError> {
    use crate::ssr::{access::*, context::*};
    let state = server_state()?;
    let me = require_principal()?;
    timeline_of(&state, &handle, Some(&me.0.user_id)).await
}

#[cfg(feature = "ssr")]
pub(in crate::api) async fn timeline_of(
    state: &crate::ssr::context::ServerState,
    handle: &str,
    owner: Option<&str>,
) -> Result<Timeline, ApiError> {
    let key = crate::model::SessionKey::from_handle(handle)?;
    let timeline = state
        .audit
        .timeline(&key, owner)
        .await
        .map_err(crate::ssr::context::db_unavailable)?;
    if timeline.events.is_empty() {
        return Err(ApiError::not_found("No recorded events for that session."));
    }
    Ok(timeline)
}
