//! Two server instances sharing Redis and the database.
use crate::common;

use common::{json, StoreKind, TestServer, USER_EMAIL};
use std::time::Duration;

/// Waits (bounded) until `done` holds: for effects that arrive through another process.
async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while tokio::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    done()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_change_reaches_every_instance_through_redis() {
    let a = TestServer::start(StoreKind::Redis).await;
    let b = a.peer(StoreKind::Redis).await;
    assert_eq!(b.hallpass.state().policy.current().idle_timeout_secs, 1800);
    // Subscribe before the change, so the event cannot be missed.
    let mut events = b.hallpass.state().events.subscribe();
    a.set_policy(45, 3600, "strict", 10).await;
    let event = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(app::ssr::events::Event::PolicyChanged) = events.recv().await {
                break;
            }
        }
    })
    .await;
    assert!(event.is_ok(), "instance B heard about the change");
    assert!(
        eventually(|| b.hallpass.state().policy.current().idle_timeout_secs == 45).await,
        "B reloaded the policy"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_made_on_one_instance_works_and_ends_on_the_other() {
    let a = TestServer::start(StoreKind::Redis).await;
    let b = a.peer(StoreKind::Redis).await;
    let cookie = a.session_for(USER_EMAIL).await;
    let res = b.post("me", &[], Some(&cookie)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(json(res).await["email"], USER_EMAIL);
    assert_eq!(b.post("logout", &[], Some(&cookie)).await.status(), 200);
    assert_eq!(a.post("me", &[], Some(&cookie)).await.status(), 401);
}
