//! Redis or the database stopped mid-traffic: requests that need them fail closed with 503 and
//! a clear message, nobody gets in, the process stays up, and it recovers by itself when the
//! store returns. The stores are real throwaway servers, stopped and started again.
use crate::common;

use common::{
    json,
    throwaway::{free_port, Postgres, Redis},
    StoreKind, TestServer, PASSWORD, USER_EMAIL,
};
use reqwest::Response;
use std::{
    future::Future,
    time::{Duration, Instant},
};

const UNAVAILABLE: &str =
    "The sign-in service is temporarily unavailable. Please try again shortly.";

/// The API's 503: code and message.
async fn assert_unavailable(res: Response, what: &str) {
    assert_eq!(res.status(), 503, "{what}");
    let err = json(res).await;
    assert_eq!(err["code"], "UNAVAILABLE", "{what}");
    assert_eq!(err["message"], UNAVAILABLE, "{what}");
}

/// While the store is away: the session cannot be checked, so it is refused (within `within`);
/// browsers get a page that says so; nobody can sign in.
async fn fails_closed(s: &TestServer, cookie: &str, within: Duration) {
    let started = Instant::now();
    let res = s.post("me", &[], Some(cookie)).await;
    assert_unavailable(res, "a session that cannot be checked is refused").await;
    assert!(
        started.elapsed() < within,
        "fails fast: {:?}",
        started.elapsed()
    );
    let page = s.get("/", Some(cookie)).await;
    assert_eq!(page.status(), 503);
    let body = page.text().await.unwrap();
    assert!(body.contains("temporarily unavailable"), "{body}");
    let res = s.login(USER_EMAIL, PASSWORD, None).await;
    assert_unavailable(res, "nobody gets in").await;
}

/// Repeats `request` until it answers `want` (the store is back but the server has to notice;
/// there is no event to wait for), for at most 10 s. Returns how long that took.
async fn recovers<F, Fut>(want: u16, mut request: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Response>,
{
    let back = Instant::now();
    let mut status = 0;
    while back.elapsed() < Duration::from_secs(10) {
        status = request().await.status().as_u16();
        if status == want {
            return back.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("still {status} 10 s after the store returned");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_fails_closed_and_recovers() {
    let port = free_port();
    let mut redis = Redis::start(port);
    let s = TestServer::start(StoreKind::RedisAt(format!("redis://127.0.0.1:{port}"))).await;
    let cookie = s.session_for(USER_EMAIL).await;
    assert_eq!(s.post("me", &[], Some(&cookie)).await.status(), 200);

    redis.stop();
    fails_closed(&s, &cookie, Duration::from_secs(3)).await;

    // Redis returns (empty: it keeps nothing on disk): the server recovers by itself.
    let _redis = Redis::start(port);
    let took = recovers(200, || s.login(USER_EMAIL, PASSWORD, None)).await;
    let res = s.post("me", &[], Some(&cookie)).await;
    assert_eq!(
        res.status(),
        401,
        "the session lost with Redis's memory stays lost"
    );
    println!("recovered within {took:?} of Redis returning");
}

/// PostgreSQL holds the users and the sessions (no Redis) and crashes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_fails_closed_and_recovers_with_nothing_lost() {
    let pg = Postgres::new();
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start_with_database(StoreKind::Sqlite, &pg.url(), dir).await;
    let cookie = s.session_for(USER_EMAIL).await;
    assert_eq!(s.post("me", &[], Some(&cookie)).await.status(), 200);

    pg.crash();
    // Within the 3 s a request waits for a database connection.
    fails_closed(&s, &cookie, Duration::from_secs(5)).await;

    // The database comes back after crash recovery: the session and the account it committed
    // before the crash are still there, and the server reconnects by itself.
    pg.start();
    let took = recovers(200, || s.post("me", &[], Some(&cookie))).await;
    assert_eq!(s.login(USER_EMAIL, PASSWORD, None).await.status(), 200);
    println!("recovered within {took:?} of PostgreSQL returning");
}

/// PostgreSQL holds the users, Redis the sessions; the database crashes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_behind_redis_sessions_stops_sign_ins_and_recovers() {
    let pg = Postgres::new();
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start_with_database(StoreKind::Redis, &pg.url(), dir).await;
    let cookie = s.session_for(USER_EMAIL).await;

    pg.crash();
    let res = s.login(USER_EMAIL, PASSWORD, None).await;
    assert_unavailable(res, "passwords cannot be checked: nobody gets in").await;
    assert_eq!(
        s.post("me", &[], Some(&cookie)).await.status(),
        200,
        "sessions are checked in Redis, which still answers"
    );
    let res = s
        .post("reauth", &[("password", PASSWORD)], Some(&cookie))
        .await;
    assert_unavailable(res, "re-authentication cannot be checked either").await;

    pg.start();
    let took = recovers(200, || s.login(USER_EMAIL, PASSWORD, None)).await;
    println!("sign-in recovered within {took:?} of PostgreSQL returning");
}
