//! Passkeys: adding and removing them, signing in with one, and confirming sensitive actions
//! with one. Each ceremony is a `…_start` (the options for `navigator.credentials`, as JSON)
//! and a `…_finish` (the browser's answer, as JSON); see `crate::ssr::passkeys` for how a
//! challenge is bound and used once.
use crate::{
    error::ApiError,
    model::{CurrentUser, PasskeyInfo},
};
use leptos::prelude::*;

/// Whether this server offers passkeys (it needs a public origin with a domain name).
#[server(prefix = "/api", endpoint = "passkeys_enabled")]
pub async fn passkeys_enabled() -> Result<bool, ApiError> {
    Ok(crate::ssr::context::server_state()?.passkeys.enabled())
}

/// The signed-in user's passkeys.
#[server(prefix = "/api", endpoint = "my_passkeys")]
pub async fn my_passkeys() -> Result<Vec<PasskeyInfo>, ApiError> {
    use crate::ssr::{access::*, context::*};
    let state = server_state()?;
    let principal = require_principal()?;
    state
        .passkeys
        .list(&principal.0.user_id)
        .await
        .map_err(refused)
}

/// Starts adding a passkey (a fresh re-authentication is required): the options for
/// `navigator.credentials.create`.
#[server(prefix = "/api", endpoint = "passkey_register_start")]
pub async fn passkey_register_start() -> Result<String, ApiError> {
    use crate::ssr::context::*;
    let state = server_state()?;
    let principal = fresh_for_passkeys(&state).await?;
    let key = current_key()?.ok_or_else(ApiError::not_signed_in)?;
    let options = state
        .passkeys
        .start_registration(
            &key,
            &principal.0.user_id,
            &principal.0.email,
            state.clock.now(),
        )
        .await
        .map_err(refused)?;
    Ok(serde_json::to_string(&options).expect("options serialise"))
}

/// Finishes adding a passkey named `name` with the browser's `credential`.
#[server(prefix = "/api", endpoint = "passkey_register_finish")]
pub async fn passkey_register_finish(
    name: String,
    credential: String,
) -> Result<PasskeyInfo, ApiError> {
    use crate::ssr::{audit::*, context::*, passkeys::MAX_NAME};
    let name = name.trim().to_owned();
    let invisible = |c: char| {
        c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
    };
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(invisible) {
        return Err(ApiError::bad_request(format!(
            "Give the passkey a name of 1 to {MAX_NAME} characters."
        )));
    }
    answer_fits(&credential)?;
    let state = server_state()?;
    let principal = fresh_for_passkeys(&state).await?;
    let key = current_key()?.ok_or_else(ApiError::not_signed_in)?;
    let info = state
        .passkeys
        .finish_registration(
            &key,
            &principal.0.user_id,
            &name,
            &credential,
            state.clock.now(),
        )
        .await
        .map_err(refused)?;
    state
        .audit
        .record(
            AuditEvent::new(AuditKind::PasskeyAdded, Some(&principal.0.user_id))
                .client(&client_info())
                .session(Some(key))
                .reason(format!("\"{name}\"")),
        )
        .await;
    Ok(info)
}

/// Removes one of the signed-in user's passkeys (a fresh re-authentication is required).
/// Nothing else ends: sessions signed in with it go on.
#[server(prefix = "/api", endpoint = "passkey_remove")]
pub async fn passkey_remove(id: String) -> Result<(), ApiError> {
    use crate::ssr::{audit::*, context::*};
    let state = server_state()?;
    let principal = fresh_for_passkeys(&state).await?;
    let removed = state
        .passkeys
        .remove(&principal.0.user_id, &id)
        .await
        .map_err(refused)?;
    if !removed {
        return Err(ApiError::bad_request("You have no such passkey."));
    }
    state
        .audit
        .record(
            AuditEvent::new(AuditKind::PasskeyRemoved, Some(&principal.0.user_id))
                .client(&client_info())
                .session(current_key()?),
        )
        .await;
    Ok(())
}

/// Starts a sign-in with a passkey: the options for `navigator.credentials.get` (any passkey
/// this browser holds for the site); the ceremony's state goes to this browser in a sealed,
/// HttpOnly cookie (nothing is stored).
#[server(prefix = "/api", endpoint = "passkey_sign_in_start")]
pub async fn passkey_sign_in_start() -> Result<String, ApiError> {
    use crate::ssr::{context::*, cookies::PASSKEY_COOKIE, passkeys::CHALLENGE_SECS};
    let state = server_state()?;
    let (options, ceremony) = state
        .passkeys
        .start_sign_in(state.clock.now())
        .map_err(refused)?;
    append_response_header(
        http::header::SET_COOKIE,
        PASSKEY_COOKIE.set(
            state.devices.seal(SIGN_IN_SEAL, &ceremony.0),
            Some(CHALLENGE_SECS),
        ),
    );
    Ok(serde_json::to_string(&options).expect("options serialise"))
}

/// What the sign-in ceremony's sealed cookie is sealed for.
#[cfg(feature = "ssr")]
const SIGN_IN_SEAL: &str = "passkey-sign-in";

/// Finishes a sign-in with the browser's `credential`: the same rules as a password sign-in
/// (a new session id, the session limit, the audit trail, the fingerprint), counted against
/// the address like guesses. `remember` as for [`super::login`].
#[server(prefix = "/api", endpoint = "passkey_sign_in_finish")]
pub async fn passkey_sign_in_finish(
    credential: String,
    remember: Option<String>,
) -> Result<CurrentUser, ApiError> {
    use crate::ssr::{attempts::*, context::*, cookies::PASSKEY_COOKIE};
    answer_fits(&credential)?;
    let state = server_state()?;
    let client = client_info();
    let sealed = PASSKEY_COOKIE
        .read(&request_headers()?)
        .map_err(|err| ApiError::bad_request(err.to_string()))?
        .ok_or_else(|| {
            ApiError::bad_request(
                "Start the passkey sign-in again: this browser has no passkey request.",
            )
        })?;
    append_response_header(http::header::SET_COOKIE, PASSKEY_COOKIE.removal());
    let attempt = Attempt::Passkey { client: &client };
    reserve(&state, attempt).await?;
    let now = state.clock.now();
    let ceremony = state
        .devices
        .unseal(SIGN_IN_SEAL, &sealed)
        .map(|payload| crate::ssr::passkeys::SignInState(payload.to_owned()));
    let finished = match ceremony {
        Some(ceremony) => {
            state
                .passkeys
                .finish_sign_in(&ceremony, &credential, now)
                .await
        }
        None => Err(crate::ssr::passkeys::PasskeyError::NoChallenge),
    };
    let user_id = match finished {
        Ok(user_id) => user_id,
        Err(err) => {
            let answer = refused(err);
            failed(
                &state,
                attempt,
                None,
                &client,
                &format!("passkey sign-in: {}", answer.message),
            )
            .await;
            return Err(answer);
        }
    };
    let user = state
        .users
        .find_by_id(&user_id)
        .await
        .map_err(db_unavailable)?
        .filter(|user| !user.disabled);
    let Some(user) = user else {
        failed(
            &state,
            attempt,
            Some(&user_id),
            &client,
            "passkey sign-in: account disabled",
        )
        .await;
        return Err(ApiError::unauthorized("That passkey was not accepted."));
    };
    succeeded(&state, attempt).await;
    let gen = crate::ssr::lifecycle::generation(&state, &user.id).await?;
    super::auth::signed_in(
        &state,
        &session()?,
        &user,
        &client,
        crate::model::AuthMethod::Passkey,
        gen,
        super::checked(remember.as_deref()),
    )
    .await
}

/// Starts confirming it is you with a passkey (before a sensitive action): the options for
/// `navigator.credentials.get`, limited to your passkeys, bound to this session.
#[server(prefix = "/api", endpoint = "passkey_reauth_start")]
pub async fn passkey_reauth_start() -> Result<String, ApiError> {
    use crate::ssr::{access::*, context::*};
    let state = server_state()?;
    let principal = require_principal()?;
    let policy = confirmation_policy(&state);
    if policy.reauth_methods == crate::policy::ReauthMethods::Password
        && !policy.admin_requires_passkey
    {
        return Err(ApiError::forbidden_because(
            "Sensitive actions are confirmed with a password here.",
        ));
    }
    let key = current_key()?.ok_or_else(ApiError::not_signed_in)?;
    let options = state
        .passkeys
        .start_reauth(&key, &principal.0.user_id, state.clock.now())
        .await
        .map_err(refused)?;
    Ok(serde_json::to_string(&options).expect("options serialise"))
}

/// Finishes confirming it is you with a passkey: like a password re-authentication, the
/// session id is regenerated and the re-authentication time reset.
#[server(prefix = "/api", endpoint = "passkey_reauth_finish")]
pub async fn passkey_reauth_finish(credential: String) -> Result<CurrentUser, ApiError> {
    use crate::ssr::{access::*, attempts::*, context::*};
    answer_fits(&credential)?;
    let state = server_state()?;
    let principal = require_principal()?;
    let client = client_info();
    let key = current_key()?.ok_or_else(ApiError::not_signed_in)?;
    let attempt = Attempt::Reauth {
        session: &key,
        user: &principal.0.user_id,
    };
    reserve(&state, attempt).await?;
    let checked = state
        .passkeys
        .finish_reauth(&key, &principal.0.user_id, &credential, state.clock.now())
        .await;
    if let Err(err) = checked {
        let answer = refused(err);
        failed(
            &state,
            attempt,
            Some(&principal.0.user_id),
            &client,
            &format!("passkey re-authentication: {}", answer.message),
        )
        .await;
        return Err(answer);
    }
    let user = state
        .users
        .find_by_id(&principal.0.user_id)
        .await
        .map_err(db_unavailable)?
        .filter(|u| !u.disabled);
    let Some(user) = user else {
        failed(
            &state,
            attempt,
            Some(&principal.0.user_id),
            &client,
            "passkey re-authentication: account disabled",
        )
        .await;
        return Err(ApiError::not_signed_in());
    };
    succeeded(&state, attempt).await;
    super::auth::reauthenticated(
        &state,
        principal,
        user,
        crate::model::AuthMethod::Passkey,
        &client,
    )
    .await
}

/// Adding or removing a passkey: see [`crate::ssr::access::require_fresh_for_passkeys`].
#[cfg(feature = "ssr")]
async fn fresh_for_passkeys(
    state: &crate::ssr::context::ServerState,
) -> Result<crate::ssr::auth::Principal, ApiError> {
    use crate::ssr::access::*;
    let user_id = require_principal()?.0.user_id;
    let has_passkeys = state.passkeys.count(&user_id).await.map_err(refused)? > 0;
    require_fresh_for_passkeys(state, has_passkeys).await
}

/// The longest browser answer taken (a real one is 1-2 KiB).
#[cfg(feature = "ssr")]
const MAX_ANSWER: usize = 16 * 1024;

/// 400 for an answer longer than any browser sends, before anything else is done with it.
#[cfg(feature = "ssr")]
fn answer_fits(credential: &str) -> Result<(), ApiError> {
    if credential.len() > MAX_ANSWER {
        return Err(ApiError::bad_request("The passkey answer is too long."));
    }
    Ok(())
}

/// A ceremony's failure as the API answers it: 4xx with a message for anything the client
/// sent, 503 when the database failed.
#[cfg(feature = "ssr")]
fn refused(err: crate::ssr::passkeys::PasskeyError) -> ApiError {
    use crate::ssr::passkeys::PasskeyError;
    match err {
        PasskeyError::Database(err) => crate::ssr::context::db_unavailable(err),
        PasskeyError::Rejected(why) => {
            tracing::info!(%why, "passkey answer refused");
            ApiError::unauthorized("That passkey was not accepted.")
        }
        PasskeyError::UnknownCredential => {
            ApiError::unauthorized("That passkey is not registered for this account.")
        }
        other => ApiError::bad_request(other.to_string()),
    }
}
