//! The concrete stores, chosen at start from the configuration.
use app::ssr::users::ACQUIRE_TIMEOUT;
use async_trait::async_trait;
use tower_sessions::{
    session::{Id, Record},
    session_store, SessionStore,
};
use tower_sessions_redis_store::{
    fred::prelude::{
        ClientLike, Config as RedisConfig, ConnectionConfig, PerformanceConfig, Pool,
        ReconnectPolicy,
    },
    RedisStore,
};
use tower_sessions_sqlx_store::{sqlx, PostgresStore, SqliteStore};

/// How long one Redis command may take before the request fails closed.
pub const REDIS_COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(1000);

/// Redis connections per instance unless configured (`HALLPASS_REDIS_CONNECTIONS`).
pub const DEFAULT_REDIS_CONNECTIONS: usize = 2;

/// One of the published tower-sessions stores.
#[derive(Clone, Debug)]
pub enum Backend {
    /// Redis (tower-sessions-redis-store on a fred pool): for scale and several servers.
    Redis(RedisStore<Pool>),
    /// The embedded default: a table in the SQLite database.
    Sqlite(SqliteStore),
    /// A table in PostgreSQL, when that is the database and Redis is not configured.
    Postgres(PostgresStore),
}

impl Backend {
    /// Connects a pool to Redis; fred keeps reconnecting in the background after an outage.
    ///
    /// Commands are pipelined on each connection, so a few connections carry a lot: on 2
    /// cores, 1 or 2 connections served 30 % more requests per second than 4 or 8 (fewer
    /// writes and wake-ups per command). See [`DEFAULT_REDIS_CONNECTIONS`].
    pub async fn redis_pool(url: &str, connections: usize) -> anyhow::Result<Pool> {
        let config = RedisConfig::from_url(url)?;
        // Fail fast while Redis is away: a request answers 503 within a second instead of
        // waiting for a reconnect (fred keeps reconnecting every 200 ms in the background).
        let perf = PerformanceConfig {
            default_command_timeout: REDIS_COMMAND_TIMEOUT,
            ..Default::default()
        };
        let connection = ConnectionConfig {
            connection_timeout: REDIS_COMMAND_TIMEOUT,
            max_command_attempts: 1,
            ..Default::default()
        };
        let pool = Pool::new(
            config,
            Some(perf),
            Some(connection),
            Some(ReconnectPolicy::new_constant(0, 200)),
            connections,
        )?;
        pool.init().await?;
        Ok(pool)
    }

    /// Sessions in Redis, through `pool`.
    pub fn redis(pool: Pool) -> Self {
        Backend::Redis(RedisStore::new(pool))
    }

    /// Opens the session table in the SQL database at `url`, creating it when missing.
    pub async fn sql(url: &str) -> anyhow::Result<Self> {
        // Like the user database: fail a request fast while the database is away.
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect(url)
                .await?;
            let store = PostgresStore::new(pool);
            store.migrate().await?;
            Ok(Backend::Postgres(store))
        } else {
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect(url)
                .await?;
            let store = SqliteStore::new(pool);
            store.migrate().await?;
            Ok(Backend::Sqlite(store))
        }
    }

    /// A short name for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Redis(_) => "redis",
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

macro_rules! each_store {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            Backend::Redis($store) => $call,
            Backend::Sqlite($store) => $call,
            Backend::Postgres($store) => $call,
        }
    };
}

#[async_trait]
impl SessionStore for Backend {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        each_store!(self, store => store.create(record).await)
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        each_store!(self, store => store.save(record).await)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        each_store!(self, store => store.load(id).await)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        each_store!(self, store => store.delete(id).await)
    }
}
