//! Accounts (admin): the list and its changes, each needing a fresh re-authentication and
//! audited with who made it.
use crate::{
    error::ApiError,
    model::{AccountChange, AccountPage, Impact},
};
use leptos::prelude::*;

/// A page of accounts (admin): `filter` on the e-mail, `sort` (`email`, `newest`,
/// `last_sign_in`, `role`), `page` from 0.
#[server(prefix = "/api", endpoint = "admin_users")]
pub async fn admin_users(
    filter: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
) -> Result<AccountPage, ApiError> {
    use crate::ssr::{access::*, accounts, context::*};
    let state = server_state()?;
    require_admin()?;
    let sort = sort
        .unwrap_or_default()
        .parse()
        .map_err(ApiError::bad_request)?;
    accounts::list(
        &state,
        filter.as_deref().unwrap_or(""),
        sort,
        page.unwrap_or(0),
    )
    .await
}

/// What ending everything of the account with this e-mail would take with it (admin).
#[server(prefix = "/api", endpoint = "admin_user_impact")]
pub async fn admin_user_impact(email: String) -> Result<Impact, ApiError> {
    use crate::ssr::{access::*, accounts, context::*};
    let state = server_state()?;
    require_admin()?;
    let user = accounts::find(&state, &email).await?;
    accounts::impact(&state, &user).await
}

/// Creates an account (admin, re-auth): with `password`, or, when `link` is set, with a
/// one-time set-password link for the admin to hand over.
#[server(prefix = "/api", endpoint = "admin_create_user")]
pub async fn admin_create_user(
    email: String,
    role: String,
    password: Option<String>,
    link: Option<String>,
) -> Result<AccountChange, ApiError> {
    use crate::{
        model::Role,
        ssr::{access::*, accounts, audit::*, context::*, users::CreateUserError},
    };
    let state = server_state()?;
    let admin = require_fresh_admin(&state).await?;
    let role: Role = role.parse().map_err(ApiError::bad_request)?;
    let with_link = crate::api::checked(link.as_deref());
    let password = password.filter(|p| !p.is_empty());
    let created = match (&password, with_link) {
        (Some(password), false) => state.users.create(&email, password, role).await,
        (None, true) => state.users.create_pending(&email, role).await,
        (Some(_), true) => {
            return Err(ApiError::bad_request(
                "Give a password or ask for a link, not both.",
            ))
        }
        (None, false) => {
            return Err(ApiError::bad_request(
                "Give an initial password, or ask for a set-password link.",
            ))
        }
    };
    let user = created.map_err(|err| match err {
        CreateUserError::Invalid(message) => ApiError::bad_request(message),
        CreateUserError::Exists | CreateUserError::Changed => {
            ApiError::bad_request("An account with that e-mail already exists.")
        }
        CreateUserError::Database(err) => db_unavailable(err),
    })?;
    let link = if with_link {
        Some(accounts::issue_link(&state, &user.id, &admin.0.user_id).await?)
    } else {
        None
    };
    state
        .audit
        .record(
            AuditEvent::new(AuditKind::AccountCreated, Some(&user.id))
                .client(&client_info())
                .reason(format!(
                    "role {} by admin {}{}",
                    role.as_str(),
                    admin.0.email,
                    if with_link {
                        ", set-password link issued"
                    } else {
                        ""
                    }
                )),
        )
        .await;
    Ok(AccountChange {
        email: user.email,
        ended_sessions: 0,
        link: link.map(|token| format!("/set-password?token={token}")),
    })
}

/// Sets an account's role and whether it is disabled (admin, re-auth). Every session and
/// remember-me token of that user ends, so no old session carries the old (or the new)
/// rights; not for the admin's own account, nor the last enabled admin.
#[server(prefix = "/api", endpoint = "admin_set_access")]
pub async fn admin_set_access(
    email: String,
    role: String,
    disabled: Option<String>,
) -> Result<usize, ApiError> {
    use crate::{
        model::{EndReason, Role},
        ssr::{accounts, audit::*, context::*},
    };
    let state = server_state()?;
    let (admin, user) = accounts::target(&state, &email).await?;
    let role: Role = role.parse().map_err(ApiError::bad_request)?;
    let disabled = crate::api::checked(disabled.as_deref());
    accounts::set_access(&state, &user, role, disabled).await?;
    let ended = accounts::end_and_record(
        &state,
        &admin,
        &user,
        EndReason::RoleChanged,
        AuditKind::RoleChanged,
        &format!("role {} disabled {disabled}", role.as_str()),
    )
    .await?;
    Ok(ended)
}

/// Forces a password reset (admin, re-auth): the current password stops working, every
/// session, token and passkey of the account ends (a compromised account may carry the
/// intruder's passkey), and a one-time set-password link is returned for the user.
#[server(prefix = "/api", endpoint = "admin_reset_password")]
pub async fn admin_reset_password(email: String) -> Result<AccountChange, ApiError> {
    use crate::{
        model::EndReason,
        ssr::{accounts, audit::*, context::*},
    };
    let state = server_state()?;
    let (admin, user) = accounts::target(&state, &email).await?;
    state
        .users
        .lock_password(&user.id)
        .await
        .map_err(db_unavailable)?;
    let passkeys = state
        .passkeys
        .remove_all(&user.id)
        .await
        .map_err(db_unavailable)?;
    let token = accounts::issue_link(&state, &user.id, &admin.0.user_id).await?;
    let ended = accounts::end_and_record(
        &state,
        &admin,
        &user,
        EndReason::PasswordChanged,
        AuditKind::PasswordReset,
        &format!("password reset (set-password link issued, {passkeys} passkeys removed)"),
    )
    .await?;
    Ok(AccountChange {
        email: user.email,
        ended_sessions: ended,
        link: Some(format!("/set-password?token={token}")),
    })
}

/// Deletes an account (admin, re-auth): the account goes first (nobody can sign in to it
/// any more), then every session and token it had ends.
#[server(prefix = "/api", endpoint = "admin_delete_user")]
pub async fn admin_delete_user(email: String) -> Result<AccountChange, ApiError> {
    use crate::{
        model::EndReason,
        ssr::{accounts, audit::*, context::*},
    };
    let state = server_state()?;
    let (admin, user) = accounts::target(&state, &email).await?;
    accounts::delete(&state, &user).await?;
    let ended = accounts::end_and_record(
        &state,
        &admin,
        &user,
        EndReason::Revoked,
        AuditKind::AccountDeleted,
        &user.email,
    )
    .await?;
    Ok(AccountChange {
        email: user.email,
        ended_sessions: ended,
        link: None,
    })
}
