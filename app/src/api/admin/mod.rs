//! Server functions for admins: the policy (its dry run and its change), this deployment's
//! security grade and its self-audit here; everyone's sessions, the accounts and the audit
//! trail in the submodules. Every one needs the admin role; every change, a fresh
//! re-authentication.
use crate::{error::ApiError, model::DryRun, policy::Policy};
use leptos::prelude::*;

/// Most sessions a dry run examines.
#[cfg(feature = "ssr")]
const DRY_RUN_LIMIT: usize = 100_000;

mod history;
mod sessions;
mod users;

pub use history::*;
pub use sessions::*;
pub use users::*;

/// This deployment, graded: the policy in force and the configuration the server started
/// with, each setting with its status, why it matters and the fix (admin).
#[server(prefix = "/api", endpoint = "admin_security")]
pub async fn admin_security() -> Result<crate::model::Posture, ApiError> {
    use crate::ssr::{access::*, context::*};
    let state = server_state()?;
    require_admin()?;
    Ok(crate::ssr::posture::grade(
        &state.policy.current(),
        &state.deployment,
        state.passkeys.enabled(),
    ))
}

/// Starts `hallpass audit` against this deployment's own public origin (admin, fresh
/// re-authentication); follow it with [`admin_audit_status`].
#[server(prefix = "/api", endpoint = "admin_run_audit")]
pub async fn admin_run_audit() -> Result<(), ApiError> {
    use crate::ssr::{access::*, context::*};
    let state = server_state()?;
    let admin = require_fresh_admin(&state).await?;
    state
        .self_audit
        .start(state.clone(), admin.0.user_id.clone())
        .await
}

/// The latest run of the audit against this deployment: its progress, or its report.
#[server(prefix = "/api", endpoint = "admin_audit_status")]
pub async fn admin_audit_status() -> Result<Option<crate::model::SelfAuditRun>, ApiError> {
    use crate::ssr::{access::*, context::*};
    let state = server_state()?;
    require_admin()?;
    crate::ssr::self_audit::Runs(state.users.pool().clone())
        .latest(state.clock.now())
        .await
}

/// Replaces the policy. It applies to every live session from its next request, on every
/// server instance.
#[server(prefix = "/api", endpoint = "set_policy")]
pub async fn set_policy(
    #[server(flatten)] form: crate::policy::PolicyForm,
) -> Result<Policy, ApiError> {
    use crate::ssr::{access::*, audit::*, context::*, events::Event};

    let state = server_state()?;
    let admin = require_fresh_admin(&state).await?;
    let policy = form
        .policy()
        .map_err(|errors| ApiError::bad_request(errors.join(" ")))?;
    let needs_passkeys = policy.admin_requires_passkey
        || policy.reauth_methods == crate::policy::ReauthMethods::Passkey;
    if needs_passkeys {
        // Never a policy that locks every admin out of admin actions.
        let has_one = state.passkeys.enabled()
            && state
                .passkeys
                .count(&admin.0.user_id)
                .await
                .map_err(db_unavailable)?
                > 0;
        if !has_one {
            return Err(ApiError::bad_request(
                "Add a passkey to your own account before making passkeys required (otherwise no admin could confirm admin actions).",
            ));
        }
    }
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
        .list_recent(0, DRY_RUN_LIMIT)
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
