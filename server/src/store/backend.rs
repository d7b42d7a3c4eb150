//! The concrete stores, chosen at start from the configuration.
use super::{RedisSessions, SessionRecord, SessionStore, SqlSessions, StoreResult};
use crate::redis_conn::Namespace;
use async_trait::async_trait;
use fred::prelude::Pool;
use sqlx::AnyPool;
use tower_sessions::session::Id;

/// Where session records live.
#[derive(Clone, Debug)]
pub enum Backend {
    /// Redis (a fred pool), under the deployment's namespace: for scale and several servers.
    Redis(RedisSessions),
    /// The `sessions` table of the SQL database (SQLite, the embedded default, or
    /// PostgreSQL), when Redis is not configured.
    Sql(SqlSessions),
}

macro_rules! each_store {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            Backend::Redis($store) => $call,
            Backend::Sql($store) => $call,
        }
    };
}

impl Backend {
    /// Sessions in Redis, through `pool`, under `ns`.
    pub fn redis(pool: Pool, ns: Namespace) -> Self {
        Backend::Redis(RedisSessions::new(pool, ns))
    }

    /// Sessions in the `sessions` table of the database behind `pool`.
    pub fn sql(pool: AnyPool) -> Self {
        Backend::Sql(SqlSessions::new(pool))
    }

    /// Deletes a record; whether it was there (a regeneration must find the session it
    /// replaces still alive).
    pub async fn take(&self, id: &Id) -> StoreResult<bool> {
        each_store!(self, store => store.take(id).await)
    }

    /// Loads many records at once (one round trip on Redis, one query per 200 on SQL).
    pub async fn load_many(&self, ids: &[Id]) -> StoreResult<Vec<Option<SessionRecord>>> {
        each_store!(self, store => store.load_many(ids).await)
    }

    /// A short name for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Redis(_) => "redis",
            Backend::Sql(_) => "sql",
        }
    }
}

#[async_trait]
impl SessionStore for Backend {
    async fn create(&self, record: &mut SessionRecord) -> StoreResult<()> {
        each_store!(self, store => store.create(record).await)
    }

    async fn save(&self, record: &SessionRecord) -> StoreResult<()> {
        each_store!(self, store => store.save(record).await)
    }

    async fn load(&self, id: &Id) -> StoreResult<Option<SessionRecord>> {
        each_store!(self, store => store.load(id).await)
    }

    async fn delete(&self, id: &Id) -> StoreResult<()> {
        each_store!(self, store => store.delete(id).await)
    }
}
