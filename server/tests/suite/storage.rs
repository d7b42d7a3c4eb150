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
