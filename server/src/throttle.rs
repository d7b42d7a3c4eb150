//! [`Throttle`] counters in Redis, shared by every instance: guesses spread over several
//! servers behind a load balancer count once. One Lua script per failure keeps the count, the
//! forgetting and the lock atomic; the lock rule is the same as the in-memory counters'.
use crate::store::Namespace;
use app::ssr::throttle::{Throttle, ThrottleError, FORGET_AFTER_SECS, MAX_LOCK_SECS};
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

fn err(e: impl std::fmt::Display) -> ThrottleError {
    ThrottleError(e.to_string())
}

#[async_trait]
impl Throttle for RedisThrottle {
    async fn locked_for(&self, key: &str, now: i64) -> Result<Option<i64>, ThrottleError> {
        let until: Option<i64> = self
            .pool
            .hget(self.namespace.throttle_key(key), "until")
            .await
            .map_err(err)?;
        Ok(until.filter(|u| *u > now).map(|u| u - now))
    }

    async fn fail(&self, key: &str, now: i64, free: u32) -> Result<Option<i64>, ThrottleError> {
        let lock: i64 = self
            .pool
            .eval(
                FAIL,
                vec![self.namespace.throttle_key(key)],
                vec![now, i64::from(free), FORGET_AFTER_SECS, MAX_LOCK_SECS],
            )
            .await
            .map_err(err)?;
        Ok((lock > 0).then_some(lock))
    }

    async fn reset(&self, key: &str) -> Result<(), ThrottleError> {
        self.pool
            .del::<(), _>(self.namespace.throttle_key(key))
            .await
            .map_err(err)
    }
}
