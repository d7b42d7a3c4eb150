//! `/metrics` counts what happened.
use crate::common;

use common::{StoreKind, TestServer, USER_EMAIL};
use std::future::IntoFuture;

const TOKEN: &str = "scrape-me-0123456789abcdef";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_sign_ins_failures_timeouts_and_latency() {
    let s = TestServer::start(StoreKind::Redis).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/metrics", listener.local_addr().unwrap());
    tokio::spawn(
        axum::serve(
            listener,
            hallpass::metrics::router(
                s.hallpass.state().clone(),
                hallpass::metrics::MetricsToken(Some(TOKEN.into())),
            ),
        )
        .into_future(),
    );

    s.set_policy(60, 3600, "strict", 10).await; // one admin sign-in
    let cookie = s.session_for(USER_EMAIL).await;
    let _other = s.session_for(USER_EMAIL).await;
    assert_eq!(s.login(USER_EMAIL, "wrong", None).await.status(), 401);
    s.advance(61);
    assert_eq!(s.post("me", &[], Some(&cookie)).await.status(), 401);

    // Without the token, or with another one: 401 and no numbers.
    for auth in [None, Some("Bearer not-the-token-at-all"), Some(TOKEN)] {
        let mut req = s.client.get(&url);
        if let Some(auth) = auth {
            req = req.header("authorization", auth);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401, "{auth:?}");
        assert!(!res.text().await.unwrap().contains("hallpass_"));
    }
    let text = s
        .client
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "hallpass_events_total{kind=\"login_ok\"} 3",
        "hallpass_events_total{kind=\"login_failed\"} 1",
        "hallpass_events_total{kind=\"idle_timeout\"} 1",
        "hallpass_events_total{kind=\"policy_changed\"} 1",
        "hallpass_active_sessions 0",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    assert!(
        text.contains("hallpass_request_duration_seconds_bucket{route=\"api\",status=\"2xx\""),
        "{text}"
    );
}
