//! Server-only domain code used by the server functions: users, passwords, the authenticated
//! state kept in a session, and how a server function reaches the request.
pub mod auth;
pub mod context;
pub mod password;
pub mod users;

/// Seconds since the Unix epoch, the unit every stored time uses.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}
