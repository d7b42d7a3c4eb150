//! The live sessions of each user, as the server functions see them.
use super::auth::AuthState;
use crate::model::EndReason;
use async_trait::async_trait;

/// A store failure behind the registry.
#[derive(Debug, thiserror::Error)]
#[error("session registry: {0}")]
pub struct RegistryError(pub String);

/// A session that was ended (deleted, or outdated by its user's generation) while a request
/// that had loaded it was in flight: the stores' update-only `save` fails with it. It travels
/// through tower-sessions as a backend error with this exact text; [`SessionGone::is`]
/// recognises it.
#[derive(Clone, Copy, Debug, thiserror::Error)]
#[error("the session ended while this request was in flight")]
pub struct SessionGone;

impl SessionGone {
    /// Whether a session error is this one.
    pub fn is(err: &tower_sessions::session::Error) -> bool {
        matches!(
            err,
            tower_sessions::session::Error::Store(tower_sessions::session_store::Error::Backend(text))
                if *text == SessionGone.to_string()
        )
    }
}

impl From<SessionGone> for tower_sessions::session_store::Error {
    fn from(gone: SessionGone) -> Self {
        tower_sessions::session_store::Error::Backend(gone.to_string())
    }
}

/// Lists and ends sessions by user, without scanning the store. Sessions are named by their
/// storage key (the hash of the id), never by the cookie value.
#[async_trait]
pub trait SessionRegistry: Send + Sync + std::fmt::Debug {
    /// The user's live sessions (storage key and state), least recently used first.
    async fn list_user(&self, user_id: &str) -> Result<Vec<(String, AuthState)>, RegistryError>;

    /// The most recently active live sessions of everyone, at most `limit`.
    async fn list_all(&self, limit: usize) -> Result<Vec<(String, AuthState)>, RegistryError>;

    /// One session's state, if it is live.
    async fn get(&self, key: &str) -> Result<Option<AuthState>, RegistryError>;

    /// How many sessions were active at or after `since` (Unix seconds).
    async fn count_active(&self, since: i64) -> Result<i64, RegistryError>;

    /// Storage keys of the user's live sessions, least recently used first.
    async fn sessions_of(&self, user_id: &str) -> Result<Vec<String>, RegistryError> {
        Ok(self
            .list_user(user_id)
            .await?
            .into_iter()
            .map(|(key, _)| key)
            .collect())
    }

    /// The user's session generation: sessions issued under an older one are over.
    async fn generation(&self, user_id: &str) -> Result<i64, RegistryError>;

    /// Moves the user's generation on (every session issued before is over from its next
    /// request, on every instance); returns the new one.
    async fn bump_generation(&self, user_id: &str) -> Result<i64, RegistryError>;

    /// Deletes a session without recording an end (it is being replaced by a regenerated
    /// id); whether it was still there.
    async fn take(&self, key: &str) -> Result<bool, RegistryError>;

    /// Every storage key indexed under the user, live or not (a session outdated by its
    /// generation still has its key here, so a sweep can record why it ended).
    async fn indexed_keys(&self, user_id: &str) -> Result<Vec<String>, RegistryError>;

    /// Ends one session: remembers why (first, so a request that finds it gone knows), deletes
    /// it, tells every instance. Whether it was still stored.
    async fn end(&self, user_id: &str, key: &str, reason: EndReason)
        -> Result<bool, RegistryError>;

    /// Why a session ended, if it ended recently.
    async fn end_reason(&self, key: &str) -> Result<Option<EndReason>, RegistryError>;

    /// Ends every session of the user except `keep` (every key in the user's index, so a
    /// session outdated by its generation is recorded as ended too); returns how many were
    /// still stored.
    async fn end_all(
        &self,
        user_id: &str,
        keep: Option<&str>,
        reason: EndReason,
    ) -> Result<usize, RegistryError> {
        let mut ended = 0;
        for key in self.indexed_keys(user_id).await? {
            if Some(key.as_str()) != keep && self.end(user_id, &key, reason).await? {
                ended += 1;
            }
        }
        Ok(ended)
    }
}
