//! Admin actions: every one needs the admin role and a fresh password check.
use crate::{error::ApiError, policy::Policy};
use leptos::prelude::*;

/// Replaces the policy. It applies to every live session from its next request, on every
/// server instance.
#[server(prefix = "/api", endpoint = "set_policy")]
pub async fn set_policy(
    idle_timeout_secs: i64,
    absolute_timeout_secs: i64,
    reauth_window_secs: i64,
    fingerprint_mode: String,
    remember_me_secs: i64,
    max_sessions_per_user: i64,
) -> Result<Policy, ApiError> {
    use crate::ssr::{audit::*, context::*, events::Event};

    let state = server_state()?;
    let admin = require_fresh_admin(&state).await?;
    let policy = Policy::from_form(
        idle_timeout_secs,
        absolute_timeout_secs,
        reauth_window_secs,
        &fingerprint_mode,
        remember_me_secs,
        max_sessions_per_user,
    )
    .map_err(|errors| ApiError::bad_request(errors.join(" ")))?;
    state
        .policy
        .save(&policy, &admin.0.user_id, state.clock.now())
        .await
        .map_err(db_unavailable)?;
    state.events.publish(Event::PolicyChanged);
    state
        .audit
        .record(
            AuditEvent::new(AuditKind::PolicyChanged, Some(&admin.0.user_id))
                .client(&client_info())
                .reason(serde_json::to_string(&policy).unwrap_or_default()),
        )
        .await;
    Ok(policy)
}

/// Sets a user's role and whether the account is disabled. Every session of that user ends,
/// so no old session id carries the new (or the old) privileges.
#[server(prefix = "/api", endpoint = "admin_set_access")]
pub async fn admin_set_access(
    email: String,
    role: String,
    disabled: Option<String>,
) -> Result<usize, ApiError> {
    use crate::{
        model::{EndReason, Role},
        ssr::{audit::*, context::*, users::normalize_email},
    };

    let state = server_state()?;
    let admin = require_fresh_admin(&state).await?;
    let role: Role = role.parse().map_err(ApiError::bad_request)?;
    let disabled = disabled.is_some_and(|v| !matches!(v.as_str(), "false" | "0" | "off"));
    let email = normalize_email(&email).map_err(ApiError::bad_request)?;
    let user = state
        .users
        .find_by_email(&email)
        .await
        .map_err(db_unavailable)?;
    let Some(user) = user else {
        return Err(ApiError::bad_request("No user has that email."));
    };
    if user.id == admin.0.user_id {
        return Err(ApiError::bad_request("You cannot change your own access."));
    }
    state
        .users
        .update_access(&user.id, role, disabled)
        .await
        .map_err(db_unavailable)?;
    let (ended, _) =
        crate::ssr::lifecycle::end_everywhere(&state, &user.id, None, EndReason::RoleChanged)
            .await?;
    state
        .audit
        .record(
            AuditEvent::new(AuditKind::RoleChanged, Some(&user.id))
                .client(&client_info())
                .reason(format!(
                    "role {} disabled {disabled} by {}",
                    role.as_str(),
                    admin.0.user_id
                )),
        )
        .await;
    Ok(ended)
}
