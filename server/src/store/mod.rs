//! Where session records live, as a short stack of [`SessionStore`]s that each add one behaviour:
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
#[cfg(test)]
mod layout;
mod redis;
mod sql;

pub use crate::redis_conn::DEFAULT_REDIS_CONNECTIONS;
pub use backend::Backend;
pub use hashed::HashedIds;
pub use history::{EndedSessions, DEFAULT_HISTORY_SECS};
pub use index::SessionIndex;
pub use indexed::Indexed;
pub use redis::RedisSessions;
pub use sql::SqlSessions;

pub use app::ssr::registry::SessionGone;
pub use app::ssr::session::{SessionRecord, SessionStore};
pub use app::ssr::store_error::{StoreError, StoreResult};

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

/// Maps a client's error into [`StoreError`]: `.map_err(failed)` wherever a store calls
/// Redis, SQL or another store.
pub fn failed(err: impl Failure) -> StoreError {
    err.into_store_error()
}

/// A stored record as a listing reads it: typed; else generically (a state that is not an
/// [`app::ssr::auth::AuthState`] lists as holding none); else, when nothing can read it, as
/// gone (logged), so that one damaged record cannot make a user's or everyone's listing, and
/// with it every sign-in of that user, fail. The request carrying its cookie ends it.
pub(crate) fn listed<E: std::fmt::Display>(
    typed: Result<SessionRecord, E>,
    generic: impl FnOnce() -> Result<tower_sessions::session::Record, E>,
) -> Option<SessionRecord> {
    match typed.or_else(|_| generic().map(SessionRecord::from)) {
        Ok(record) => Some(record),
        Err(err) => {
            tracing::warn!(%err, "an unreadable session record, listed as gone");
            None
        }
    }
}

/// The store the request path uses.
pub type Store = HashedIds<Indexed<Backend>>;
