//! Session ids hashed at rest: a dump of Redis or of the database holds no cookie values.
use app::model::storage_id as storage_key;
use async_trait::async_trait;
use tower_sessions::{
    session::{Id, Record},
    session_store, SessionStore,
};

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

fn hashed(record: &Record) -> Record {
    Record {
        id: storage_key(&record.id),
        ..record.clone()
    }
}

#[async_trait]
impl<S: SessionStore> SessionStore for HashedIds<S> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
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

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.inner.save(&hashed(record)).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let record = self.inner.load(&storage_key(id)).await?;
        Ok(record.map(|record| Record { id: *id, ..record }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.inner.delete(&storage_key(id)).await
    }
}
