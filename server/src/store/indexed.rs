//! A store that keeps the per-user [`SessionIndex`] in step with the records it saves and
//! deletes.
use super::SessionIndex;
use app::ssr::{
    auth::{AuthState, AUTH_KEY},
    events::{Event, EventBus},
};
use async_trait::async_trait;
use std::sync::Arc;
use tower_sessions::{
    session::{Id, Record},
    session_store, SessionStore,
};

/// Wraps a store; every signed-in record it saves is indexed under its user, and removed
/// from the index when deleted. The index is written first on save and last on delete, so a
/// failure can leave a stale index entry (pruned when listed), never an unindexed session.
#[derive(Clone, Debug)]
pub struct Indexed<S> {
    inner: S,
    index: SessionIndex,
    events: Arc<dyn EventBus>,
}

fn owner(record: &Record) -> Option<(String, i64)> {
    let auth: AuthState = serde_json::from_value(record.data.get(AUTH_KEY)?.clone()).ok()?;
    Some((auth.user_id, auth.last_seen))
}

fn backend(err: String) -> session_store::Error {
    session_store::Error::Backend(err)
}

impl<S: SessionStore> Indexed<S> {
    /// Wraps `inner`, indexing into `index` and announcing new signed-in sessions on `events`
    /// once they are stored (so a listing that reacts to the event finds them).
    pub fn new(inner: S, index: SessionIndex, events: Arc<dyn EventBus>) -> Self {
        Self {
            inner,
            index,
            events,
        }
    }

    /// The index.
    pub fn index(&self) -> &SessionIndex {
        &self.index
    }

    /// The user's live sessions, least recently active first, as (key, record); stale index
    /// entries (records the store already expired) are pruned on the way.
    pub async fn sessions_of(&self, user_id: &str) -> session_store::Result<Vec<(Id, Record)>> {
        let mut live = Vec::new();
        for key in self.index.keys_of(user_id).await.map_err(backend)? {
            let Ok(id) = key.parse::<Id>() else { continue };
            match self.inner.load(&id).await? {
                Some(record) => live.push((id, record)),
                None => self.index.remove(&key, user_id).await.map_err(backend)?,
            }
        }
        Ok(live)
    }

    /// The most recently active live sessions of everyone, newest first; stale global index
    /// entries are pruned on the way.
    pub async fn recent_sessions(&self, limit: usize) -> session_store::Result<Vec<(Id, Record)>> {
        let mut live = Vec::new();
        for key in self.index.recent_keys(limit).await.map_err(backend)? {
            let Ok(id) = key.parse::<Id>() else { continue };
            match self.inner.load(&id).await? {
                Some(record) => live.push((id, record)),
                None => self.index.forget(&key).await.map_err(backend)?,
            }
        }
        Ok(live)
    }

    /// One record by storage key.
    pub async fn load_key(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.inner.load(id).await
    }
}

#[async_trait]
impl<S: SessionStore + Clone> SessionStore for Indexed<S> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.inner.create(record).await?;
        if let Some((user, seen)) = owner(record) {
            if let Err(err) = self.index.add(&record.id.to_string(), &user, seen).await {
                self.inner.delete(&record.id).await.ok();
                return Err(backend(err));
            }
            self.events.publish(Event::SessionStarted { user_id: user });
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        if let Some((user, seen)) = owner(record) {
            self.index
                .add(&record.id.to_string(), &user, seen)
                .await
                .map_err(backend)?;
        }
        self.inner.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.inner.load(id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let owner = self.inner.load(id).await?.as_ref().and_then(owner);
        self.inner.delete(id).await?;
        if let Some((user, _)) = owner {
            self.index
                .remove(&id.to_string(), &user)
                .await
                .map_err(backend)?;
        }
        Ok(())
    }
}
