//! Hostile input over real HTTP: arbitrary form bodies, cookies and headers never get a 5xx
//! (and never a panic); the server answers 4xx with a message and keeps working.
use crate::common;

use common::{StoreKind, TestServer, ADMIN_EMAIL, USER_EMAIL};
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

/// A server on a runtime of its own: proptest's runner is synchronous and blocks on each case.
fn server_on_own_runtime() -> (tokio::runtime::Runtime, TestServer) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let s = rt.block_on(TestServer::start(StoreKind::Sqlite));
    (rt, s)
}

#[test]
fn hostile_requests_get_4xx_never_5xx() {
    let (rt, s) = server_on_own_runtime();
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

/// A number as a form might carry it: mostly ordinary (so that some forms are valid), else at
/// the edges, out of range, or not a number.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        30 => (1i64..200).prop_map(|n| n.to_string()),
        1 => (-10i64..100_000_000).prop_map(|n| n.to_string()),
        1 => Just(i64::MAX.to_string()),
        1 => Just(i64::MIN.to_string()),
        1 => Just("99999999999999999999999".to_owned()),
        1 => "[0-9a-z.+-]{0,12}",
    ]
}

/// A `set_policy` form: each field once, or now and then missing or sent twice.
fn policy_form() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    let field = |name: &'static str, value: BoxedStrategy<String>| {
        prop_oneof![
            30 => value.clone().prop_map(|v| vec![v]),
            1 => Just(Vec::new()),
            1 => proptest::collection::vec(value, 2),
        ]
        .prop_map(move |values| values.into_iter().map(|v| (name, v)).collect::<Vec<_>>())
    };
    (
        field("idle_timeout_secs", number().boxed()),
        field("absolute_timeout_secs", number().boxed()),
        field("reauth_window_secs", number().boxed()),
        field(
            "fingerprint_mode",
            prop_oneof![
                8 => Just("strict".to_owned()),
                8 => Just("log".to_owned()),
                1 => "\\PC{0,10}",
            ]
            .boxed(),
        ),
        field("remember_me_secs", number().boxed()),
        field("max_sessions_per_user", number().boxed()),
    )
        .prop_map(|(a, b, c, d, e, f)| [a, b, c, d, e, f].concat())
}

#[test]
fn hostile_policy_forms_from_an_admin_never_store_an_invalid_policy() {
    let (rt, s) = server_on_own_runtime();
    let admin = std::cell::RefCell::new(rt.block_on(s.session_for(ADMIN_EMAIL)));
    let mut runner = TestRunner::new(Config {
        cases: 200,
        ..Config::default()
    });
    runner
        .run(&(policy_form(), any::<bool>()), |(form, dry_run)| {
            let before = s.hallpass.state().policy.current();
            let endpoint = if dry_run {
                "policy_dry_run"
            } else {
                "set_policy"
            };
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let cookie = admin.borrow().clone();
            let res = rt.block_on(s.post(endpoint, &pairs, Some(&cookie)));
            let status = res.status().as_u16();
            prop_assert!(status < 500, "{endpoint} {form:?} answered {status}");
            let after = s.hallpass.state().policy.current();
            if status == 200 && !dry_run {
                prop_assert!(after.validate().is_ok(), "stored {after:?} from {form:?}");
            } else {
                prop_assert_eq!(
                    &before,
                    &after,
                    "{} {:?} changed the policy",
                    endpoint,
                    form
                );
            }
            if status == 401 || status == 403 {
                // A stored policy may end or age the admin's session: sign in again.
                *admin.borrow_mut() = rt.block_on(s.session_for(ADMIN_EMAIL));
            }
            Ok(())
        })
        .unwrap();
}
