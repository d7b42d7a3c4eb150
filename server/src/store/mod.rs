//! Where session records live, as a short stack of stores that each add one behaviour:
//! [`HashedIds`] (no store holds a usable id) over [`Indexed`] (per-user index of live
//! sessions) over a [`Backend`] ([`RedisSessions`], or [`SqlSessions`] in the database).
//!
//! Two rules hold in every backend, because every revocation depends on them:
//! - **Saving is update-only.** A request that loaded a session before it was ended must not
//!   write it back: `save` of a record that is gone fails with [`SessionGone`], and the
//!   session layer answers that request as it would any later one (401 with the reason).
//! - **Generations.** Each session carries its user's generation at issue; ending a user's
//!   sessions everywhere (sign-out everywhere, password change, demotion, theft) bumps it
//!   first, and `load` treats a record from an older generation as gone. A session created
//!   while its user was being signed out everywhere cannot escape the sweep.
mod backend;
mod hashed;
mod history;
mod index;
mod indexed;
mod record;
mod redis;
mod sql;

pub use crate::redis_conn::DEFAULT_REDIS_CONNECTIONS;
pub use backend::Backend;
pub use hashed::HashedIds;
pub use history::{EndedSessions, DEFAULT_HISTORY_SECS};
pub use index::SessionIndex;
pub use indexed::Indexed;
pub use record::{StoredData, StoredRecord};
pub use redis::RedisSessions;
pub use sql::SqlSessions;

use app::ssr::auth::AUTH_KEY;
pub use app::ssr::registry::SessionGone;
pub use app::ssr::store_error::{StoreError, StoreResult};
use serde::Deserialize;
use tower_sessions::session::Record;

/// An error of a client the stores use, as the [`StoreError`] it becomes.
pub trait Failure {
    /// The error, keeping its source.
    fn into_store_error(self) -> StoreError;
}

impl Failure for fred::error::Error {
    fn into_store_error(self) -> StoreError {
        StoreError::redis(self)
    }
}

impl Failure for sqlx::Error {
    fn into_store_error(self) -> StoreError {
        StoreError::Database(self)
    }
}

impl Failure for tower_sessions::session_store::Error {
    fn into_store_error(self) -> StoreError {
        StoreError::Session(self)
    }
}

/// Maps a client's error into [`StoreError`]: `.map_err(failed)` wherever a store calls
/// Redis, SQL or another store.
pub fn failed(err: impl Failure) -> StoreError {
    err.into_store_error()
}

/// The store the request path uses.
pub type Store = HashedIds<Indexed<Backend>>;

/// The part of a signed-in record the stores need: whose it is, its generation, and when it
/// was last used (for the index order).
#[derive(Debug, Deserialize)]
pub(crate) struct Owner {
    pub user_id: String,
    #[serde(default)]
    pub gen: i64,
    #[serde(default)]
    pub last_seen_ms: i64,
}

/// The owner of a signed-in record (None for a record without a signed-in user).
pub(crate) fn owner(record: &Record) -> Option<Owner> {
    Owner::deserialize(record.data.get(AUTH_KEY)?).ok()
}
