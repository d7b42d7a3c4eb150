//! A store that keeps the per-user [`SessionIndex`] in step with the records it saves and
//! deletes.
use super::{Backend, SessionIndex, SessionRecord, SessionStore, StoreError, StoreResult};
use app::{
    model::SessionKey,
    ssr::events::{Event, EventBus},
};
use async_trait::async_trait;
use futures::{stream, StreamExt, TryStreamExt};
use std::sync::Arc;
use tower_sessions::session::Id;

/// How many records a listing loads per round trip.
const LOAD_BATCH: usize = 1000;

/// How many of those round trips a long listing (the policy dry run) keeps in flight.
const BATCHES_IN_FLIGHT: usize = 4;

/// Wraps a store; every signed-in record it saves is indexed under its user, and removed
/// from the index when deleted. A new record is indexed right after it is stored (and
/// removed again if that fails), an updated one only once the update went through and only
/// where its entry still is (a session ended meanwhile gets no entry back), and a deleted one
/// is unindexed last:
/// a failure can leave a stale index entry (pruned when listed), never an unindexed session.
#[derive(Clone, Debug)]
pub struct Indexed<S> {
    inner: S,
    index: SessionIndex,
    events: Arc<dyn EventBus>,
}

impl Indexed<Backend> {
    /// Wraps `inner`, indexing into `index` and announcing new signed-in sessions on `events`
    /// once they are stored (so a listing that reacts to the event finds them).
    pub fn new(inner: Backend, index: SessionIndex, events: Arc<dyn EventBus>) -> Self {
        Self {
            inner,
            index,
            events,
        }
    }

    /// The backend holding the records.
    pub fn backend(&self) -> &Backend {
        &self.inner
    }

    /// The index.
    pub fn index(&self) -> &SessionIndex {
        &self.index
    }

    /// The user's live sessions, least recently active first, as (key, record); stale index
    /// entries (records the store already expired) are pruned on the way.
    pub async fn sessions_of(
        &self,
        user_id: &str,
    ) -> StoreResult<Vec<(SessionKey, SessionRecord)>> {
        let keys = self.index.keys_of(user_id).await?;
        let mut live = Vec::new();
        for (key, record) in self.load_keys(keys).await? {
            match record {
                Some(record) => live.push((key, record)),
                None => self.index.remove(&key, user_id).await?,
            }
        }
        Ok(live)
    }

    /// Everyone's live sessions, most recently active first, `limit` of them after the first
    /// `skip` index entries; stale global index entries are pruned on the way.
    pub async fn recent_sessions(
        &self,
        skip: usize,
        limit: usize,
    ) -> StoreResult<Vec<(SessionKey, SessionRecord)>> {
        // A stale entry is dropped from the index as it is found, so the entries after it
        // move up: read on from where the live ones end until the page is full or the index
        // runs out (paging on would otherwise skip as many live sessions as were pruned).
        let mut live = Vec::new();
        loop {
            let want = limit - live.len();
            let keys = self
                .index
                .recent_keys(skip.saturating_add(live.len()), want)
                .await?;
            let read = keys.len();
            let mut pruned = 0;
            for (key, record) in self.load_keys(keys).await? {
                match record {
                    Some(record) => live.push((key, record)),
                    None => {
                        self.index.forget(&key).await?;
                        pruned += 1;
                    }
                }
            }
            if pruned == 0 || read < want {
                return Ok(live);
            }
        }
    }

    /// Loads the records of index keys in batches (one round trip per [`LOAD_BATCH`] on
    /// Redis), [`BATCHES_IN_FLIGHT`] at a time so that decoding one batch overlaps the store's
    /// work on the next, keeping their order.
    async fn load_keys(
        &self,
        keys: Vec<SessionKey>,
    ) -> StoreResult<Vec<(SessionKey, Option<SessionRecord>)>> {
        let batches: Vec<Vec<Option<SessionRecord>>> = stream::iter(
            keys.chunks(LOAD_BATCH)
                .map(|chunk| chunk.iter().map(SessionKey::id).collect::<Vec<Id>>())
                .collect::<Vec<_>>(),
        )
        .map(|ids| async move { self.inner.load_many(&ids).await })
        .buffered(BATCHES_IN_FLIGHT)
        .try_collect()
        .await?;
        Ok(keys
            .into_iter()
            .zip(batches.into_iter().flatten())
            .collect())
    }

    /// Deletes a record and its index entries; whether the record was there.
    pub async fn take(&self, id: &Id) -> StoreResult<bool> {
        let owner = match self.inner.load(id).await {
            Ok(record) => record.and_then(SessionRecord::into_auth),
            // A record nothing can read still goes (its user's index entry is pruned when
            // the user's sessions are next listed).
            Err(StoreError::Record(_)) => None,
            Err(err) => return Err(err),
        };
        self.take_of(id, owner.as_ref().map(|auth| auth.user_id.as_str()))
            .await
    }

    /// Deletes a record of `user_id` (known to the caller: the record itself may read as
    /// gone, outdated by its generation) and its index entries; whether it was there.
    pub async fn take_of(&self, id: &Id, user_id: Option<&str>) -> StoreResult<bool> {
        let taken = self.inner.take(id).await?;
        let key = SessionKey::stored(id);
        match user_id {
            Some(user) => self.index.remove(&key, user).await,
            None => self.index.forget(&key).await,
        }?;
        Ok(taken)
    }

    /// One record by storage key.
    pub async fn load_key(&self, id: &Id) -> StoreResult<Option<SessionRecord>> {
        Ok(self
            .inner
            .load_many(std::slice::from_ref(id))
            .await?
            .pop()
            .flatten())
    }
}

#[async_trait]
impl SessionStore for Indexed<Backend> {
    async fn create(&self, record: &mut SessionRecord) -> StoreResult<()> {
        self.inner.create(record).await?;
        if let Some(auth) = record.auth() {
            let key = SessionKey::stored(&record.id);
            if let Err(err) = self.index.add(&key, &auth.user_id, auth.last_seen_ms).await {
                self.inner.delete(&record.id).await.ok();
                return Err(err);
            }
            // Once per session, after it is stored: a listing that reacts finds it.
            self.events.publish(Event::SessionStarted {
                user_id: auth.user_id.clone(),
            });
        }
        Ok(())
    }

    async fn save(&self, record: &SessionRecord) -> StoreResult<()> {
        self.inner.save(record).await?;
        if let Some(auth) = record.auth() {
            self.index
                .touch(
                    &SessionKey::stored(&record.id),
                    &auth.user_id,
                    auth.last_seen_ms,
                )
                .await?;
        }
        Ok(())
    }

    async fn load(&self, id: &Id) -> StoreResult<Option<SessionRecord>> {
        self.inner.load(id).await
    }

    async fn delete(&self, id: &Id) -> StoreResult<()> {
        self.take(id).await.map(|_| ())
    }
}
