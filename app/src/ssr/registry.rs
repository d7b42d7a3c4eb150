//! The live sessions of each user, as the server functions see them.
use super::{auth::AuthState, store_error::StoreResult};
use crate::model::{EndReason, SessionKey};
use async_trait::async_trait;

/// A session that was ended (deleted, or outdated by its user's generation) while a request
/// that had loaded it was in flight: the stores' update-only `save` fails with it (as
/// [`StoreError::Gone`](super::store_error::StoreError::Gone)).
#[derive(Clone, Copy, Debug, thiserror::Error)]
#[error("the session ended while this request was in flight")]
pub struct SessionGone;

impl SessionGone {
    /// Whether a store error is this one.
    pub fn is(err: &super::store_error::StoreError) -> bool {
        matches!(err, super::store_error::StoreError::Gone(_))
    }
}

/// Why an id no longer names a live session, as recorded when it stopped doing so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gone {
    /// Ended on purpose (a sign-out, a revocation, a policy rule): the browser is told why,
    /// its cookie is removed, and its remember-me token does not bring the session back.
    Ended(EndReason),
    /// Replaced by a new id in the last [`Gone::REGENERATED_SECS`] seconds (a sign-in over it,
    /// a re-authentication, a privilege change). A request still carrying the old id is a
    /// straggler of the browser that holds the new one: it is refused without touching that
    /// browser's cookies, and its remember-me token is not redeemed (a second session whose
    /// cookie could land after the new one).
    Regenerated,
}

impl Gone {
    /// How long an old id is known as regenerated: longer than any request may take to
    /// arrive (headers and body are each cut off after seconds). After that a request with
    /// the old id is a browser that lost the new cookie, and its remember-me token may
    /// bring it back.
    pub const REGENERATED_SECS: i64 = 60;

    /// What the stores record: an end reason's code, or `regenerated`.
    pub fn code(self) -> &'static str {
        match self {
            Gone::Ended(reason) => reason.code(),
            Gone::Regenerated => "regenerated",
        }
    }

    /// Reads back a recorded code, given when it was recorded and the time now (Unix
    /// seconds): a regeneration is forgotten after [`Gone::REGENERATED_SECS`].
    pub fn recorded(code: &str, at: i64, now: i64) -> Option<Self> {
        if code == "regenerated" {
            return (now - at <= Self::REGENERATED_SECS).then_some(Gone::Regenerated);
        }
        EndReason::from_code(code).map(Gone::Ended)
    }

    /// The end reason, if the session was ended on purpose.
    pub fn reason(self) -> Option<EndReason> {
        match self {
            Gone::Ended(reason) => Some(reason),
            Gone::Regenerated => None,
        }
    }
}

/// Lists and ends sessions by user, without scanning the store. Sessions are named by their
/// storage key (the hash of the id), never by the cookie value.
#[async_trait]
pub trait SessionRegistry: Send + Sync + std::fmt::Debug {
    /// The user's live sessions (storage key and state), least recently used first.
    async fn list_user(&self, user_id: &str) -> StoreResult<Vec<(SessionKey, AuthState)>>;

    /// The live sessions of every user in `user_ids` (a filtered admin list), several users'
    /// lookups in flight at once.
    async fn list_users(&self, user_ids: &[String]) -> StoreResult<Vec<(SessionKey, AuthState)>> {
        use futures::{stream, StreamExt, TryStreamExt};
        let lists: Vec<Vec<_>> = stream::iter(user_ids.iter().cloned())
            .map(|user_id| async move { self.list_user(&user_id).await })
            .buffered(16)
            .try_collect()
            .await?;
        Ok(lists.into_iter().flatten().collect())
    }

    /// Everyone's live sessions, most recently active first: at most `limit` of them, after
    /// the first `skip` indexed ones (a page of the admin list).
    async fn list_recent(
        &self,
        skip: usize,
        limit: usize,
    ) -> StoreResult<Vec<(SessionKey, AuthState)>>;

    /// How many sessions are indexed (everyone's; a session that ended unannounced counts
    /// until a listing or the clean-up prunes its entry).
    async fn count_all(&self) -> StoreResult<usize>;

    /// One session's state, if it is live.
    async fn get(&self, key: &SessionKey) -> StoreResult<Option<AuthState>>;

    /// How many sessions were active at or after `since` (Unix seconds).
    async fn count_active(&self, since: i64) -> StoreResult<i64>;

    /// Storage keys of the user's live sessions, least recently used first.
    async fn sessions_of(&self, user_id: &str) -> StoreResult<Vec<SessionKey>> {
        Ok(self
            .list_user(user_id)
            .await?
            .into_iter()
            .map(|(key, _)| key)
            .collect())
    }

    /// The user's session generation: sessions issued under an older one are over.
    async fn generation(&self, user_id: &str) -> StoreResult<i64>;

    /// Moves the user's generation on (every session issued before is over from its next
    /// request, on every instance); returns the new one.
    async fn bump_generation(&self, user_id: &str) -> StoreResult<i64>;

    /// Deletes a session of `user_id` that is being replaced by a regenerated id, recording
    /// it as [`Gone::Regenerated`] first (unless an end was recorded already: the stronger
    /// word stands); whether it was still there.
    async fn take(&self, user_id: &str, key: &SessionKey) -> StoreResult<bool>;

    /// Every storage key indexed under the user, live or not (a session outdated by its
    /// generation still has its key here, so a sweep can record why it ended).
    async fn indexed_keys(&self, user_id: &str) -> StoreResult<Vec<SessionKey>>;

    /// Ends one session: remembers why (first, so a request that finds it gone knows), deletes
    /// it, tells every instance. Whether it was still stored.
    async fn end(&self, user_id: &str, key: &SessionKey, reason: EndReason) -> StoreResult<bool>;

    /// Records why a session is about to end, without ending it yet (a sweep records every
    /// reason before the generation moves on, then ends the sessions one by one).
    async fn record_end(
        &self,
        user_id: &str,
        key: &SessionKey,
        reason: EndReason,
    ) -> StoreResult<()>;

    /// Why an id no longer names a live session, if that was recorded recently.
    async fn why_gone(&self, key: &SessionKey) -> StoreResult<Option<Gone>>;

    /// Ends every session of the user except `keep` (every key in the user's index, so a
    /// session outdated by its generation is recorded as ended too); returns how many were
    /// still stored.
    async fn end_all(
        &self,
        user_id: &str,
        keep: Option<&SessionKey>,
        reason: EndReason,
    ) -> StoreResult<usize> {
        let mut ended = 0;
        for key in self.indexed_keys(user_id).await? {
            if Some(&key) != keep && self.end(user_id, &key, reason).await? {
                ended += 1;
            }
        }
        Ok(ended)
    }
}
