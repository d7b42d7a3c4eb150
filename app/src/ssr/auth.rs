//! What a session knows about its signed-in user, and the client it was issued to.
use crate::model::{CurrentUser, Role};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The session key under which [`AuthState`] is stored.
pub const AUTH_KEY: &str = "auth";

/// The authenticated part of a session record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthState {
    /// The user this session belongs to.
    pub user_id: String,
    /// The user's email at sign-in.
    pub email: String,
    /// The role granted to this session.
    pub role: Role,
    /// Unix seconds of the last password check.
    pub authenticated_at: i64,
    /// Unix seconds when the session started.
    pub created_at: i64,
    /// Client address at sign-in.
    pub ip: String,
    /// Client User-Agent at sign-in.
    pub user_agent: String,
    /// Whether "remember me" was asked for.
    pub remember: bool,
}

impl AuthState {
    /// What `/api/me` shows of this session.
    pub fn me(&self) -> CurrentUser {
        CurrentUser {
            user_id: self.user_id.clone(),
            email: self.email.clone(),
            role: self.role,
            authenticated_at: self.authenticated_at,
            session_started_at: self.created_at,
        }
    }
}

/// The signed-in user of the current request, put in the request extensions by the server's
/// session guard once the session has been loaded and checked.
#[derive(Clone, Debug)]
pub struct Principal(pub AuthState);

/// The client behind the current request, as the server determined it.
#[derive(Clone, Debug, Default)]
pub struct ClientInfo {
    /// Client IP address.
    pub ip: String,
    /// The `User-Agent` header, truncated to a sane length.
    pub user_agent: String,
}

/// A short, non-reversible tag for a session id: what logs and audit records carry instead of
/// the id itself.
pub fn session_tag(id: &impl std::fmt::Display) -> String {
    let digest = Sha256::digest(id.to_string().as_bytes());
    hex::encode(&digest[..6])
}
