//! [`StoreError`]: the one error every store (the session stores, the registry, the index and
//! the throttle) maps into, keeping its source (Redis, SQL, a record that does not decode).
//!
//! Callers do not match on the source: a store failure fails closed (503, "try again"), and
//! the source is what the log line says (`context::store_unavailable`). Two variants are not
//! failures of the store: [`StoreError::Gone`] (the session ended while its request was in
//! flight: answered as any later request would be) and [`StoreError::Record`] on load (a
//! record nothing can read: admission ends it rather than refusing its browser forever).
use super::registry::SessionGone;

/// A store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Redis failed (connection, timeout, script, reply).
    #[error("redis: {0}")]
    Redis(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The SQL database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored session record could not be read (or written) in its layout.
    #[error("session record: {0}")]
    Record(String),
    /// The session was ended while this request was in flight (see [`SessionGone`]).
    #[error(transparent)]
    Gone(#[from] SessionGone),
}

impl StoreError {
    /// A Redis client's error (the server's crate knows the client; this one does not).
    pub fn redis(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Redis(Box::new(err))
    }

    /// A record that does not read (or write) as a [`crate::ssr::session::SessionRecord`].
    pub fn record(err: impl std::fmt::Display) -> Self {
        StoreError::Record(err.to_string())
    }
}

/// A store operation's result.
pub type StoreResult<T> = Result<T, StoreError>;
