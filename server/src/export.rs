//! `GET /api/audit.jsonl`: the audit trail as JSON Lines for a SIEM (admins only), oldest
//! first from `since` (Unix seconds; default: the last 24 hours), optionally of one account
//! (`email`), at most `limit` events (default and maximum 100 000).
use crate::reply;
use app::{
    error::ApiError,
    model::Role,
    ssr::{
        audit::{json_lines, Account, AuditQuery},
        auth::Principal,
        context::{db_unavailable, ServerState},
    },
};
use axum::{
    extract::{Query, Request, State},
    response::{IntoResponse, Response},
};
use http::{header, HeaderValue};
use serde::Deserialize;

/// The most events one export returns.
pub const MAX_EVENTS: i64 = 100_000;

/// What the export may be asked for.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    since: Option<i64>,
    email: Option<String>,
    limit: Option<i64>,
}

/// The handler (state: the server state).
pub async fn audit_jsonl(State(state): State<ServerState>, req: Request) -> Response {
    let principal = req.extensions().get::<Principal>().cloned();
    let uri = req.uri().clone();
    match export(&state, principal, &uri).await {
        Ok(body) => {
            let mut res = body.into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-ndjson; charset=utf-8"),
            );
            res
        }
        Err(err) => reply::error(true, err),
    }
}

async fn export(
    state: &ServerState,
    principal: Option<Principal>,
    uri: &http::Uri,
) -> Result<String, ApiError> {
    match principal {
        Some(p) if p.0.role == Role::Admin => {}
        Some(_) => return Err(ApiError::forbidden()),
        None => return Err(ApiError::not_signed_in()),
    }
    let Query(query) = Query::<ExportQuery>::try_from_uri(uri)
        .map_err(|err| ApiError::bad_request(format!("Bad export query: {}", err.body_text())))?;
    let account = match query.email.filter(|e| !e.is_empty()) {
        Some(email) => Some(Account::find(&state.users, &state.devices, &email).await?),
        None => None,
    };
    let since = query.since.unwrap_or(state.clock.now() - 86_400);
    let records = state
        .audit
        .recent(AuditQuery {
            since_ms: Some(since.saturating_mul(1000)),
            limit: query.limit.unwrap_or(MAX_EVENTS).clamp(1, MAX_EVENTS),
            ..AuditQuery::of(account.as_ref())
        })
        .await
        .map_err(db_unavailable)?;
    Ok(json_lines(&records))
}
