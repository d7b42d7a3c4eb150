//! [`StoreError`]: the one error every store behind the session registry, the index and the
//! throttle maps into, keeping its source (Redis, SQL, a record that does not decode), the way
//! tower-sessions has each of its stores map into `session_store::Error`.
//!
//! Callers never match on the source: any store failure fails closed (503, "try again"),
//! and the source is what the log line says (`context::store_unavailable`).

/// A store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Redis failed (connection, timeout, script, reply).
    #[error("redis: {0}")]
    Redis(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The SQL database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A session store (through tower-sessions' interface) failed.
    #[error("session store: {0}")]
    Session(#[from] tower_sessions::session_store::Error),
}

impl StoreError {
    /// A Redis client's error (the server's crate knows the client; this one does not).
    pub fn redis(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Redis(Box::new(err))
    }
}

/// A store operation's result.
pub type StoreResult<T> = Result<T, StoreError>;
