//! The live sessions of each user, as the server functions see them.
use super::auth::AuthState;
use crate::model::EndReason;
use async_trait::async_trait;

/// A store failure behind the registry.
#[derive(Debug, thiserror::Error)]
#[error("session registry: {0}")]
pub struct RegistryError(pub String);

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

    /// Ends one session: deletes it, remembers why, tells every instance.
    async fn end(&self, user_id: &str, key: &str, reason: EndReason) -> Result<(), RegistryError>;

    /// Records why a session (already deleted by its own request) ended, and tells every
    /// instance.
    async fn ended(&self, user_id: &str, key: &str, reason: EndReason)
        -> Result<(), RegistryError>;

    /// Why a session ended, if it ended recently.
    async fn end_reason(&self, key: &str) -> Result<Option<EndReason>, RegistryError>;

    /// Ends every session of the user except `keep`; returns how many ended.
    async fn end_all(
        &self,
        user_id: &str,
        keep: Option<&str>,
        reason: EndReason,
    ) -> Result<usize, RegistryError> {
        let mut ended = 0;
        for key in self.sessions_of(user_id).await? {
            if Some(key.as_str()) != keep {
                self.end(user_id, &key, reason).await?;
                ended += 1;
            }
        }
        Ok(ended)
    }
}
