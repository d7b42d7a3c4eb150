//! [`Throttle`] counters in Redis, shared by every instance: guesses spread over several
//! servers behind a load balancer count once. One Lua script per failure keeps the count, the
//! forgetting and the lock atomic; the lock rule is the same as the in-memory counters'.
use crate::redis_conn::Namespace;
use crate::store::{failed, StoreResult};
use app::ssr::throttle::{time_left, Throttle, FORGET_AFTER_SECS, MAX_LOCK_SECS};
use async_trait::async_trait;
use fred::prelude::{HashesInterface, KeysInterface, LuaInterface, Pool};

/// Counts a failure. KEYS[1]: the counter hash (`failures`, `last`, `until`). ARGV: now, free,
/// forget-after, max-lock. Returns the lock in seconds (0 for none). The key expires once it
/// could no longer matter, so Redis forgets quiet keys by itself.
const FAIL: &str = r#"
local now, free, forget, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local last = tonumber(redis.call('HGET', KEYS[1], 'last'))
if last and now - last >= forget then redis.call('DEL', KEYS[1]) end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local lock = 0
if failures > free then
  lock = math.min(2 ^ math.min(failures - free - 1, 62), max)
  redis.call('HSET', KEYS[1], 'until', now + lock)
end
redis.call('HSET', KEYS[1], 'last', now)
redis.call('EXPIRE', KEYS[1], forget + max)
return lock
"#;

/// Reserves an attempt. KEYS[1]: the counter hash. ARGV: now, free, forget-after, max-lock.
/// Returns the seconds left while locked (nothing counted; a lock holds through its last whole
/// second, as [`time_left`] says), else 0 after counting the attempt
/// as a failure and setting the lock it earns: one script, so parallel reservations see each
/// other.
const RESERVE: &str = r#"
local now, free, forget, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local last = tonumber(redis.call('HGET', KEYS[1], 'last'))
if last and now - last >= forget then redis.call('DEL', KEYS[1]) end
local locked = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if locked > 0 and locked >= now then return locked - now + 1 end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if failures > free then
  redis.call('HSET', KEYS[1], 'until', now + math.min(2 ^ math.min(failures - free - 1, 62), max))
end
redis.call('HSET', KEYS[1], 'last', now)
redis.call('EXPIRE', KEYS[1], forget + max)
return 0
"#;

/// Gives a reservation back. KEYS[1]: the counter hash; ARGV[1]: free. One failure less, and
/// no lock unless the remaining failures earn one.
const REFUND: &str = r#"
local failures = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')
if failures > 0 then failures = redis.call('HINCRBY', KEYS[1], 'failures', -1) end
if failures <= 0 then redis.call('DEL', KEYS[1])
elseif failures <= tonumber(ARGV[1]) then redis.call('HDEL', KEYS[1], 'until') end
return failures
"#;

/// A reserved attempt failed: its lock runs from now. KEYS[1]: the counter hash. ARGV: now,
/// free, max-lock. Returns the lock in seconds (0 for none).
const CONFIRM: &str = r#"
local now, free, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local failures = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')
if failures <= free then return 0 end
local lock = math.min(2 ^ math.min(failures - free - 1, 62), max)
local locked = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if now + lock > locked then redis.call('HSET', KEYS[1], 'until', now + lock) end
return lock
"#;

/// The counters in Redis under `{ns}:throttle:<hash of the key>`.
#[derive(Clone, Debug)]
pub struct RedisThrottle {
    pool: Pool,
    namespace: Namespace,
}

impl RedisThrottle {
    /// Counters in `pool`, under `namespace`.
    pub fn new(pool: Pool, namespace: Namespace) -> Self {
        Self { pool, namespace }
    }
}

#[async_trait]
impl Throttle for RedisThrottle {
    async fn locked_for(&self, key: &str, now: i64) -> StoreResult<Option<i64>> {
        let until: Option<i64> = self
            .pool
            .hget(self.namespace.throttle_key(key), "until")
            .await
            .map_err(failed)?;
        Ok(until.and_then(|until| time_left(until, now)))
    }

    async fn fail(&self, key: &str, now: i64, free: u32) -> StoreResult<Option<i64>> {
        let lock: i64 = self
            .pool
            .eval(
                FAIL,
                vec![self.namespace.throttle_key(key)],
                vec![now, i64::from(free), FORGET_AFTER_SECS, MAX_LOCK_SECS],
            )
            .await
            .map_err(failed)?;
        Ok((lock > 0).then_some(lock))
    }

    async fn reserve(&self, key: &str, now: i64, free: u32) -> StoreResult<Option<i64>> {
        let wait: i64 = self
            .pool
            .eval(
                RESERVE,
                vec![self.namespace.throttle_key(key)],
                vec![now, i64::from(free), FORGET_AFTER_SECS, MAX_LOCK_SECS],
            )
            .await
            .map_err(failed)?;
        Ok((wait > 0).then_some(wait))
    }

    async fn confirm_failure(&self, key: &str, now: i64, free: u32) -> StoreResult<Option<i64>> {
        let lock: i64 = self
            .pool
            .eval(
                CONFIRM,
                vec![self.namespace.throttle_key(key)],
                vec![now, i64::from(free), MAX_LOCK_SECS],
            )
            .await
            .map_err(failed)?;
        Ok((lock > 0).then_some(lock))
    }

    async fn refund(&self, key: &str, free: u32) -> StoreResult<()> {
        let _: i64 = self
            .pool
            .eval(
                REFUND,
                vec![self.namespace.throttle_key(key)],
                vec![i64::from(free)],
            )
            .await
            .map_err(failed)?;
        Ok(())
    }

    async fn reset(&self, key: &str) -> StoreResult<()> {
        self.pool
            .del::<(), _>(self.namespace.throttle_key(key))
            .await
            .map_err(failed)
    }
}
