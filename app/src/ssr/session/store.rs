//! [`SessionStore`]: where a [`super::Session`] is loaded from and written to.
//!
//! Four operations, as in tower-sessions, but over the typed [`SessionRecord`] and failing with
//! the one [`StoreError`] every store maps into. Behaviour is added by wrapping a store in
//! another that implements the same trait (the server hashes ids, then indexes records per
//! user, then reaches Redis or SQL). Two rules every implementation keeps, because revocation
//! depends on them:
//! - `save` is update-only: a record that is gone fails with [`StoreError::Gone`] and is not
//!   written back;
//! - `load` answers `None` for a record its user's generation has moved past.
use super::record::SessionRecord;
use crate::ssr::store_error::StoreResult;
use async_trait::async_trait;
use tower_sessions::session::Id;

/// A store of session records.
#[async_trait]
pub trait SessionStore: std::fmt::Debug + Send + Sync + 'static {
    /// Stores a new record; if its id is taken, moves it to a fresh id (written back into
    /// `record`).
    async fn create(&self, record: &mut SessionRecord) -> StoreResult<()>;

    /// Writes an existing record; [`StoreError::Gone`] if it is no longer there.
    ///
    /// [`StoreError::Gone`]: crate::ssr::store_error::StoreError::Gone
    async fn save(&self, record: &SessionRecord) -> StoreResult<()>;

    /// The record under `id`, if it is live.
    async fn load(&self, id: &Id) -> StoreResult<Option<SessionRecord>>;

    /// Removes the record under `id` (no error if it was not there).
    async fn delete(&self, id: &Id) -> StoreResult<()>;
}
