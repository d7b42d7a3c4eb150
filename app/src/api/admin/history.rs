//! The audit trail as the admin dashboards read it: recent events and one session's story
//! (the export for a SIEM is `/api/audit.jsonl`, served by the server).
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
    crate::api::devices::timeline_of(&state, &handle, None).await
}
