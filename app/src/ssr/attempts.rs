//! Password attempts (sign-in and re-authentication): refused while the account or the
//! client's IP is locked out, counted and audited when they fail.
use super::{
    audit::{AuditEvent, AuditKind},
    auth::ClientInfo,
    context::{store_unavailable, ServerState},
    throttle::{FREE_PER_ACCOUNT, FREE_PER_IP},
};
use crate::error::ApiError;

fn keys(account: &str, client: &ClientInfo) -> [(String, u32); 2] {
    [
        (
            format!("account:{}", account.trim().to_lowercase()),
            FREE_PER_ACCOUNT,
        ),
        (format!("login-ip:{}", client.ip), FREE_PER_IP),
    ]
}

/// 429 with `Retry-After` while the account or the IP is locked; 503 when the counters cannot
/// be read (fail closed: an attacker must not gain guesses from an outage).
pub async fn check(
    state: &ServerState,
    account: &str,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    for (key, _) in keys(account, client) {
        let locked = state
            .throttle
            .locked_for(&key, now)
            .await
            .map_err(store_unavailable)?;
        if let Some(wait) = locked {
            return Err(ApiError::rate_limited(wait));
        }
    }
    Ok(())
}

/// Counts and audits a failed attempt (`what`: which check failed).
pub async fn failed(
    state: &ServerState,
    account: &str,
    user_id: Option<&str>,
    client: &ClientInfo,
    what: &str,
) {
    let now = state.clock.now();
    let mut locks = Vec::new();
    for (key, free) in keys(account, client) {
        match state.throttle.fail(&key, now, free).await {
            Ok(Some(secs)) => locks.push(format!(
                "{} locked for {secs}s",
                key.split(':').next().unwrap_or("")
            )),
            Ok(None) => {}
            Err(err) => tracing::error!(%err, "could not count a failed attempt"),
        }
    }
    let reason = if locks.is_empty() {
        what.to_owned()
    } else {
        format!("{what}; {}", locks.join(", "))
    };
    state
        .audit
        .record(
            AuditEvent::new(AuditKind::LoginFailed, user_id)
                .client(client)
                .reason(reason),
        )
        .await;
}

/// Forgets the account's failures after a success (the IP's decay by themselves, so one good
/// account cannot launder guesses at others).
pub async fn succeeded(state: &ServerState, account: &str, client: &ClientInfo) {
    let [(account_key, _), _] = keys(account, client);
    if let Err(err) = state.throttle.reset(&account_key).await {
        tracing::error!(%err, "could not reset the account's failed attempts");
    }
}
