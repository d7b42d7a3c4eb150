//! Accounts as admins manage them: the paged list with each account's live sessions and
//! tokens, one-time set-password links, and the changes that end sessions (role, disabled,
//! forced reset, deletion), with the rule that the last enabled admin stays.
//!
//! Every change that takes something away goes through [`super::ending::end_everywhere`]
//! (tokens revoked, generation moved on, every session ended with a reason the open tabs are
//! told at once); this module only decides what changes and checks it may.
use super::{
    access::require_fresh_admin,
    audit::AuditKind,
    auth::Principal,
    context::{client_info, db_unavailable, store_unavailable, ServerState},
    ending::{end_everywhere, Ending},
    users::{normalize_email, User},
};
use crate::{
    error::ApiError,
    model::{AccountPage, AccountRow, AccountSort, EndReason, Impact, Role},
};
use sha2::{Digest, Sha256};
use sqlx::Row;

/// How long a set-password link works.
pub const LINK_LIFETIME_SECS: i64 = 24 * 3600;

/// Accounts per page of the admin list.
pub const PAGE_SIZE: i64 = 25;

fn link_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Issues a one-time set-password link token for `user_id` (any earlier link of the user
/// stops working); only its hash is stored.
pub async fn issue_link(state: &ServerState, user_id: &str, by: &str) -> Result<String, ApiError> {
    let token = hex::encode(rand::random::<[u8; 32]>());
    // In one transaction that first locks the account's row, so two links issued at once
    // cannot both survive.
    let mut tx = state.users.pool().begin().await.map_err(db_unavailable)?;
    for (sql, bind_token) in [
        ("UPDATE users SET id = id WHERE id = $1", false),
        ("DELETE FROM password_links WHERE user_id = $1", false),
        (
            "INSERT INTO password_links (user_id, hash, expires_at, created_by) VALUES ($1, $2, $3, $4)",
            true,
        ),
    ] {
        let mut query = sqlx::query(sql).bind(user_id);
        if bind_token {
            query = query
                .bind(link_hash(&token))
                .bind(state.clock.now() + LINK_LIFETIME_SECS)
                .bind(by);
        }
        query.execute(&mut *tx).await.map_err(db_unavailable)?;
    }
    tx.commit().await.map_err(db_unavailable)?;
    Ok(token)
}

/// Uses a set-password link: the account it was issued for, once. The link is deleted in the
/// same statement that finds it valid, so two requests racing with it cannot both succeed.
pub async fn redeem_link(state: &ServerState, token: &str) -> Result<User, ApiError> {
    let stale = || {
        ApiError::bad_request("This link is no longer valid. Ask an administrator for a new one.")
    };
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(stale());
    }
    let pool = state.users.pool();
    let hash = link_hash(token);
    let user_id: Option<String> = sqlx::query_scalar(
        "SELECT user_id FROM password_links WHERE hash = $1 AND expires_at > $2",
    )
    .bind(&hash)
    .bind(state.clock.now())
    .fetch_optional(pool)
    .await
    .map_err(db_unavailable)?;
    let Some(user_id) = user_id else {
        return Err(stale());
    };
    let taken = sqlx::query("DELETE FROM password_links WHERE hash = $1")
        .bind(&hash)
        .execute(pool)
        .await
        .map_err(db_unavailable)?
        .rows_affected();
    if taken != 1 {
        return Err(stale());
    }
    match state
        .users
        .find_by_id(&user_id)
        .await
        .map_err(db_unavailable)?
    {
        Some(user) if !user.disabled => Ok(user),
        _ => Err(stale()),
    }
}

/// One page of accounts, filtered by e-mail and sorted on the server.
pub async fn list(
    state: &ServerState,
    filter: &str,
    sort: AccountSort,
    page: i64,
) -> Result<AccountPage, ApiError> {
    let pool = state.users.pool();
    let pattern = super::users::contains_pattern(filter).map_err(ApiError::bad_request)?;
    let order = match sort {
        AccountSort::Email => "u.email ASC",
        AccountSort::Newest => "u.created_at DESC, u.email ASC",
        AccountSort::LastSignIn => "last_sign_in DESC, u.email ASC",
        AccountSort::Role => "u.role ASC, u.email ASC",
    };
    let total: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM users u WHERE u.email LIKE $1 ESCAPE '\\'")
            .bind(&pattern)
            .fetch_one(pool)
            .await
            .map_err(db_unavailable)?;
    let page = page.max(0);
    let rows = sqlx::query(&format!(
        "SELECT u.id, u.email, u.role, u.disabled, u.created_at, \
         (SELECT MAX(a.at_ms) FROM audit_events a WHERE a.user_id = u.id \
          AND a.kind IN ('login_ok', 'remember_used')) AS last_sign_in, \
         (SELECT COUNT(*) FROM remember_tokens r WHERE r.user_id = u.id) AS tokens \
         FROM users u WHERE u.email LIKE $1 ESCAPE '\\' ORDER BY {order} LIMIT $2 OFFSET $3"
    ))
    .bind(&pattern)
    .bind(PAGE_SIZE)
    .bind(page.saturating_mul(PAGE_SIZE))
    .fetch_all(pool)
    .await
    .map_err(db_unavailable)?;
    let mut accounts = Vec::with_capacity(rows.len());
    for row in rows {
        let user_id: String = row.try_get("id").map_err(db_unavailable)?;
        let live_sessions = state
            .registry
            .sessions_of(&user_id)
            .await
            .map_err(store_unavailable)?
            .len();
        let role: String = row.try_get("role").map_err(db_unavailable)?;
        accounts.push(AccountRow {
            email: row.try_get("email").map_err(db_unavailable)?,
            role: role.parse().unwrap_or(Role::User),
            disabled: row.try_get::<i64, _>("disabled").map_err(db_unavailable)? != 0,
            created_at: row.try_get("created_at").map_err(db_unavailable)?,
            last_sign_in_ms: row.try_get("last_sign_in").map_err(db_unavailable)?,
            remember_tokens: row.try_get("tokens").map_err(db_unavailable)?,
            live_sessions,
            user_id,
        });
    }
    Ok(AccountPage {
        accounts,
        total,
        page,
        page_size: PAGE_SIZE,
    })
}

/// What ending everything of this account would take with it, for the confirmation.
pub async fn impact(state: &ServerState, user: &User) -> Result<Impact, ApiError> {
    Ok(Impact {
        email: user.email.clone(),
        live_sessions: state
            .registry
            .sessions_of(&user.id)
            .await
            .map_err(store_unavailable)?
            .len(),
        remember_tokens: state
            .remember
            .count_for(&user.id)
            .await
            .map_err(db_unavailable)?,
    })
}

/// The account with this e-mail, or 400.
pub async fn find(state: &ServerState, email: &str) -> Result<User, ApiError> {
    let email = normalize_email(email).map_err(ApiError::bad_request)?;
    state
        .users
        .find_by_email(&email)
        .await
        .map_err(db_unavailable)?
        .ok_or_else(|| ApiError::bad_request("No account has that e-mail."))
}

/// The admin making a change that takes something from another account (freshly
/// re-authenticated, with their rights as of now) and that account, found by e-mail. Never
/// their own account: they would lock themselves out or keep rights they are removing. (The
/// last enabled admin is kept where the change is written, atomically.)
pub async fn target(state: &ServerState, email: &str) -> Result<(Principal, User), ApiError> {
    let admin = require_fresh_admin(state).await?;
    let user = find(state, email).await?;
    if user.id == admin.0.user_id {
        return Err(ApiError::bad_request(
            "You cannot change or delete your own account here; ask another admin.",
        ));
    }
    Ok((admin, user))
}

/// After such a change: every session and remember-me token of the account ends (its open
/// tabs are told `reason`), and the change is audited as `kind` with what it was and who made
/// it. How many sessions ended.
pub async fn end_and_record(
    state: &ServerState,
    admin: &Principal,
    user: &User,
    reason: EndReason,
    kind: AuditKind,
    what: &str,
) -> Result<usize, ApiError> {
    let client = client_info();
    let ending = Ending::new(reason, &client)
        .recorded_as(kind, format!("{what} by admin {}", admin.0.email));
    let (ended, _) = end_everywhere(state, &user.id, None, &ending).await?;
    Ok(ended)
}

/// The last-admin rule, inside the transaction about to take `user_id`'s admin rights away
/// (or the account): 400 unless another enabled admin remains. Every enabled admin's row is
/// locked first (PostgreSQL; SQLite locks the database on the first write), so two admins
/// demoting each other at once are serialised and the second one sees the first's change.
async fn keep_an_admin(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: &str,
) -> Result<(), ApiError> {
    sqlx::query("UPDATE users SET role = role WHERE role = 'admin' AND disabled = 0")
        .execute(&mut **tx)
        .await
        .map_err(db_unavailable)?;
    let others: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id <> $1",
    )
    .bind(user_id)
    .fetch_one(&mut **tx)
    .await
    .map_err(db_unavailable)?;
    if others == 0 {
        return Err(ApiError::bad_request(
            "That is the last enabled admin: make someone else an admin first.",
        ));
    }
    Ok(())
}

/// Writes a role and disabled flag, refusing (400) when it would leave no enabled admin (see
/// [`keep_an_admin`]).
pub async fn set_access(
    state: &ServerState,
    user: &User,
    role: Role,
    disabled: bool,
) -> Result<(), ApiError> {
    let mut tx = state.users.pool().begin().await.map_err(db_unavailable)?;
    if role != Role::Admin || disabled {
        keep_an_admin(&mut tx, &user.id).await?;
    }
    sqlx::query("UPDATE users SET role = $1, disabled = $2 WHERE id = $3")
        .bind(role.as_str())
        .bind(disabled as i64)
        .bind(&user.id)
        .execute(&mut *tx)
        .await
        .map_err(db_unavailable)?;
    tx.commit().await.map_err(db_unavailable)
}

/// Deletes an account (after its sessions and tokens were ended), refusing to delete the
/// last enabled admin, like [`set_access`].
pub async fn delete(state: &ServerState, user: &User) -> Result<(), ApiError> {
    let mut tx = state.users.pool().begin().await.map_err(db_unavailable)?;
    keep_an_admin(&mut tx, &user.id).await?;
    for sql in [
        "DELETE FROM password_links WHERE user_id = $1",
        "DELETE FROM remember_tokens WHERE user_id = $1",
        "DELETE FROM passkeys WHERE user_id = $1",
        "DELETE FROM passkey_challenges WHERE user_id = $1",
        "DELETE FROM users WHERE id = $1",
    ] {
        sqlx::query(sql)
            .bind(&user.id)
            .execute(&mut *tx)
            .await
            .map_err(db_unavailable)?;
    }
    tx.commit().await.map_err(db_unavailable)?;
    state.users.forget(&user.id);
    Ok(())
}
