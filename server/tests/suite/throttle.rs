//! Brute force: failed sign-ins lock the account and then the IP; guessing session ids from
//! one IP is slowed down without touching valid sessions.
use crate::common;

use common::{json, redis_url, StoreKind, TestServer, ADMIN_EMAIL, PASSWORD, USER_EMAIL};
use reqwest::header;

on_both_stores!(
    failed_sign_ins_lock_the_account_with_retry_after,
    |s: TestServer| async move {
        let reasons = || async {
            common::audit_events(&s, 100)
                .await
                .into_iter()
                .filter_map(|e| e.reason)
                .collect::<Vec<_>>()
        };
        // Locks are whole seconds counted from the failure, so what a follow-up request sees
        // depends on where in a second it lands: the audit says exactly which lock was earned,
        // and the clock is moved past each one.
        for _ in 0..6 {
            assert_eq!(s.login(USER_EMAIL, "wrong guess", None).await.status(), 401);
        }
        assert!(reasons()
            .await
            .iter()
            .any(|r| r.contains("account locked for 1s")));
        // Each further failure doubles the lock.
        for lock in [2, 4, 8] {
            s.advance(lock);
            assert_eq!(s.login(USER_EMAIL, "wrong guess", None).await.status(), 401);
            let earned = format!("account locked for {lock}s");
            assert!(
                reasons().await.iter().any(|r| r.contains(&earned)),
                "{earned}"
            );
        }
        let res = s.login(USER_EMAIL, PASSWORD, None).await;
        assert_eq!(res.status(), 429, "locked, even for the right password");
        let wait: i64 = res.headers()[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        // The 8 s lock holds through its last whole second: 9 s if no second has ticked.
        assert!((8..=9).contains(&wait), "Retry-After {wait}");
        let err = json(res).await;
        assert_eq!(err["code"], "RATE_LIMITED");
        assert_eq!(err["retry_after"], wait);
        // Another account from the same address is not locked.
        assert_eq!(s.login(ADMIN_EMAIL, PASSWORD, None).await.status(), 200);
        s.advance(9);
        assert_eq!(
            s.login(USER_EMAIL, PASSWORD, None).await.status(),
            200,
            "the lock runs out"
        );
    }
);

on_both_stores!(
    many_accounts_from_one_address_lock_the_address,
    |s: TestServer| async move {
        for i in 0..21 {
            let res = s
                .login(&format!("nobody{i}@example.test"), "guess", None)
                .await;
            assert_eq!(res.status(), 401, "attempt {i}");
        }
        // A few more, past each lock, so the last one (8 s) outlasts this test's own pace.
        for (i, lock) in [2, 4, 8].into_iter().enumerate() {
            s.advance(lock);
            let res = s
                .login(&format!("later{i}@example.test"), "guess", None)
                .await;
            assert_eq!(res.status(), 401);
        }
        let res = s.login(USER_EMAIL, PASSWORD, None).await;
        assert_eq!(res.status(), 429, "the address is locked for every account");
        assert!(res.headers().contains_key(header::RETRY_AFTER));
    }
);

on_both_stores!(
    guessing_session_ids_is_slowed_down,
    |s: TestServer| async move {
        let valid = s.session_for(USER_EMAIL).await;
        let mut statuses = Vec::new();
        for i in 0..55u128 {
            let guess = tower_sessions::session::Id(i as i128 + 1).to_string();
            statuses.push(s.post("me", &[], Some(&guess)).await.status().as_u16());
        }
        assert!(statuses[..50].iter().all(|st| *st == 401), "{statuses:?}");
        assert!(
            statuses[50..].contains(&429),
            "guesses beyond the allowance are refused: {statuses:?}"
        );
        assert_eq!(
            s.post("me", &[], Some(&valid)).await.status(),
            200,
            "a valid session from the same address works"
        );
        // Someone else behind the same address, with a stale cookie, can still sign in, and
        // a refused stale cookie is removed.
        let stale = tower_sessions::session::Id(999).to_string();
        let refused = s.post("me", &[], Some(&stale)).await;
        assert_eq!(refused.status(), 429);
        assert_eq!(
            common::session_cookie(&refused)
                .expect("stale cookie removed")
                .0,
            ""
        );
        assert_eq!(s.get("/login", Some(&stale)).await.status(), 200);
        assert_eq!(
            s.login(USER_EMAIL, PASSWORD, Some(&stale)).await.status(),
            200
        );
    }
);

/// A server that admits every guess of a burst to its password check at once (the hashing
/// gate otherwise turns most away with 503 and lets the rest in over a second or more, long
/// enough on a loaded machine for the first one-second lock to lapse and a later guess to be
/// rightly checked).
async fn admitting_every_guess(kind: StoreKind) -> TestServer {
    TestServer::start_kind_with(kind, &|config| config.hashing_concurrency = Some(64)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_do_not_skip_the_lockout_sqlite() {
    let s = admitting_every_guess(StoreKind::Sqlite).await;
    let _storage = s.storage();
    parallel_guesses_do_not_skip_the_lockout(s).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_do_not_skip_the_lockout_redis() {
    let s = admitting_every_guess(StoreKind::Redis).await;
    let _storage = s.storage();
    parallel_guesses_do_not_skip_the_lockout(s).await
}

async fn parallel_guesses_do_not_skip_the_lockout(s: TestServer) {
    {
        // 30 wrong guesses at one account at once. (Not the right password among them: a
        // success forgets the account's failures, as one at a time, so guesses still queued
        // behind it would rightly start counting again.)
        let attempts = (0..30).map(|_| s.login(USER_EMAIL, "a wrong guess", None));
        let statuses: Vec<u16> = futures::future::join_all(attempts)
            .await
            .iter()
            .map(|r| r.status().as_u16())
            .collect();
        // Checked: answered 200 or 401. The rest are refused by the lock (429) or, beyond the
        // hashing gate's queue, turned away before being counted at all (503).
        let checked = statuses.iter().filter(|st| matches!(st, 200 | 401)).count();
        assert!(!statuses.contains(&200), "{statuses:?}");
        assert!(
            checked <= 6,
            "no more than the 5 free guesses and one more are checked: {statuses:?}"
        );
        assert!(
            statuses
                .iter()
                .all(|st| matches!(st, 200 | 401 | 429 | 503)),
            "{statuses:?}"
        );
        assert!(
            statuses.contains(&429),
            "the lock refused some: {statuses:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_counters_behave_like_the_in_memory_ones() {
    use hallpass::{redis_conn::Namespace, throttle::RedisThrottle};
    let pool = hallpass::redis_conn::RedisTarget::new(redis_url(), None)
        .pool(2)
        .await
        .unwrap();
    let namespace = Namespace(format!("test-{:016x}", rand::random::<u64>()).into());
    app::ssr::throttle::check_throttle_behaviour(&RedisThrottle::new(pool, namespace)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_earned_on_one_instance_holds_on_the_others() {
    let a = TestServer::start(StoreKind::Redis).await;
    let b = a.peer(StoreKind::Redis).await;
    // Guesses spread over two servers behind a load balancer count once.
    for i in 0..6 {
        let server = if i % 2 == 0 { &a } else { &b };
        assert_eq!(
            server.login(USER_EMAIL, "wrong guess", None).await.status(),
            401
        );
    }
    for server in [&a, &b] {
        let res = server.login(USER_EMAIL, PASSWORD, None).await;
        assert_eq!(res.status(), 429, "locked on both instances");
        let wait = res.headers()[header::RETRY_AFTER].to_str().unwrap();
        assert!(
            matches!(wait, "1" | "2"),
            "the 1 s lock, counted out whole: {wait}"
        );
    }
    // The counters live in the shared Redis, named by a hash (no e-mail address in key names).
    let pool = hallpass::redis_conn::RedisTarget::new(redis_url(), None)
        .pool(2)
        .await
        .unwrap();
    let ns = hallpass::redis_conn::Namespace(a.namespace.as_str().into());
    let account = ns.throttle_key(&format!("account:{USER_EMAIL}"));
    assert!(!account.contains('@'), "{account}");
    use fred::prelude::KeysInterface;
    let exists: i64 = pool.exists(account).await.unwrap();
    assert_eq!(exists, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_sign_ins_is_turned_away_not_queued_without_bound() {
    let s = TestServer::start_with(|config| config.hashing_concurrency = Some(1)).await;
    // One hashing, one waiting: a burst of 12 finds the gate full.
    let burst = (0..12).map(|_| s.login(USER_EMAIL, PASSWORD, None));
    let responses = futures::future::join_all(burst).await;
    let mut busy = 0;
    for res in &responses {
        match res.status().as_u16() {
            200 => {}
            503 => {
                assert_eq!(res.headers()[header::RETRY_AFTER], "1");
                busy += 1;
            }
            other => panic!("only sign-ins or 503, not {other}"),
        }
    }
    assert!(busy > 0, "the gate turned some away");
    assert!(busy < 12, "and let some through");
    // Turned away, they were not counted as guesses: the account is not locked.
    assert_eq!(s.login(USER_EMAIL, PASSWORD, None).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_guesses_behind_a_proxy_range_count_per_64() {
    let s = TestServer::start_with(|config| {
        config.trusted_proxies = vec![hallpass::client::parse_proxy_range("127.0.0.0/8").unwrap()];
    })
    .await;
    let login = |from: String, email: String| {
        s.client
            .post(format!("{}/api/login", s.base))
            .header(header::ORIGIN, &s.base)
            .header("x-forwarded-for", from)
            .form(&[("email", email.as_str()), ("password", "a wrong guess")])
            .send()
    };
    // 21 addresses of one /64 (written with ports, as some proxies do), 21 accounts.
    for i in 1..=21 {
        let res = login(
            format!("[2001:db8:1:2::{i:x}]:4430"),
            format!("nobody{i}@example.test"),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), 401, "attempt {i}");
    }
    let res = login(
        "2001:db8:1:2:ffff::1".into(),
        "nobody99@example.test".into(),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 429, "the whole /64 is one client");
    let res = login("2001:db8:1:3::1".into(), "nobody98@example.test".into())
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "the next /64 is another");
}

on_both_stores!(
    guesses_at_an_account_never_lock_its_owner_out_of_re_authentication,
    |s: TestServer| async move {
        let owner = s.session_for(USER_EMAIL).await;
        let other_tab = s.session_for(USER_EMAIL).await;
        // Someone sends wrong passwords for the owner's e-mail: sign-ins to it lock...
        lock_account(&s, USER_EMAIL).await;
        // ...but the owner, signed in, still confirms their password.
        let res = s
            .post("reauth", &[("password", PASSWORD)], Some(&owner))
            .await;
        assert_eq!(
            res.status(),
            200,
            "the account's sign-in lock does not apply"
        );
        let owner = common::session_cookie(&res).unwrap().0;
        // Re-authentication has a lock of its own, per session (ten counted guesses, the
        // clock moved past each lock, so the last one, 16 s, outlasts the test).
        for _ in 0..10 {
            s.advance(20);
            let res = s
                .post("reauth", &[("password", "a wrong guess")], Some(&owner))
                .await;
            assert_eq!(res.status(), 401);
        }
        let res = s
            .post("reauth", &[("password", PASSWORD)], Some(&owner))
            .await;
        assert_eq!(res.status(), 429, "this session guessed too often");
        let res = s
            .post("reauth", &[("password", PASSWORD)], Some(&other_tab))
            .await;
        assert_eq!(res.status(), 200, "another session is not affected");
        // Failed sign-ins name the account they targeted.
        let events = common::audit_events(&s, 100).await;
        assert!(events.iter().any(|e| e.kind == "login_failed"
            && e.user_id.is_some()
            && e.reason.as_deref().unwrap_or("").contains("account locked")));
        assert_eq!(
            s.login("nobody@example.test", "x", None).await.status(),
            401
        );
        let events = common::audit_events(&s, 1).await;
        assert!(events[0]
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("no such account"));
        assert!(events[0]
            .target
            .as_deref()
            .unwrap_or("")
            .starts_with("unknown:"));
    }
);

/// Locks sign-ins to `email` from unknown devices for a while (16 s): ten counted wrong
/// guesses, the clock moved past each lock (at most 8 s before the last) so every one is
/// counted, and not so far that signed-in sessions go idle.
async fn lock_account(s: &TestServer, email: &str) {
    for _ in 0..10 {
        s.advance(20);
        assert_eq!(s.login(email, "a wrong guess", None).await.status(), 401);
    }
    assert_eq!(s.login(email, PASSWORD, None).await.status(), 429);
}

/// The device cookie a response sets.
fn device_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .find_map(|v| {
            v.to_str()
                .ok()?
                .strip_prefix("__Host-hallpass-device=")?
                .split(';')
                .next()
                .map(str::to_owned)
        })
        .expect("a device cookie")
}

on_both_stores!(
    a_known_device_signs_in_past_the_accounts_lock,
    |s: TestServer| async move {
        let from_device = |password: &'static str, device: String| {
            let s = &s;
            async move {
                s.post_raw(
                    "login",
                    &[("email", USER_EMAIL), ("password", password)],
                    &format!("__Host-hallpass-device={device}"),
                    common::USER_AGENT,
                )
                .await
                .status()
            }
        };
        // The owner signed in on this device before.
        let res = s.login(USER_EMAIL, PASSWORD, None).await;
        assert_eq!(res.status(), 200);
        let device = device_cookie(&res);
        assert!(res
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|v| v.to_str().unwrap().contains("HttpOnly")));
        // Guesses from elsewhere lock the account for unknown devices...
        lock_account(&s, USER_EMAIL).await;
        // ...but not for the owner's device.
        assert_eq!(from_device(PASSWORD, device.clone()).await, 200);
        // A forged or foreign device cookie is an unknown device.
        // (The last character is changed to a different one: replacing it with a fixed
        // digit left the cookie intact whenever it already ended in that digit.)
        let last = if device.ends_with('0') { '1' } else { '0' };
        let forged = format!("{}{last}", &device[..device.len() - 1]);
        assert_ne!(forged, device);
        assert_eq!(from_device(PASSWORD, forged).await, 429);
        // A device that guesses wrong itself is locked on its own counter (ten counted
        // guesses, the clock moved past each lock, so the last lock, 16 s, outlasts the test).
        for _ in 0..10 {
            s.advance(20);
            assert_eq!(from_device("a wrong guess", device.clone()).await, 401);
        }
        assert_eq!(from_device(PASSWORD, device).await, 429);
    }
);

on_both_stores!(
    re_authentication_guesses_are_bounded_per_user_across_fresh_sessions,
    |s: TestServer| async move {
        // Someone with a way to make fresh sessions (a stolen remember-me token, say) spreads
        // guesses over them: 4 per session stays under each session's lock...
        for _ in 0..5 {
            let session = s.session_for(USER_EMAIL).await;
            for _ in 0..4 {
                let res = s
                    .post("reauth", &[("password", "a wrong guess")], Some(&session))
                    .await;
                assert_eq!(res.status(), 401);
            }
        }
        // The 21st to 25th guesses are checked too, and lock the user's re-authentication
        // (for 16 s after the last; the clock moves past the shorter locks in between).
        let session = s.session_for(USER_EMAIL).await;
        for _ in 0..5 {
            s.advance(20);
            let res = s
                .post("reauth", &[("password", "a wrong guess")], Some(&session))
                .await;
            assert_eq!(res.status(), 401);
        }
        // ...but the user's re-authentication as a whole is locked now (not their sign-in).
        let fresh = s.session_for(USER_EMAIL).await;
        let res = s
            .post("reauth", &[("password", PASSWORD)], Some(&fresh))
            .await;
        assert_eq!(res.status(), 429);
    }
);

on_both_stores!(
    a_password_change_voids_the_accounts_device_cookies,
    |s: TestServer| async move {
        let res = s.login(USER_EMAIL, PASSWORD, None).await;
        let device = device_cookie(&res);
        let session = common::session_cookie(&res).unwrap().0;
        let res = s
            .post(
                "change_password",
                &[("new_password", "a brand new passphrase")],
                Some(&session),
            )
            .await;
        assert_eq!(res.status(), 200);
        lock_account(&s, USER_EMAIL).await;
        let res = s
            .post_raw(
                "login",
                &[
                    ("email", USER_EMAIL),
                    ("password", "a brand new passphrase"),
                ],
                &format!("__Host-hallpass-device={device}"),
                common::USER_AGENT,
            )
            .await;
        assert_eq!(
            res.status(),
            429,
            "a device cookie from before the change is an unknown device"
        );
    }
);
