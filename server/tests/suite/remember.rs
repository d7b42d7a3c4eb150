//! Remember me: hashed at rest, rotated on use, replay detected as theft.
use crate::common;

use common::{json, remember_cookie, session_cookie, TestServer, PASSWORD, USER_AGENT, USER_EMAIL};
use sha2::{Digest, Sha256};

const REMEMBER: &str = "__Host-hallpass-remember";

async fn remembered_login(s: &TestServer) -> (String, String) {
    let res = s
        .post(
            "login",
            &[
                ("email", USER_EMAIL),
                ("password", PASSWORD),
                ("remember", "on"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let (token, line) = remember_cookie(&res).expect("a remember-me cookie");
    for attr in [
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
        "Path=/",
        "Max-Age=2592000",
    ] {
        assert!(line.contains(attr), "{line} lacks {attr}");
    }
    (session_cookie(&res).unwrap().0, token)
}

/// A request with only the remember-me cookie (the browser session ended).
async fn with_token(s: &TestServer, token: &str) -> reqwest::Response {
    s.post_raw("me", &[], &format!("{REMEMBER}={token}"), USER_AGENT)
        .await
}

on_both_stores!(
    a_remembered_user_comes_back_with_a_new_session,
    |s: TestServer| async move {
        let (session, token) = remembered_login(&s).await;
        let (selector, validator) = token.split_once(':').unwrap();
        assert_eq!(
            (selector.len(), validator.len()),
            (32, 32),
            "128 random bits each"
        );
        let stored = s
            .hallpass
            .state()
            .remember
            .stored_hash(&token)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            stored,
            hex::encode(Sha256::digest(validator.as_bytes())),
            "only the hash is stored"
        );
        assert!(!stored.contains(validator));

        let res = with_token(&s, &token).await;
        assert_eq!(res.status(), 200);
        let new_session = session_cookie(&res).expect("a new session").0;
        let rotated = remember_cookie(&res).expect("the validator rotates").0;
        assert_ne!(new_session, session);
        assert_ne!(rotated, token);
        assert!(
            rotated.starts_with(selector),
            "same selector, new validator"
        );
        assert_eq!(json(res).await["email"], USER_EMAIL);

        // A remembered session has not seen a password: sensitive actions need one.
        let res = s
            .post(
                "change_password",
                &[("new_password", "another long passphrase")],
                Some(&new_session),
            )
            .await;
        assert_eq!(res.status(), 403);
        assert_eq!(json(res).await["code"], "REAUTH_REQUIRED");
        let res = s
            .post("reauth", &[("password", PASSWORD)], Some(&new_session))
            .await;
        let fresh = session_cookie(&res).unwrap().0;
        let res = s
            .post(
                "change_password",
                &[("new_password", "another long passphrase")],
                Some(&fresh),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
);

on_both_stores!(
    parallel_requests_within_the_grace_window_are_not_theft,
    |s: TestServer| async move {
        let (_, token) = remembered_login(&s).await;
        let first = with_token(&s, &token).await;
        let second = with_token(&s, &token).await;
        assert_eq!(first.status(), 200);
        assert_eq!(second.status(), 200);
        assert!(remember_cookie(&first).is_some());
        assert!(remember_cookie(&second).is_none(), "only one rotation");
    }
);

on_both_stores!(
    a_replayed_token_ends_everything,
    |s: TestServer| async move {
        let (original_session, stolen) = remembered_login(&s).await;
        let res = with_token(&s, &stolen).await;
        let victim_session = session_cookie(&res).unwrap().0;
        let current = remember_cookie(&res).unwrap().0;
        s.advance(31);

        let res = with_token(&s, &stolen).await;
        assert_eq!(res.status(), 401);
        assert_eq!(remember_cookie(&res).expect("cookie removed").0, "");
        assert_eq!(json(res).await["reason"], "theft");
        for session in [&original_session, &victim_session] {
            let res = s.post("me", &[], Some(session)).await;
            assert_eq!(res.status(), 401);
            assert_eq!(json(res).await["reason"], "theft");
        }
        assert_eq!(
            with_token(&s, &current).await.status(),
            401,
            "every token of the user is revoked"
        );
        assert_eq!(common::remember_tokens(&s, USER_EMAIL).await, 0,);
        let kinds = common::audit_kinds(&s).await;
        assert!(kinds.contains(&"remember_theft".to_string()));
        assert!(kinds.contains(&"remember_used".to_string()));
    }
);

on_both_stores!(
    logout_revokes_the_remember_token,
    |s: TestServer| async move {
        let (session, token) = remembered_login(&s).await;
        let res = s
            .post_raw(
                "logout",
                &[],
                &format!("__Host-hallpass={session}; {REMEMBER}={token}"),
                USER_AGENT,
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(remember_cookie(&res).expect("cookie removed").0, "");
        assert_eq!(with_token(&s, &token).await.status(), 401);
    }
);

on_both_stores!(
    forged_and_expired_tokens_are_refused,
    |s: TestServer| async move {
        let res = with_token(&s, "not-a-token").await;
        assert_eq!(res.status(), 401);
        assert_eq!(remember_cookie(&res).expect("cookie removed").0, "");
        let (_, token) = remembered_login(&s).await;
        s.advance(30 * 86400 + 1);
        assert_eq!(with_token(&s, &token).await.status(), 401);
    }
);

on_every_store!(
    a_straggler_with_a_regenerated_id_does_not_redeem_the_token,
    |s: TestServer| async move {
        // A request the browser sent just before a re-authentication's answer came back
        // carries the old id and the remember-me token. Redeeming the token would start a
        // second, unconfirmed session whose cookie could land after the fresh one.
        let (old, token) = remembered_login(&s).await;
        let res = s
            .post("reauth", &[("password", PASSWORD)], Some(&old))
            .await;
        assert_eq!(res.status(), 200);
        let fresh = session_cookie(&res).unwrap().0;

        let res = s
            .post_raw(
                "me",
                &[],
                &format!("__Host-hallpass={old}; {REMEMBER}={token}"),
                USER_AGENT,
            )
            .await;
        assert_eq!(res.status(), 401, "the old id is not signed in");
        assert!(
            session_cookie(&res).is_none(),
            "no cookie is set: the browser already holds the fresh one"
        );
        assert!(remember_cookie(&res).is_none(), "the token is not used");
        assert_eq!(json(res).await["code"], "SESSION_MOVED");
        // The same straggler reaching another instance: the marker lives in the shared store.
        let peer = s.peer(s.kind()).await;
        let res = peer
            .post_raw(
                "me",
                &[],
                &format!("__Host-hallpass={old}; {REMEMBER}={token}"),
                USER_AGENT,
            )
            .await;
        assert_eq!(res.status(), 401, "on a second instance too");
        assert!(session_cookie(&res).is_none() && remember_cookie(&res).is_none());
        assert_eq!(json(res).await["code"], "SESSION_MOVED");
        let res = s.post("me", &[], Some(&fresh)).await;
        assert_eq!(res.status(), 200, "the fresh session is untouched");
        assert_eq!(
            s.hallpass
                .state()
                .registry
                .sessions_of(&json(res).await["user_id"].as_str().unwrap().to_owned())
                .await
                .unwrap()
                .len(),
            1,
            "and it is the only one"
        );

        // The browser really lost the fresh cookie: the token still brings it back once the
        // moment has passed.
        s.advance(61);
        let res = with_token(&s, &token).await;
        assert_eq!(res.status(), 200);
    }
);
