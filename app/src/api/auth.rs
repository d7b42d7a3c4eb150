//! Signing in and out, re-authentication, who am I, and the public end of a one-time
//! set-password link.
use crate::{error::ApiError, model::CurrentUser};
use leptos::prelude::*;

/// Signs in with email and password. The session id is always regenerated (the pre-login id
/// stops working), and the session records the user, role, authentication time, IP and
/// User-Agent. `remember` is a checkbox: present and not `false`/`0`/`off` means yes, and
/// issues a remember-me cookie. Beyond the policy's sessions-per-user limit the least
/// recently used session ends.
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(
    email: String,
    password: String,
    remember: Option<String>,
) -> Result<CurrentUser, ApiError> {
    use crate::ssr::{context::*, cookies::DEVICE_COOKIE};

    if email.len() > 254 || password.len() > 1024 {
        return Err(ApiError::bad_request("Email or password is too long."));
    }
    let state = server_state()?;
    let session = session()?;
    let client = client_info();
    // A place to hash in first: turned away here, the attempt is not counted.
    let hashing = state.hashing.enter().await?;
    let target = match crate::ssr::users::normalize_email(&email) {
        Ok(normal) => state
            .users
            .find_by_email(&normal)
            .await
            .map_err(db_unavailable)?,
        Err(_) => None,
    };
    // The account's generation before the password is checked: a password change or
    // sign-out everywhere that lands during the check drops the session this starts (and it
    // voids the account's device cookies).
    let gen = match &target {
        Some(user) => crate::ssr::lifecycle::generation(&state, &user.id).await?,
        None => 0,
    };
    // A device that has signed in to this account before is counted on its own.
    let headers = request_headers()?;
    let device_cookie = DEVICE_COOKIE.read(&headers).ok().flatten();
    let device = match (&device_cookie, &target) {
        (Some(cookie), Some(user)) => state.devices.verify(cookie, &user.id, gen),
        _ => None,
    };
    let attempt = match device {
        Some(device) => crate::ssr::attempts::Attempt::KnownDevice { device },
        None => crate::ssr::attempts::Attempt::SignIn {
            account: &email,
            client: &client,
        },
    };
    crate::ssr::attempts::reserve(&state, attempt).await?;
    let user = hashing
        .hold(state.users.authenticate(&email, &password))
        .await
        .map_err(db_unavailable)?
        .filter(|user| target.as_ref().map(|t| &t.id) == Some(&user.id));
    let Some(user) = user else {
        let target = target.as_ref().map(|t| t.id.as_str());
        crate::ssr::attempts::failed(&state, attempt, target, &client, "bad credentials").await;
        return Err(ApiError::unauthorized("Incorrect email or password."));
    };
    crate::ssr::attempts::succeeded(&state, attempt).await;
    signed_in(
        &state,
        &session,
        &user,
        &client,
        crate::model::AuthMethod::Password,
        gen,
        super::checked(remember.as_deref()),
    )
    .await
}

/// The end of every sign-in, once the user has proved who they are by `method`: a fresh
/// device cookie, this browser's old remember-me token replaced (and a new one issued when
/// `remember`), and a new session under the account's generation `gen` as it was before the
/// proof was checked.
#[cfg(feature = "ssr")]
pub(crate) async fn signed_in(
    state: &crate::ssr::context::ServerState,
    session: &crate::ssr::session::Session,
    user: &crate::ssr::users::User,
    client: &crate::ssr::auth::ClientInfo,
    method: crate::model::AuthMethod,
    gen: i64,
    remember: bool,
) -> Result<CurrentUser, ApiError> {
    use crate::ssr::{
        context::{append_response_header, db_unavailable, request_headers},
        cookies::{DEVICE_COOKIE, REMEMBER_COOKIE},
    };
    let headers = request_headers()?;
    // This device has now signed in to the account: a fresh device cookie.
    append_response_header(
        http::header::SET_COOKIE,
        DEVICE_COOKIE.set(
            state.devices.issue(&user.id, gen),
            Some(crate::ssr::devices::DEVICE_COOKIE_SECS),
        ),
    );
    let policy = state.policy.current();
    let now = state.clock.now();
    // A new sign-in replaces this browser's remember-me token, if it had one.
    if let Ok(Some(old)) = REMEMBER_COOKIE.read(&headers) {
        state.remember.revoke(&old).await.map_err(db_unavailable)?;
        append_response_header(http::header::SET_COOKIE, REMEMBER_COOKIE.removal());
    }
    // The new token is issued first, so the session is stored bound to it from the start.
    let token = if remember {
        Some(
            state
                .remember
                .issue(&user.id, now, policy.remember_me_secs)
                .await
                .map_err(db_unavailable)?,
        )
    } else {
        None
    };
    let selector = token.as_ref().map(|(_, selector)| selector.clone());
    let auth = match crate::ssr::lifecycle::start_session(
        state, session, user, client, method, gen, selector,
    )
    .await
    {
        Ok(auth) => auth,
        Err(err) => {
            if let Some((cookie, _)) = &token {
                state.remember.revoke(cookie).await.ok();
            }
            return Err(err);
        }
    };
    if let Some((cookie, _)) = token {
        append_response_header(
            http::header::SET_COOKIE,
            REMEMBER_COOKIE.set(cookie, Some(policy.remember_me_secs)),
        );
    }
    Ok(auth.me(&policy, now))
}

/// Signs out: deletes the session and this browser's remember-me token, expires both cookies
/// and asks the browser to clear this site's cache, cookies and storage.
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), ApiError> {
    use crate::ssr::{context::*, cookies::REMEMBER_COOKIE};

    let state = server_state()?;
    let session = session()?;
    if let Ok(Some(token)) = REMEMBER_COOKIE.read(&request_headers()?) {
        state
            .remember
            .revoke(&token)
            .await
            .map_err(db_unavailable)?;
        append_response_header(http::header::SET_COOKIE, REMEMBER_COOKIE.removal());
    }
    match principal() {
        // Like every other end: the session's own token, the reason, the event, the audit.
        Some(principal) => {
            crate::ssr::ending::end_current(
                &state,
                &session,
                &principal.0,
                &crate::ssr::ending::Ending::new(crate::model::EndReason::Logout, &client_info()),
            )
            .await?
        }
        None => session.flush().await.map_err(store_unavailable)?,
    }
    append_response_header(
        http::HeaderName::from_static("clear-site-data"),
        // Not "cookies": that would drop this browser's device cookie too (see
        // `ssr::devices`); the session and remember-me cookies are expired explicitly.
        http::HeaderValue::from_static("\"cache\", \"storage\""),
    );
    Ok(())
}

/// The signed-in user of this session; 401 when there is none.
#[server(prefix = "/api", endpoint = "me")]
pub async fn me() -> Result<CurrentUser, ApiError> {
    let state = crate::ssr::context::server_state()?;
    Ok(crate::ssr::access::require_principal()?
        .0
        .me(&state.policy.current(), state.clock.now()))
}

/// The person using this session did something (the page reports clicks and key presses,
/// at most once a second, and "Stay signed in"): unlike the page's own background requests,
/// this counts as activity and moves the idle deadline. Answers like [`me`].
#[server(prefix = "/api", endpoint = "touch")]
pub async fn touch() -> Result<CurrentUser, ApiError> {
    me().await
}

/// Confirms the password of the signed-in user: the session id is regenerated and the
/// authentication time reset, so sensitive actions are allowed for the re-auth window.
#[server(prefix = "/api", endpoint = "reauth")]
pub async fn reauth(password: String) -> Result<CurrentUser, ApiError> {
    use crate::ssr::{access::*, context::*};

    if password.len() > 1024 {
        return Err(ApiError::bad_request("Password is too long."));
    }
    let state = server_state()?;
    let principal = require_principal()?;
    if confirmation_policy(&state).reauth_methods == crate::policy::ReauthMethods::Passkey {
        return Err(ApiError::forbidden_because(
            "Sensitive actions are confirmed with a passkey here, not a password.",
        ));
    }
    let client = client_info();
    let hashing = state.hashing.enter().await?;
    // Counted against this session (and, more loosely, its user) only: the account's sign-in lock never applies here.
    let key = current_key()?.ok_or_else(ApiError::not_signed_in)?;
    let attempt = crate::ssr::attempts::Attempt::Reauth {
        session: &key,
        user: &principal.0.user_id,
    };
    crate::ssr::attempts::reserve(&state, attempt).await?;
    let user = state
        .users
        .find_by_id(&principal.0.user_id)
        .await
        .map_err(db_unavailable)?;
    let ok = match &user {
        Some(user) if !user.disabled => {
            hashing
                .hold(state.users.check_password(user, &password))
                .await
        }
        _ => false,
    };
    if !ok {
        crate::ssr::attempts::failed(
            &state,
            attempt,
            Some(&principal.0.user_id),
            &client,
            "re-authentication failed",
        )
        .await;
        return Err(ApiError::unauthorized("That password is not correct."));
    }
    let Some(user) = user.filter(|u| !u.disabled) else {
        return Err(ApiError::not_signed_in());
    };
    crate::ssr::attempts::succeeded(&state, attempt).await;
    reauthenticated(
        &state,
        principal,
        user,
        crate::model::AuthMethod::Password,
        &client,
    )
    .await
}

/// The end of every re-authentication, once the user has proved who they are again by
/// `method`: the session id is regenerated and the authentication time and method reset; role
/// and e-mail come from the database, never from the session being replaced.
#[cfg(feature = "ssr")]
pub(crate) async fn reauthenticated(
    state: &crate::ssr::context::ServerState,
    principal: crate::ssr::auth::Principal,
    user: crate::ssr::users::User,
    method: crate::model::AuthMethod,
    client: &crate::ssr::auth::ClientInfo,
) -> Result<CurrentUser, ApiError> {
    use crate::ssr::{
        audit::{AuditEvent, AuditKind},
        auth::AuthState,
        context::{current_key, session},
    };
    let auth = AuthState {
        authenticated_at: state.clock.now(),
        remembered: false,
        method,
        role: user.role,
        email: user.email,
        ..principal.0
    };
    crate::ssr::lifecycle::regenerate(state, &session()?, &auth).await?;
    state
        .audit
        .record(
            AuditEvent::new(AuditKind::Reauth, Some(&auth.user_id))
                .client(client)
                .reason(format!("with {}", method.label()))
                .session(current_key()?),
        )
        .await;
    Ok(auth.me(&state.policy.current(), state.clock.now()))
}

/// Sets a password with a one-time link (public): the link works once, within 24 hours;
/// afterwards the user is signed in with a fresh session.
#[server(prefix = "/api", endpoint = "set_password_with_link")]
pub async fn set_password_with_link(
    token: String,
    new_password: String,
) -> Result<CurrentUser, ApiError> {
    use crate::{
        model::EndReason,
        ssr::{
            accounts,
            audit::*,
            context::*,
            cookies::REMEMBER_COOKIE,
            ending::{end_everywhere, Ending},
            lifecycle,
            users::CreateUserError,
        },
    };
    let state = server_state()?;
    crate::ssr::password::check_strength(&new_password).map_err(ApiError::bad_request)?;
    let user = accounts::redeem_link(&state, &token).await?;
    state
        .users
        .set_password(&user.id, &new_password, &user.password_stamp())
        .await
        .map_err(|err| match err {
            CreateUserError::Invalid(message) => ApiError::bad_request(message),
            // Deleted, or the password set otherwise, since the link was checked.
            CreateUserError::Changed | CreateUserError::Exists => ApiError::bad_request(
                "This link is no longer valid. Ask an administrator for a new one.",
            ),
            CreateUserError::Database(err) => db_unavailable(err),
        })?;
    // Whatever was signed in to this account before (someone who knew the old password) ends
    // with it, and this browser's remember-me token of whoever used it before goes.
    let client = client_info();
    let ending = Ending::new(EndReason::PasswordChanged, &client)
        .recorded_as(AuditKind::PasswordChanged, "set with a one-time link");
    end_everywhere(&state, &user.id, None, &ending).await?;
    if let Ok(Some(old)) = REMEMBER_COOKIE.read(&request_headers()?) {
        state.remember.revoke(&old).await.map_err(db_unavailable)?;
        append_response_header(http::header::SET_COOKIE, REMEMBER_COOKIE.removal());
    }
    let gen = lifecycle::generation(&state, &user.id).await?;
    let auth = lifecycle::start_session(
        &state,
        &session()?,
        &user,
        &client,
        crate::model::AuthMethod::Password,
        gen,
        None,
    )
    .await?;
    Ok(auth.me(&state.policy.current(), state.clock.now()))
}
