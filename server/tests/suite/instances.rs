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

/// A page is answered while another instance in the same process builds its router.
///
/// Building a router generates the app's route list, which renders the whole app once with
/// every resource load suppressed through a process-wide flag (leptos_server's
/// `SuppressResourceLoad`). A page whose data (a `Resource`) first loaded inside that window
/// waited forever, at no CPU, and its connection with it (leptos#4773). The suite hung on
/// this twice: its tests start servers in one process while others render pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_while_another_instance_builds_its_router() {
    use std::sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    };
    common::bounded(async {
        let a = TestServer::start(StoreKind::Sqlite).await;
        let b = TestServer::start(StoreKind::Sqlite).await;
        let cookie = a.session_for(USER_EMAIL).await;
        /// Stops the builder however the test ends (the runtime waits for it at the end).
        struct Stop(Arc<AtomicBool>);
        impl Drop for Stop {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        let (stop, built) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicUsize::new(0)),
        );
        let stop_builder = Stop(stop.clone());
        // Instance B builds routers back to back (inside the runtime: rendering spawns).
        let builder = tokio::task::spawn_blocking({
            let (stop, built) = (stop.clone(), built.clone());
            move || {
                while !stop.load(Ordering::Relaxed) {
                    drop(b.hallpass.router());
                    built.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        for round in 0..30 {
            for (path, cookie, expected) in [
                ("/login", None, "Remember me"),
                ("/", Some(cookie.as_str()), USER_EMAIL),
            ] {
                // Bounded per request, so a failure names the page that got no answer.
                let page = tokio::time::timeout(Duration::from_secs(10), async {
                    let res = a.get(path, cookie).await;
                    (res.status(), res.text().await)
                })
                .await;
                let Ok((status, Ok(page))) = page else {
                    panic!("{path} (round {round}) got no whole answer while routers were built");
                };
                assert_eq!(status, 200, "{path}");
                assert!(page.contains(expected), "{path} rendered its data");
            }
        }
        drop(stop_builder);
        builder.await.unwrap();
        assert!(
            built.load(Ordering::Relaxed) > 0,
            "routers were built meanwhile"
        );
    })
    .await
}
