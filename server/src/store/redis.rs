//! Session records in Redis, under this deployment's namespace (`{ns}:session:{key}`), so two
//! deployments sharing one Redis never read each other's sessions.
//!
//! A record is stored as `{user_id}|{generation}|` followed by the MessagePack record, so one
//! Lua script can load it (or a listing's batch of them) *and* check it against its user's
//! generation (`{ns}:gen:{user}`) in a single round trip: a session issued before its user's
//! last sign-out-everywhere, demotion or password change reads as gone, wherever it came from.
//!
//! The MessagePack is written with field names (see [`SessionRecord`] for why the layout is
//! tower-sessions'), and read typed; a listing reads a record whose state is not an
//! [`app::ssr::auth::AuthState`] as holding none, the request path ends it.
use super::{failed, listed, SessionGone, SessionRecord, SessionStore, StoreError, StoreResult};
use crate::redis_conn::Namespace;
use async_trait::async_trait;
use fred::{
    prelude::{KeysInterface, LuaInterface, Pool},
    types::{Expiration, SetOptions},
};
use sha1::{Digest, Sha1};
use std::sync::LazyLock;
use tower_sessions::session::{Id, Record};

/// Loads records, each unless its user's generation moved past it. KEYS: the records;
/// ARGV[1]: the generation key prefix (`{ns}:gen:`). Returns one value per key: the stored
/// value, or false. One script for one session (every request) and for a listing's batch
/// (each user's generation read once per batch), so the rule has one home.
const LOAD: &str = r#"
local out, gens = {}, {}
for i, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  if v then
    local user, gen = string.match(v, '^([^|]*)|(%d+)|')
    if user and user ~= '' then
      local current = gens[user]
      if current == nil then
        current = tonumber(redis.call('GET', ARGV[1] .. user) or '0')
        gens[user] = current
      end
      if current > tonumber(gen) then v = false end
    end
  end
  out[i] = v
end
return out
"#;

/// The script's SHA-1, for `EVALSHA` (Redis caches scripts by it).
static LOAD_SHA: LazyLock<String> = LazyLock::new(|| hex::encode(Sha1::digest(LOAD)));

/// Session records in Redis.
#[derive(Clone, Debug)]
pub struct RedisSessions {
    pool: Pool,
    ns: Namespace,
}

impl RedisSessions {
    /// Records in `pool` under `ns`.
    pub fn new(pool: Pool, ns: Namespace) -> Self {
        Self { pool, ns }
    }

    pub(super) fn encode(record: &SessionRecord) -> StoreResult<Vec<u8>> {
        let (user, gen) = record.owner().unwrap_or(("", 0));
        let mut value = format!("{user}|{gen}|").into_bytes();
        rmp_serde::encode::write_named(&mut value, record).map_err(StoreError::record)?;
        Ok(value)
    }

    /// Reads a stored value (owner header, then the MessagePack record) as `T`: the typed
    /// [`SessionRecord`], or the generic [`Record`] of a state that does not read typed.
    pub(super) fn decode<T: serde::de::DeserializeOwned>(value: &[u8]) -> StoreResult<T> {
        let mut bars = value.iter().enumerate().filter(|(_, b)| **b == b'|');
        let (Some(_), Some((body, _))) = (bars.next(), bars.next()) else {
            return Err(StoreError::record(
                "a session record without its owner header",
            ));
        };
        rmp_serde::from_slice(&value[body + 1..]).map_err(StoreError::record)
    }

    /// A stored value as a listing reads it (see [`listed`]).
    pub(super) fn decode_listed(value: &[u8]) -> Option<SessionRecord> {
        listed(Self::decode(value), || Self::decode::<Record>(value))
    }

    /// Writes `record` with `options` (NX: only new; XX: only existing); whether it was written.
    async fn set(&self, record: &SessionRecord, options: SetOptions) -> StoreResult<bool> {
        let expire = Expiration::EXAT(record.expiry_date.unix_timestamp());
        let written: Option<String> = self
            .pool
            .set(
                self.ns.session_key(&record.id),
                Self::encode(record)?.as_slice(),
                Some(expire),
                Some(options),
                false,
            )
            .await
            .map_err(failed)?;
        Ok(written.is_some())
    }

    /// Loads many records in one round trip (one run of the load script), each checked
    /// against its user's generation like [`SessionStore::load`]; `None` where gone.
    pub async fn load_many(&self, ids: &[Id]) -> StoreResult<Vec<Option<SessionRecord>>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .run_load(ids)
            .await?
            .into_iter()
            .map(|v| v.and_then(|v| Self::decode_listed(&v)))
            .collect())
    }

    /// Runs the load script over `ids`: one stored value (or `None`) per id, in order.
    async fn run_load(&self, ids: &[Id]) -> StoreResult<Vec<Option<Vec<u8>>>> {
        let keys = || {
            ids.iter()
                .map(|id| self.ns.session_key(id))
                .collect::<Vec<_>>()
        };
        let args = || vec![self.ns.generation_prefix()];
        let values: Vec<Option<Vec<u8>>> =
            match self.pool.evalsha(LOAD_SHA.as_str(), keys(), args()).await {
                // A Redis that restarted has forgotten the script: send it once in full.
                Err(err) if err.details().starts_with("NOSCRIPT") => {
                    self.pool.eval(LOAD, keys(), args()).await
                }
                other => other,
            }
            .map_err(failed)?;
        if values.len() != ids.len() {
            return Err(StoreError::redis(std::io::Error::other(format!(
                "the load script answered {} values for {} keys",
                values.len(),
                ids.len()
            ))));
        }
        Ok(values)
    }

    /// Deletes a record; whether it was there.
    pub async fn take(&self, id: &Id) -> StoreResult<bool> {
        let removed: i64 = self
            .pool
            .del(self.ns.session_key(id))
            .await
            .map_err(failed)?;
        Ok(removed > 0)
    }
}

#[async_trait]
impl SessionStore for RedisSessions {
    async fn create(&self, record: &mut SessionRecord) -> StoreResult<()> {
        while !self.set(record, SetOptions::NX).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    /// Update-only: a record that is gone (ended while this request was in flight) stays gone.
    async fn save(&self, record: &SessionRecord) -> StoreResult<()> {
        if self.set(record, SetOptions::XX).await? {
            Ok(())
        } else {
            Err(SessionGone.into())
        }
    }

    async fn load(&self, id: &Id) -> StoreResult<Option<SessionRecord>> {
        let value = self
            .run_load(std::slice::from_ref(id))
            .await?
            .pop()
            .flatten();
        value.map(|v| Self::decode(&v)).transpose()
    }

    async fn delete(&self, id: &Id) -> StoreResult<()> {
        self.take(id).await.map(|_| ())
    }
}
