//! Where session records live, as a short stack of stores that each add one behaviour:
//! [`HashedIds`] (no store holds a usable id) over [`Indexed`] (per-user index of live
//! sessions) over a [`Backend`] (Redis, or the SQL database).
mod backend;
mod hashed;
mod index;
mod indexed;

pub use backend::{Backend, DEFAULT_REDIS_CONNECTIONS};
pub use hashed::HashedIds;
pub use index::{Namespace, SessionIndex, DEFAULT_HISTORY_SECS};
pub use indexed::Indexed;

/// The store the request path uses.
pub type Store = HashedIds<Indexed<Backend>>;
