//! [`SessionRegistry`] over the indexed store: list and end a user's sessions by key.
use crate::store::{Backend, Indexed};
use app::{
    model::EndReason,
    ssr::{
        clock::Clock,
        events::{Event, EventBus},
        registry::{RegistryError, SessionRegistry},
    },
};
use async_trait::async_trait;
use std::sync::Arc;
use tower_sessions::{session::Id, SessionStore};

/// The registry of live sessions.
#[derive(Clone, Debug)]
pub struct Registry {
    store: Indexed<Backend>,
    events: Arc<dyn EventBus>,
    clock: Clock,
}

impl Registry {
    /// A registry over `store` (the indexed store, keyed by storage keys).
    pub fn new(store: Indexed<Backend>, events: Arc<dyn EventBus>, clock: Clock) -> Self {
        Self {
            store,
            events,
            clock,
        }
    }
}

fn failed(err: impl std::fmt::Display) -> RegistryError {
    RegistryError(err.to_string())
}

#[async_trait]
impl SessionRegistry for Registry {
    async fn sessions_of(&self, user_id: &str) -> Result<Vec<String>, RegistryError> {
        Ok(self
            .store
            .sessions_of(user_id)
            .await
            .map_err(failed)?
            .into_iter()
            .map(|(id, _)| id.to_string())
            .collect())
    }

    async fn end(&self, user_id: &str, key: &str, reason: EndReason) -> Result<(), RegistryError> {
        let id: Id = key.parse().map_err(failed)?;
        self.store.delete(&id).await.map_err(failed)?;
        self.ended(user_id, key, reason).await
    }

    async fn ended(
        &self,
        user_id: &str,
        key: &str,
        reason: EndReason,
    ) -> Result<(), RegistryError> {
        self.store
            .index()
            .record_end(key, user_id, reason, self.clock.now())
            .await
            .map_err(failed)?;
        self.events.publish(Event::SessionEnded {
            user_id: user_id.to_owned(),
            key: key.to_owned(),
            reason,
        });
        Ok(())
    }

    async fn end_reason(&self, key: &str) -> Result<Option<EndReason>, RegistryError> {
        self.store.index().end_reason(key).await.map_err(failed)
    }
}
