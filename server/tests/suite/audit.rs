//! A session's whole story in the audit trail: every event names the session by its storage
//! key, regenerations and remember-me restores link old and new keys, failed sign-ins name
//! the account they targeted, a replayed ended cookie is recorded once, and the trail can be
//! read as a timeline, exported as JSON Lines and printed by the CLI.
use crate::common;

use common::{
    json, key_of, session_cookie, TestServer, ADMIN_EMAIL, PASSWORD, USER_AGENT, USER_EMAIL,
};
use serde_json::Value;

const REMEMBER: &str = "__Host-hallpass-remember";

async fn events(s: &TestServer, admin: &str, email: Option<&str>) -> Vec<Value> {
    let mut form = vec![("limit", "1000")];
    if let Some(email) = email {
        form.push(("email", email));
    }
    let res = s.post("audit_events", &form, Some(admin)).await;
    assert_eq!(res.status(), 200);
    json(res).await.as_array().unwrap().clone()
}

async fn timeline(s: &TestServer, endpoint: &str, cookie: &str, key: &str) -> (u16, Value) {
    let res = s.post(endpoint, &[("handle", key)], Some(cookie)).await;
    (res.status().as_u16(), json(res).await)
}

fn keys(timeline: &Value) -> Vec<String> {
    timeline["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect()
}

on_every_store!(
    a_sessions_story_chains_across_regenerations_and_a_remember_me_restore,
    |s: TestServer| async move {
        // Sign in (remembered), confirm the password (a regeneration), lose the cookie and come
        // back with the token (a restore), sign out.
        let (first, token) = common::remembered(&s, None).await;
        let res = s
            .post("reauth", &[("password", PASSWORD)], Some(&first))
            .await;
        assert_eq!(res.status(), 200);
        let second = session_cookie(&res).unwrap().0;
        let res = s
            .post_raw("me", &[], &format!("{REMEMBER}={token}"), USER_AGENT)
            .await;
        assert_eq!(res.status(), 200);
        let third = session_cookie(&res).unwrap().0;
        assert_eq!(s.post("logout", &[], Some(&third)).await.status(), 200);
        let chain = [key_of(&first), key_of(&second), key_of(&third)];

        let admin = s.session_for(ADMIN_EMAIL).await;
        for from in &chain {
            let (status, story) = timeline(&s, "session_timeline", &admin, from).await;
            assert_eq!(status, 200, "{story}");
            assert_eq!(keys(&story), chain, "from {from}: {story}");
            let kinds: Vec<&str> = story["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["kind"].as_str().unwrap())
                .collect();
            for kind in [
                "login_ok",
                "id_regenerated",
                "reauth",
                "remember_used",
                "logout",
            ] {
                assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
            }
            for event in story["events"].as_array().unwrap() {
                assert!(event["session_key"].is_string(), "{event}");
                assert_eq!(event["user_agent"], USER_AGENT, "{event}");
                assert!(!event["ip"].as_str().unwrap_or("").is_empty(), "{event}");
                let text = event.to_string();
                for cookie in [&first, &second, &third] {
                    assert!(!text.contains(cookie.as_str()), "a raw id in the trail");
                }
            }
        }
        let story = timeline(&s, "session_timeline", &admin, &chain[0]).await.1;
        let regenerated = story["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "id_regenerated")
            .unwrap();
        assert_eq!(regenerated["from_session"], chain[0].as_str());
        assert_eq!(regenerated["session_key"], chain[1].as_str());
        let restored = story["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "remember_used")
            .unwrap();
        assert_eq!(
            restored["from_session"],
            chain[1].as_str(),
            "the token's last session"
        );

        // The owner sees the same story of their own session; nobody else's.
        let mine = s.session_for(USER_EMAIL).await;
        let (status, own) = timeline(&s, "my_session_timeline", &mine, &chain[1]).await;
        assert_eq!(status, 200);
        assert_eq!(keys(&own), chain);
        assert!(own["others"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| !chain.contains(&k.as_str().unwrap().to_owned())));
        let (status, _) = timeline(&s, "my_session_timeline", &admin, &chain[1]).await;
        assert_eq!(status, 404, "another user's session is not the admin's own");
        let (status, _) = timeline(&s, "my_session_timeline", &mine, &key_of(&admin)).await;
        assert_eq!(status, 404);
        let (status, body) = timeline(&s, "session_timeline", &admin, "not a handle").await;
        assert_eq!((status, body["code"].as_str()), (400, Some("BAD_REQUEST")));
        let (status, _) = timeline(&s, "session_timeline", &mine, &chain[0]).await;
        assert_eq!(status, 403, "a user does not read others' timelines");
    }
);

on_every_store!(
    failed_sign_ins_are_grouped_by_the_account_they_targeted,
    |s: TestServer| async move {
        for _ in 0..2 {
            assert_eq!(
                s.login(USER_EMAIL, "wrong password", None).await.status(),
                401
            );
        }
        for typed in ["ghost@example.test", " GHOST@Example.test"] {
            assert_eq!(s.login(typed, "wrong password", None).await.status(), 401);
        }
        let admin = s.session_for(ADMIN_EMAIL).await;
        let user_id = json(
            s.post("me", &[], Some(&s.session_for(USER_EMAIL).await))
                .await,
        )
        .await["user_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let failed = |events: Vec<Value>| {
            events
                .into_iter()
                .filter(|e| e["kind"] == "login_failed")
                .collect::<Vec<_>>()
        };
        let at_user = failed(events(&s, &admin, Some(USER_EMAIL)).await);
        assert_eq!(at_user.len(), 2);
        assert!(at_user.iter().all(|e| e["target"] == user_id.as_str()));
        let at_ghost = failed(events(&s, &admin, Some("ghost@example.test")).await);
        assert_eq!(
            at_ghost.len(),
            2,
            "both spellings group together: {at_ghost:?}"
        );
        let target = at_ghost[0]["target"].as_str().unwrap();
        assert!(target.starts_with("unknown:"), "{target}");
        assert!(at_ghost.iter().all(|e| e["target"] == target));
        for event in &at_ghost {
            assert!(
                !event.to_string().to_lowercase().contains("ghost"),
                "{event}"
            );
        }
        assert!(failed(events(&s, &admin, Some("nobody@example.test")).await).is_empty());
    }
);

on_every_store!(
    a_replayed_ended_cookie_is_recorded_once_per_session_and_reason,
    |s: TestServer| async move {
        let cookie = s.session_for(USER_EMAIL).await;
        assert_eq!(s.post("logout", &[], Some(&cookie)).await.status(), 200);
        let peer = s.peer(s.kind()).await;
        for server in [&s, &s, &s, &peer, &peer] {
            let res = server.post("me", &[], Some(&cookie)).await;
            assert_eq!(res.status(), 401);
            assert_eq!(json(res).await["reason"], "signed_out");
        }
        let admin = s.session_for(ADMIN_EMAIL).await;
        let replays: Vec<Value> = events(&s, &admin, None)
            .await
            .into_iter()
            .filter(|e| e["kind"] == "ended_session_used")
            .collect();
        assert_eq!(replays.len(), 1, "{replays:?}");
        assert_eq!(replays[0]["session_key"], key_of(&cookie).as_str());
        assert_eq!(replays[0]["reason"], "signed_out");
        assert_eq!(replays[0]["user_agent"], USER_AGENT);
        // It is part of the session's story.
        let story = timeline(&s, "session_timeline", &admin, &key_of(&cookie))
            .await
            .1;
        assert!(story["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "ended_session_used"));
    }
);

on_every_store!(
    a_fingerprint_mismatch_records_both_clients,
    |s: TestServer| async move {
        let cookie = s.session_for(USER_EMAIL).await;
        let res = s
            .post_raw(
                "me",
                &[],
                &format!("{}={cookie}", hallpass::session::COOKIE_NAME),
                "Another Browser/1.0",
            )
            .await;
        assert_eq!(json(res).await["reason"], "fingerprint");
        let admin = s.session_for(ADMIN_EMAIL).await;
        let event = events(&s, &admin, Some(USER_EMAIL))
            .await
            .into_iter()
            .find(|e| e["kind"] == "fingerprint_mismatch")
            .expect("recorded");
        assert_eq!(
            event["user_agent"], "Another Browser/1.0",
            "the client that presented it"
        );
        assert!(
            event["reason"].as_str().unwrap().contains(USER_AGENT),
            "and the one it was bound to: {event}"
        );
        assert_eq!(event["session_key"], key_of(&cookie).as_str());
    }
);

#[tokio::test]
async fn the_trail_exports_as_json_lines_on_the_web_and_the_cli() {
    let s = TestServer::start(common::StoreKind::Sqlite).await;
    let user = s.session_for(USER_EMAIL).await;
    assert_eq!(
        s.login("ghost@example.test", "nope", None).await.status(),
        401
    );
    let admin = s.session_for(ADMIN_EMAIL).await;
    let export = |cookie: String, query: &'static str| {
        let s = &s;
        async move {
            s.client
                .get(format!("{}/api/audit.jsonl{query}", s.base))
                .header(reqwest::header::USER_AGENT, USER_AGENT)
                .header(
                    reqwest::header::COOKIE,
                    format!("{}={cookie}", hallpass::session::COOKIE_NAME),
                )
                .send()
                .await
                .unwrap()
        }
    };
    let res = export(admin.clone(), "?since=0").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()[reqwest::header::CONTENT_TYPE],
        "application/x-ndjson; charset=utf-8"
    );
    let lines: Vec<Value> = res
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert!(
        kinds.contains(&"login_ok") && kinds.contains(&"login_failed"),
        "{kinds:?}"
    );
    let times: Vec<i64> = lines.iter().map(|l| l["at_ms"].as_i64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    assert_eq!(export(user.clone(), "").await.status(), 403);
    assert_eq!(
        export(admin.clone(), "?since=yesterday").await.status(),
        400
    );
    let res = export(admin.clone(), "?since=0&email=ghost@example.test").await;
    let ghost = res.text().await.unwrap();
    assert_eq!(ghost.lines().count(), 1, "{ghost}");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hallpass"))
        .args([
            "--database-url",
            &s.database_url,
            "audit-log",
            "--since",
            "1h",
            "--user",
            USER_EMAIL,
            "--format",
            "jsonl",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!printed.is_empty());
    let user_id = printed[0]["user_id"].clone();
    assert!(printed
        .iter()
        .all(|e| e["user_id"] == user_id || e["target"] == user_id));
    assert!(printed.iter().any(|e| e["kind"] == "login_ok"));
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_hallpass"))
        .args([
            "--database-url",
            &s.database_url,
            "audit-log",
            "--since",
            "soon",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}
