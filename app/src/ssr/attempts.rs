//! Password attempts: reserved on their counters before the password is checked (refused
//! while any is locked; see [`super::throttle`]), audited when they fail, given back when they
//! succeed. Which counters depends on the [`Attempt`]: a sign-in counts against the account
//! and the client's address, unless it comes from a device that signed in to that account
//! before ([`super::devices`]): then against that device only; a re-authentication only
//! against its own session. Guesses sent for someone's e-mail can lock sign-ins to that
//! account from unknown devices, but never stop its owner on their own device, nor the
//! person already signed in from confirming their password (an admin in an incident).
use super::{
    audit::{AuditEvent, AuditKind},
    auth::ClientInfo,
    context::{store_unavailable, ServerState},
    throttle::{FREE_PER_ACCOUNT, FREE_PER_IP, FREE_PER_SESSION},
};
use crate::error::ApiError;
use sha2::{Digest, Sha256};

/// Whose password is being checked.
#[derive(Clone, Copy, Debug)]
pub enum Attempt<'a> {
    /// Signing in to `account` (the e-mail as typed) from `client`, an unknown device.
    SignIn {
        /// The e-mail typed.
        account: &'a str,
        /// Who is trying.
        client: &'a ClientInfo,
    },
    /// Signing in from a device that has signed in to this account before (its device
    /// cookie's nonce): counted against that device only.
    KnownDevice {
        /// The device cookie's nonce.
        device: &'a str,
    },
    /// Re-authenticating the live session with storage key `session`.
    Reauth {
        /// The session's storage key.
        session: &'a str,
    },
}

impl Attempt<'_> {
    /// The counters, with their free failures; the first is the one a success forgets.
    fn keys(self) -> Vec<(String, u32)> {
        match self {
            Attempt::SignIn { account, client } => vec![
                (format!("account:{}", normal(account)), FREE_PER_ACCOUNT),
                (format!("login-ip:{}", client.throttle_address()), FREE_PER_IP),
            ],
            Attempt::KnownDevice { device } => vec![(format!("device:{device}"), FREE_PER_ACCOUNT)],
            Attempt::Reauth { session } => vec![(format!("reauth:{session}"), FREE_PER_SESSION)],
        }
    }
}

fn normal(account: &str) -> String {
    account.trim().to_lowercase()
}

/// A short, non-reversible name for the account an attempt targeted, for the audit trail when
/// no such user exists (attacks on made-up accounts still group, without storing what was
/// typed).
fn account_tag(account: &str) -> String {
    hex::encode(&Sha256::digest(normal(account).as_bytes())[..8])
}

/// Reserves the attempt on its counters: 429 with `Retry-After` while any is locked; 503
/// when the counters cannot be reached (fail closed: an attacker must not gain guesses from
/// an outage). Call before checking the password.
pub async fn reserve(state: &ServerState, attempt: Attempt<'_>) -> Result<(), ApiError> {
    let now = state.clock.now();
    let keys = attempt.keys();
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

/// Audits a failed attempt (`what`: which check failed) under the targeted user (or, for a
/// sign-in to no existing account, a hash of the e-mail); it was counted when reserved, and
/// the lock it earned now runs from the failure.
pub async fn failed(
    state: &ServerState,
    attempt: Attempt<'_>,
    user_id: Option<&str>,
    client: &ClientInfo,
    what: &str,
) {
    let now = state.clock.now();
    let mut notes = vec![what.to_owned()];
    if let (None, Attempt::SignIn { account, .. }) = (user_id, attempt) {
        notes.push(format!("no such account ({})", account_tag(account)));
    }
    for (key, free) in attempt.keys() {
        match state.throttle.confirm_failure(&key, now, free).await {
            Ok(Some(secs)) => notes.push(format!(
                "{} locked for {secs}s",
                key.split(':').next().unwrap_or("")
            )),
            Ok(None) => {}
            Err(err) => tracing::error!(%err, "could not read the attempt counters"),
        }
    }
    state
        .audit
        .record(
            AuditEvent::new(AuditKind::LoginFailed, user_id)
                .client(client)
                .reason(notes.join("; ")),
        )
        .await;
}

/// After a success: the first counter (the account's, or the session's) is forgotten, and
/// the others get this attempt's reservation back (an address's earlier failures decay by
/// themselves, so one good account cannot launder guesses at others).
pub async fn succeeded(state: &ServerState, attempt: Attempt<'_>) {
    let keys = attempt.keys();
    for (i, (key, free)) in keys.iter().enumerate() {
        let done = if i == 0 {
            state.throttle.reset(key).await
        } else {
            state.throttle.refund(key, *free).await
        };
        if let Err(err) = done {
            tracing::error!(%err, "could not settle a successful attempt");
        }
    }
}
