//! Hostile input over real HTTP: arbitrary form bodies, cookies and headers never get a 5xx
//! (and never a panic); the server answers 4xx with a message and keeps working.
mod common;

use common::{StoreKind, TestServer, USER_EMAIL};
use proptest::{
    prelude::*,
    test_runner::{Config, TestRunner},
};
use reqwest::header;

const ENDPOINTS: &[&str] = &[
    "login",
    "logout",
    "me",
    "reauth",
    "set_policy",
    "change_password",
    "revoke_session",
    "admin_revoke_user",
    "audit_events",
];

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..400),
        "([a-z_]{1,25}=[^&]{0,40}&?){0,8}".prop_map(String::into_bytes),
        Just(b"email=a&email=b&password=x&password=y&remember=on&remember=off".to_vec()),
        Just(b"idle_timeout_secs=99999999999999999999999&absolute_timeout_secs=-1&fingerprint_mode=%FF".to_vec()),
    ]
}

fn cookie() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        "__Host-hallpass=[A-Za-z0-9_=-]{0,40}(; __Host-hallpass=[A-Za-z0-9_-]{0,30})?"
            .prop_map(String::into_bytes),
        "__Host-hallpass-remember=[0-9a-f:]{0,80}".prop_map(String::into_bytes),
    ]
}

#[test]
fn hostile_requests_get_4xx_never_5xx() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let s = rt.block_on(TestServer::start(StoreKind::Sqlite));
    let mut runner = TestRunner::new(Config {
        cases: 256,
        ..Config::default()
    });
    runner
        .run(
            &(0..ENDPOINTS.len(), body(), cookie(), any::<bool>()),
            |(endpoint, body, cookie, json)| {
                let status = rt.block_on(async {
                    let mut req = s
                        .client
                        .post(format!("{}/api/{}", s.base, ENDPOINTS[endpoint]))
                        .header(header::ORIGIN, &s.base)
                        .header(
                            header::CONTENT_TYPE,
                            if json {
                                "application/json"
                            } else {
                                "application/x-www-form-urlencoded"
                            },
                        )
                        .body(body);
                    if let Ok(value) = header::HeaderValue::from_bytes(&cookie) {
                        req = req.header(header::COOKIE, value);
                    }
                    req.send().await.unwrap().status()
                });
                prop_assert!(
                    status.as_u16() < 500,
                    "{} answered {status}",
                    ENDPOINTS[endpoint]
                );
                Ok(())
            },
        )
        .unwrap();
    // Still serving.
    rt.block_on(async {
        assert_eq!(
            s.login(USER_EMAIL, common::PASSWORD, None).await.status(),
            200
        )
    });
}
