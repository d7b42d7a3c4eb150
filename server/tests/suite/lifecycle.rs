//! The policy enforced on every request, on both stores. Time moves by the server's clock,
//! not by sleeping.
use crate::common;

use common::{audit_kinds, json, session_cookie, TestServer, ADMIN_EMAIL, PASSWORD, USER_EMAIL};
use hallpass::session::COOKIE_NAME;
use reqwest::header;

async fn me_status(s: &TestServer, cookie: &str) -> (u16, serde_json::Value) {
    let res = s.post("me", &[], Some(cookie)).await;
    (res.status().as_u16(), json(res).await)
}

/// Activity of the person (a click or key press the page reports): unlike `me`, which the
/// page calls on its own, it moves the idle deadline.
async fn touch_status(s: &TestServer, cookie: &str) -> (u16, serde_json::Value) {
    let res = s.post("touch", &[], Some(cookie)).await;
    (res.status().as_u16(), json(res).await)
}

on_both_stores!(idle_sessions_end_and_say_why, |s: TestServer| async move {
    s.set_policy(60, 3600, "strict", 10).await;
    let cookie = s.session_for(USER_EMAIL).await;
    s.advance(40);
    assert_eq!(
        touch_status(&s, &cookie).await.0,
        200,
        "activity within the idle timeout"
    );
    s.advance(40);
    assert_eq!(
        touch_status(&s, &cookie).await.0,
        200,
        "the last request reset the idle clock"
    );
    s.advance(61);
    let res = s.post("me", &[], Some(&cookie)).await;
    assert_eq!(res.status(), 401);
    assert_eq!(session_cookie(&res).expect("cookie removed").0, "");
    let err = json(res).await;
    assert_eq!(err["reason"], "idle");
    assert_eq!(
        err["message"],
        "You were signed out after a period of inactivity."
    );
    // The session is gone for good, and a page request says why (and drops the cookie).
    let page = s.get("/", Some(&cookie)).await;
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()[header::LOCATION], "/login?reason=idle");
    assert_eq!(
        session_cookie(&page)
            .expect("an ended session's cookie is removed")
            .0,
        ""
    );
    // The sign-in page itself renders, even with the dead cookie: no redirect loop.
    assert_eq!(
        s.get("/login?reason=idle", Some(&cookie)).await.status(),
        200
    );
    assert!(audit_kinds(&s).await.contains(&"idle_timeout".to_string()));
    // Signing in again while the browser still holds the dead cookie just works.
    let res = s.login(USER_EMAIL, PASSWORD, Some(&cookie)).await;
    assert_eq!(res.status(), 200);
    assert_ne!(session_cookie(&res).unwrap().0, cookie);
});

on_both_stores!(
    absolute_lifetime_ends_even_busy_sessions,
    |s: TestServer| async move {
        s.set_policy(60, 120, "strict", 10).await;
        let cookie = s.session_for(USER_EMAIL).await;
        for _ in 0..2 {
            s.advance(50);
            assert_eq!(touch_status(&s, &cookie).await.0, 200);
        }
        s.advance(21);
        let (status, err) = me_status(&s, &cookie).await;
        assert_eq!(status, 401);
        assert_eq!(err["reason"], "expired");
        assert!(audit_kinds(&s)
            .await
            .contains(&"absolute_timeout".to_string()));
    }
);

on_both_stores!(
    policy_changes_reach_live_sessions,
    |s: TestServer| async move {
        let cookie = s.session_for(USER_EMAIL).await;
        s.advance(100);
        assert_eq!(
            me_status(&s, &cookie).await.0,
            200,
            "default idle timeout is 30 minutes"
        );
        s.set_policy(30, 3600, "strict", 10).await;
        s.advance(31);
        let (status, err) = me_status(&s, &cookie).await;
        assert_eq!(
            status, 401,
            "the new, shorter idle timeout applies to the existing session"
        );
        assert_eq!(err["reason"], "idle");
        let stored = s.hallpass.state().policy.reload().await.unwrap();
        assert_eq!(
            stored.idle_timeout_secs, 30,
            "the policy is stored, not only cached"
        );
    }
);

on_both_stores!(
    strict_binding_ends_a_session_used_elsewhere,
    |s: TestServer| async move {
        let cookie = s.session_for(USER_EMAIL).await;
        let header = format!("{COOKIE_NAME}={cookie}");
        let res = s
            .post_raw("me", &[], &header, "Mozilla/5.0 (an attacker's browser)")
            .await;
        assert_eq!(res.status(), 401);
        assert_eq!(json(res).await["reason"], "fingerprint");
        // Dead for its owner too: a stolen cookie cannot be used and then handed back.
        assert_eq!(me_status(&s, &cookie).await.0, 401);
        assert!(audit_kinds(&s)
            .await
            .contains(&"fingerprint_mismatch".to_string()));
    }
);

on_both_stores!(
    log_only_binding_records_and_lets_through,
    |s: TestServer| async move {
        s.set_policy(1800, 28800, "log", 10).await;
        let cookie = s.session_for(USER_EMAIL).await;
        let header = format!("{COOKIE_NAME}={cookie}");
        let res = s
            .post_raw("me", &[], &header, "Mozilla/5.0 (new browser)")
            .await;
        assert_eq!(res.status(), 200);
        let kinds = audit_kinds(&s).await;
        assert_eq!(
            kinds
                .iter()
                .filter(|k| *k == "fingerprint_mismatch")
                .count(),
            1
        );
        s.set_policy(1800, 28800, "off", 10).await;
        let res = s.post_raw("me", &[], &header, "yet another agent").await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            audit_kinds(&s)
                .await
                .iter()
                .filter(|k| *k == "fingerprint_mismatch")
                .count(),
            1,
            "off means not even logged"
        );
    }
);

on_both_stores!(
    sensitive_actions_need_a_fresh_password,
    |s: TestServer| async move {
        let admin = s.session_for(ADMIN_EMAIL).await;
        s.advance(301);
        let form = [
            ("idle_timeout_secs", "600"),
            ("absolute_timeout_secs", "7200"),
            ("reauth_window_secs", "300"),
            ("fingerprint_mode", "strict"),
            ("remember_me_secs", "86400"),
            ("max_sessions_per_user", "5"),
        ];
        let res = s.post("set_policy", &form, Some(&admin)).await;
        assert_eq!(res.status(), 403);
        assert_eq!(json(res).await["code"], "REAUTH_REQUIRED");

        let wrong = s
            .post("reauth", &[("password", "nope")], Some(&admin))
            .await;
        assert_eq!(wrong.status(), 401);
        let res = s
            .post("reauth", &[("password", PASSWORD)], Some(&admin))
            .await;
        assert_eq!(res.status(), 200);
        let fresh = session_cookie(&res)
            .expect("re-authentication regenerates the id")
            .0;
        assert_ne!(fresh, admin);
        assert_eq!(
            me_status(&s, &admin).await.0,
            401,
            "the pre-reauth id is dead"
        );

        let res = s.post("set_policy", &form, Some(&fresh)).await;
        assert_eq!(res.status(), 200);
        assert_eq!(json(res).await["max_sessions_per_user"], 5);

        let user = s.session_for(USER_EMAIL).await;
        let res = s.post("set_policy", &form, Some(&user)).await;
        assert_eq!(res.status(), 403);
        assert_eq!(json(res).await["code"], "FORBIDDEN");
        let kinds = audit_kinds(&s).await;
        for kind in ["reauth", "policy_changed", "id_regenerated"] {
            assert!(kinds.contains(&kind.to_string()), "{kind} in {kinds:?}");
        }
    }
);

on_both_stores!(
    invalid_policies_are_refused_with_reasons,
    |s: TestServer| async move {
        let admin = s.session_for(ADMIN_EMAIL).await;
        let res = s
            .post(
                "set_policy",
                &[
                    ("idle_timeout_secs", "7200"),
                    ("absolute_timeout_secs", "3600"),
                    ("reauth_window_secs", "0"),
                    ("fingerprint_mode", "sometimes"),
                    ("remember_me_secs", "86400"),
                    ("max_sessions_per_user", "5"),
                ],
                Some(&admin),
            )
            .await;
        assert_eq!(res.status(), 400);
        assert!(json(res).await["message"]
            .as_str()
            .unwrap()
            .contains("fingerprint_mode must be strict, log or off"));
        let res = s
            .post(
                "set_policy",
                &[
                    ("idle_timeout_secs", "7200"),
                    ("absolute_timeout_secs", "3600"),
                    ("reauth_window_secs", "0"),
                    ("fingerprint_mode", "log"),
                    ("remember_me_secs", "86400"),
                    ("max_sessions_per_user", "5"),
                ],
                Some(&admin),
            )
            .await;
        assert_eq!(res.status(), 400);
        let message = json(res).await["message"].as_str().unwrap().to_owned();
        assert!(
            message.contains("idle timeout cannot be longer than the absolute lifetime"),
            "{message}"
        );
        assert!(
            message.contains("Re-authentication window must be a positive number"),
            "{message}"
        );
        let res = s
            .post("set_policy", &[("idle_timeout_secs", "ten")], Some(&admin))
            .await;
        assert_eq!(res.status(), 400);
        assert_eq!(
            s.hallpass.state().policy.current(),
            app::policy::Policy::default(),
            "nothing stored"
        );
    }
);

on_both_stores!(
    changing_the_password_ends_every_other_session,
    |s: TestServer| async move {
        let (laptop, _token) = common::remembered(&s, None).await;
        let phone = s.session_for(USER_EMAIL).await;
        let res = s
            .post(
                "change_password",
                &[("new_password", "a brand new passphrase")],
                Some(&phone),
            )
            .await;
        assert_eq!(res.status(), 200);
        let rotated = session_cookie(&res).expect("the id is regenerated").0;
        assert_eq!(json(res).await, 1, "one other session ended");
        let (status, err) = me_status(&s, &laptop).await;
        assert_eq!(status, 401);
        assert_eq!(err["reason"], "password_changed");
        assert_eq!(me_status(&s, &rotated).await.0, 200);
        assert_eq!(
            me_status(&s, &phone).await.0,
            401,
            "the pre-change id is dead"
        );
        assert_eq!(
            common::remember_tokens(&s, USER_EMAIL).await,
            0,
            "remember-me tokens revoked"
        );
        assert_eq!(s.login(USER_EMAIL, PASSWORD, None).await.status(), 401);
        assert_eq!(
            s.login(USER_EMAIL, "a brand new passphrase", None)
                .await
                .status(),
            200
        );
        let short = s
            .post(
                "change_password",
                &[("new_password", "short")],
                Some(&rotated),
            )
            .await;
        assert_eq!(short.status(), 400);
    }
);

on_both_stores!(
    role_changes_and_disabling_end_all_sessions,
    |s: TestServer| async move {
        let user = s.session_for(USER_EMAIL).await;
        let admin = s.session_for(ADMIN_EMAIL).await;
        assert_eq!(s.set_role(&admin, USER_EMAIL, "admin").await, 1);
        let (status, err) = me_status(&s, &user).await;
        assert_eq!(status, 401, "the old id never carries the new role");
        assert_eq!(err["reason"], "role_changed");
        let res = s.login(USER_EMAIL, PASSWORD, None).await;
        assert_eq!(json(res).await["role"], "admin");

        let res = s
            .post(
                "admin_set_access",
                &[("email", USER_EMAIL), ("role", "user"), ("disabled", "on")],
                Some(&admin),
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            s.login(USER_EMAIL, PASSWORD, None).await.status(),
            401,
            "a disabled account cannot sign in"
        );
        assert!(audit_kinds(&s).await.contains(&"role_changed".to_string()));
    }
);

on_both_stores!(
    too_many_sessions_evict_the_least_recently_used,
    |s: TestServer| async move {
        s.set_policy(1800, 28800, "strict", 2).await;
        let first = s.session_for(USER_EMAIL).await;
        s.advance(10);
        let second = s.session_for(USER_EMAIL).await;
        s.advance(10);
        assert_eq!(
            touch_status(&s, &first).await.0,
            200,
            "using the first makes the second the least recent"
        );
        s.advance(10);
        let third = s.session_for(USER_EMAIL).await;
        let (status, err) = me_status(&s, &second).await;
        assert_eq!(status, 401);
        assert_eq!(err["reason"], "limit");
        assert_eq!(me_status(&s, &first).await.0, 200);
        assert_eq!(me_status(&s, &third).await.0, 200);
        assert!(audit_kinds(&s).await.contains(&"limit_evicted".to_string()));
    }
);
