//! [`SessionKey`]: the name a session is stored, indexed, listed, audited and revoked under.
//!
//! A browser's cookie carries the session *id*; the server never stores or shows that. What
//! it stores is the **key**: SHA-256 of the id, cut to the 128 bits an id has, written the
//! way tower-sessions writes an id. A key cannot be turned back into a cookie, so a leaked
//! database, log line or dashboard row does not sign anyone in. The two are different types
//! so they cannot be swapped by mistake: ids are `tower_sessions::session::Id`, keys are
//! this.
use serde::{Deserialize, Serialize};

/// A session's storage key (the hash of its id). The dashboards call it the session's
/// *handle* and send it back to revoke the session.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionKey(String);

impl SessionKey {
    /// The key as written in stores and on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A short, non-reversible tag for logs and audit rows: the key's first 12 characters.
    pub fn tag(&self) -> String {
        self.0.chars().take(12).collect()
    }
}

impl std::fmt::Display for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for SessionKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Text that is not a session key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotAKey;

#[cfg(feature = "ssr")]
mod server {
    use super::{NotAKey, SessionKey};
    use sha2::{Digest, Sha256};
    use tower_sessions::session::Id;

    /// The id a session whose cookie carries `id` is stored under: SHA-256(id) truncated to
    /// 128 bits.
    pub fn storage_id(id: &Id) -> Id {
        let digest = Sha256::digest(id.0.to_le_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        Id(i128::from_le_bytes(bytes))
    }

    impl SessionKey {
        /// The key of the session whose cookie carries `id`.
        pub fn of(id: &Id) -> Self {
            Self::stored(&storage_id(id))
        }

        /// The key of a record a store holds under `stored` (an id already hashed).
        pub fn stored(stored: &Id) -> Self {
            Self(stored.to_string())
        }

        /// The stored id this key names (what the stores load and delete by).
        pub fn id(&self) -> Id {
            // Every key was made from an id or checked by `FromStr`.
            self.0.parse().unwrap_or(Id(0))
        }

        /// A handle a dashboard sent back: 400 unless it is a session key.
        pub fn from_handle(handle: &str) -> Result<Self, crate::error::ApiError> {
            handle.parse().map_err(|NotAKey| {
                crate::error::ApiError::bad_request("That is not a session handle.")
            })
        }
    }

    impl std::str::FromStr for SessionKey {
        type Err = NotAKey;

        fn from_str(s: &str) -> Result<Self, Self::Err> {
            s.parse::<Id>()
                .map(|id| Self::stored(&id))
                .map_err(|_| NotAKey)
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_key_is_the_hash_of_the_id_and_round_trips() {
            let id = Id(0x1234_5678_9abc_def0_1122_3344_5566_7788);
            let key = SessionKey::of(&id);
            assert_ne!(key.as_str(), id.to_string(), "never the cookie value");
            assert_eq!(key.id(), storage_id(&id));
            assert_eq!(key.as_str().parse::<SessionKey>(), Ok(key.clone()));
            assert_eq!(key.tag().len(), 12);
            assert!("not a key".parse::<SessionKey>().is_err());
            assert!(SessionKey::from_handle("../etc").is_err());
        }
    }
}

#[cfg(feature = "ssr")]
pub use server::storage_id;
