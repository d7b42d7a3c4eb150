//! What a session knows about its signed-in user, and the client it was issued to.
use super::users::User;
use crate::{
    model::{AuthMethod, CurrentUser, Role},
    policy::{Deadlines, Policy},
};
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
    /// Unix seconds of the last request (written back at most every
    /// [`Policy::touch_interval_ms`]).
    pub last_seen: i64,
    /// Client address at sign-in.
    pub ip: String,
    /// Client User-Agent at sign-in.
    pub user_agent: String,
    /// Hash of IP + User-Agent the session is bound to.
    pub fingerprint: String,
    /// Started from a remember-me token: no password was entered in this session yet.
    pub remembered: bool,
    /// Unix milliseconds of the last request written back (what the idle rule and the
    /// least-recently-used order go by; `last_seen` is the same in seconds, for display).
    #[serde(default)]
    pub last_seen_ms: i64,
    /// The user's session generation when this session was issued: once the user's
    /// generation moves on (sign-out everywhere, password change, demotion), it is over.
    #[serde(default)]
    pub gen: i64,
    /// The selector of the remember-me token this browser holds for this session, if any: a
    /// sign-out or revocation of the session revokes that token too.
    #[serde(default)]
    pub remember: Option<String>,
    /// How the user last proved who they are (at `authenticated_at`); see [`Self::method`].
    #[serde(default)]
    pub method: AuthMethod,
}

impl AuthState {
    /// A new session's state for `user` signing in from `client` by `method` at `now_ms`,
    /// under the user's generation `gen`.
    pub fn start(
        user: &User,
        client: &ClientInfo,
        now_ms: i64,
        method: AuthMethod,
        gen: i64,
    ) -> Self {
        let now = now_ms.div_euclid(1000);
        let remembered = method == AuthMethod::Remember;
        Self {
            user_id: user.id.clone(),
            email: user.email.clone(),
            role: user.role,
            authenticated_at: if remembered { 0 } else { now },
            created_at: now,
            last_seen: now,
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            fingerprint: client.fingerprint(),
            remembered,
            last_seen_ms: now_ms,
            gen,
            remember: None,
            method,
        }
    }

    /// How the user last proved who they are in this session (a session restored from a
    /// remember-me token says so until a re-authentication).
    pub fn method(&self) -> AuthMethod {
        if self.remembered {
            AuthMethod::Remember
        } else {
            self.method
        }
    }

    /// When this session was last used, in milliseconds (older records kept only seconds).
    pub fn last_used_ms(&self) -> i64 {
        self.last_seen_ms.max(self.last_seen.saturating_mul(1000))
    }

    /// When this session ends under `policy` (see [`Policy::deadlines`]).
    pub fn deadlines(&self, policy: &Policy) -> Deadlines {
        policy.deadlines(self.created_at, self.last_used_ms())
    }

    /// Whether the policy's clock has run out on this session at `now_ms`, and which one
    /// (see [`Deadlines::ended`]): what the guard asks on every request, the live stream
    /// between events and the dry run for every session.
    pub fn timed_out(&self, policy: &Policy, now_ms: i64) -> Option<crate::model::EndReason> {
        self.deadlines(policy).ended(now_ms)
    }

    /// Records a request at `now_ms`.
    pub fn touch(&mut self, now_ms: i64) {
        self.last_seen_ms = now_ms;
        self.last_seen = now_ms.div_euclid(1000);
    }

    /// Whether the user proved who they are recently enough, by a factor the policy accepts,
    /// for a sensitive action (`admin`: an admin action). See [`Policy::is_fresh`].
    pub fn is_fresh(&self, policy: &Policy, now: i64, admin: bool) -> bool {
        policy.is_fresh(self.method(), self.authenticated_at, now, admin)
    }

    /// What `/api/me` shows of this session under `policy` at `now`.
    pub fn me(&self, policy: &Policy, now: i64) -> CurrentUser {
        let deadlines = self.deadlines(policy);
        CurrentUser {
            user_id: self.user_id.clone(),
            email: self.email.clone(),
            role: self.role,
            authenticated_at: self.authenticated_at,
            session_started_at: self.created_at,
            idle_expires_at: deadlines.idle_at(),
            absolute_expires_at: deadlines.absolute_at(),
            server_now: now,
            remembered: self.remembered,
            auth_method: self.method(),
        }
    }
}

/// The signed-in user of the current request, put in the request extensions by the server's
/// session guard once the session has been loaded and checked.
#[derive(Clone, Debug)]
pub struct Principal(pub AuthState);

/// Put in the request extensions by the guard when the request's session has just ended (or
/// had ended): server functions that need a session answer 401 with this reason.
#[derive(Clone, Copy, Debug)]
pub struct SessionEnded(pub crate::model::EndReason);

/// The client behind the current request, as the server determined it.
#[derive(Clone, Debug, Default)]
pub struct ClientInfo {
    /// Client IP address.
    pub ip: String,
    /// The `User-Agent` header, truncated to a sane length.
    pub user_agent: String,
}

impl ClientInfo {
    /// What guessing is counted by: the address for IPv4, its /64 network for IPv6 (one
    /// client usually holds a whole /64 and could otherwise walk through its addresses).
    pub fn throttle_address(&self) -> String {
        match self.ip.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V6(v6)) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
            _ => self.ip.clone(),
        }
    }

    /// The binding fingerprint: SHA-256 of IP and User-Agent (128 bits, hex).
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.ip.as_bytes());
        hasher.update([0]);
        hasher.update(self.user_agent.as_bytes());
        hex::encode(&hasher.finalize()[..16])
    }
}

#[cfg(test)]
mod tests {
    use super::ClientInfo;

    #[test]
    fn ipv6_clients_are_counted_per_64() {
        let client = |ip: &str| ClientInfo {
            ip: ip.into(),
            user_agent: String::new(),
        };
        assert_eq!(
            client("2001:db8:1:2::7").throttle_address(),
            client("2001:db8:1:2:ffff::1").throttle_address()
        );
        assert_ne!(
            client("2001:db8:1:2::7").throttle_address(),
            client("2001:db8:1:3::7").throttle_address()
        );
        assert_eq!(client("203.0.113.9").throttle_address(), "203.0.113.9");
    }
}
