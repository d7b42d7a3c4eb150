//! Everyone's sessions (admin): the live list, and ending one, all of a user's, or everyone's
//! but your own.
use crate::{error::ApiError, model::Dashboard};
use leptos::prelude::*;

/// Everyone's live sessions, a page at a time (`page` from 0, 100 a page), most
/// recently active first; with `filter`, only sessions of accounts whose e-mail contains it.
/// Paging and filtering are the server's (the store's index, the accounts table), so the
/// list reaches every session however many there are. Also the active-session counts over
/// the last hours.
#[server(prefix = "/api", endpoint = "admin_sessions")]
pub async fn admin_sessions(
    filter: Option<String>,
    page: Option<usize>,
) -> Result<Dashboard, ApiError> {
    use crate::ssr::{access::*, context::*, listing};
    let state = server_state()?;
    require_admin()?;
    let current = current_key()?;
    let page = page.unwrap_or(0);
    let mut dashboard = listing::everyone(
        &state,
        filter.as_deref().unwrap_or(""),
        page,
        current.as_ref(),
    )
    .await?;
    dashboard.activity = state
        .activity
        .samples(&*state.registry, &state.policy.current(), state.clock.now())
        .await
        .map_err(store_unavailable)?;
    Ok(dashboard)
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
