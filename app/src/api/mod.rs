//! Server functions: the stable HTTP API under `/api/` (form-encoded requests, JSON answers,
//! errors as [`ApiError`](crate::error::ApiError)).
mod auth;

pub use auth::*;
