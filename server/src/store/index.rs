//! The per-user index of live sessions, in Redis (sorted sets scored by last activity) or in
//! SQL tables, and each user's session generation. Signing a user out everywhere reads one
//! user's entries, never the whole store. Why sessions ended is kept by [`super::history`].
use super::{failed, StoreResult};
use crate::redis_conn::Namespace;
use app::model::SessionKey;
use fred::{
    prelude::{KeysInterface, Pool, SortedSetsInterface},
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

/// Where the index lives: with the sessions.
#[derive(Clone, Debug)]
pub enum SessionIndex {
    /// `{ns}:user:{id}` sorted sets (member: storage key, score: last activity in
    /// milliseconds), a global `{ns}:live` set and `{ns}:gen:{user}` generations (`ns` = the
    /// namespace).
    Redis(Pool, Namespace),
    /// `session_index` and `session_generations` tables.
    Sql(AnyPool),
}

impl SessionIndex {
    /// Adds a new session of `user_id`, last used at `last_seen_ms` (milliseconds: the
    /// session limit evicts the least recently used one even among sign-ins in the same
    /// second).
    pub async fn add(&self, key: &SessionKey, user_id: &str, last_seen_ms: i64) -> StoreResult<()> {
        self.write(key, user_id, last_seen_ms, false).await
    }

    /// Moves an indexed session's last use to `last_seen_ms`; never adds an entry back (a
    /// session ended between its write-back and this stays unindexed).
    pub async fn touch(
        &self,
        key: &SessionKey,
        user_id: &str,
        last_seen_ms: i64,
    ) -> StoreResult<()> {
        self.write(key, user_id, last_seen_ms, true).await
    }

    async fn write(
        &self,
        key: &SessionKey,
        user_id: &str,
        last_seen: i64,
        existing: bool,
    ) -> StoreResult<()> {
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
                    .map_err(failed)?;
                let _: () = pool
                    .expire(&set, USER_SET_TTL_SECS, None)
                    .await
                    .map_err(failed)?;
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
                    .map_err(failed)?;
            }
            SessionIndex::Sql(db) if existing => {
                sqlx::query("UPDATE session_index SET last_seen = $1 WHERE skey = $2")
                    .bind(last_seen)
                    .bind(key.as_str())
                    .execute(db)
                    .await
                    .map_err(failed)?;
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
                .map_err(failed)?;
            }
        }
        Ok(())
    }

    /// Removes a session of `user_id`: from the user's set, then from the global index.
    pub async fn remove(&self, key: &SessionKey, user_id: &str) -> StoreResult<()> {
        self.remove_entry(key.as_str(), user_id).await
    }

    async fn remove_entry(&self, entry: &str, user_id: &str) -> StoreResult<()> {
        if let SessionIndex::Redis(pool, ns) = self {
            let _: () = pool
                .zrem(ns.user_set(user_id), entry.to_owned())
                .await
                .map_err(failed)?;
        }
        self.forget_entry(entry).await
    }

    /// The user's session keys, least recently active first.
    pub async fn keys_of(&self, user_id: &str) -> StoreResult<Vec<SessionKey>> {
        let entries: Vec<String> = match self {
            SessionIndex::Redis(pool, ns) => pool
                .zrange(ns.user_set(user_id), 0, -1, None, false, None, false)
                .await
                .map_err(failed)?,
            SessionIndex::Sql(db) => sqlx::query_scalar(
                "SELECT skey FROM session_index WHERE user_id = $1 ORDER BY last_seen ASC",
            )
            .bind(user_id)
            .fetch_all(db)
            .await
            .map_err(failed)?,
        };
        self.keys(entries, Some(user_id)).await
    }

    /// Everyone's session keys, most recently active first: `limit` of them after the first
    /// `skip` (a page of the admin list is one `ZRANGE` or one indexed query, whatever the
    /// number of sessions).
    pub async fn recent_keys(&self, skip: usize, limit: usize) -> StoreResult<Vec<SessionKey>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let (skip, limit) = (
            skip.min(i64::MAX as usize) as i64,
            limit.min(i64::MAX as usize) as i64,
        );
        let entries: Vec<String> = match self {
            SessionIndex::Redis(pool, ns) => pool
                .zrange(
                    ns.live_set(),
                    skip,
                    skip.saturating_add(limit - 1),
                    None,
                    true,
                    None,
                    false,
                )
                .await
                .map_err(failed)?,
            SessionIndex::Sql(db) => sqlx::query_scalar(
                "SELECT skey FROM session_index ORDER BY last_seen DESC, skey ASC LIMIT $1 OFFSET $2",
            )
            .bind(limit)
            .bind(skip)
            .fetch_all(db)
            .await
            .map_err(failed)?,
        };
        self.keys(entries, None).await
    }

    /// How many sessions the global index holds (entries of sessions that ended without
    /// their index being told are counted until a listing or the clean-up prunes them).
    pub async fn count(&self) -> StoreResult<usize> {
        let count: i64 = match self {
            SessionIndex::Redis(pool, ns) => pool.zcard(ns.live_set()).await.map_err(failed)?,
            SessionIndex::Sql(db) => sqlx::query_scalar("SELECT COUNT(*) FROM session_index")
                .fetch_one(db)
                .await
                .map_err(failed)?,
        };
        Ok(count.max(0) as usize)
    }

    /// Index entries as keys, in order; an entry that is not a key (nothing of ours writes
    /// one) is dropped from the index on the way.
    async fn keys(
        &self,
        entries: Vec<String>,
        user_id: Option<&str>,
    ) -> StoreResult<Vec<SessionKey>> {
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
    pub async fn forget(&self, key: &SessionKey) -> StoreResult<()> {
        self.forget_entry(key.as_str()).await
    }

    async fn forget_entry(&self, entry: &str) -> StoreResult<()> {
        match self {
            SessionIndex::Redis(pool, ns) => pool
                .zrem(ns.live_set(), entry.to_owned())
                .await
                .map_err(failed),
            SessionIndex::Sql(db) => {
                sqlx::query("DELETE FROM session_index WHERE skey = $1")
                    .bind(entry)
                    .execute(db)
                    .await
                    .map_err(failed)?;
                Ok(())
            }
        }
    }

    /// How many indexed sessions were active at or after `since` (Unix seconds).
    pub async fn count_since(&self, since: i64) -> StoreResult<i64> {
        let since = since.saturating_mul(1000);
        match self {
            SessionIndex::Redis(pool, ns) => pool
                .zcount(ns.live_set(), since as f64, f64::INFINITY)
                .await
                .map_err(failed),
            SessionIndex::Sql(db) => {
                sqlx::query("SELECT COUNT(*) FROM session_index WHERE last_seen >= $1")
                    .bind(since)
                    .fetch_one(db)
                    .await
                    .map_err(failed)?
                    .try_get::<i64, _>(0)
                    .map_err(failed)
            }
        }
    }

    /// The user's session generation (0 until first bumped).
    pub async fn generation(&self, user_id: &str) -> StoreResult<i64> {
        match self {
            SessionIndex::Redis(pool, ns) => {
                let gen: Option<i64> =
                    pool.get(ns.generation_key(user_id)).await.map_err(failed)?;
                Ok(gen.unwrap_or(0))
            }
            SessionIndex::Sql(db) => Ok(sqlx::query_scalar::<_, i64>(
                "SELECT gen FROM session_generations WHERE user_id = $1",
            )
            .bind(user_id)
            .fetch_optional(db)
            .await
            .map_err(failed)?
            .unwrap_or(0)),
        }
    }

    /// Moves the user's generation on: every session issued before is over. Returns the new
    /// generation.
    pub async fn bump_generation(&self, user_id: &str) -> StoreResult<i64> {
        match self {
            SessionIndex::Redis(pool, ns) => {
                pool.incr(ns.generation_key(user_id)).await.map_err(failed)
            }
            SessionIndex::Sql(db) => sqlx::query_scalar::<_, i64>(
                "INSERT INTO session_generations (user_id, gen) VALUES ($1, 1) \
                 ON CONFLICT (user_id) DO UPDATE SET gen = session_generations.gen + 1 RETURNING gen",
            )
            .bind(user_id)
            .fetch_one(db)
            .await
            .map_err(failed),
        }
    }

    /// Drops index entries that can no longer name a live session (for the clean-up): in
    /// SQL, entries whose record is gone; in Redis, global entries idle for longer than
    /// `idle_secs` (user sets expire by themselves). How many went.
    pub async fn prune(&self, now_ms: i64, idle_secs: i64) -> StoreResult<u64> {
        match self {
            SessionIndex::Redis(pool, ns) => {
                let cutoff = now_ms - idle_secs.saturating_mul(1000) - INDEX_SLACK_MS;
                let removed: i64 = pool
                    .zremrangebyscore(ns.live_set(), f64::NEG_INFINITY, cutoff as f64)
                    .await
                    .map_err(failed)?;
                Ok(removed as u64)
            }
            SessionIndex::Sql(db) => Ok(sqlx::query(
                "DELETE FROM session_index WHERE skey NOT IN (SELECT skey FROM sessions)",
            )
            .execute(db)
            .await
            .map_err(failed)?
            .rows_affected()),
        }
    }
}
