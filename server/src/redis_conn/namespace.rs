//! Every Redis key and channel Hallpass writes, under one prefix.

/// The prefix of every Redis key and channel Hallpass owns (session records, indexes,
/// generations, ended sessions, throttles, events), so
/// several deployments (or test servers) can share one Redis.
#[derive(Clone, Debug)]
pub struct Namespace(pub std::sync::Arc<str>);

impl Namespace {
    pub(crate) fn user_set(&self, user_id: &str) -> String {
        format!("{}:user:{user_id}", self.0)
    }

    pub(crate) fn live_set(&self) -> String {
        format!("{}:live", self.0)
    }

    pub(crate) fn ended_key(&self, key: &str) -> String {
        format!("{}:ended:{key}", self.0)
    }

    /// The failure counter for a throttle key (hashed: no emails or addresses in key names).
    pub fn throttle_key(&self, key: &str) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(key.as_bytes());
        format!("{}:throttle:{}", self.0, hex::encode(&digest[..16]))
    }

    /// A session record (`key` is the storage key, the hash of the cookie's id).
    pub fn session_key(&self, key: &tower_sessions::session::Id) -> String {
        format!("{}:session:{key}", self.0)
    }

    /// A user's session generation: sessions issued under an older one are over.
    pub fn generation_key(&self, user_id: &str) -> String {
        format!("{}{user_id}", self.generation_prefix())
    }

    /// What [`Namespace::generation_key`] puts before the user id.
    pub fn generation_prefix(&self) -> String {
        format!("{}:gen:", self.0)
    }

    /// The pub/sub channel for events.
    pub fn channel(&self) -> String {
        format!("{}:events", self.0)
    }
}
