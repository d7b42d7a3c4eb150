//! The stored layout of a session record, both ways across releases: what this release writes
//! (typed, MessagePack with field names in Redis, JSON in SQL) must read back typed *and* read
//! through tower-sessions' generic `Record` as earlier releases read it (a rolled-back or
//! not-yet-upgraded instance on the same store), and what earlier releases wrote (the generic
//! `Record`, MessagePack arrays) must read typed.
use super::{redis::RedisSessions, sql, SessionRecord};
use app::{
    model::{AuthMethod, Role},
    ssr::{
        auth::{AuthState, AUTH_KEY},
        session::SessionData,
        store_error::StoreError,
    },
};
use serde::Deserialize;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};

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

fn expiry() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap()
}

fn typed(auth: Option<AuthState>) -> SessionRecord {
    SessionRecord {
        id: Id(42),
        data: SessionData { auth },
        expiry_date: expiry(),
    }
}

/// The record as earlier releases built it: a map of `serde_json` values.
fn generic(auth: Option<serde_json::Value>) -> Record {
    Record {
        id: Id(42),
        data: auth
            .map(|auth| (AUTH_KEY.to_owned(), auth))
            .into_iter()
            .collect(),
        expiry_date: expiry(),
    }
}

/// What earlier releases wrote to Redis: the owner header, then `Record` as MessagePack arrays.
fn old_redis_value(record: &Record, user: &str, gen: i64) -> Vec<u8> {
    let mut value = format!("{user}|{gen}|").into_bytes();
    rmp_serde::encode::write(&mut value, record).unwrap();
    value
}

/// What earlier releases read of a record: the state through `serde_json`, and the part the
/// stores needed to index it.
fn as_earlier_releases_read(record: Record) -> (Option<AuthState>, Option<(String, i64, i64)>) {
    #[derive(Deserialize)]
    struct Owner {
        user_id: String,
        #[serde(default)]
        gen: i64,
        #[serde(default)]
        last_seen_ms: i64,
    }
    let value = record.data.get(AUTH_KEY).cloned();
    let owner = value
        .clone()
        .and_then(|v| Owner::deserialize(v).ok())
        .map(|o| (o.user_id, o.gen, o.last_seen_ms));
    (value.and_then(|v| serde_json::from_value(v).ok()), owner)
}

#[test]
fn redis_records_written_now_read_typed_and_as_earlier_releases_read_them() {
    for auth in [Some(state()), None] {
        let value = RedisSessions::encode(&typed(auth.clone())).unwrap();
        let back: SessionRecord = RedisSessions::decode(&value).unwrap();
        assert_eq!(back, typed(auth.clone()));
        let generic: Record = RedisSessions::decode(&value).unwrap();
        assert_eq!((generic.id, generic.expiry_date), (Id(42), expiry()));
        let owner = auth
            .as_ref()
            .map(|a| (a.user_id.clone(), a.gen, a.last_seen_ms));
        assert_eq!(as_earlier_releases_read(generic), (auth.clone(), owner));
        // The owner header the load script checks the generation by.
        let header = if auth.is_some() { "u1|4|" } else { "|0|" };
        assert!(value.starts_with(header.as_bytes()));
    }
}

#[test]
fn sql_records_written_now_read_typed_and_as_earlier_releases_read_them() {
    for auth in [Some(state()), None] {
        let text = sql::encode(&typed(auth.clone())).unwrap();
        let back: SessionRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(back, typed(auth.clone()));
        let generic: Record = serde_json::from_str(&text).unwrap();
        let owner = auth
            .as_ref()
            .map(|a| (a.user_id.clone(), a.gen, a.last_seen_ms));
        assert_eq!(as_earlier_releases_read(generic), (auth, owner));
    }
}

#[test]
fn records_earlier_releases_wrote_read_typed() {
    for auth in [Some(state()), None] {
        let old = generic(auth.as_ref().map(|a| serde_json::to_value(a).unwrap()));
        let value = old_redis_value(&old, "u1", 4);
        assert_eq!(
            RedisSessions::decode::<SessionRecord>(&value).unwrap(),
            typed(auth.clone())
        );
        let text = serde_json::to_string(&old).unwrap();
        assert_eq!(
            serde_json::from_str::<SessionRecord>(&text).unwrap(),
            typed(auth)
        );
    }
}

#[test]
fn records_of_before_the_optional_fields_read_typed() {
    // Stored before `last_seen_ms`, `gen`, `remember` and `method` existed.
    let mut auth = serde_json::to_value(state()).unwrap();
    for field in ["last_seen_ms", "gen", "remember", "method"] {
        auth.as_object_mut().unwrap().remove(field);
    }
    let value = old_redis_value(&generic(Some(auth)), "u1", 0);
    let read = RedisSessions::decode::<SessionRecord>(&value)
        .unwrap()
        .into_auth()
        .unwrap();
    assert_eq!((read.gen, read.last_seen_ms, read.remember), (0, 0, None));
}

#[test]
fn a_state_that_is_not_an_auth_state_fails_the_request_path_and_lists_as_none() {
    let value = old_redis_value(&generic(Some(serde_json::json!({ "user_id": 7 }))), "", 0);
    // The request path's load: an error admission ends the session for.
    assert!(matches!(
        RedisSessions::decode::<SessionRecord>(&value),
        Err(StoreError::Record(_))
    ));
    // A listing: the record, holding no signed-in state.
    assert_eq!(RedisSessions::decode_listed(&value), Some(typed(None)));
    // Bytes nothing reads: an error on the request path, gone to a listing.
    for damaged in [b"no header".as_slice(), b"|0|\xc1".as_slice()] {
        assert!(matches!(
            RedisSessions::decode::<SessionRecord>(damaged),
            Err(StoreError::Record(_))
        ));
        assert_eq!(RedisSessions::decode_listed(damaged), None);
    }
}
