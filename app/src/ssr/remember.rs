//! "Remember me": a persistent token separate from the session, `selector:validator` with 128
//! random bits each. Only SHA-256 of the validator is stored; every use rotates it; a
//! validator replayed after the grace window is treated as theft.
use sha2::{Digest, Sha256};
use sqlx::{AnyPool, Row};

/// How long the previous validator still works after a rotation, so parallel requests from
/// the same browser do not trip theft detection.
pub const GRACE_SECS: i64 = 30;

/// What a presented token turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Redeemed {
    /// Good: sign the user in. `rotated` is the new cookie value (None inside the grace window,
    /// where a parallel request already rotated it).
    Valid {
        /// The token's user.
        user_id: String,
        /// The token's selector (the session it starts is bound to it).
        selector: String,
        /// The new cookie value to send.
        rotated: Option<String>,
        /// Unix seconds when the token expires (the cookie's lifetime).
        expires_at: i64,
    },
    /// A known selector with a stale validator: someone else holds a copy.
    Theft {
        /// The victim.
        user_id: String,
    },
    /// Unknown, expired or malformed.
    Invalid,
}

/// The `remember_tokens` table.
#[derive(Clone, Debug)]
pub struct RememberTokens {
    pool: AnyPool,
}

fn random_hex() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

fn digest(validator: &str) -> String {
    hex::encode(Sha256::digest(validator.as_bytes()))
}

fn parse(cookie: &str) -> Option<(&str, &str)> {
    let (selector, validator) = cookie.split_once(':')?;
    let ok = |s: &str| s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit());
    (ok(selector) && ok(validator)).then_some((selector, validator))
}

impl RememberTokens {
    /// The tokens in `pool`'s database.
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Issues a token for `user_id`, valid for `lifetime` seconds; returns the cookie value
    /// and the token's selector.
    pub async fn issue(
        &self,
        user_id: &str,
        now: i64,
        lifetime: i64,
    ) -> Result<(String, String), sqlx::Error> {
        let (selector, validator) = (random_hex(), random_hex());
        sqlx::query(
            "INSERT INTO remember_tokens (selector, user_id, validator_hash, previous_hash, rotated_at, expires_at, issued_at) VALUES ($1, $2, $3, NULL, $4, $5, $4)",
        )
        .bind(&selector)
        .bind(user_id)
        .bind(digest(&validator))
        .bind(now)
        .bind(now + lifetime)
        .execute(&self.pool)
        .await?;
        Ok((format!("{selector}:{validator}"), selector))
    }

    /// Checks a presented cookie value and rotates the validator. `max_lifetime` is the
    /// policy's remember-me lifetime now: a token issued under a longer one ends at
    /// `issued + max_lifetime` (lowering the lifetime shortens existing tokens).
    pub async fn redeem(
        &self,
        cookie: &str,
        now: i64,
        max_lifetime: i64,
    ) -> Result<Redeemed, sqlx::Error> {
        let Some((selector, validator)) = parse(cookie) else {
            return Ok(Redeemed::Invalid);
        };
        let Some(row) = sqlx::query(
            "SELECT user_id, validator_hash, previous_hash, rotated_at, expires_at, issued_at FROM remember_tokens WHERE selector = $1",
        )
        .bind(selector)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(Redeemed::Invalid);
        };
        let user_id: String = row.try_get("user_id")?;
        let issued_at: Option<i64> = row.try_get("issued_at")?;
        let expires_at: i64 = match issued_at {
            Some(issued) => row
                .try_get::<i64, _>("expires_at")?
                .min(issued + max_lifetime),
            None => row.try_get("expires_at")?,
        };
        if expires_at <= now {
            self.revoke(cookie).await?;
            return Ok(Redeemed::Invalid);
        }
        let presented = digest(validator);
        let current: String = row.try_get("validator_hash")?;
        let previous: Option<String> = row.try_get("previous_hash")?;
        let rotated_at: i64 = row.try_get("rotated_at")?;
        let within_grace = now - rotated_at <= GRACE_SECS;

        if presented == current {
            let next = random_hex();
            let updated = sqlx::query(
                "UPDATE remember_tokens SET validator_hash = $1, previous_hash = $2, rotated_at = $3 WHERE selector = $4 AND validator_hash = $2",
            )
            .bind(digest(&next))
            .bind(&current)
            .bind(now)
            .bind(selector)
            .execute(&self.pool)
            .await?
            .rows_affected();
            // Zero rows: a parallel request rotated it a moment ago (the grace case), or it
            // was revoked meanwhile (then it is no longer there at all).
            if updated == 0 && !self.rotated_from(selector, &current).await? {
                return Ok(Redeemed::Invalid);
            }
            let rotated = (updated == 1).then(|| format!("{selector}:{next}"));
            return Ok(Redeemed::Valid {
                user_id,
                selector: selector.to_owned(),
                rotated,
                expires_at,
            });
        }
        if previous.as_deref() == Some(presented.as_str()) && within_grace {
            return Ok(Redeemed::Valid {
                user_id,
                selector: selector.to_owned(),
                rotated: None,
                expires_at,
            });
        }
        Ok(Redeemed::Theft { user_id })
    }

    /// Deletes the token a cookie value names.
    pub async fn revoke(&self, cookie: &str) -> Result<(), sqlx::Error> {
        match parse(cookie) {
            Some((selector, _)) => self.revoke_selector(selector).await,
            None => Ok(()),
        }
    }

    /// Whether the token still exists and its previous validator hash is `hash`.
    async fn rotated_from(&self, selector: &str, hash: &str) -> Result<bool, sqlx::Error> {
        Ok(
            sqlx::query("SELECT 1 FROM remember_tokens WHERE selector = $1 AND previous_hash = $2")
                .bind(selector)
                .bind(hash)
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }

    /// Records that the token with this selector last started (or was issued with) the
    /// session stored under `key`, so the next session it starts names it in the audit trail.
    pub async fn bind(
        &self,
        selector: &str,
        key: &crate::model::SessionKey,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE remember_tokens SET session_key = $2 WHERE selector = $1")
            .bind(selector)
            .bind(key.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The session the token with this selector last started, if known.
    pub async fn bound_session(
        &self,
        selector: &str,
    ) -> Result<Option<crate::model::SessionKey>, sqlx::Error> {
        Ok(sqlx::query_scalar::<_, Option<String>>(
            "SELECT session_key FROM remember_tokens WHERE selector = $1",
        )
        .bind(selector)
        .fetch_optional(&self.pool)
        .await?
        .flatten()
        .and_then(|key| key.parse().ok()))
    }

    /// Whose token this selector names, if it exists.
    pub async fn owner_of(&self, selector: &str) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT user_id FROM remember_tokens WHERE selector = $1")
            .bind(selector)
            .fetch_optional(&self.pool)
            .await
    }

    /// Deletes the token with this selector (the one a session is bound to).
    pub async fn revoke_selector(&self, selector: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM remember_tokens WHERE selector = $1")
            .bind(selector)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes tokens that expired, or that the policy's `max_lifetime` now ends; how many.
    pub async fn delete_expired(&self, now: i64, max_lifetime: i64) -> Result<u64, sqlx::Error> {
        Ok(sqlx::query(
            "DELETE FROM remember_tokens WHERE expires_at <= $1 OR (issued_at IS NOT NULL AND issued_at + $2 <= $1)",
        )
            .bind(now)
            .bind(max_lifetime)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Deletes every token of a user; returns how many.
    pub async fn revoke_user(&self, user_id: &str) -> Result<u64, sqlx::Error> {
        Ok(
            sqlx::query("DELETE FROM remember_tokens WHERE user_id = $1")
                .bind(user_id)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    /// How many tokens a user has (for tests and the account page).
    pub async fn count_for(&self, user_id: &str) -> Result<i64, sqlx::Error> {
        sqlx::query("SELECT COUNT(*) FROM remember_tokens WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)
    }

    /// The stored validator hash of a cookie's token (for tests that check what is at rest).
    #[cfg(any(test, feature = "test-support"))]
    pub async fn stored_hash(&self, cookie: &str) -> Result<Option<String>, sqlx::Error> {
        let Some((selector, _)) = parse(cookie) else {
            return Ok(None);
        };
        sqlx::query("SELECT validator_hash FROM remember_tokens WHERE selector = $1")
            .bind(selector)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| row.try_get(0))
            .transpose()
    }
}
