//! Password attempts: reserved on their counters before the password is checked (refused
//! while any is locked; see [`super::throttle`]), audited when they fail, settled when they
//! succeed. Which counters depends on the [`Attempt`]: a sign-in counts against the client's
//! address and the account, unless it comes from a device that signed in to that account
//! before ([`super::devices`]): then against that device only; a re-authentication against
//! its session (and, loosely, its user), never the account's sign-in lock. Guesses sent for
//! someone's e-mail can lock sign-ins to that account from unknown devices, but never stop its
//! owner on their own device, nor the person already signed in from confirming their
//! password (an admin in an incident).
use super::{
    audit::{AuditEvent, AuditKind},
    auth::ClientInfo,
    context::{store_unavailable, ServerState},
    throttle::{FREE_PER_ACCOUNT, FREE_PER_IP, FREE_PER_SESSION, FREE_REAUTH_PER_USER},
};
use crate::error::ApiError;

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
    /// Signing in with a passkey from `client` (the account is only known once the answer
    /// names its credential): counted against the address, on a counter of its own (a
    /// passkey answer cannot be guessed; junk answers must not lock password sign-ins from a
    /// shared address).
    Passkey {
        /// Who is trying.
        client: &'a ClientInfo,
    },
    /// Re-authenticating the live session with storage key `session` of `user`.
    Reauth {
        /// The session's storage key.
        session: &'a crate::model::SessionKey,
        /// Its user (a looser counter: fresh sessions from a stolen remember-me token must
        /// not each bring fresh guesses).
        user: &'a str,
    },
}

/// What a success does to a counter.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Settle {
    /// Forgets it (the account, the device, the session: the right password was given).
    Forget,
    /// Gives this attempt's reservation back (an address, a user: their other failures
    /// stand, so one good account cannot launder guesses at others).
    Refund,
}

impl Attempt<'_> {
    /// The counters, the broadest first (a locked address is refused before anything is
    /// written for the account it tried).
    fn keys(self) -> Vec<(String, u32, Settle)> {
        match self {
            Attempt::SignIn { account, client } => vec![
                (
                    format!("login-ip:{}", client.throttle_address()),
                    FREE_PER_IP,
                    Settle::Refund,
                ),
                (
                    format!("account:{}", normal(account)),
                    FREE_PER_ACCOUNT,
                    Settle::Forget,
                ),
            ],
            Attempt::Passkey { client } => vec![(
                format!("passkey-ip:{}", client.throttle_address()),
                FREE_PER_IP,
                Settle::Refund,
            )],
            Attempt::KnownDevice { device } => {
                vec![(format!("device:{device}"), FREE_PER_ACCOUNT, Settle::Forget)]
            }
            Attempt::Reauth { session, user } => vec![
                (
                    format!("reauth-user:{user}"),
                    FREE_REAUTH_PER_USER,
                    Settle::Refund,
                ),
                (
                    format!("reauth:{session}"),
                    FREE_PER_SESSION,
                    Settle::Forget,
                ),
            ],
        }
    }
}

fn normal(account: &str) -> String {
    account.trim().to_lowercase()
}

/// Reserves the attempt on its counters: 429 with `Retry-After` while any is locked; 503
/// when the counters cannot be reached (fail closed: an attacker must not gain guesses from
/// an outage). Call before checking the password.
pub async fn reserve(state: &ServerState, attempt: Attempt<'_>) -> Result<(), ApiError> {
    let now = state.clock.now();
    let keys = attempt.keys();
    for (i, (key, free, _)) in keys.iter().enumerate() {
        let refused = state
            .throttle
            .reserve(key, now, *free)
            .await
            .map_err(store_unavailable)?;
        if let Some(wait) = refused {
            // The reservations already made for this attempt are given back.
            for (key, free, _) in &keys[..i] {
                state.throttle.refund(key, *free).await.ok();
            }
            return Err(ApiError::rate_limited(wait));
        }
    }
    Ok(())
}

/// Audits a failed attempt (`what`: which check failed) under the targeted user (or, for a
/// sign-in to no existing account, a keyed hash of the e-mail, so attacks on made-up
/// accounts still group without the trail holding, or confirming, what was typed); it was
/// counted when reserved, and the lock it earned now runs from the failure.
pub async fn failed(
    state: &ServerState,
    attempt: Attempt<'_>,
    user_id: Option<&str>,
    client: &ClientInfo,
    what: &str,
) {
    let now = state.clock.now();
    let mut notes = vec![what.to_owned()];
    let target = match (user_id, attempt) {
        (Some(user_id), _) => Some(user_id.to_owned()),
        (None, Attempt::SignIn { account, .. }) => {
            notes.push("no such account".to_owned());
            Some(unknown_account(&state.devices, account))
        }
        (None, _) => None,
    };
    for (key, free, _) in attempt.keys() {
        match state.throttle.confirm_failure(&key, now, free).await {
            Ok(Some(secs)) => notes.push(format!(
                "{} locked for {secs}s",
                key.split(':').next().unwrap_or("")
            )),
            Ok(None) => {}
            Err(err) => tracing::error!(%err, "could not read the attempt counters"),
        }
    }
    let mut event = AuditEvent::new(AuditKind::LoginFailed, user_id)
        .client(client)
        .reason(notes.join("; "));
    if let Some(target) = target {
        event = event.target(target);
    }
    if let Attempt::Reauth { session, .. } = attempt {
        event = event.session(session.clone());
    }
    state.audit.record(event).await;
}

/// How the audit trail names an e-mail no account has: a keyed hash of it, normalised, so
/// attempts at the same made-up account group together without the trail holding (or
/// letting its reader confirm a guess of) what was typed.
pub fn unknown_account(devices: &super::devices::Devices, email: &str) -> String {
    format!("unknown:{}", devices.keyed_tag(&normal(email)))
}

/// After a success: counters are forgotten or refunded (see [`Settle`]).
pub async fn succeeded(state: &ServerState, attempt: Attempt<'_>) {
    for (key, free, settle) in attempt.keys() {
        let done = match settle {
            Settle::Forget => state.throttle.reset(&key).await,
            Settle::Refund => state.throttle.refund(&key, free).await,
        };
        if let Err(err) = done {
            tracing::error!(%err, "could not settle a successful attempt");
        }
    }
}
