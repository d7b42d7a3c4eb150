//! A stored session record read with its signed-in state typed.
//!
//! Records are stored in tower-sessions' `Record` layout: the id, a data map, the expiry
//! (MessagePack in Redis, JSON in SQL). The only entry the data map ever holds is the
//! signed-in state under [`AUTH_KEY`]. Reading that entry through the generic `Record` builds
//! a tree of `serde_json::Value`s per record and then converts the tree into [`AuthState`];
//! [`StoredRecord`] reads the same bytes straight into [`AuthState`]. Listings (the admin
//! list, a user's devices, the policy dry run over every session) decode one per session.
//!
//! Both encodings name the fields (JSON) or keep them in order (MessagePack arrays), so the
//! one `Deserialize` below reads either, and records written before it existed. A record it
//! cannot read (its state is not an [`AuthState`]) is read generically and converted
//! ([`From<Record>`]): it lists as holding no signed-in state, as it always did.
use app::ssr::auth::{AuthState, AUTH_KEY};
use serde::Deserialize;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};

/// A stored record, its signed-in state typed (`None` for a record without a signed-in user).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct StoredRecord {
    /// The record's key in the store.
    pub id: Id,
    /// What the record's data map holds.
    pub data: StoredData,
    /// When the store lets the record go.
    pub expiry_date: OffsetDateTime,
}

/// The data map of a stored record, typed: its one entry ([`AUTH_KEY`]), if any.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct StoredData {
    /// The signed-in state.
    #[serde(default)]
    pub auth: Option<AuthState>,
}

impl StoredRecord {
    /// The signed-in state, taken out of the record.
    pub fn into_auth(self) -> Option<AuthState> {
        self.data.auth
    }
}

impl From<Record> for StoredRecord {
    /// A generic record; a state that does not read as [`AuthState`] counts as none.
    fn from(mut record: Record) -> Self {
        let auth = record
            .data
            .remove(AUTH_KEY)
            .and_then(|value| serde_json::from_value(value).ok());
        Self {
            id: record.id,
            data: StoredData { auth },
            expiry_date: record.expiry_date,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::model::{AuthMethod, Role};

    fn state() -> AuthState {
        AuthState {
            user_id: "u1".into(),
            email: "a@example.test".into(),
            role: Role::Admin,
            authenticated_at: 1,
            created_at: 2,
            last_seen: 3,
            ip: "127.0.0.1".into(),
            user_agent: "ua".into(),
            fingerprint: "fp".into(),
            remembered: false,
            last_seen_ms: 3_000,
            gen: 4,
            remember: Some("sel".into()),
            method: AuthMethod::Passkey,
        }
    }

    fn record(auth: Option<&AuthState>) -> Record {
        let mut data = std::collections::HashMap::new();
        if let Some(auth) = auth {
            data.insert(AUTH_KEY.to_owned(), serde_json::to_value(auth).unwrap());
        }
        Record {
            id: Id(42),
            data,
            expiry_date: OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap(),
        }
    }

    fn typed(auth: Option<AuthState>) -> StoredRecord {
        StoredRecord {
            id: Id(42),
            data: StoredData { auth },
            expiry_date: OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap(),
        }
    }

    #[test]
    fn reads_the_generic_records_messagepack() {
        for auth in [Some(state()), None] {
            let bytes = rmp_serde::to_vec(&record(auth.as_ref())).unwrap();
            let read: StoredRecord = rmp_serde::from_slice(&bytes).unwrap();
            assert_eq!(read, typed(auth));
        }
    }

    #[test]
    fn reads_the_generic_records_json() {
        for auth in [Some(state()), None] {
            let text = serde_json::to_string(&record(auth.as_ref())).unwrap();
            let read: StoredRecord = serde_json::from_str(&text).unwrap();
            assert_eq!(read, typed(auth));
        }
    }

    #[test]
    fn reads_a_record_of_before_the_optional_fields() {
        // Records stored before `last_seen_ms`, `gen`, `remember` and `method` existed.
        let mut old = serde_json::to_value(state()).unwrap();
        for field in ["last_seen_ms", "gen", "remember", "method"] {
            old.as_object_mut().unwrap().remove(field);
        }
        let mut record = record(None);
        record.data.insert(AUTH_KEY.to_owned(), old);
        let read: StoredRecord =
            rmp_serde::from_slice(&rmp_serde::to_vec(&record).unwrap()).unwrap();
        let auth = read.into_auth().unwrap();
        assert_eq!((auth.gen, auth.last_seen_ms, auth.remember), (0, 0, None));
    }

    #[test]
    fn a_state_that_is_not_an_auth_state_reads_as_none_through_the_generic_record() {
        let mut odd = record(None);
        odd.data
            .insert(AUTH_KEY.to_owned(), serde_json::json!({ "user_id": 7 }));
        let bytes = rmp_serde::to_vec(&odd).unwrap();
        assert!(rmp_serde::from_slice::<StoredRecord>(&bytes).is_err());
        let generic: Record = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(StoredRecord::from(generic), typed(None));
    }
}
