//! Password attempts (sign-in and re-authentication): reserved on the account's and the
//! client IP's counters before the password is checked (refused while either is locked;
//! see [`super::throttle`]), audited when they fail, given back when they succeed.
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
        (format!("login-ip:{}", client.throttle_address()), FREE_PER_IP),
    ]
}

/// Reserves the attempt on the account's and the IP's counters: 429 with `Retry-After` while
/// either is locked; 503 when the counters cannot be reached (fail closed: an attacker must
/// not gain guesses from an outage). Call before checking the password.
pub async fn reserve(
    state: &ServerState,
    account: &str,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    let keys = keys(account, client);
    for (i, (key, free)) in keys.iter().enumerate() {
        let refused = state
            .throttle
            .reserve(key, now, *free)
            .await
            .map_err(store_unavailable)?;
        if let Some(wait) = refused {
            // The reservations already made for this attempt are given back.
            for (key, free) in &keys[..i] {
                state.throttle.refund(key, *free).await.ok();
            }
            return Err(ApiError::rate_limited(wait));
        }
    }
    Ok(())
}

/// Audits a failed attempt (`what`: which check failed); it was counted when reserved, and
/// the lock it earned now runs from the failure.
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
        match state.throttle.confirm_failure(&key, now, free).await {
            Ok(Some(secs)) => locks.push(format!(
                "{} locked for {secs}s",
                key.split(':').next().unwrap_or("")
            )),
            Ok(None) => {}
            Err(err) => tracing::error!(%err, "could not read the attempt counters"),
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

/// After a success: the account's failures are forgotten, and the IP gets this attempt's
/// reservation back (its earlier failures decay by themselves, so one good account cannot
/// launder guesses at others).
pub async fn succeeded(state: &ServerState, account: &str, client: &ClientInfo) {
    let [(account_key, _), (ip_key, ip_free)] = keys(account, client);
    if let Err(err) = state.throttle.reset(&account_key).await {
        tracing::error!(%err, "could not reset the account's failed attempts");
    }
    if let Err(err) = state.throttle.refund(&ip_key, ip_free).await {
        tracing::error!(%err, "could not give back the address's reservation");
    }
}
