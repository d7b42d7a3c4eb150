//! The user directory in SQL (SQLite by default, PostgreSQL when the URL says so).
use super::password;
use crate::model::Role;
use sqlx::{AnyPool, Row};

/// What an account without a password stores instead of a hash: no password verifies against
/// it (it is not a PHC string).
const UNUSABLE_PASSWORD: &str = "!unset";

/// A stored user account.
#[derive(Clone, Debug)]
pub struct User {
    /// Stable id (a UUID).
    pub id: String,
    /// Unique, stored lower-cased.
    pub email: String,
    /// What the account may do.
    pub role: Role,
    /// A disabled account cannot sign in.
    pub disabled: bool,
    password_hash: String,
}

/// Which password an account had when a change to it was decided: a password write only
/// lands if the account still has that one (a reset by an admin, or another change, in
/// between makes it fail instead of being overwritten).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordStamp(String);

impl PasswordStamp {
    /// Whether the account has no usable password (created for a one-time link, or reset by
    /// an admin): only a set-password link may set one then.
    pub fn is_unusable(&self) -> bool {
        self.0 == UNUSABLE_PASSWORD
    }
}

impl User {
    /// The account's current password, as a stamp for a conditional change.
    pub fn password_stamp(&self) -> PasswordStamp {
        PasswordStamp(self.password_hash.clone())
    }
}

/// Why a user could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    /// The email or password is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// The email is taken.
    #[error("a user with that email already exists")]
    Exists,
    /// The password changed (or the account went) since the change was decided.
    #[error("the password was changed meanwhile")]
    Changed,
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Access to the `users` table.
#[derive(Clone, Debug)]
pub struct Users {
    pool: AnyPool,
    /// Ids [`Users::is_known`] found (shared by clones).
    known: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
}

/// Normalises an email for storage and lookup, rejecting what cannot be an address.
pub fn normalize_email(email: &str) -> Result<String, String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err("Enter a valid email address.".into())
    }
}

/// Longest e-mail filter accepted (the longest address is 254 characters).
pub const MAX_FILTER_CHARS: usize = 254;

/// A `LIKE … ESCAPE '\'` pattern matching e-mails (stored lower-case) that contain
/// `fragment`, with `%`, `_` and `\` in it taken literally; a fragment longer than an
/// address can be, or with control characters in it, is refused with the reason (the
/// databases would refuse it with an error of their own: SQLite a pattern too complex,
/// PostgreSQL a NUL byte).
pub fn contains_pattern(fragment: &str) -> Result<String, String> {
    let fragment = fragment.trim();
    if fragment.chars().count() > MAX_FILTER_CHARS {
        return Err(format!(
            "A filter is at most {MAX_FILTER_CHARS} characters (an e-mail address is no longer)."
        ));
    }
    if fragment.chars().any(char::is_control) {
        return Err("A filter cannot contain control characters.".into());
    }
    Ok(format!(
        "%{}%",
        fragment
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    ))
}

/// Most user ids [`Users::is_known`] remembers before it starts over.
const KNOWN_USERS_CAPACITY: usize = 100_000;

impl Users {
    /// The users in `pool`'s database.
    pub fn new(pool: AnyPool) -> Self {
        Self {
            pool,
            known: Default::default(),
        }
    }

    /// Whether an account with this id exists in this deployment's database (a session of
    /// any other user is refused). Accounts are never re-created under an old id, so a
    /// positive answer is remembered; the first request of each user on an instance asks the
    /// database.
    pub async fn is_known(&self, user_id: &str) -> Result<bool, sqlx::Error> {
        if self
            .known
            .lock()
            .expect("known users lock")
            .contains(user_id)
        {
            return Ok(true);
        }
        let exists = sqlx::query("SELECT 1 FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?
            .is_some();
        if exists {
            self.mark_known(user_id);
        }
        Ok(exists)
    }

    fn mark_known(&self, user_id: &str) {
        let mut known = self.known.lock().expect("known users lock");
        if known.len() >= KNOWN_USERS_CAPACITY {
            known.clear();
        }
        known.insert(user_id.to_owned());
    }

    /// Ids of up to `limit` accounts whose e-mail matches `pattern` (a [`contains_pattern`]),
    /// and whether more match.
    pub async fn ids_with_email_containing(
        &self,
        pattern: &str,
        limit: i64,
    ) -> Result<(Vec<String>, bool), sqlx::Error> {
        let mut ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM users WHERE email LIKE $1 ESCAPE '\\' ORDER BY email LIMIT $2",
        )
        .bind(pattern)
        .bind(limit.saturating_add(1))
        .fetch_all(&self.pool)
        .await?;
        let more = ids.len() as i64 > limit;
        ids.truncate(limit.max(0) as usize);
        Ok((ids, more))
    }

    /// How many accounts exist.
    pub async fn count(&self) -> Result<i64, sqlx::Error> {
        sqlx::query("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)
    }

    /// Creates an account; the password is hashed with Argon2id.
    pub async fn create(
        &self,
        email: &str,
        password: &str,
        role: Role,
    ) -> Result<User, CreateUserError> {
        password::check_strength(password).map_err(CreateUserError::Invalid)?;
        normalize_email(email).map_err(CreateUserError::Invalid)?;
        let hash = password::hash(password.to_owned()).await;
        self.insert(email, hash, role).await
    }

    async fn insert(
        &self,
        email: &str,
        password_hash: String,
        role: Role,
    ) -> Result<User, CreateUserError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        let email = normalize_email(email).map_err(CreateUserError::Invalid)?;
        if self.find_by_email(&email).await?.is_some() {
            return Err(CreateUserError::Exists);
        }
        let user = User {
            id: uuid::Uuid::new_v4().to_string(),
            email,
            role,
            disabled: false,
            password_hash,
        };
        sqlx::query(
            "INSERT INTO users (id, email, password_hash, role, disabled, created_at) VALUES ($1, $2, $3, $4, 0, $5)",
        )
        .bind(&user.id)
        .bind(&user.email)
        .bind(&user.password_hash)
        .bind(user.role.as_str())
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(|err| match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => CreateUserError::Exists,
            _ => CreateUserError::Database(err),
        })?;
        Ok(user)
    }

    /// Creates an account without a usable password (one is set with a one-time link).
    pub async fn create_pending(&self, email: &str, role: Role) -> Result<User, CreateUserError> {
        self.insert(email, UNUSABLE_PASSWORD.to_owned(), role).await
    }

    /// Makes the account's password unusable (a forced reset: a one-time link sets a new one).
    pub async fn lock_password(&self, user_id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(UNUSABLE_PASSWORD)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets that an account exists (it was deleted).
    pub fn forget(&self, user_id: &str) {
        self.known.lock().expect("known users lock").remove(user_id);
    }

    /// The database the accounts live in (for the account management queries).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Looks an account up by (normalised) email.
    pub async fn find_by_email(&self, email: &str) -> Result<Option<User>, sqlx::Error> {
        self.find_one(
            "SELECT id, email, password_hash, role, disabled FROM users WHERE email = $1",
            email,
        )
        .await
    }

    /// The account a query over one value finds (and remembers that it exists).
    async fn find_one(
        &self,
        query: &'static str,
        value: &str,
    ) -> Result<Option<User>, sqlx::Error> {
        let row = sqlx::query(query)
            .bind(value)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            let role: String = row.try_get("role")?;
            Ok(User {
                id: row.try_get("id")?,
                email: row.try_get("email")?,
                password_hash: row.try_get("password_hash")?,
                role: role
                    .parse()
                    .map_err(|e: String| sqlx::Error::Decode(e.into()))?,
                disabled: row.try_get::<i64, _>("disabled")? != 0,
            })
        })
        .transpose()
        .inspect(|user| {
            if let Some(user) = user {
                self.mark_known(&user.id);
            }
        })
    }

    /// Every account's id.
    pub async fn all_ids(&self) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT id FROM users")
            .fetch_all(&self.pool)
            .await
    }

    /// Looks an account up by id (one query: re-authentication and every sensitive action
    /// read the account this way).
    pub async fn find_by_id(&self, id: &str) -> Result<Option<User>, sqlx::Error> {
        self.find_one(
            "SELECT id, email, password_hash, role, disabled FROM users WHERE id = $1",
            id,
        )
        .await
    }

    /// Checks `password` against the account's current password.
    pub async fn check_password(&self, user: &User, password: &str) -> bool {
        password::verify(password.to_owned(), Some(user.password_hash.clone())).await
    }

    /// Replaces a user's password, if it is still the one `stamp` names (else
    /// [`CreateUserError::Changed`], and nothing is written).
    pub async fn set_password(
        &self,
        user_id: &str,
        password: &str,
        stamp: &PasswordStamp,
    ) -> Result<(), CreateUserError> {
        password::check_strength(password).map_err(CreateUserError::Invalid)?;
        let hash = password::hash(password.to_owned()).await;
        let written =
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
                .bind(hash)
                .bind(user_id)
                .bind(&stamp.0)
                .execute(&self.pool)
                .await?
                .rows_affected();
        if written == 0 {
            return Err(CreateUserError::Changed);
        }
        Ok(())
    }

    /// Changes a user's role and disabled flag.
    pub async fn update_access(
        &self,
        user_id: &str,
        role: Role,
        disabled: bool,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE users SET role = $1, disabled = $2 WHERE id = $3")
            .bind(role.as_str())
            .bind(disabled as i64)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Returns the account when `email` and `password` match an enabled account. Unknown
    /// emails cost one Argon2 verification too, so timing does not reveal which accounts exist.
    pub async fn authenticate(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Option<User>, sqlx::Error> {
        let user = match normalize_email(email) {
            Ok(email) => self.find_by_email(&email).await?,
            Err(_) => None,
        };
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let ok = password::verify(password.to_owned(), hash).await;
        Ok(user.filter(|u| ok && !u.disabled))
    }
}
