//! Who may do what: the one home of authorization. Every server function that needs a
//! signed-in user, a fresh confirmation (re-authentication) or an admin asks here.
//!
//! - [`require_principal`]: someone is signed in (401, saying why the session ended if it
//!   just did).
//! - [`require_admin`]: that someone is an admin (403).
//! - [`require_fresh`] / [`require_fresh_admin`]: they confirmed who they are within the
//!   policy's re-authentication window, by a factor the policy accepts (403
//!   `REAUTH_REQUIRED`, naming the factors the prompt should offer), and their rights are
//!   still those the request was admitted with ([`confirm_rights`]: no demotion, disabling
//!   or sign-out everywhere since).
//! - [`require_fresh_for_passkeys`] / [`require_fresh_any_factor`]: the confirmation that
//!   adding or removing a passkey needs.
//!
//! Whether a session may be used at all (idle, absolute, fingerprint, revocation) is decided
//! before any of this runs, by [`super::admission`].
use super::{
    auth::{Principal, SessionEnded},
    context::{current_key, db_unavailable, extension, principal, store_unavailable, ServerState},
};
use crate::{error::ApiError, model::Role};

/// The signed-in user of the current request, or 401 (saying why, when the request's session
/// has just ended).
pub fn require_principal() -> Result<Principal, ApiError> {
    principal().ok_or_else(|| match extension::<SessionEnded>() {
        Some(SessionEnded(reason)) => ApiError::ended(reason),
        None => ApiError::not_signed_in(),
    })
}

/// The signed-in user, who must have entered their password within the re-authentication
/// window (403 `REAUTH_REQUIRED` otherwise), and whose rights are, at this moment, still
/// those the request was admitted with (see [`confirm_rights`]).
pub async fn require_fresh(state: &ServerState) -> Result<Principal, ApiError> {
    fresh(state, false, confirmation_policy(state)).await
}

/// The policy as it applies to confirmations here: when passkeys are not available (no
/// relying party configured, say after a change of `HALLPASS_PUBLIC_ORIGIN`), a policy that
/// asks for them falls back to passwords rather than lock everyone, admins included, out of
/// every sensitive action.
pub fn confirmation_policy(state: &ServerState) -> crate::policy::Policy {
    let policy = state.policy.current();
    if state.passkeys.enabled() {
        return policy;
    }
    crate::policy::Policy {
        reauth_methods: crate::policy::ReauthMethods::Password,
        admin_requires_passkey: false,
        ..policy
    }
}

/// Like [`require_fresh`], but any factor counts: for adding a first passkey, which a
/// passkey-only policy could otherwise never let anyone do (a fresh password sign-in is then
/// the way in).
pub async fn require_fresh_any_factor(state: &ServerState) -> Result<Principal, ApiError> {
    let policy = crate::policy::Policy {
        reauth_methods: crate::policy::ReauthMethods::Both,
        admin_requires_passkey: false,
        ..confirmation_policy(state)
    };
    fresh(state, false, policy).await
}

async fn fresh(
    state: &ServerState,
    admin: bool,
    policy: crate::policy::Policy,
) -> Result<Principal, ApiError> {
    let principal = require_principal()?;
    if !principal.0.is_fresh(&policy, state.clock.now(), admin) {
        let accept = if admin && policy.admin_requires_passkey {
            crate::policy::ReauthMethods::Passkey
        } else {
            policy.reauth_methods
        };
        // Either factor, for someone with no passkey yet: the prompt offers the password only.
        let accept = match accept {
            crate::policy::ReauthMethods::Both
                if state
                    .passkeys
                    .count(&principal.0.user_id)
                    .await
                    .map_err(db_unavailable)?
                    == 0 =>
            {
                crate::policy::ReauthMethods::Password
            }
            accept => accept,
        };
        return Err(ApiError::reauth_with(accept));
    }
    confirm_rights(state, &principal).await?;
    Ok(principal)
}

/// Just before a sensitive action: the session's user must still exist, be enabled and have
/// the role the session carries, and no sign-out everywhere may have happened since the
/// session was issued. A request admitted a moment before its user was demoted or signed out
/// everywhere cannot act with the rights it came in with (401 with the reason).
async fn confirm_rights(state: &ServerState, principal: &Principal) -> Result<(), ApiError> {
    let auth = &principal.0;
    let gen = state
        .registry
        .generation(&auth.user_id)
        .await
        .map_err(store_unavailable)?;
    let user = state
        .users
        .find_by_id(&auth.user_id)
        .await
        .map_err(db_unavailable)?;
    match user {
        Some(user) if !user.disabled && user.role == auth.role && gen <= auth.gen => Ok(()),
        _ => {
            let ended = match current_key()? {
                Some(key) => state
                    .registry
                    .why_gone(&key)
                    .await
                    .map_err(store_unavailable)?
                    .and_then(super::registry::Gone::reason),
                None => None,
            };
            Err(ApiError::ended(
                ended.unwrap_or(crate::model::EndReason::RoleChanged),
            ))
        }
    }
}

/// A signed-in admin (403 for other users).
pub fn require_admin() -> Result<Principal, ApiError> {
    let principal = require_principal()?;
    if principal.0.role == Role::Admin {
        Ok(principal)
    } else {
        Err(ApiError::forbidden())
    }
}

/// A signed-in admin with a fresh password check and current rights (403 otherwise).
pub async fn require_fresh_admin(state: &ServerState) -> Result<Principal, ApiError> {
    require_admin()?;
    fresh(state, true, confirmation_policy(state)).await
}

/// Before adding or removing a passkey of the signed-in account: a confirmation as strong as
/// what the account's passkeys protect. An admin account that has passkeys, under
/// `admin_requires_passkey`, confirms with one of them (otherwise a stolen password could add
/// the thief's passkey, or remove the owner's, and then act as admin); any account with
/// passkeys confirms by a factor the policy accepts; an account without any may add its first
/// after any fresh confirmation (a fresh password sign-in included: under a passkey-only
/// policy there would be no other way in; an account without a passkey is as strong as its
/// password until it has one).
pub async fn require_fresh_for_passkeys(
    state: &ServerState,
    has_passkeys: bool,
) -> Result<Principal, ApiError> {
    let principal = require_principal()?;
    if !has_passkeys {
        return require_fresh_any_factor(state).await;
    }
    fresh(
        state,
        principal.0.role == Role::Admin,
        confirmation_policy(state),
    )
    .await
}
