//! Accounts managed from the dashboard: creating them (with a password or a one-time link),
//! changing roles, disabling, forcing a reset, deleting; each ends what it must, is audited
//! with who did it, and never leaves the deployment without an enabled admin.
use crate::common;

use common::{json, session_cookie, TestServer, ADMIN_EMAIL, PASSWORD, USER_EMAIL};
use serde_json::Value;

const NEW: &str = "new.colleague@example.test";

async fn admin(s: &TestServer) -> String {
    s.session_for(ADMIN_EMAIL).await
}

async fn call(s: &TestServer, cookie: &str, endpoint: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let res = s.post(endpoint, form, Some(cookie)).await;
    (res.status().as_u16(), json(res).await)
}

fn token_of(link: &Value) -> String {
    link.as_str()
        .unwrap()
        .strip_prefix("/set-password?token=")
        .expect("a set-password path")
        .to_owned()
}

async fn set_password(s: &TestServer, token: &str, password: &str) -> reqwest::Response {
    s.post(
        "set_password_with_link",
        &[("token", token), ("new_password", password)],
        None,
    )
    .await
}

async fn user_count(s: &TestServer) -> i64 {
    s.hallpass.state().users.count().await.unwrap()
}

on_every_store!(
    an_account_created_with_a_password_can_sign_in,
    |s: TestServer| async move {
        let admin = admin(&s).await;
        let (status, created) = call(
            &s,
            &admin,
            "admin_create_user",
            &[
                ("email", NEW),
                ("role", "user"),
                ("password", "a fine long password"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{created}");
        assert!(created["link"].is_null());
        assert_eq!(
            s.login(NEW, "a fine long password", None).await.status(),
            200
        );
        let before = user_count(&s).await;
        for (form, why) in [
            (
                vec![
                    ("email", NEW),
                    ("role", "user"),
                    ("password", "another password"),
                ],
                "duplicate",
            ),
            (
                vec![
                    ("email", "not-an-email"),
                    ("role", "user"),
                    ("password", "long enough pw"),
                ],
                "malformed",
            ),
            (
                vec![
                    ("email", "weak@example.test"),
                    ("role", "user"),
                    ("password", "short"),
                ],
                "weak",
            ),
            (
                vec![
                    ("email", "x@example.test"),
                    ("role", "root"),
                    ("password", "long enough pw"),
                ],
                "role",
            ),
            (
                vec![("email", "y@example.test"), ("role", "user")],
                "no password, no link",
            ),
        ] {
            let (status, body) = call(&s, &admin, "admin_create_user", &form).await;
            assert_eq!(status, 400, "{why}: {body}");
            assert!(!body["message"].as_str().unwrap().is_empty());
        }
        assert_eq!(user_count(&s).await, before, "nothing changed");
        let kinds = common::audit_kinds(&s).await;
        assert!(kinds.contains(&"account_created".to_owned()));
    }
);

on_every_store!(
    a_set_password_link_works_once_and_expires,
    |s: TestServer| async move {
        let admin = admin(&s).await;
        let (status, created) = call(
            &s,
            &admin,
            "admin_create_user",
            &[("email", NEW), ("role", "user"), ("link", "on")],
        )
        .await;
        assert_eq!(status, 200, "{created}");
        let token = token_of(&created["link"]);
        assert_eq!(token.len(), 64, "256 random bits");
        assert_eq!(
            s.login(NEW, "", None).await.status(),
            401,
            "no password yet"
        );
        let res = set_password(&s, &token, "short").await;
        assert_eq!(
            res.status(),
            400,
            "weak passwords are refused, the link still works"
        );
        let res = set_password(&s, &token, "my own long password").await;
        assert_eq!(res.status(), 200);
        assert!(
            session_cookie(&res).is_some(),
            "signed in with a fresh session"
        );
        assert_eq!(json(res).await["email"], NEW);
        let res = set_password(&s, &token, "a second password!").await;
        assert_eq!(res.status(), 400, "never twice");
        assert_eq!(
            s.login(NEW, "my own long password", None).await.status(),
            200
        );
        // Only the hash is stored.
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM password_links WHERE hash = $1")
            .bind(&token)
            .fetch_one(s.hallpass.state().users.pool())
            .await
            .unwrap();
        assert_eq!(stored, 0);

        let (_, reset) = call(&s, &admin, "admin_reset_password", &[("email", NEW)]).await;
        let token = token_of(&reset["link"]);
        s.advance(24 * 3600 + 1);
        let admin = s.session_for(ADMIN_EMAIL).await;
        assert_eq!(
            set_password(&s, &token, "too late password").await.status(),
            400
        );
        assert_eq!(
            set_password(&s, "0123", "whatever long").await.status(),
            400
        );
        let _ = admin;
    }
);

on_every_store!(
    a_forced_reset_ends_everything_and_the_old_password_stops_working,
    |s: TestServer| async move {
        let laptop = s.session_for(USER_EMAIL).await;
        let admin = admin(&s).await;
        let (status, impact) =
            call(&s, &admin, "admin_user_impact", &[("email", USER_EMAIL)]).await;
        assert_eq!(status, 200);
        assert_eq!(impact["live_sessions"], 1);
        let (status, reset) =
            call(&s, &admin, "admin_reset_password", &[("email", USER_EMAIL)]).await;
        assert_eq!(status, 200, "{reset}");
        assert_eq!(reset["ended_sessions"], 1);
        let res = s.post("me", &[], Some(&laptop)).await;
        assert_eq!(res.status(), 401);
        assert_eq!(
            json(res).await["reason"],
            "password_changed",
            "the tab is told why"
        );
        assert_eq!(s.login(USER_EMAIL, PASSWORD, None).await.status(), 401);
        let res = set_password(&s, &token_of(&reset["link"]), "a brand new password").await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            s.login(USER_EMAIL, "a brand new password", None)
                .await
                .status(),
            200
        );
        assert!(common::audit_kinds(&s)
            .await
            .contains(&"password_reset".to_owned()));
    }
);

on_every_store!(
    disabling_and_deleting_end_the_sessions_and_say_who_did_it,
    |s: TestServer| async move {
        let laptop = s.session_for(USER_EMAIL).await;
        let admin = admin(&s).await;
        let ended = s.set_role(&admin, USER_EMAIL, "user").await;
        assert_eq!(ended, 1);
        let res = s.post("me", &[], Some(&laptop)).await;
        assert_eq!(json(res).await["reason"], "role_changed");
        let (status, _) = call(
            &s,
            &admin,
            "admin_set_access",
            &[
                ("email", USER_EMAIL),
                ("role", "user"),
                ("disabled", "true"),
            ],
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            s.login(USER_EMAIL, PASSWORD, None).await.status(),
            401,
            "disabled"
        );
        let events = common::audit_events(&s, 50).await;
        assert!(events.iter().any(|e| e.kind == "role_changed"
            && e.reason
                .as_deref()
                .unwrap_or("")
                .contains("disabled true by admin admin@example.test")));

        let (status, _) = call(
            &s,
            &admin,
            "admin_set_access",
            &[("email", USER_EMAIL), ("role", "user")],
        )
        .await;
        assert_eq!(status, 200, "enabled again");
        let phone = s.session_for(USER_EMAIL).await;
        let (status, deleted) =
            call(&s, &admin, "admin_delete_user", &[("email", USER_EMAIL)]).await;
        assert_eq!(status, 200, "{deleted}");
        assert_eq!(deleted["ended_sessions"], 1);
        let res = s.post("me", &[], Some(&phone)).await;
        assert_eq!(res.status(), 401);
        assert_eq!(s.login(USER_EMAIL, PASSWORD, None).await.status(), 401);
        let (status, _) = call(&s, &admin, "admin_delete_user", &[("email", USER_EMAIL)]).await;
        assert_eq!(status, 400, "unknown user");
        assert!(common::audit_kinds(&s)
            .await
            .contains(&"account_deleted".to_owned()));
    }
);

on_every_store!(
    admins_cannot_change_themselves_nor_remove_the_last_admin,
    |s: TestServer| async move {
        let admin = admin(&s).await;
        for (endpoint, form) in [
            (
                "admin_set_access",
                vec![("email", ADMIN_EMAIL), ("role", "user")],
            ),
            (
                "admin_set_access",
                vec![
                    ("email", ADMIN_EMAIL),
                    ("role", "admin"),
                    ("disabled", "true"),
                ],
            ),
            ("admin_delete_user", vec![("email", ADMIN_EMAIL)]),
            ("admin_reset_password", vec![("email", ADMIN_EMAIL)]),
        ] {
            let (status, body) = call(&s, &admin, endpoint, &form).await;
            assert_eq!(status, 400, "{endpoint}: {body}");
        }
        assert_eq!(s.post("me", &[], Some(&admin)).await.status(), 200);

        // Two admins demoting each other at the same moment: one of them stays an admin.
        s.set_role(&admin, USER_EMAIL, "admin").await;
        let (a, b) = (admin, s.session_for(USER_EMAIL).await);
        let (first, second) = tokio::join!(
            call(
                &s,
                &a,
                "admin_set_access",
                &[("email", USER_EMAIL), ("role", "user")]
            ),
            call(
                &s,
                &b,
                "admin_set_access",
                &[("email", ADMIN_EMAIL), ("role", "user")]
            ),
        );
        let admins: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0")
                .fetch_one(s.hallpass.state().users.pool())
                .await
                .unwrap();
        assert!(admins >= 1, "{first:?} {second:?}");
    }
);

on_both_stores!(
    the_account_list_pages_filters_and_counts_sessions,
    |s: TestServer| async move {
        let admin = admin(&s).await;
        let _laptop = s.session_for(USER_EMAIL).await;
        let _phone = s.session_for(USER_EMAIL).await;
        for i in 0..30 {
            let email = format!("member{i:02}@example.test");
            let (status, _) = call(
                &s,
                &admin,
                "admin_create_user",
                &[
                    ("email", &email),
                    ("role", "user"),
                    ("password", "a fine long password"),
                ],
            )
            .await;
            assert_eq!(status, 200);
        }
        let (status, first) = call(&s, &admin, "admin_users", &[]).await;
        assert_eq!(status, 200);
        assert_eq!(first["total"], 32);
        assert_eq!(first["accounts"].as_array().unwrap().len(), 25);
        let (_, second) = call(&s, &admin, "admin_users", &[("page", "1")]).await;
        assert_eq!(second["accounts"].as_array().unwrap().len(), 7);
        let (_, only) = call(&s, &admin, "admin_users", &[("filter", "USER@")]).await;
        let rows = only["accounts"].as_array().unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["live_sessions"], 2);
        assert!(rows[0]["last_sign_in_ms"].is_i64());
        let (_, wild) = call(&s, &admin, "admin_users", &[("filter", "%")]).await;
        assert_eq!(wild["total"], 0, "the filter is text, not a pattern");
        let (status, _) = call(&s, &admin, "admin_users", &[("sort", "password")]).await;
        assert_eq!(status, 400);
        let user = s.session_for(USER_EMAIL).await;
        assert_eq!(call(&s, &user, "admin_users", &[]).await.0, 403);
    }
);
