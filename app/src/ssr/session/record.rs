//! [`SessionRecord`]: what the store keeps for one session, typed.
//!
//! The layout on disk is tower-sessions' `Record`, kept so that records written by earlier
//! releases still load and a release rolled back can read what this one wrote: the id, a data
//! map, the expiry (MessagePack in Redis, JSON in SQL). The only entry the data map ever holds
//! is the signed-in state under [`AUTH_KEY`]. Reading it through the generic `Record` built a
//! tree of `serde_json::Value`s per record and then converted the tree into [`AuthState`];
//! this type reads and writes the same bytes straight from and into [`AuthState`].
//!
//! Both encodings name the fields (JSON, and MessagePack written with field names) or keep
//! them in order (MessagePack arrays, as tower-sessions wrote the outer record), and the one
//! derived `Deserialize` reads either.
use super::super::auth::{AuthState, AUTH_KEY};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};

/// A stored session: its key in the store, its signed-in state (if any), when the store lets
/// it go.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct SessionRecord {
    /// The record's key in the store (the cookie's id, before [`crate::model::storage_id`]).
    pub id: Id,
    /// What the record's data map holds.
    pub data: SessionData,
    /// When the store lets the record go.
    pub expiry_date: OffsetDateTime,
}

/// The data map of a stored record, typed: its one entry ([`AUTH_KEY`]), if any.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct SessionData {
    /// The signed-in state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthState>,
}

const _: () = assert!(
    matches!(AUTH_KEY.as_bytes(), b"auth"),
    "the field is named after AUTH_KEY"
);

impl SessionRecord {
    /// A new record, under a fresh random id, with no signed-in state.
    pub fn new(expiry_date: OffsetDateTime) -> Self {
        Self {
            id: Id::default(),
            data: SessionData::default(),
            expiry_date,
        }
    }

    /// The signed-in state.
    pub fn auth(&self) -> Option<&AuthState> {
        self.data.auth.as_ref()
    }

    /// The signed-in state, taken out of the record.
    pub fn into_auth(self) -> Option<AuthState> {
        self.data.auth
    }

    /// Whose record it is and its generation (none without a signed-in user): what the
    /// stores keep beside the record to check it against its user's generation.
    pub fn owner(&self) -> Option<(&str, i64)> {
        self.auth().map(|auth| (auth.user_id.as_str(), auth.gen))
    }
}

impl From<Record> for SessionRecord {
    /// A generic record (what a listing falls back to for a record that does not read typed):
    /// a state that does not read as [`AuthState`] counts as none.
    fn from(mut record: Record) -> Self {
        let auth = record
            .data
            .remove(AUTH_KEY)
            .and_then(|value| serde_json::from_value(value).ok());
        Self {
            id: record.id,
            data: SessionData { auth },
            expiry_date: record.expiry_date,
        }
    }
}
