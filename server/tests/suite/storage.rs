//! What the stores hold: only hashes of session ids.
use crate::common;

use common::{StoreKind, TestServer, USER_EMAIL};
use fred::prelude::{Client, ClientLike, Config, KeysInterface};
use std::str::FromStr;
use tower_sessions::session::Id;

fn storage_key(cookie: &str) -> (Id, Id) {
    let id = Id::from_str(cookie).expect("cookie is an id");
    (id, app::model::storage_id(&id))
}

#[tokio::test]
async fn redis_keys_are_hashes_of_session_ids() {
    let s = TestServer::start(StoreKind::Redis).await;
    let cookie = s.session_for(USER_EMAIL).await;
    let (id, key) = storage_key(&cookie);
    let redis = Client::new(
        Config::from_url(&common::redis_url()).unwrap(),
        None,
        None,
        None,
    );
    redis.init().await.unwrap();
    let record = format!("{}:session:{key}", s.namespace);
    let plain: bool = redis.exists(id.to_string()).await.unwrap();
    let bare: bool = redis.exists(key.to_string()).await.unwrap();
    let hashed: bool = redis.exists(&record).await.unwrap();
    assert!(!plain, "the raw session id must not be a Redis key");
    assert!(!bare, "no key outside the deployment's namespace");
    assert!(
        hashed,
        "the record lives under the namespace and the hash of the id"
    );
    // Nothing this deployment wrote names the id, and everything naming the key is ours.
    let named: Vec<String> = redis
        .custom(fred::cmd!("KEYS"), vec![format!("*{key}*")])
        .await
        .unwrap();
    assert!(
        named
            .iter()
            .all(|k| k.starts_with(&format!("{}:", s.namespace))),
        "{named:?}"
    );
    let raw: Vec<String> = redis
        .custom(fred::cmd!("KEYS"), vec![format!("*{id}*")])
        .await
        .unwrap();
    assert!(raw.is_empty(), "{raw:?}");
    let ttl: i64 = redis.ttl(&record).await.unwrap();
    assert!(ttl > 0, "session records expire in Redis (ttl {ttl})");
    assert_eq!(s.post("logout", &[], Some(&cookie)).await.status(), 200);
    let left: bool = redis.exists(&record).await.unwrap();
    assert!(!left, "logout deletes the record");
}

#[tokio::test]
async fn sqlite_rows_are_keyed_by_hashes_of_session_ids() {
    let s = TestServer::start(StoreKind::Sqlite).await;
    let cookie = s.session_for(USER_EMAIL).await;
    let (id, key) = storage_key(&cookie);
    let pool = sqlx::SqlitePool::connect(&s.database_url).await.unwrap();
    let ids: Vec<String> = sqlx::query_scalar("SELECT skey FROM sessions")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(ids, vec![key.to_string()]);
    assert!(!ids.contains(&id.to_string()));
}

crate::on_every_store!(
    a_stored_record_nothing_can_read_ends_its_session_instead_of_refusing_it_forever,
    |s: TestServer| async move {
        let cookie = s.session_for(USER_EMAIL).await;
        let (_, key) = storage_key(&cookie);
        // The record is overwritten with bytes no release could read (0xc1 is never used in
        // MessagePack; the SQL record is not JSON), as damage or a foreign writer would.
        match s.kind() {
            StoreKind::Redis | StoreKind::RedisAt(_) => {
                let redis = Client::new(
                    Config::from_url(&common::redis_url()).unwrap(),
                    None,
                    None,
                    None,
                );
                redis.init().await.unwrap();
                let record = format!("{}:session:{key}", s.namespace);
                let _: () = redis
                    .set(
                        &record,
                        b"|0|\xc1".as_slice(),
                        Some(fred::types::Expiration::EX(3600)),
                        None,
                        false,
                    )
                    .await
                    .unwrap();
            }
            StoreKind::Sqlite | StoreKind::Postgres => {
                let updated =
                    sqlx::query("UPDATE sessions SET record = 'not a record' WHERE skey = $1")
                        .bind(key.to_string())
                        .execute(s.hallpass.users().pool())
                        .await
                        .unwrap()
                        .rows_affected();
                assert_eq!(updated, 1);
            }
        }
        // Listings skip it: the user can still sign in elsewhere (a sign-in lists the user's
        // sessions for the limit) and see their devices.
        let fresh = s.session_for(USER_EMAIL).await;
        assert_eq!(s.post("my_sessions", &[], Some(&fresh)).await.status(), 200);
        // Not a store outage: the session is ended (its cookie removed), not answered 503 on
        // every request until the record expires.
        let res = s.post("me", &[], Some(&cookie)).await;
        assert_eq!(res.status(), 401);
        assert_eq!(
            common::session_cookie(&res).map(|(value, _)| value),
            Some(String::new()),
            "the cookie is removed"
        );
        assert_eq!(s.post("me", &[], Some(&cookie)).await.status(), 401);
        assert_eq!(s.post("me", &[], Some(&fresh)).await.status(), 200);
    }
);
