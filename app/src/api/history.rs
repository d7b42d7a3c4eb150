//! The audit trail as the dashboards read it: recent events, one session's story, and the
//! export for a SIEM.
use crate::{
    error::ApiError,
    model::{AuditRecord, Timeline},
};
use leptos::prelude::*;

/// The newest audit events (admin), optionally of one user.
#[server(prefix = "/api", endpoint = "audit_events")]
pub async fn audit_events(
    limit: Option<i64>,
    email: Option<String>,
) -> Result<Vec<AuditRecord>, ApiError> {
    use crate::ssr::{access::*, audit::AuditQuery, context::*};
    let state = server_state()?;
    require_admin()?;
    let account = match email.filter(|e| !e.is_empty()) {
        Some(email) => {
            Some(crate::ssr::audit::Account::find(&state.users, &state.devices, &email).await?)
        }
        None => None,
    };
    state
        .audit
        .recent(AuditQuery {
            limit: limit.unwrap_or(200).clamp(1, 1000),
            ..AuditQuery::of(account.as_ref())
        })
        .await
        .map_err(db_unavailable)
}

/// The story of one session, live or ended (admin): its events and those of the sessions it
/// was regenerated from or into, oldest first, and the user's other sessions in that span.
#[server(prefix = "/api", endpoint = "session_timeline")]
pub async fn session_timeline(handle: String) -> Result<Timeline, ApiError> {
    use crate::ssr::{access::*, context::*};
    let state = server_state()?;
    require_admin()?;
    timeline_of(&state, &handle, None).await
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
async fn timeline_of(
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
