//! [`SessionRegistry`] over the indexed store: list and end sessions by storage key.
use crate::store::{Backend, EndedSessions, Indexed, SessionRecord, StoreResult};
use app::{
    model::{EndReason, SessionKey},
    ssr::{
        auth::AuthState,
        clock::Clock,
        events::{Event, EventBus},
        registry::{Gone, SessionRegistry},
    },
};
use async_trait::async_trait;
use std::sync::Arc;

/// The registry of live sessions.
#[derive(Clone, Debug)]
pub struct Registry {
    store: Indexed<Backend>,
    ended: EndedSessions,
    events: Arc<dyn EventBus>,
    clock: Clock,
    /// How long the reason a session ended is kept.
    history_secs: i64,
}

impl Registry {
    /// A registry over `store` (the indexed store, keyed by storage keys) that remembers in
    /// `ended` why sessions ended, for `history_secs`.
    pub fn new(
        store: Indexed<Backend>,
        ended: EndedSessions,
        events: Arc<dyn EventBus>,
        clock: Clock,
        history_secs: i64,
    ) -> Self {
        Self {
            store,
            ended,
            events,
            clock,
            history_secs,
        }
    }
}

fn with_auth(sessions: Vec<(SessionKey, SessionRecord)>) -> Vec<(SessionKey, AuthState)> {
    sessions
        .into_iter()
        .filter_map(|(key, record)| Some((key, record.into_auth()?)))
        .collect()
}

#[async_trait]
impl SessionRegistry for Registry {
    async fn list_user(&self, user_id: &str) -> StoreResult<Vec<(SessionKey, AuthState)>> {
        Ok(with_auth(self.store.sessions_of(user_id).await?))
    }

    async fn list_recent(
        &self,
        skip: usize,
        limit: usize,
    ) -> StoreResult<Vec<(SessionKey, AuthState)>> {
        Ok(with_auth(self.store.recent_sessions(skip, limit).await?))
    }

    async fn count_all(&self) -> StoreResult<usize> {
        self.store.index().count().await
    }

    async fn get(&self, key: &SessionKey) -> StoreResult<Option<AuthState>> {
        Ok(self
            .store
            .load_key(&key.id())
            .await?
            .and_then(SessionRecord::into_auth))
    }

    async fn count_active(&self, since: i64) -> StoreResult<i64> {
        self.store.index().count_since(since).await
    }

    async fn generation(&self, user_id: &str) -> StoreResult<i64> {
        self.store.index().generation(user_id).await
    }

    async fn bump_generation(&self, user_id: &str) -> StoreResult<i64> {
        self.store.index().bump_generation(user_id).await
    }

    async fn take(&self, user_id: &str, key: &SessionKey) -> StoreResult<bool> {
        // First, as with an end: a straggler that finds the record gone a moment later must
        // know it was replaced, not redeem a remember-me token instead. When an end is
        // recorded already, the session is being ended: it is not taken over by a new id.
        let marked = self
            .ended
            .record_end(
                key,
                user_id,
                Gone::Regenerated,
                self.clock.now(),
                self.history_secs,
            )
            .await?;
        if !marked {
            return Ok(false);
        }
        self.store.take(&key.id()).await
    }

    async fn record_end(
        &self,
        user_id: &str,
        key: &SessionKey,
        reason: EndReason,
    ) -> StoreResult<()> {
        self.ended
            .record_end(
                key,
                user_id,
                Gone::Ended(reason),
                self.clock.now(),
                self.history_secs,
            )
            .await
            .map(|_| ())
    }

    async fn end(&self, user_id: &str, key: &SessionKey, reason: EndReason) -> StoreResult<bool> {
        // The reason first: a request that finds the record gone a moment later must already
        // learn that it was ended (and not, say, redeem a remember-me token instead).
        self.record_end(user_id, key, reason).await?;
        let live = self.store.take_of(&key.id(), Some(user_id)).await?;
        self.events.publish(Event::SessionEnded {
            user_id: user_id.to_owned(),
            key: key.clone(),
            reason,
        });
        Ok(live)
    }

    async fn indexed_keys(&self, user_id: &str) -> StoreResult<Vec<SessionKey>> {
        self.store.index().keys_of(user_id).await
    }

    async fn why_gone(&self, key: &SessionKey) -> StoreResult<Option<Gone>> {
        self.ended.why_gone(key, self.clock.now()).await
    }
}
