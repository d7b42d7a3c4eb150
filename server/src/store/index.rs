//! The per-user index of live sessions and the short memory of ended ones, in Redis (sorted
//! sets scored by last activity) or in SQL tables. Signing a user out everywhere reads one
//! user's entries, never the whole store.
use super::Namespace;
use app::{model::SessionKey, ssr::registry::Gone};
use fred::{
    prelude::{Expiration, KeysInterface, Pool, SortedSetsInterface},
    types::{sorted_sets::Ordering, SetOptions},
};
use sqlx::{AnyPool, Row};

/// How long a user's Redis set outlives its last write: longer than any session can live
/// (the policy's absolute lifetime is at most 30 days), so a set only ever expires empty of
/// live sessions.
const USER_SET_TTL_SECS: i64 = 31 * 86400;

/// How long past its idle deadline an index entry may still name a stored record (the
/// records stay a minute longer than the policy allows, to say why they ended).
const INDEX_SLACK_MS: i64 = 120_000;

/// How long the reason a session ended is kept by default (`HALLPASS_HISTORY_SECS`).
pub const DEFAULT_HISTORY_SECS: i64 = 24 * 3600;

/// An index failure.
pub type IndexResult<T> = Result<T, String>;

/// Where the index lives: with the sessions.
#[derive(Clone, Debug)]
pub enum SessionIndex {
    /// `{ns}:user:{id}` sorted sets (member: storage key, score: last activity in
    /// milliseconds), a global `{ns}:live` set, `{ns}:ended:{key}` strings that expire, and
    /// `{ns}:gen:{user}` generations (`ns` = the namespace).
    Redis(Pool, Namespace),
    /// `session_index`, `session_ends` and `session_generations` tables.
    Sql(AnyPool),
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl SessionIndex {
    /// Adds a new session of `user_id`, last used at `last_seen_ms` (milliseconds: the
    /// session limit evicts the least recently used one even among sign-ins in the same
    /// second).
    pub async fn add(&self, key: &SessionKey, user_id: &str, last_seen_ms: i64) -> IndexResult<()> {
        self.write(key, user_id, last_seen_ms, false).await
    }

    /// Moves an indexed session's last use to `last_seen_ms`; never adds an entry back (a
    /// session ended between its write-back and this stays unindexed).
    pub async fn touch(
        &self,
        key: &SessionKey,
        user_id: &str,
        last_seen_ms: i64,
    ) -> IndexResult<()> {
        self.write(key, user_id, last_seen_ms, true).await
    }

    async fn write(
        &self,
        key: &SessionKey,
        user_id: &str,
        last_seen: i64,
        existing: bool,
    ) -> IndexResult<()> {
        let only_existing = existing.then_some(SetOptions::XX);
        match self {
            SessionIndex::Redis(pool, ns) => {
                let score = (last_seen as f64, key.to_string());
                let set = ns.user_set(user_id);
                let _: () = pool
                    .zadd(
                        &set,
                        only_existing.clone(),
                        None::<Ordering>,
                        false,
                        false,
                        score.clone(),
                    )
                    .await
                    .map_err(err)?;
                let _: () = pool
                    .expire(&set, USER_SET_TTL_SECS, None)
                    .await
                    .map_err(err)?;
                let _: () = pool
                    .zadd(
                        ns.live_set(),
                        only_existing,
                        None::<Ordering>,
                        false,
                        false,
                        score,
                    )
                    .await
                    .map_err(err)?;
            }
            SessionIndex::Sql(db) if existing => {
                sqlx::query("UPDATE session_index SET last_seen = $1 WHERE skey = $2")
                    .bind(last_seen)
                    .bind(key.as_str())
                    .execute(db)
                    .await
                    .map_err(err)?;
            }
            SessionIndex::Sql(db) => {
                sqlx::query(
                    "INSERT INTO session_index (skey, user_id, last_seen) VALUES ($1, $2, $3) \
                     ON CONFLICT (skey) DO UPDATE SET last_seen = excluded.last_seen, user_id = excluded.user_id",
                )
                .bind(key.as_str())
                .bind(user_id)
                .bind(last_seen)
                .execute(db)
                .await
                .map_err(err)?;
            }
        }
        Ok(())
    }

    /// Removes a session of `user_id`: from the user's set, then from the global index.
    pub async fn remove(&self, key: &SessionKey, user_id: &str) -> IndexResult<()> {
        self.remove_entry(key.as_str(), user_id).await
    }

    async fn remove_entry(&self, entry: &str, user_id: &str) -> IndexResult<()> {
        if let SessionIndex::Redis(pool, ns) = self {
            let _: () = pool
                .zrem(ns.user_set(user_id), entry.to_owned())
                .await
                .map_err(err)?;
        }
        self.forget_entry(entry).await
    }

    /// The user's session keys, least recently active first.
    pub async fn keys_of(&self, user_id: &str) -> IndexResult<Vec<SessionKey>> {
        let entries: Vec<String> = match self {
            SessionIndex::Redis(pool, ns) => pool
                .zrange(ns.user_set(user_id), 0, -1, None, false, None, false)
                .await
                .map_err(err)?,
            SessionIndex::Sql(db) => sqlx::query_scalar(
                "SELECT skey FROM session_index WHERE user_id = $1 ORDER BY last_seen ASC",
            )
            .bind(user_id)
            .fetch_all(db)
            .await
            .map_err(err)?,
        };
        self.keys(entries, Some(user_id)).await
    }

    /// The most recently active session keys of everyone, newest first.
    pub async fn recent_keys(&self, limit: usize) -> IndexResult<Vec<SessionKey>> {
        let limit = limit.max(1);
        let entries: Vec<String> = match self {
            SessionIndex::Redis(pool, ns) => pool
                .zrange(ns.live_set(), 0, limit as i64 - 1, None, true, None, false)
                .await
                .map_err(err)?,
            SessionIndex::Sql(db) => sqlx::query_scalar(
                "SELECT skey FROM session_index ORDER BY last_seen DESC LIMIT $1",
            )
            .bind(limit as i64)
            .fetch_all(db)
            .await
            .map_err(err)?,
        };
        self.keys(entries, None).await
    }

    /// Index entries as keys, in order; an entry that is not a key (nothing of ours writes
    /// one) is dropped from the index on the way.
    async fn keys(
        &self,
        entries: Vec<String>,
        user_id: Option<&str>,
    ) -> IndexResult<Vec<SessionKey>> {
        let mut keys = Vec::with_capacity(entries.len());
        for entry in entries {
            match entry.parse() {
                Ok(key) => keys.push(key),
                Err(_) => match user_id {
                    Some(user_id) => self.remove_entry(&entry, user_id).await?,
                    None => self.forget_entry(&entry).await?,
                },
            }
        }
        Ok(keys)
    }

    /// Drops a key from the global index (the SQL table is both indexes; in Redis the user's
    /// entry is pruned when that user's sessions are listed).
    pub async fn forget(&self, key: &SessionKey) -> IndexResult<()> {
        self.forget_entry(key.as_str()).await
    }

    async fn forget_entry(&self, entry: &str) -> IndexResult<()> {
        match self {
            SessionIndex::Redis(pool, ns) => pool
                .zrem(ns.live_set(), entry.to_owned())
                .await
                .map_err(err),
            SessionIndex::Sql(db) => {
                sqlx::query("DELETE FROM session_index WHERE skey = $1")
                    .bind(entry)
                    .execute(db)
                    .await
                    .map_err(err)?;
                Ok(())
            }
        }
    }

    /// How many indexed sessions were active at or after `since` (Unix seconds).
    pub async fn count_since(&self, since: i64) -> IndexResult<i64> {
        let since = since.saturating_mul(1000);
        match self {
            SessionIndex::Redis(pool, ns) => pool
                .zcount(ns.live_set(), since as f64, f64::INFINITY)
                .await
                .map_err(err),
            SessionIndex::Sql(db) => {
                sqlx::query("SELECT COUNT(*) FROM session_index WHERE last_seen >= $1")
                    .bind(since)
                    .fetch_one(db)
                    .await
                    .map_err(err)?
                    .try_get::<i64, _>(0)
                    .map_err(err)
            }
        }
    }

    /// The user's session generation (0 until first bumped).
    pub async fn generation(&self, user_id: &str) -> IndexResult<i64> {
        match self {
            SessionIndex::Redis(pool, ns) => {
                let gen: Option<i64> = pool.get(ns.generation_key(user_id)).await.map_err(err)?;
                Ok(gen.unwrap_or(0))
            }
            SessionIndex::Sql(db) => Ok(sqlx::query_scalar::<_, i64>(
                "SELECT gen FROM session_generations WHERE user_id = $1",
            )
            .bind(user_id)
            .fetch_optional(db)
            .await
            .map_err(err)?
            .unwrap_or(0)),
        }
    }

    /// Moves the user's generation on: every session issued before is over. Returns the new
    /// generation.
    pub async fn bump_generation(&self, user_id: &str) -> IndexResult<i64> {
        match self {
            SessionIndex::Redis(pool, ns) => {
                pool.incr(ns.generation_key(user_id)).await.map_err(err)
            }
            SessionIndex::Sql(db) => sqlx::query_scalar::<_, i64>(
                "INSERT INTO session_generations (user_id, gen) VALUES ($1, 1) \
                 ON CONFLICT (user_id) DO UPDATE SET gen = session_generations.gen + 1 RETURNING gen",
            )
            .bind(user_id)
            .fetch_one(db)
            .await
            .map_err(err),
        }
    }

    /// Drops index entries that can no longer name a live session (for the clean-up): in
    /// SQL, entries whose record is gone, and ended-session reasons older than `history_secs`;
    /// in Redis, global entries idle for longer than `idle_secs` (user sets expire by
    /// themselves, and so do ended-session reasons). How many went.
    pub async fn prune(
        &self,
        now_ms: i64,
        idle_secs: i64,
        history_secs: i64,
    ) -> IndexResult<(u64, u64)> {
        match self {
            SessionIndex::Redis(pool, ns) => {
                let cutoff = now_ms - idle_secs.saturating_mul(1000) - INDEX_SLACK_MS;
                let removed: i64 = pool
                    .zremrangebyscore(ns.live_set(), f64::NEG_INFINITY, cutoff as f64)
                    .await
                    .map_err(err)?;
                Ok((removed as u64, 0))
            }
            SessionIndex::Sql(db) => {
                let entries = sqlx::query(
                    "DELETE FROM session_index WHERE skey NOT IN (SELECT skey FROM sessions)",
                )
                .execute(db)
                .await
                .map_err(err)?
                .rows_affected();
                let history = sqlx::query("DELETE FROM session_ends WHERE ended_at < $1")
                    .bind(now_ms / 1000 - history_secs)
                    .execute(db)
                    .await
                    .map_err(err)?
                    .rows_affected();
                Ok((entries, history))
            }
        }
    }

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
    ) -> IndexResult<bool> {
        let overwrite = matches!(gone, Gone::Ended(_));
        match self {
            SessionIndex::Redis(pool, ns) => {
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
                    .map_err(err)?;
                Ok(set.is_some())
            }
            SessionIndex::Sql(db) => {
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
                .map_err(err)?
                .rows_affected();
                sqlx::query("DELETE FROM session_ends WHERE ended_at < $1")
                    .bind(now - keep_secs)
                    .execute(db)
                    .await
                    .map_err(err)?;
                Ok(written > 0)
            }
        }
    }

    /// Why an id stopped naming a live session, if that was recorded recently enough (`now`
    /// in Unix seconds: a regeneration is forgotten after [`Gone::REGENERATED_SECS`]).
    pub async fn why_gone(&self, key: &SessionKey, now: i64) -> IndexResult<Option<Gone>> {
        let recorded: Option<(String, i64)> = match self {
            SessionIndex::Redis(pool, ns) => {
                let value: Option<String> =
                    pool.get(ns.ended_key(key.as_str())).await.map_err(err)?;
                value.map(|v| match v.split_once('@') {
                    Some((code, at)) => (code.to_owned(), at.parse().unwrap_or(now)),
                    None => (v, now),
                })
            }
            SessionIndex::Sql(db) => {
                sqlx::query("SELECT reason, ended_at FROM session_ends WHERE skey = $1")
                    .bind(key.as_str())
                    .fetch_optional(db)
                    .await
                    .map_err(err)?
                    .map(|row| Ok::<_, sqlx::Error>((row.try_get(0)?, row.try_get(1)?)))
                    .transpose()
                    .map_err(err)?
            }
        };
        Ok(recorded.and_then(|(code, at)| Gone::recorded(&code, at, now)))
    }
}
