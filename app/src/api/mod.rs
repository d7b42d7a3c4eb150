//! Server functions: the stable HTTP API under `/api/` (form-encoded requests, JSON answers,
//! errors as [`ApiError`](crate::error::ApiError)).
mod account;
mod admin;
mod auth;
mod sessions;

pub use account::*;
pub use admin::*;
pub use auth::*;
pub use sessions::*;
