//! The signed-in user's own account.
use crate::error::ApiError;
use leptos::prelude::*;

/// Changes the password (re-authentication required). The session id is regenerated; unless
/// `keep_other_sessions` is set, every other session and every remember-me token of the user
/// ends.
#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(
    new_password: String,
    keep_other_sessions: Option<String>,
) -> Result<usize, ApiError> {
    use crate::{
        model::EndReason,
        ssr::{
            access::*, audit::*, auth::*, context::*, cookies::REMEMBER_COOKIE,
            users::CreateUserError,
        },
    };

    let state = server_state()?;
    // The password as it is before the rights are checked: the new one is written only over
    // this one, so an admin's forced reset (or another change) landing while this request
    // hashes is never overwritten.
    let stamp = match principal() {
        Some(p) => state
            .users
            .find_by_id(&p.0.user_id)
            .await
            .map_err(db_unavailable)?
            .map(|user| user.password_stamp()),
        None => None,
    };
    let principal = require_fresh(&state).await?;
    let user_id = principal.0.user_id.clone();
    let Some(stamp) = stamp.filter(|s| !s.is_unusable()) else {
        return Err(ApiError::forbidden_because(
            "An administrator reset this password: use the link you were given.",
        ));
    };
    let hashing = state.hashing.enter().await?;
    hashing
        .hold(state.users.set_password(&user_id, &new_password, &stamp))
        .await
        .map_err(|err| match err {
            CreateUserError::Invalid(msg) => ApiError::bad_request(msg),
            CreateUserError::Changed => ApiError::forbidden_because(
                "Your password was changed meanwhile (by you elsewhere, or reset by an administrator).",
            ),
            other => db_unavailable(other),
        })?;
    let keep_others = super::checked(keep_other_sessions.as_deref());
    let session = session()?;
    // The confirmation that allowed this stays the session's last proof (its time and
    // factor together): a password change is not a fresh passkey confirmation.
    let mut auth: AuthState = principal.0;
    let mut ended = 0;
    if !keep_others {
        // Every other session and token ends, and this one moves to the new generation.
        // Audited below, with the password change, once the id is regenerated.
        let (count, kept) = crate::ssr::ending::end_everywhere(
            &state,
            &user_id,
            Some((&session, &auth)),
            &crate::ssr::ending::Ending::new(EndReason::PasswordChanged, &client_info()),
        )
        .await?;
        ended = count;
        auth = kept.unwrap_or(auth);
        append_response_header(http::header::SET_COOKIE, REMEMBER_COOKIE.removal());
    }
    crate::ssr::lifecycle::regenerate(&state, &session, &auth).await?;
    state
        .audit
        .record(
            AuditEvent::new(AuditKind::PasswordChanged, Some(&user_id))
                .client(&client_info())
                .session(current_key()?)
                .reason(format!("{ended} other sessions ended")),
        )
        .await;
    Ok(ended)
}

/// The policy in force (any signed-in user: the UI uses it for the expiry countdown).
#[server(prefix = "/api", endpoint = "get_policy")]
pub async fn get_policy() -> Result<crate::policy::Policy, ApiError> {
    use crate::ssr::{access::*, context::*};
    require_principal()?;
    Ok(server_state()?.policy.current())
}
