//! Types that cross the wire between server functions and pages.
use serde::{Deserialize, Serialize};

/// What a user may do. Admins manage other people's sessions and the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Full access, including every admin action.
    Admin,
    /// An ordinary user who manages only their own sessions.
    User,
}

impl Role {
    /// The name stored in the database and shown in the UI.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::User => "user",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Role::Admin),
            "user" => Ok(Role::User),
            other => Err(format!("unknown role {other:?}: expected admin or user")),
        }
    }
}

/// The signed-in user as the current session sees them (`/api/me`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    /// Stable user id.
    pub user_id: String,
    /// The email the user signs in with.
    pub email: String,
    /// The role this session carries.
    pub role: Role,
    /// Unix seconds of the last password check (login or re-authentication).
    pub authenticated_at: i64,
    /// Unix seconds when this session started.
    pub session_started_at: i64,
}
