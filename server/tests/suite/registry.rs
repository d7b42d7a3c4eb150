//! Listing and revoking sessions through the API, on both stores.
use crate::common;

use common::{json, StoreKind, TestServer, ADMIN_EMAIL, USER_EMAIL};

async fn my_sessions(s: &TestServer, cookie: &str) -> Vec<serde_json::Value> {
    let res = s.post("my_sessions", &[], Some(cookie)).await;
    assert_eq!(res.status(), 200);
    json(res).await.as_array().unwrap().clone()
}

on_both_stores!(
    users_see_and_end_their_own_sessions,
    |s: TestServer| async move {
        let laptop = s.session_for(USER_EMAIL).await;
        let phone = s.session_for(USER_EMAIL).await;
        let mine = my_sessions(&s, &phone).await;
        assert_eq!(mine.len(), 2);
        let current: Vec<_> = mine.iter().filter(|m| m["current"] == true).collect();
        assert_eq!(
            current.len(),
            1,
            "exactly the caller's session is marked current"
        );
        for entry in &mine {
            assert_eq!(entry["email"], USER_EMAIL);
            assert_ne!(
                entry["handle"],
                laptop.as_str(),
                "handles are never cookie values"
            );
            assert_ne!(entry["handle"], phone.as_str());
            assert_eq!(entry["ip"], "127.0.0.1");
        }
        let other = mine.iter().find(|m| m["current"] == false).unwrap()["handle"]
            .as_str()
            .unwrap()
            .to_owned();

        // Someone else cannot end my session by its handle.
        let admin_as_user = s.session_for(ADMIN_EMAIL).await;
        let res = s
            .post(
                "revoke_session",
                &[("handle", &other)],
                Some(&admin_as_user),
            )
            .await;
        assert_eq!(res.status(), 400);
        assert_eq!(s.post("me", &[], Some(&laptop)).await.status(), 200);

        let res = s
            .post("revoke_session", &[("handle", &other)], Some(&phone))
            .await;
        assert_eq!(res.status(), 200);
        let res = s.post("me", &[], Some(&laptop)).await;
        assert_eq!(res.status(), 401);
        assert_eq!(json(res).await["reason"], "revoked");
        assert_eq!(my_sessions(&s, &phone).await.len(), 1);
    }
);

on_both_stores!(
    signing_out_other_devices_keeps_this_one,
    |s: TestServer| async move {
        let others: Vec<String> = futures_join(&s, 3).await;
        let this = s.session_for(USER_EMAIL).await;
        let res = s.post("revoke_other_sessions", &[], Some(&this)).await;
        assert_eq!(res.status(), 200);
        assert_eq!(json(res).await, 3);
        for other in others {
            assert_eq!(s.post("me", &[], Some(&other)).await.status(), 401);
        }
        assert_eq!(s.post("me", &[], Some(&this)).await.status(), 200);
    }
);

async fn futures_join(s: &TestServer, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(s.session_for(USER_EMAIL).await);
    }
    out
}

on_both_stores!(
    admins_list_and_revoke_everyone,
    |s: TestServer| async move {
        let user = s.session_for(USER_EMAIL).await;
        let user2 = s.session_for(USER_EMAIL).await;
        s.advance(1);
        let admin = s.session_for(ADMIN_EMAIL).await;
        assert_eq!(
            s.post("admin_sessions", &[], Some(&user)).await.status(),
            403
        );
        assert_eq!(s.post("audit_events", &[], Some(&user)).await.status(), 403);
        assert_eq!(s.get("/admin", Some(&user)).await.status(), 403);

        let res = s.post("admin_sessions", &[], Some(&admin)).await;
        assert_eq!(res.status(), 200);
        let dash = json(res).await;
        let sessions = dash["sessions"].as_array().unwrap();
        assert_eq!(sessions.len(), 3);
        assert_eq!(sessions.iter().filter(|x| x["current"] == true).count(), 1);
        assert_eq!(
            sessions[0]["email"], ADMIN_EMAIL,
            "most recently active first"
        );
        assert_eq!(
            dash["activity"].as_array().unwrap().last().unwrap()["active"],
            3
        );

        let target = sessions.iter().find(|x| x["email"] == USER_EMAIL).unwrap()["handle"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            s.post("admin_revoke_session", &[("handle", &target)], Some(&admin))
                .await
                .status(),
            200
        );
        let alive = [
            s.post("me", &[], Some(&user)).await.status(),
            s.post("me", &[], Some(&user2)).await.status(),
        ];
        assert_eq!(
            alive.iter().filter(|st| **st == 401).count(),
            1,
            "exactly the revoked one ended"
        );

        let res = s
            .post("admin_revoke_user", &[("email", USER_EMAIL)], Some(&admin))
            .await;
        assert_eq!(json(res).await, 1);
        let fresh_user = s.session_for(USER_EMAIL).await;
        let res = s.post("admin_revoke_all", &[], Some(&admin)).await;
        assert_eq!(
            json(res).await,
            1,
            "everyone except the admin's own session"
        );
        assert_eq!(s.post("me", &[], Some(&fresh_user)).await.status(), 401);
        assert_eq!(s.post("me", &[], Some(&admin)).await.status(), 200);

        let res = s
            .post("audit_events", &[("limit", "50")], Some(&admin))
            .await;
        let events = json(res).await;
        let revoked: Vec<_> = events
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "revoked")
            .collect();
        assert_eq!(revoked.len(), 3);
        assert!(revoked.iter().any(|e| e["reason"]
            .as_str()
            .unwrap()
            .contains("by admin admin@example.test")));
    }
);

on_both_stores!(
    a_dry_run_counts_what_a_policy_would_end,
    |s: TestServer| async move {
        let _old = s.session_for(USER_EMAIL).await;
        s.advance(600);
        let admin = s.session_for(ADMIN_EMAIL).await;
        let form = |idle: &'static str| {
            vec![
                ("idle_timeout_secs", idle),
                ("absolute_timeout_secs", "28800"),
                ("reauth_window_secs", "300"),
                ("fingerprint_mode", "strict"),
                ("remember_me_secs", "86400"),
                ("max_sessions_per_user", "10"),
            ]
        };
        let res = s.post("policy_dry_run", &form("300"), Some(&admin)).await;
        assert_eq!(
            json(res).await,
            serde_json::json!({"would_end": 1, "total": 2})
        );
        let res = s.post("policy_dry_run", &form("3600"), Some(&admin)).await;
        assert_eq!(
            json(res).await,
            serde_json::json!({"would_end": 0, "total": 2})
        );
        assert_eq!(
            s.hallpass.state().policy.current().idle_timeout_secs,
            1800,
            "a dry run saves nothing"
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_and_revocations_cross_instances() {
    let a = TestServer::start(StoreKind::Redis).await;
    let b = a.peer(StoreKind::Redis).await;
    let user = a.session_for(USER_EMAIL).await;
    let admin = b.session_for(ADMIN_EMAIL).await;
    let dash = json(b.post("admin_sessions", &[], Some(&admin)).await).await;
    let target = dash["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["email"] == USER_EMAIL)
        .expect("B lists A's session")["handle"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut events = a.hallpass.state().events.subscribe();
    assert_eq!(
        b.post("admin_revoke_session", &[("handle", &target)], Some(&admin))
            .await
            .status(),
        200
    );
    let heard = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            if let Ok(app::ssr::events::Event::SessionEnded { key, .. }) = events.recv().await {
                if key.as_str() == target {
                    break;
                }
            }
        }
    })
    .await;
    assert!(heard.is_ok(), "A's live stream hears B's revocation");
    let res = a.post("me", &[], Some(&user)).await;
    assert_eq!(res.status(), 401);
    assert_eq!(json(res).await["reason"], "revoked");
}

/// Writes a signed-in session of `user_id` / `email`, last used at `last_seen_ms`, through the
/// server's own store stack (hashed ids, the index, the backend), as a sign-in would.
async fn store_session(s: &TestServer, user_id: &str, email: &str, last_seen_ms: i64) {
    use app::ssr::{auth::AuthState, session::SessionRecord};
    use hallpass::store::SessionStore;
    let now = s.hallpass.state().clock.now();
    let auth = AuthState {
        user_id: user_id.into(),
        email: email.into(),
        role: app::model::Role::User,
        authenticated_at: now,
        created_at: now,
        last_seen: last_seen_ms.div_euclid(1000),
        ip: "203.0.113.7".into(),
        user_agent: "batch".into(),
        fingerprint: "f".into(),
        remembered: false,
        last_seen_ms,
        gen: 0,
        remember: None,
        method: app::model::AuthMethod::Password,
    };
    let mut record = SessionRecord::new(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    record.data.auth = Some(auth);
    s.hallpass
        .sessions()
        .store
        .create(&mut record)
        .await
        .unwrap();
}

on_every_store!(
    listings_load_sessions_in_batches_and_skip_outdated_ones,
    |s: TestServer| async move {
        // 3 users × 150 sessions: more than one batch on SQL (200 a query), one pipeline on
        // Redis.
        let now_ms = s.hallpass.state().clock.now() * 1000;
        for i in 0..450 {
            let user = i % 3;
            store_session(
                &s,
                &format!("batch-user-{user}"),
                &format!("batch{user}@example.test"),
                now_ms + i,
            )
            .await;
        }
        let registry = &s.hallpass.state().registry;
        assert_eq!(registry.list_user("batch-user-1").await.unwrap().len(), 150);
        assert_eq!(registry.list_recent(0, 1000).await.unwrap().len(), 450);
        // A user's generation moves on: their sessions drop out of every listing at once.
        registry.bump_generation("batch-user-0").await.unwrap();
        assert!(registry.list_user("batch-user-0").await.unwrap().is_empty());
        let all = registry.list_recent(0, 1000).await.unwrap();
        assert_eq!(all.len(), 300);
        assert!(all.iter().all(|(_, a)| a.user_id != "batch-user-0"));
        // Newest first, as before batching.
        let seen: Vec<i64> = all.iter().map(|(_, a)| a.last_seen_ms).collect();
        assert!(seen.windows(2).all(|w| w[0] >= w[1]), "{seen:?}");
    }
);

/// The handles and e-mails of one page of the admin list, and its total.
async fn admin_page(
    s: &TestServer,
    admin: &str,
    filter: &str,
    page: usize,
) -> (Vec<String>, Vec<String>, u64) {
    let page = page.to_string();
    let res = s
        .post(
            "admin_sessions",
            &[("filter", filter), ("page", &page)],
            Some(admin),
        )
        .await;
    assert_eq!(res.status(), 200);
    let dash = json(res).await;
    let rows = dash["sessions"].as_array().unwrap();
    let field = |name: &str| -> Vec<String> {
        rows.iter()
            .map(|r| r[name].as_str().unwrap().to_owned())
            .collect()
    };
    (
        field("handle"),
        field("email"),
        dash["total"].as_u64().unwrap(),
    )
}

on_every_store!(
    the_admin_list_pages_and_filters_on_the_server,
    |s: TestServer| async move {
        // 210 sessions of three accounts (more than two pages of 100), and the admin's own.
        let now_ms = s.hallpass.state().clock.now() * 1000;
        let mut accounts = Vec::new();
        for (email, sessions) in [
            ("pager-a1@example.test", 120),
            ("pager-a2@example.test", 60),
            ("pager-b@example.test", 30),
        ] {
            let user = s
                .hallpass
                .users()
                .create_pending(email, app::model::Role::User)
                .await
                .unwrap();
            for i in 0..sessions {
                store_session(&s, &user.id, email, now_ms - 1000 * (i + 1)).await;
            }
            accounts.push(user);
        }
        let admin = s.session_for(ADMIN_EMAIL).await;

        // Unfiltered: every session once across the pages, most recently active first, and
        // the total on every page.
        let mut seen = Vec::new();
        for page in 0..3 {
            let (handles, emails, total) = admin_page(&s, &admin, "", page).await;
            assert_eq!(total, 211, "page {page}");
            assert_eq!(handles.len(), [100, 100, 11][page], "page {page}");
            if page == 0 {
                assert_eq!(emails[0], ADMIN_EMAIL, "the newest session first");
            }
            seen.extend(handles);
        }
        let distinct: std::collections::HashSet<_> = seen.iter().collect();
        assert_eq!(distinct.len(), 211, "no session twice, none left out");
        let (past_the_end, _, _) = admin_page(&s, &admin, "", 3).await;
        assert!(past_the_end.is_empty());

        // Filtered on the server by the accounts' e-mails, case-insensitively, and paged.
        let (first, emails, total) = admin_page(&s, &admin, "PAGER-A", 0).await;
        assert_eq!((first.len(), total), (100, 180));
        assert!(
            emails.iter().all(|e| e.starts_with("pager-a")),
            "{emails:?}"
        );
        let (second, _, _) = admin_page(&s, &admin, "pager-a", 1).await;
        assert_eq!(second.len(), 80);
        assert!(second.iter().all(|h| !first.contains(h)));
        let (_, emails, total) = admin_page(&s, &admin, " pager-b@ ", 0).await;
        assert_eq!(total, 30);
        assert!(emails.iter().all(|e| e == "pager-b@example.test"));
        // `%` and `_` are characters, not wildcards.
        for literal in ["%", "_", "pager_a"] {
            assert_eq!(admin_page(&s, &admin, literal, 0).await.2, 0, "{literal}");
        }

        // Sessions ended meanwhile leave the list at once.
        let registry = &s.hallpass.state().registry;
        registry.bump_generation(&accounts[1].id).await.unwrap();
        // Paging on past the ended sessions' index entries (pruned as a page finds them)
        // skips no live session.
        let mut after = std::collections::HashSet::new();
        for page in 0..3 {
            let (handles, emails, _) = admin_page(&s, &admin, "", page).await;
            assert!(
                !emails.iter().any(|e| e == "pager-a2@example.test"),
                "page {page}"
            );
            after.extend(handles);
        }
        assert_eq!(after.len(), 151, "120 + 30 + the admin's own, none skipped");
        assert_eq!(admin_page(&s, &admin, "pager-a", 0).await.2, 120);
        // A filter no address could match is refused with the reason, not sent to the database.
        for (filter, why) in [
            ("x".repeat(300), "at most 254 characters"),
            ("a\u{0}b".to_owned(), "control characters"),
        ] {
            for endpoint in ["admin_sessions", "admin_users"] {
                let res = s.post(endpoint, &[("filter", &filter)], Some(&admin)).await;
                assert_eq!(res.status(), 400, "{endpoint}");
                let message = json(res).await["message"].as_str().unwrap().to_owned();
                assert!(message.contains(why), "{endpoint}: {message}");
            }
        }
        // Anything but a page number is a clear 400.
        let res = s
            .post("admin_sessions", &[("page", "-1")], Some(&admin))
            .await;
        assert_eq!(res.status(), 400);
    }
);

on_every_store!(
    sessions_written_at_once_are_all_stored,
    |s: TestServer| async move {
        use futures::StreamExt;
        // 3,000 sign-ins' worth of writes, 256 at a time, with listings reading meanwhile:
        // on the embedded SQLite in its default rollback journal some failed with "database
        // is locked" (a reader that wants to write while another connection writes gets
        // SQLITE_BUSY at once, whatever the busy timeout).
        let now_ms = s.hallpass.state().clock.now() * 1000;
        let registry = &s.hallpass.state().registry;
        let writes = futures::stream::iter(0..3000)
            .map(|i| {
                let s = &s;
                async move {
                    let user = format!("burst-{}", i % 100);
                    store_session(s, &user, "burst@example.test", now_ms + i).await;
                    if i % 50 == 0 {
                        registry
                            .list_recent(0, 100)
                            .await
                            .expect("a listing meanwhile");
                    }
                }
            })
            .buffer_unordered(256)
            .collect::<Vec<()>>();
        writes.await;
        assert_eq!(registry.count_all().await.unwrap(), 3000);
        assert_eq!(registry.list_recent(0, 5000).await.unwrap().len(), 3000);
    }
);
