//! Password attempts (sign-in and re-authentication): refused while the account or the
//! client's IP is locked out, counted and audited when they fail.
use super::{
    audit::{AuditEvent, AuditKind},
    auth::ClientInfo,
    context::ServerState,
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

/// 429 with `Retry-After` while the account or the IP is locked.
pub fn check(state: &ServerState, account: &str, client: &ClientInfo) -> Result<(), ApiError> {
    let now = state.clock.now();
    for (key, _) in keys(account, client) {
        if let Err(wait) = state.throttle.check(&key, now) {
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
    let locks: Vec<String> = keys(account, client)
        .into_iter()
        .filter_map(|(key, free)| {
            state
                .throttle
                .fail(&key, now, free)
                .map(|secs| format!("{} locked for {secs}s", key.split(':').next().unwrap_or("")))
        })
        .collect();
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
pub fn succeeded(state: &ServerState, account: &str, client: &ClientInfo) {
    let [(account_key, _), _] = keys(account, client);
    state.throttle.reset(&account_key);
}
