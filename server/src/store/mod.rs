//! Where session records live: Redis when configured, otherwise the SQL database, always
//! behind [`HashedIds`] so no store ever holds a usable session id.
mod backend;
mod hashed;

pub use backend::Backend;
pub use hashed::{storage_key, HashedIds};

/// The store the request path uses.
pub type Store = HashedIds<Backend>;
