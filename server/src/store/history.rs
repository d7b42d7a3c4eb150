//! Why sessions stopped: the short memory that lets a request carrying an ended session's
//! cookie be told *why* (revoked, timed out, signed out) instead of "unknown", and lets a
//! straggler of a regenerated id be told apart from a stranger. Kept beside the index, in
//! Redis (`{ns}:ended:{key}` strings that expire) or SQL (`session_ends`).
use super::{failed, StoreResult};
use crate::redis_conn::Namespace;
use app::{model::SessionKey, ssr::registry::Gone};
use fred::{
    prelude::{Expiration, KeysInterface, Pool},
    types::SetOptions,
};
use sqlx::{AnyPool, Row};

/// How long the reason a session ended is kept by default (`HALLPASS_HISTORY_SECS`).
pub const DEFAULT_HISTORY_SECS: i64 = 24 * 3600;

/// Where the reasons live: with the sessions.
#[derive(Clone, Debug)]
pub enum EndedSessions {
    /// `{ns}:ended:{key}` strings holding `<code>@<unix seconds>`, expiring by themselves.
    Redis(Pool, Namespace),
    /// The `session_ends` table, pruned by the clean-up.
    Sql(AnyPool),
}

impl EndedSessions {
    /// Remembers for `keep_secs` why a session stopped: an end overwrites whatever was
    /// recorded; a regeneration never overwrites anything (`NX` / `DO NOTHING`). Whether it
    /// was written.
    pub async fn record_end(
        &self,
        key: &SessionKey,
        user_id: &str,
        gone: Gone,
        now: i64,
        keep_secs: i64,
    ) -> StoreResult<bool> {
        let overwrite = matches!(gone, Gone::Ended(_));
        match self {
            EndedSessions::Redis(pool, ns) => {
                let keep = match gone {
                    Gone::Ended(_) => keep_secs,
                    Gone::Regenerated => Gone::REGENERATED_SECS + 1,
                };
                let set: Option<String> = pool
                    .set(
                        ns.ended_key(key.as_str()),
                        format!("{}@{now}", gone.code()),
                        Some(Expiration::EX(keep)),
                        (!overwrite).then_some(SetOptions::NX),
                        false,
                    )
                    .await
                    .map_err(failed)?;
                Ok(set.is_some())
            }
            EndedSessions::Sql(db) => {
                let conflict = if overwrite {
                    "DO UPDATE SET reason = excluded.reason, ended_at = excluded.ended_at"
                } else {
                    "DO NOTHING"
                };
                let written = sqlx::query(&format!(
                    "INSERT INTO session_ends (skey, user_id, reason, ended_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (skey) {conflict}"
                ))
                .bind(key.as_str())
                .bind(user_id)
                .bind(gone.code())
                .bind(now)
                .execute(db)
                .await
                .map_err(failed)?
                .rows_affected();
                sqlx::query("DELETE FROM session_ends WHERE ended_at < $1")
                    .bind(now - keep_secs)
                    .execute(db)
                    .await
                    .map_err(failed)?;
                Ok(written > 0)
            }
        }
    }

    /// Why an id stopped naming a live session, if that was recorded recently enough (`now`
    /// in Unix seconds: a regeneration is forgotten after [`Gone::REGENERATED_SECS`]).
    pub async fn why_gone(&self, key: &SessionKey, now: i64) -> StoreResult<Option<Gone>> {
        let recorded: Option<(String, i64)> = match self {
            EndedSessions::Redis(pool, ns) => {
                let value: Option<String> =
                    pool.get(ns.ended_key(key.as_str())).await.map_err(failed)?;
                value.map(|v| match v.split_once('@') {
                    Some((code, at)) => (code.to_owned(), at.parse().unwrap_or(now)),
                    None => (v, now),
                })
            }
            EndedSessions::Sql(db) => {
                sqlx::query("SELECT reason, ended_at FROM session_ends WHERE skey = $1")
                    .bind(key.as_str())
                    .fetch_optional(db)
                    .await
                    .map_err(failed)?
                    .map(|row| Ok::<_, sqlx::Error>((row.try_get(0)?, row.try_get(1)?)))
                    .transpose()
                    .map_err(failed)?
            }
        };
        Ok(recorded.and_then(|(code, at)| Gone::recorded(&code, at, now)))
    }

    /// Drops reasons recorded before `now - keep_secs` (SQL; Redis expires its own). How
    /// many went.
    pub async fn prune(&self, now: i64, keep_secs: i64) -> StoreResult<u64> {
        match self {
            EndedSessions::Redis(..) => Ok(0),
            EndedSessions::Sql(db) => {
                Ok(sqlx::query("DELETE FROM session_ends WHERE ended_at < $1")
                    .bind(now - keep_secs)
                    .execute(db)
                    .await
                    .map_err(failed)?
                    .rows_affected())
            }
        }
    }
}
