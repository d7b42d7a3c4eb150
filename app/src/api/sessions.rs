//! Listing and ending sessions: your own, and (for admins) everyone's.
use crate::{
    error::ApiError,
    model::{Dashboard, DryRun, SessionInfo},
};
use leptos::prelude::*;

/// Most sessions an admin listing or a dry run examines.
pub const LISTING_LIMIT: usize = 500;
#[cfg(feature = "ssr")]
const DRY_RUN_LIMIT: usize = 100_000;

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

/// Everyone's most recently active sessions and active-session counts over the last hours.
#[server(prefix = "/api", endpoint = "admin_sessions")]
pub async fn admin_sessions() -> Result<Dashboard, ApiError> {
    use crate::ssr::{access::*, context::*, listing::session_info};
    let state = server_state()?;
    require_admin()?;
    let current = current_key()?;
    let policy = state.policy.current();
    let sessions = state
        .registry
        .list_all(LISTING_LIMIT)
        .await
        .map_err(store_unavailable)?;
    let sessions = sessions
        .iter()
        .map(|(key, auth)| session_info(key, auth, &policy, current.as_ref()))
        .collect();
    let activity = state
        .activity
        .samples(&*state.registry, &state.policy.current(), state.clock.now())
        .await
        .map_err(store_unavailable)?;
    Ok(Dashboard { sessions, activity })
}

/// Ends any session (admin, re-authentication required).
#[server(prefix = "/api", endpoint = "admin_revoke_session")]
pub async fn admin_revoke_session(handle: String) -> Result<(), ApiError> {
    use crate::{
        model::EndReason,
        ssr::{access::*, context::*, ending::Ending},
    };
    let state = server_state()?;
    let admin = require_fresh_admin(&state).await?;
    let handle = crate::model::SessionKey::from_handle(&handle)?;
    let Some(owner) = state
        .registry
        .get(&handle)
        .await
        .map_err(store_unavailable)?
    else {
        return Err(ApiError::bad_request("That session has already ended."));
    };
    crate::ssr::ending::end_session(
        &state,
        &owner.user_id,
        &handle,
        &Ending::new(EndReason::Revoked, &client_info())
            .note(format!("by admin {}", admin.0.email)),
    )
    .await?;
    Ok(())
}

/// Ends every session of a user and their remember-me tokens (admin, re-auth); returns how
/// many sessions ended.
#[server(prefix = "/api", endpoint = "admin_revoke_user")]
pub async fn admin_revoke_user(email: String) -> Result<usize, ApiError> {
    use crate::{
        model::EndReason,
        ssr::{access::*, audit::*, context::*, ending::Ending, users::normalize_email},
    };
    let state = server_state()?;
    let admin = require_fresh_admin(&state).await?;
    let email = normalize_email(&email).map_err(ApiError::bad_request)?;
    let Some(user) = state
        .users
        .find_by_email(&email)
        .await
        .map_err(db_unavailable)?
    else {
        return Err(ApiError::bad_request("No user has that email."));
    };
    let session = session()?;
    let keep = (user.id == admin.0.user_id).then_some((&session, &admin.0));
    let client = client_info();
    let ending = Ending::new(EndReason::Revoked, &client).recorded_as(
        AuditKind::Revoked,
        format!("signed out everywhere by admin {}", admin.0.email),
    );
    let (ended, _) = crate::ssr::ending::end_everywhere(&state, &user.id, keep, &ending).await?;
    Ok(ended)
}

/// Ends every session except the caller's own (admin, re-auth); returns how many.
#[server(prefix = "/api", endpoint = "admin_revoke_all")]
pub async fn admin_revoke_all() -> Result<usize, ApiError> {
    use crate::{
        model::EndReason,
        ssr::{access::*, audit::*, context::*, ending::Ending},
    };
    let state = server_state()?;
    let admin = require_fresh_admin(&state).await?;
    // User by user, like signing one user out everywhere: their remember-me tokens first,
    // their generation moved on (a session being created meanwhile cannot outlive this),
    // then every indexed session. The admin's own session stays, in the new generation.
    let session = session()?;
    let client = client_info();
    // One audit event for the whole sweep (below), not one per user.
    let ending = Ending::new(EndReason::Revoked, &client);
    let mut ended = 0;
    for user_id in state.users.all_ids().await.map_err(db_unavailable)? {
        let keep = (user_id == admin.0.user_id).then_some((&session, &admin.0));
        let (count, _) =
            crate::ssr::ending::end_everywhere(&state, &user_id, keep, &ending).await?;
        ended += count;
    }
    state
        .audit
        .record(
            AuditEvent::new(AuditKind::Revoked, None)
                .client(&client_info())
                .reason(format!(
                    "{ended} sessions, everyone's, by admin {}",
                    admin.0.email
                )),
        )
        .await;
    Ok(ended)
}

/// How many live sessions a proposed policy would end now (admin). Same fields as
/// `set_policy`; nothing is saved.
#[server(prefix = "/api", endpoint = "policy_dry_run")]
pub async fn policy_dry_run(
    #[server(flatten)] form: crate::policy::PolicyForm,
) -> Result<DryRun, ApiError> {
    use crate::ssr::{access::*, context::*};
    let state = server_state()?;
    require_admin()?;
    let policy = form
        .policy()
        .map_err(|errors| ApiError::bad_request(errors.join(" ")))?;
    let now_ms = state.clock.now_ms();
    let sessions = state
        .registry
        .list_all(DRY_RUN_LIMIT)
        .await
        .map_err(store_unavailable)?;
    let would_end = sessions
        .iter()
        .filter(|(_, a)| a.timed_out(&policy, now_ms).is_some())
        .count();
    Ok(DryRun {
        would_end,
        total: sessions.len(),
    })
}
