//! Signing in and out, and who am I.
use crate::{error::ApiError, model::CurrentUser};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn store_error(err: tower_sessions::session::Error) -> ApiError {
    tracing::error!(%err, "session store failed");
    ApiError::unavailable()
}

/// Signs in with email and password. The session id is always regenerated (the pre-login id
/// stops working), and the session records the user, role, authentication time, IP and
/// User-Agent. `remember` is a checkbox: present and not `false`/`0`/`off` means yes.
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(
    email: String,
    password: String,
    remember: Option<String>,
) -> Result<CurrentUser, ApiError> {
    use crate::ssr::{auth::*, context::*, now_secs};

    if email.len() > 254 || password.len() > 1024 {
        return Err(ApiError::bad_request("Email or password is too long."));
    }
    let state = server_state()?;
    let session = session()?;
    let client = client_info();
    let user = state
        .users
        .authenticate(&email, &password)
        .await
        .map_err(|err| {
            tracing::error!(%err, "user directory failed during login");
            ApiError::unavailable()
        })?;
    let Some(user) = user else {
        tracing::info!(ip = %client.ip, "login_failed");
        return Err(ApiError::unauthorized("Incorrect email or password."));
    };

    let previous = session.id().map(|id| session_tag(&id));
    session.cycle_id().await.map_err(store_error)?;
    let now = now_secs();
    let auth = AuthState {
        user_id: user.id,
        email: user.email,
        role: user.role,
        authenticated_at: now,
        created_at: now,
        ip: client.ip,
        user_agent: client.user_agent,
        remember: remember.is_some_and(|v| !matches!(v.as_str(), "false" | "0" | "off")),
    };
    session.insert(AUTH_KEY, &auth).await.map_err(store_error)?;
    tracing::info!(user = %auth.user_id, ip = %auth.ip, previous_session = ?previous, "login_ok");
    Ok(auth.me())
}

/// Signs out: deletes the session from the store, expires the cookie and asks the browser to
/// clear this site's cache, cookies and storage.
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), ApiError> {
    use crate::ssr::{auth::session_tag, context::*};

    let session = session()?;
    if let Some(principal) = principal() {
        tracing::info!(user = %principal.0.user_id, session = ?session.id().map(|id| session_tag(&id)), "logout");
    }
    session.flush().await.map_err(store_error)?;
    set_response_header(
        http::HeaderName::from_static("clear-site-data"),
        "\"cache\", \"cookies\", \"storage\"",
    );
    Ok(())
}

/// The signed-in user of this session; 401 when there is none.
#[server(prefix = "/api", endpoint = "me")]
pub async fn me() -> Result<CurrentUser, ApiError> {
    Ok(crate::ssr::context::require_principal()?.0.me())
}
