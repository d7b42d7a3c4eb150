//! The request's session: loaded from the store the first time it is asked for, changed by
//! the request, written back once when the answer goes out (by the server's session layer).
//!
//! This is tower-sessions' `Session` narrowed to what Hallpass keeps in a session, so that the
//! request path never goes through `serde_json::Value`: a session holds one typed
//! [`SessionRecord`] whose only content is the signed-in [`AuthState`], if any.
//!
//! ```text
//! cookie id ──▶ Session::new ──(first auth())──▶ SessionStore::load ──▶ SessionRecord
//!                    │ set_auth / cycle_id / flush change it (is_modified)
//!                    ▼
//!           the layer, after the handler: save (or create under a new id), or delete
//! ```
//!
//! - [`Session::id`] is the id the browser sent until a load finds no live record under it
//!   (then `None`: a later save creates a record under a fresh id), and the new id once one
//!   was created.
//! - [`Session::cycle_id`] deletes the old record at once and gives the next save a new id
//!   (regeneration on sign-in, re-authentication and privilege changes).
//! - [`Session::flush`] deletes the record and forgets the id (sign-out, any end).
mod record;
mod store;

pub use record::{SessionData, SessionRecord};
pub use store::SessionStore;

use super::{auth::AuthState, store_error::StoreResult};
use crate::model::SessionKey;
use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc, Mutex, PoisonError,
};
use time::{Duration, OffsetDateTime};
use tokio::sync::{MappedMutexGuard, MutexGuard};
use tower_sessions::session::Id;

/// One request's session (cheap to clone: clones share it).
#[derive(Clone, Debug)]
pub struct Session {
    store: Arc<dyn SessionStore>,
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The id the record lives under, if it is known to.
    id: Mutex<Option<Id>>,
    /// The record, once loaded (`None` until the first access).
    record: tokio::sync::Mutex<Option<SessionRecord>>,
    /// How long a new or rewritten record lives in the store unless [`Session::set_auth`]
    /// says when.
    lifetime: Duration,
    modified: AtomicBool,
}

impl Session {
    /// The session named by the cookie's `id` (if any) in `store`; nothing is loaded yet.
    /// A record without a deadline of its own lives `lifetime` from its last write.
    pub fn new(id: Option<Id>, store: Arc<dyn SessionStore>, lifetime: Duration) -> Self {
        Self {
            store,
            inner: Arc::new(Inner {
                id: Mutex::new(id),
                record: tokio::sync::Mutex::new(None),
                lifetime,
                modified: AtomicBool::new(false),
            }),
        }
    }

    /// The session's id: the cookie's until a load finds no record under it, a new one once
    /// a record was created.
    pub fn id(&self) -> Option<Id> {
        *self.id_slot()
    }

    /// The session's storage key (what it is indexed, listed and audited under).
    pub fn key(&self) -> Option<SessionKey> {
        self.id().map(|id| SessionKey::of(&id))
    }

    /// The signed-in state, loading the record first if needed. A record that does not read
    /// fails with [`crate::ssr::store_error::StoreError::Record`].
    pub async fn auth(&self) -> StoreResult<Option<AuthState>> {
        Ok(self.record().await?.auth().cloned())
    }

    /// Sets the signed-in state, and when (Unix seconds) the store lets the record go.
    pub async fn set_auth(&self, auth: &AuthState, until: i64) -> StoreResult<()> {
        let mut record = self.record().await?;
        record.data.auth = Some(auth.clone());
        record.expiry_date = OffsetDateTime::from_unix_timestamp(until)
            .unwrap_or_else(|_| expiry_after(self.inner.lifetime));
        self.mark_modified();
        Ok(())
    }

    /// Whether the request changed the session (the layer then writes or deletes it).
    pub fn is_modified(&self) -> bool {
        self.inner.modified.load(Ordering::Acquire)
    }

    /// Whether there is nothing to keep: no id and no signed-in state.
    pub async fn is_empty(&self) -> bool {
        let record = self.inner.record.lock().await;
        self.id().is_none() && record.as_ref().is_none_or(|r| r.auth().is_none())
    }

    /// Writes the record back: under its id, or as a new record (under a fresh id, which
    /// [`Session::id`] then gives) when it has none. Fails with
    /// [`crate::ssr::store_error::StoreError::Gone`] when the record went away meanwhile.
    pub async fn save(&self) -> StoreResult<()> {
        let mut record = self.record().await?;
        if record.auth().is_none() {
            record.expiry_date = expiry_after(self.inner.lifetime);
        }
        let id = self.id();
        match id {
            Some(id) => {
                record.id = id;
                self.store.save(&record).await
            }
            None => {
                self.store.create(&mut record).await?;
                *self.id_slot() = Some(record.id);
                Ok(())
            }
        }
    }

    /// Deletes the record under the session's id from the store (the session keeps its state).
    pub async fn delete(&self) -> StoreResult<()> {
        match self.id() {
            Some(id) => self.store.delete(&id).await,
            None => Ok(()),
        }
    }

    /// Ends the session: its state is dropped, its record deleted, its id forgotten.
    pub async fn flush(&self) -> StoreResult<()> {
        {
            let mut record = self.inner.record.lock().await;
            *record = Some(SessionRecord::new(expiry_after(self.inner.lifetime)));
        }
        self.mark_modified();
        self.delete().await?;
        *self.id_slot() = None;
        Ok(())
    }

    /// Gives the session a new id: the record under the old one is deleted now, and the next
    /// save creates the record under a fresh id.
    pub async fn cycle_id(&self) -> StoreResult<()> {
        let mut record = self.record().await?;
        let old = self.id_slot().take();
        record.id = Id::default();
        self.mark_modified();
        if let Some(old) = old {
            self.store.delete(&old).await?;
        }
        Ok(())
    }

    /// The record, loaded on first access. A cookie whose record is gone (or outdated) loses
    /// its id, so that a later save creates a record rather than reviving the old one.
    async fn record(&self) -> StoreResult<MappedMutexGuard<'_, SessionRecord>> {
        let mut guard = self.inner.record.lock().await;
        if guard.is_none() {
            let id = self.id();
            let loaded = match id {
                Some(id) => self.store.load(&id).await?,
                None => None,
            };
            if loaded.is_none() && id.is_some() {
                tracing::warn!("possibly suspicious activity: record not found in store");
                *self.id_slot() = None;
            }
            *guard = loaded;
        }
        // No record (none sent, or none found): a fresh one, which only a save stores.
        let lifetime = self.inner.lifetime;
        Ok(MutexGuard::map(guard, |record| {
            record.get_or_insert_with(|| SessionRecord::new(expiry_after(lifetime)))
        }))
    }

    fn mark_modified(&self) {
        self.inner.modified.store(true, Ordering::Release);
    }

    fn id_slot(&self) -> std::sync::MutexGuard<'_, Option<Id>> {
        // The slot holds a plain `Copy` value: a panic elsewhere cannot leave it half-written.
        self.inner.id.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn expiry_after(lifetime: Duration) -> OffsetDateTime {
    OffsetDateTime::now_utc().saturating_add(lifetime)
}
