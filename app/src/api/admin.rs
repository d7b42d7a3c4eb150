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
