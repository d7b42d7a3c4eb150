//! Session ids hashed at rest: a dump of Redis or of the database holds no cookie values.
use super::{SessionRecord, SessionStore, StoreResult};
use app::model::storage_id as storage_key;
use async_trait::async_trait;
use tower_sessions::session::Id;

/// Wraps a store so it only ever sees SHA-256(id) (truncated to the 128 bits an [`Id`]
/// holds) as the key. The cookie carries the id; the store cannot give it back.
#[derive(Clone, Debug)]
pub struct HashedIds<S> {
    inner: S,
}

impl<S> HashedIds<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        Self { inner }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

fn hashed(record: &SessionRecord) -> SessionRecord {
    SessionRecord {
        id: storage_key(&record.id),
        ..record.clone()
    }
}

#[async_trait]
impl<S: SessionStore> SessionStore for HashedIds<S> {
    async fn create(&self, record: &mut SessionRecord) -> StoreResult<()> {
        loop {
            let mut stored = hashed(record);
            let key = stored.id;
            self.inner.create(&mut stored).await?;
            if stored.id == key {
                return Ok(());
            }
            // The inner store moved the record to a fresh key because ours was taken: that
            // key has no cookie id, so drop it and try again with a new id.
            self.inner.delete(&stored.id).await?;
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &SessionRecord) -> StoreResult<()> {
        self.inner.save(&hashed(record)).await
    }

    async fn load(&self, id: &Id) -> StoreResult<Option<SessionRecord>> {
        let record = self.inner.load(&storage_key(id)).await?;
        Ok(record.map(|record| SessionRecord { id: *id, ..record }))
    }

    async fn delete(&self, id: &Id) -> StoreResult<()> {
        self.inner.delete(&storage_key(id)).await
    }
}
