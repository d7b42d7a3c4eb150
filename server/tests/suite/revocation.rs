//! Revocation that sticks: an ended session never comes back, whatever the timing, on both
//! stores. Each test is an attack that worked before the stores became update-only, the
//! generations were checked and sign-outs took the remember-me token with them.
use crate::common;

use app::{model::EndReason, ssr::events::Event};
use common::{
    json, key_of, remember_cookie, remembered, session_cookie, session_key_of, stream_until_closed,
    user_id, StoreKind, TestServer, ADMIN_EMAIL, PASSWORD, USER_AGENT, USER_EMAIL,
};
use hallpass::session::COOKIE_NAME;
use reqwest::header;

const REMEMBER: &str = "__Host-hallpass-remember";

async fn me(s: &TestServer, cookie: &str) -> (u16, serde_json::Value) {
    let res = s.post("me", &[], Some(cookie)).await;
    (res.status().as_u16(), json(res).await)
}

async fn my_session_keys(s: &TestServer, cookie: &str) -> Vec<String> {
    let res = s.post("my_sessions", &[], Some(cookie)).await;
    assert_eq!(res.status(), 200);
    json(res)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["handle"].as_str().unwrap().to_owned())
        .collect()
}

on_every_store!(
    a_request_in_flight_does_not_bring_a_revoked_session_back,
    |s: TestServer| async move {
        let a = s.session_for(USER_EMAIL).await;
        let b = s.session_for(USER_EMAIL).await;
        // Long enough that A's next request writes its last activity back.
        s.advance(6);
        let held = s.held_post("me", &[], &a).await;
        let res = s.post("revoke_other_sessions", &[], Some(&b)).await;
        assert_eq!(res.status(), 200);
        let b = session_cookie(&res).map(|c| c.0).unwrap_or(b);
        let (status, text) = held.finish().await;
        assert_eq!(
            status, 401,
            "the held request is answered as revoked: {text}"
        );
        assert!(text.contains("\"reason\":\"revoked\""), "{text}");
        assert_eq!(me(&s, &a).await.0, 401, "and A stays ended");
        assert_eq!(
            my_session_keys(&s, &b).await,
            vec![key_of(&b)],
            "A is not listed again"
        );
    }
);

on_every_store!(
    a_write_back_of_an_ended_session_is_refused_by_the_store,
    |s: TestServer| async move {
        use hallpass::store::SessionStore as _;
        let a = s.session_for(USER_EMAIL).await;
        let b = s.session_for(USER_EMAIL).await;
        // A request loads A's session...
        let sessions = s.hallpass.sessions();
        let id = a.parse().unwrap();
        let session = sessions.open(Some(id));
        let auth = session.auth().await.unwrap().unwrap();
        // ...A is signed out from B meanwhile...
        let res = s
            .post("revoke_session", &[("handle", &key_of(&a))], Some(&b))
            .await;
        assert_eq!(res.status(), 200);
        // ...and the request writes A back when it finishes: refused, nothing written.
        session
            .set_auth(&auth, auth.last_seen + 3600)
            .await
            .unwrap();
        let err = session
            .save()
            .await
            .expect_err("an ended session is not written back");
        assert!(app::ssr::registry::SessionGone::is(&err), "{err}");
        assert!(sessions.store.load(&id).await.unwrap().is_none());
        assert_eq!(my_session_keys(&s, &b).await, vec![key_of(&b)]);
    }
);

on_every_store!(
    a_re_authentication_in_flight_does_not_revive_a_revoked_session,
    |s: TestServer| async move {
        let a = s.session_for(USER_EMAIL).await;
        let b = s.session_for(USER_EMAIL).await;
        let held = s.held_post("reauth", &[("password", PASSWORD)], &a).await;
        let res = s
            .post("revoke_session", &[("handle", &key_of(&a))], Some(&b))
            .await;
        assert_eq!(res.status(), 200);
        let (status, text) = held.finish().await;
        assert_eq!(status, 401, "{text}");
        assert!(
            !text.to_ascii_lowercase().contains(&format!(
                "set-cookie: {}=",
                COOKIE_NAME.to_ascii_lowercase()
            )) || text.contains(&format!("{COOKIE_NAME}=;")),
            "no new session cookie: {text}"
        );
        assert_eq!(
            my_session_keys(&s, &b).await,
            vec![key_of(&b)],
            "no new session"
        );
    }
);

on_every_store!(
    a_re_authentication_in_flight_during_a_demotion_keeps_no_admin_rights,
    |s: TestServer| async move {
        let admin = s.session_for(ADMIN_EMAIL).await;
        s.set_role(&admin, USER_EMAIL, "admin").await;
        let promoted = s.session_for(USER_EMAIL).await;
        let held = s
            .held_post("reauth", &[("password", PASSWORD)], &promoted)
            .await;
        s.set_role(&admin, USER_EMAIL, "user").await;
        let (status, text) = held.finish().await;
        assert_eq!(status, 401, "{text}");
        let id = user_id(&s, USER_EMAIL).await;
        assert!(
            s.hallpass
                .state()
                .registry
                .list_user(&id)
                .await
                .unwrap()
                .is_empty(),
            "no session of the demoted user survives"
        );
    }
);

on_every_store!(
    a_session_of_an_older_generation_is_refused_everywhere,
    |s: TestServer| async move {
        let a = s.session_for(USER_EMAIL).await;
        assert_eq!(me(&s, &a).await.0, 200);
        // A sign-out everywhere that raced this session's creation: the sweep did not list
        // it, but its generation is behind.
        let id = user_id(&s, USER_EMAIL).await;
        s.hallpass
            .state()
            .registry
            .bump_generation(&id)
            .await
            .unwrap();
        assert_eq!(me(&s, &a).await.0, 401);
        let peer = s.peer(s.kind()).await;
        assert_eq!(me(&peer, &a).await.0, 401, "on every instance");
        // A new sign-in is of the new generation and works.
        let fresh = s.session_for(USER_EMAIL).await;
        assert_eq!(me(&s, &fresh).await.0, 200);
    }
);

async fn with_both(s: &TestServer, session: &str, token: &str) -> reqwest::Response {
    s.post_raw(
        "me",
        &[],
        &format!("{COOKIE_NAME}={session}; {REMEMBER}={token}"),
        USER_AGENT,
    )
    .await
}

async fn assert_signed_out_for_good(s: &TestServer, session: &str, token: &str, reason: &str) {
    let res = with_both(s, session, token).await;
    assert_eq!(
        res.status(),
        401,
        "the remember-me token does not sign it back in"
    );
    assert_eq!(session_cookie(&res).expect("session cookie removed").0, "");
    assert_eq!(remember_cookie(&res).expect("token cookie removed").0, "");
    assert_eq!(json(res).await["reason"], reason);
    assert_eq!(common::remember_tokens(s, USER_EMAIL).await, 0);
    // Even the token alone is worthless now.
    let res = s
        .post_raw("me", &[], &format!("{REMEMBER}={token}"), USER_AGENT)
        .await;
    assert_eq!(res.status(), 401);
}

on_every_store!(
    signing_out_a_device_revokes_its_remember_me_token,
    |s: TestServer| async move {
        let (laptop, token) = remembered(&s, None).await;
        let phone = s.session_for(USER_EMAIL).await;
        let res = s
            .post(
                "revoke_session",
                &[("handle", &key_of(&laptop))],
                Some(&phone),
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_signed_out_for_good(&s, &laptop, &token, "revoked").await;
    }
);

on_every_store!(
    an_admin_revoke_of_one_session_revokes_its_token,
    |s: TestServer| async move {
        let (laptop, token) = remembered(&s, None).await;
        let admin = s.session_for(ADMIN_EMAIL).await;
        let res = s
            .post(
                "admin_revoke_session",
                &[("handle", &key_of(&laptop))],
                Some(&admin),
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_signed_out_for_good(&s, &laptop, &token, "revoked").await;
    }
);

on_every_store!(
    signing_out_everyone_revokes_every_token,
    |s: TestServer| async move {
        let (laptop, token) = remembered(&s, None).await;
        let admin = s.session_for(ADMIN_EMAIL).await;
        let res = s.post("admin_revoke_all", &[], Some(&admin)).await;
        assert_eq!(res.status(), 200);
        assert_signed_out_for_good(&s, &laptop, &token, "revoked").await;
        assert_eq!(me(&s, &admin).await.0, 200, "but the admin's own session");
    }
);

on_every_store!(
    a_limit_eviction_revokes_the_evicted_token,
    |s: TestServer| async move {
        s.set_policy(1800, 28800, "strict", 1).await;
        let (laptop, token) = remembered(&s, None).await;
        let phone = s.session_for(USER_EMAIL).await;
        assert_eq!(me(&s, &phone).await.0, 200);
        assert_signed_out_for_good(&s, &laptop, &token, "limit").await;
    }
);

on_every_store!(
    a_session_that_was_revoked_before_its_token_was_is_still_not_restored,
    |s: TestServer| async move {
        // The token survives (as if its revocation had failed): the guard still asks why the
        // session ended before redeeming anything.
        let (laptop, token) = remembered(&s, None).await;
        let id = user_id(&s, USER_EMAIL).await;
        s.hallpass
            .state()
            .registry
            .end(&id, &session_key_of(&laptop), EndReason::Revoked)
            .await
            .unwrap();
        assert_eq!(common::remember_tokens(&s, USER_EMAIL).await, 1);
        assert_signed_out_for_good(&s, &laptop, &token, "revoked").await;
    }
);

on_every_store!(
    an_idle_timeout_keeps_the_token_and_restores,
    |s: TestServer| async move {
        s.set_policy(60, 28800, "strict", 10).await;
        let (laptop, token) = remembered(&s, None).await;
        s.advance(61);
        let res = with_both(&s, &laptop, &token).await;
        assert_eq!(res.status(), 200, "that is what the token is for");
    }
);

on_every_store!(
    signing_in_with_remember_me_replaces_this_browsers_token,
    |s: TestServer| async move {
        let (_, first) = remembered(&s, None).await;
        let (_, second) = remembered(&s, Some(&format!("{REMEMBER}={first}"))).await;
        assert_ne!(first, second);
        assert_eq!(common::remember_tokens(&s, USER_EMAIL).await, 1);
        let res = s
            .post_raw("me", &[], &format!("{REMEMBER}={first}"), USER_AGENT)
            .await;
        assert_eq!(res.status(), 401, "the replaced token is gone");
    }
);

on_every_store!(
    lowering_the_remember_me_lifetime_shortens_existing_tokens,
    |s: TestServer| async move {
        let (_, token) = remembered(&s, None).await; // 30 days
        let admin = s.session_for(ADMIN_EMAIL).await;
        let res = s
            .post(
                "set_policy",
                &[
                    ("idle_timeout_secs", "1800"),
                    ("absolute_timeout_secs", "28800"),
                    ("reauth_window_secs", "300"),
                    ("fingerprint_mode", "strict"),
                    ("remember_me_secs", "3600"),
                    ("max_sessions_per_user", "10"),
                ],
                Some(&admin),
            )
            .await;
        assert_eq!(res.status(), 200);
        s.advance(3601);
        let res = s
            .post_raw("me", &[], &format!("{REMEMBER}={token}"), USER_AGENT)
            .await;
        assert_eq!(res.status(), 401, "an hour now means an hour");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployments_sharing_a_redis_refuse_each_others_cookies() {
    let staging = TestServer::start(StoreKind::Redis).await;
    let cookie = staging.session_for(USER_EMAIL).await;
    assert_eq!(me(&staging, &cookie).await.0, 200);
    // Another namespace: the record is not even visible.
    let other = TestServer::start(StoreKind::Redis).await;
    assert_eq!(me(&other, &cookie).await.0, 401);
    // The same namespace (both left at the default), another database: the user does not
    // exist there, so neither does the session.
    let production = staging.stranger(StoreKind::Redis).await;
    assert_eq!(me(&production, &cookie).await.0, 401);
    assert_eq!(
        me(&staging, &cookie).await.0,
        200,
        "still fine where it belongs"
    );
}

on_every_store!(
    an_active_session_outlives_a_short_idle_timeout,
    |s: TestServer| async move {
        s.set_policy(3, 28800, "strict", 10).await;
        let cookie = s.session_for(USER_EMAIL).await;
        for second in 1..=12 {
            s.advance(1);
            let res = s.post("touch", &[], Some(&cookie)).await;
            assert_eq!(res.status(), 200, "used every second, at {second} s");
        }
        s.advance(4);
        assert_eq!(me(&s, &cookie).await.1["reason"], "idle");
    }
);

on_every_store!(
    the_limit_evicts_the_least_recently_used_among_same_second_sign_ins,
    |s: TestServer| async move {
        s.set_policy(1800, 28800, "strict", 3).await;
        for _round in 0..2 {
            let cookies = [
                s.session_for(USER_EMAIL).await,
                s.session_for(USER_EMAIL).await,
                s.session_for(USER_EMAIL).await,
            ];
            let newest = s.session_for(USER_EMAIL).await;
            assert_eq!(
                me(&s, &cookies[0]).await.1["reason"],
                "limit",
                "the oldest goes"
            );
            for cookie in [&cookies[1], &cookies[2], &newest] {
                assert_eq!(me(&s, cookie).await.0, 200);
            }
            s.advance(1);
        }
    }
);

on_every_store!(
    logout_is_an_end_like_any_other,
    |s: TestServer| async move {
        let mut events = s.hallpass.state().events.subscribe();
        let cookie = s.session_for(USER_EMAIL).await;
        let started = events.recv().await.unwrap();
        assert!(
            matches!(started, Event::SessionStarted { .. }),
            "{started:?}"
        );
        assert_eq!(s.post("logout", &[], Some(&cookie)).await.status(), 200);
        let next = events.recv().await.unwrap();
        assert_eq!(
            next,
            Event::SessionEnded {
                user_id: user_id(&s, USER_EMAIL).await,
                key: session_key_of(&cookie),
                reason: EndReason::Logout,
            },
            "published once per session start, and the end follows"
        );
        let (status, err) = me(&s, &cookie).await;
        assert_eq!(status, 401);
        assert_eq!(err["reason"], "signed_out", "the old tab is told why");
    }
);

on_every_store!(
    the_pages_own_requests_do_not_keep_a_session_alive,
    |s: TestServer| async move {
        s.set_policy(60, 28800, "strict", 10).await;
        let cookie = s.session_for(USER_EMAIL).await;
        let admin = s.session_for(ADMIN_EMAIL).await;
        for _ in 0..2 {
            s.advance(25);
            // What an unattended tab does after each live event: refetch, check itself.
            assert_eq!(me(&s, &cookie).await.0, 200);
            let res = s.post("my_sessions", &[], Some(&cookie)).await;
            assert_eq!(res.status(), 200);
            let res = s.post("admin_sessions", &[], Some(&admin)).await;
            assert_eq!(res.status(), 200);
        }
        s.advance(25);
        let (status, err) = me(&s, &cookie).await;
        assert_eq!(status, 401, "75 s without the person doing anything");
        assert_eq!(err["reason"], "idle");
    }
);

on_every_store!(
    the_persons_activity_keeps_it_alive,
    |s: TestServer| async move {
        s.set_policy(60, 28800, "strict", 10).await;
        let cookie = s.session_for(USER_EMAIL).await;
        for _ in 0..3 {
            s.advance(25);
            assert_eq!(s.post("touch", &[], Some(&cookie)).await.status(), 200);
            assert_eq!(me(&s, &cookie).await.0, 200);
        }
        let me = json(s.post("me", &[], Some(&cookie)).await).await;
        let left = me["idle_expires_at"].as_i64().unwrap() - me["server_now"].as_i64().unwrap();
        assert!(
            (59..=60).contains(&left),
            "the countdown runs from the last activity: {left}"
        );
    }
);

on_every_store!(
    the_event_stream_closes_when_its_session_ends,
    |s: TestServer| async move {
        let a = s.session_for(USER_EMAIL).await;
        let b = s.session_for(USER_EMAIL).await;
        let stream = s.open_events(&a).await;
        assert_eq!(stream.status(), 200);
        let res = s
            .post("revoke_session", &[("handle", &key_of(&a))], Some(&b))
            .await;
        assert_eq!(res.status(), 200);
        let text = stream_until_closed(stream).await;
        assert!(
            text.contains("session_ended") && text.contains(&key_of(&a)),
            "the tab is told its own session ended, then the stream closes: {text}"
        );
        assert_eq!(s.open_events(&a).await.status(), 401);
    }
);

on_every_store!(a_demoted_admins_stream_closes, |s: TestServer| async move {
    let admin = s.session_for(ADMIN_EMAIL).await;
    s.set_role(&admin, USER_EMAIL, "admin").await;
    let promoted = s.session_for(USER_EMAIL).await;
    let stream = s.open_events(&promoted).await;
    assert_eq!(stream.status(), 200);
    s.set_role(&admin, USER_EMAIL, "user").await;
    let text = stream_until_closed(stream).await;
    assert!(!text.contains(ADMIN_EMAIL), "{text}");
});

on_every_store!(
    a_session_holds_only_a_few_streams,
    |s: TestServer| async move {
        let a = s.session_for(USER_EMAIL).await;
        let mut open = Vec::new();
        for _ in 0..hallpass::live::MAX_STREAMS_PER_SESSION {
            let stream = s.open_events(&a).await;
            assert_eq!(stream.status(), 200);
            open.push(stream);
        }
        let refused = s.open_events(&a).await;
        assert_eq!(refused.status(), 429);
        assert!(refused.headers().contains_key(header::RETRY_AFTER));
        drop(open.pop());
        // The slot comes back once the server notices the closed connection.
        let mut status = 429;
        for _ in 0..50 {
            let stream = s.open_events(&a).await;
            status = stream.status().as_u16();
            if status == 200 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(status, 200);
    }
);

/// Opens a connection and sends `bytes` of a request that never completes.
async fn dribble(s: &TestServer, bytes: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(s.base.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(bytes.as_bytes()).await.unwrap();
    stream
}

/// What the server sends before it closes the connection, and how long that took (bounded:
/// a server that never closes fails the test).
async fn read_until_closed(mut stream: tokio::net::TcpStream) -> (String, std::time::Duration) {
    use tokio::io::AsyncReadExt;
    let started = std::time::Instant::now();
    let mut out = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(15),
        stream.read_to_end(&mut out),
    )
    .await
    .expect("the server closes a connection that dribbles")
    .ok();
    (
        String::from_utf8_lossy(&out).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_that_never_finish_are_cut_off() {
    let s = TestServer::start(StoreKind::Sqlite).await;
    let stream = dribble(&s, "POST /api/me HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n").await;
    let (_, took) = read_until_closed(stream).await;
    let limit = s.hallpass.timeouts().header;
    assert!(
        took >= limit - std::time::Duration::from_millis(500),
        "{took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_never_finish_get_408() {
    let s = TestServer::start(StoreKind::Sqlite).await;
    let cookie = s.session_for(USER_EMAIL).await;
    let host = s.base.trim_start_matches("http://").to_owned();
    let stream = dribble(
        &s,
        &format!(
            "POST /api/me HTTP/1.1\r\nHost: {host}\r\nOrigin: {}\r\nCookie: {COOKIE_NAME}={cookie}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 10\r\n\r\na=b",
            s.base
        ),
    )
    .await;
    let (text, took) = read_until_closed(stream).await;
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(took >= s.hallpass.timeouts().body - std::time::Duration::from_millis(500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_get_413() {
    let s = TestServer::start(StoreKind::Sqlite).await;
    let res = s
        .client
        .post(format!("{}/api/login", s.base))
        .header(header::ORIGIN, &s.base)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(vec![b'a'; hallpass::transport::MAX_BODY + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(json(res).await["code"], "TOO_LARGE");
}

on_every_store!(
    the_clean_up_removes_what_has_ended,
    |s: TestServer| async move {
        let sql = matches!(
            s.hallpass.sessions().store.inner().index(),
            hallpass::store::SessionIndex::Sql(_)
        );
        let (_, _token) = remembered(&s, None).await;
        let live = s.session_for(ADMIN_EMAIL).await;
        let ended = s.session_for(USER_EMAIL).await;
        assert_eq!(s.post("logout", &[], Some(&ended)).await.status(), 200);
        let cleanup = s.hallpass.cleanup();
        assert_eq!(
            cleanup.sweep().await.unwrap(),
            hallpass::cleanup::Swept::default(),
            "nothing live or recent is touched"
        );
        assert_eq!(me(&s, &live).await.0, 200);
        assert_eq!(common::remember_tokens(&s, USER_EMAIL).await, 1);

        // Past every lifetime: the sessions' (8 h), the token's (30 d), the history's (1 d)
        // and the audit trail's (400 d).
        s.advance(401 * 86400);
        let swept = cleanup.sweep().await.unwrap();
        assert_eq!(common::remember_tokens(&s, USER_EMAIL).await, 0);
        assert_eq!(swept.remember_tokens, 1);
        assert!(swept.audit_events > 0, "{swept:?}");
        assert!(common::audit_kinds(&s).await.is_empty());
        assert!(
            swept.index_entries >= 2,
            "the remembered and the admin session: {swept:?}"
        );
        if sql {
            assert_eq!(swept.sessions, 2, "{swept:?}");
            assert_eq!(swept.history, 1, "the sign-out's reason: {swept:?}");
        }
        let again = cleanup.sweep().await.unwrap();
        assert_eq!(
            again,
            hallpass::cleanup::Swept::default(),
            "a second sweep finds nothing"
        );
    }
);

on_every_store!(
    a_fingerprint_mismatch_revokes_the_sessions_token,
    |s: TestServer| async move {
        let (laptop, token) = remembered(&s, None).await;
        // The session cookie, replayed from another browser: strict mode ends the session.
        let res = s
            .post_raw(
                "me",
                &[],
                &format!("{COOKIE_NAME}={laptop}"),
                "Mozilla/5.0 (elsewhere)",
            )
            .await;
        assert_eq!(res.status(), 401);
        assert_signed_out_for_good(&s, &laptop, &token, "fingerprint").await;
    }
);

/// A request's view of an existing session: what the session layer and the guard hold while
/// the request is in flight.
async fn in_flight(
    s: &TestServer,
    cookie: &str,
) -> (app::ssr::session::Session, app::ssr::auth::AuthState) {
    let session = s.hallpass.sessions().open(Some(cookie.parse().unwrap()));
    let auth = session.auth().await.unwrap().expect("signed in");
    (session, auth)
}

on_every_store!(
    a_regeneration_refuses_when_its_session_was_revoked_meanwhile,
    |s: TestServer| async move {
        let a = s.session_for(USER_EMAIL).await;
        // A re-authentication has loaded A and is checking the password...
        let (session, auth) = in_flight(&s, &a).await;
        // ...when A is revoked.
        let id = user_id(&s, USER_EMAIL).await;
        s.hallpass
            .state()
            .registry
            .end(&id, &session_key_of(&a), EndReason::Revoked)
            .await
            .unwrap();
        let err = app::ssr::lifecycle::regenerate(s.hallpass.state(), &session, &auth)
            .await
            .expect_err("no new session for a revoked one");
        assert_eq!(err.reason, Some(EndReason::Revoked));
        assert!(
            s.hallpass
                .state()
                .registry
                .list_user(&id)
                .await
                .unwrap()
                .is_empty(),
            "nothing was created"
        );
    }
);

on_every_store!(
    a_session_created_during_a_sign_out_everywhere_drops_itself,
    |s: TestServer| async move {
        let s = s; // the whole server lives as long as the test, not just the fields used
        let state = s.hallpass.state();
        let user = s
            .hallpass
            .users()
            .find_by_email(USER_EMAIL)
            .await
            .unwrap()
            .unwrap();
        // A sign-in read the generation and checked the password...
        let gen = app::ssr::lifecycle::generation(state, &user.id)
            .await
            .unwrap();
        // ...while the user was signed out everywhere (the sweep found nothing to end yet).
        state.registry.bump_generation(&user.id).await.unwrap();
        let session = s.hallpass.sessions().open(None);
        let err = app::ssr::lifecycle::start_session(
            state,
            &session,
            &user,
            &Default::default(),
            app::model::AuthMethod::Password,
            gen,
            None,
        )
        .await
        .expect_err("the new session is of the old generation");
        assert_eq!(err.reason, Some(EndReason::Revoked));
        assert!(state.registry.list_user(&user.id).await.unwrap().is_empty());
    }
);

on_every_store!(
    an_action_admitted_before_a_demotion_cannot_act,
    |s: TestServer| async move {
        let admin = s.session_for(ADMIN_EMAIL).await;
        s.set_role(&admin, USER_EMAIL, "admin").await;
        let promoted = s.session_for(USER_EMAIL).await;
        // The demotion's database write has landed; its sweep of the sessions has not yet.
        let id = user_id(&s, USER_EMAIL).await;
        s.hallpass
            .users()
            .update_access(&id, app::model::Role::User, false)
            .await
            .unwrap();
        let res = s.post("admin_revoke_all", &[], Some(&promoted)).await;
        assert_eq!(res.status(), 401, "the rights it came in with are gone");
        assert_eq!(me(&s, &admin).await.0, 200, "and nothing was done");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_kept_alive_connections_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = TestServer::start_with(|config| config.idle_timeout_secs = 2).await;
    let host = s.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    stream
        .write_all(format!("GET /login HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    // The response arrives and the connection stays open for a next request...
    let mut first = vec![0u8; 64];
    let n = stream.read(&mut first).await.unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    // ...but not for ever.
    let (_, took) = read_until_closed(stream).await;
    assert!(
        took <= s.hallpass.timeouts().idle + std::time::Duration::from_secs(2),
        "{took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait_their_turn() {
    let s = TestServer::start_with(|config| config.max_connections = 2).await;
    let first = dribble(&s, "GET /login HTTP/1.1\r\n").await;
    let second = dribble(&s, "GET /login HTTP/1.1\r\n").await;
    let waiting = s.client.get(format!("{}/login", s.base)).send();
    tokio::pin!(waiting);
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(500), &mut waiting)
            .await
            .is_err(),
        "a third connection is not served while two are held"
    );
    drop(first);
    let res = tokio::time::timeout(std::time::Duration::from_secs(10), waiting)
        .await
        .expect("served once a place is free")
        .unwrap();
    assert_eq!(res.status(), 200);
    drop(second);
}
