//! [`Event`]: what one server instance tells the others, and what the browsers watching the
//! live stream (`/api/events`) read. One type on both sides of the wire.
use super::{EndReason, SessionKey};
use serde::{Deserialize, Serialize};

/// A change every instance (and every watching tab) must hear about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// The policy was saved: reload it.
    PolicyChanged,
    /// A session started (or its id was regenerated).
    SessionStarted {
        /// The session's owner.
        user_id: String,
    },
    /// A session ended.
    SessionEnded {
        /// The session's owner.
        user_id: String,
        /// The session's storage key (never the cookie id).
        key: SessionKey,
        /// Why.
        reason: EndReason,
    },
}
