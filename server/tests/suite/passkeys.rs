//! Passkeys against real stores, with a software authenticator (webauthn-authenticator-rs's
//! `SoftPasskey`, the one Kanidm tests with) playing the browser: adding one, signing in with
//! it alone, stepping up with it, and the answers that must be refused (malformed, replayed,
//! for another origin, of another user, of a disabled user), which count like wrong passwords.
use crate::common;

use common::{
    json, session_cookie, user_id, StoreKind, TestServer, ADMIN_EMAIL, PASSWORD, USER_EMAIL,
};
use reqwest::{header, Response};
use serde_json::Value;
use webauthn_authenticator_rs::{softpasskey::SoftPasskey, WebauthnAuthenticator};
use webauthn_rs_proto::{
    AllowCredentials, CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse,
};

const ATTEMPT_COOKIE: &str = "__Host-hallpass-passkey";

/// A server whose public origin is `http://localhost:PORT` (a relying party needs a domain).
async fn server(kind: StoreKind) -> TestServer {
    TestServer::start_kind_with(kind, &|config| {
        config.public_origin = vec![format!("http://localhost:{}", config.addr.port())];
    })
    .await
}

macro_rules! on_passkey_stores {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let s = server(StoreKind::Sqlite).await;
                let _storage = s.storage();
                ($body)(s).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn redis() {
                let s = server(StoreKind::Redis).await;
                let _storage = s.storage();
                ($body)(s).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let s = server(StoreKind::Postgres).await;
                let _storage = s.storage();
                ($body)(s).await
            }
        }
    };
}

/// The browser: a software authenticator and the origin it says it runs on.
struct Browser {
    authenticator: WebauthnAuthenticator<SoftPasskey>,
    origin: url::Url,
}

impl Browser {
    fn on(s: &TestServer) -> Self {
        Self::at(&s.base)
    }

    fn at(origin: &str) -> Self {
        Self {
            authenticator: WebauthnAuthenticator::new(SoftPasskey::new(true)),
            origin: url::Url::parse(origin).unwrap(),
        }
    }

    /// Creates a credential for the server's options. The server asks for a discoverable
    /// credential; the software authenticator cannot store one, so it is told not to (the
    /// answer is signed the same way).
    fn create(&mut self, options: &str) -> RegisterPublicKeyCredential {
        let mut options: CreationChallengeResponse = serde_json::from_str(options).unwrap();
        let selection = options.public_key.authenticator_selection.as_mut().unwrap();
        assert_eq!(
            serde_json::to_value(selection.resident_key).unwrap(),
            "required",
            "the server asks for a discoverable credential"
        );
        selection.resident_key = None;
        selection.require_resident_key = false;
        self.authenticator
            .do_registration(self.origin.clone(), options)
            .expect("the authenticator registers")
    }

    /// Signs the server's challenge with `credential`; for a discoverable sign-in (no
    /// credentials listed) the credential is named and the user handle added as a
    /// discoverable authenticator would (neither is covered by the signature).
    fn sign(
        &mut self,
        options: &str,
        credential: &RegisterPublicKeyCredential,
        user_id: &str,
    ) -> PublicKeyCredential {
        let mut options: RequestChallengeResponse = serde_json::from_str(options).unwrap();
        let discoverable = options.public_key.allow_credentials.is_empty();
        if discoverable {
            options.public_key.allow_credentials = vec![AllowCredentials {
                type_: "public-key".into(),
                id: credential.raw_id.clone(),
                transports: None,
            }];
        }
        let mut answer = self
            .authenticator
            .do_authentication(self.origin.clone(), options)
            .expect("the authenticator signs");
        if discoverable {
            let uuid = uuid::Uuid::parse_str(user_id).unwrap();
            answer.response.user_handle = Some(uuid.as_bytes().to_vec().into());
        }
        answer
    }
}

async fn call(
    s: &TestServer,
    cookie: Option<&str>,
    endpoint: &str,
    form: &[(&str, &str)],
) -> Response {
    s.post(endpoint, form, cookie).await
}

/// Posts with the session cookie (if any) and the passkey attempt cookie.
async fn call_with_attempt(
    s: &TestServer,
    cookie: Option<&str>,
    attempt: &str,
    endpoint: &str,
    form: &[(&str, &str)],
) -> Response {
    let mut cookies = format!("{ATTEMPT_COOKIE}={attempt}");
    if let Some(cookie) = cookie {
        cookies.push_str(&format!("; __Host-hallpass={cookie}"));
    }
    s.client
        .post(format!("{}/api/{endpoint}", s.base))
        .header(header::ORIGIN, &s.base)
        .header(header::USER_AGENT, common::USER_AGENT)
        .header(header::COOKIE, cookies)
        .form(form)
        .send()
        .await
        .unwrap()
}

fn attempt_cookie(res: &Response) -> String {
    let (value, line) = common::set_cookie(res, ATTEMPT_COOKIE).expect("a passkey attempt cookie");
    assert!(
        line.contains("HttpOnly") && line.contains("Secure") && line.contains("Max-Age=120"),
        "{line}"
    );
    value
}

/// Starts a passkey sign-in; the attempt cookie.
async fn started(s: &TestServer) -> String {
    let start = call(s, None, "passkey_sign_in_start", &[]).await;
    assert_eq!(start.status(), 200);
    attempt_cookie(&start)
}

/// Finishes the sign-in of `attempt` with `credential`.
async fn finish(s: &TestServer, attempt: &str, credential: &str) -> Response {
    call_with_attempt(
        s,
        None,
        attempt,
        "passkey_sign_in_finish",
        &[("credential", credential)],
    )
    .await
}

/// Adds a passkey named `name` for the session `cookie` (which must be fresh); its credential.
async fn add_passkey(
    s: &TestServer,
    browser: &mut Browser,
    cookie: &str,
    name: &str,
) -> RegisterPublicKeyCredential {
    let res = call(s, Some(cookie), "passkey_register_start", &[]).await;
    assert_eq!(res.status(), 200);
    let options: String = res.json().await.unwrap();
    let credential = browser.create(&options);
    let answer = serde_json::to_string(&credential).unwrap();
    let res = call(
        s,
        Some(cookie),
        "passkey_register_finish",
        &[("name", name), ("credential", &answer)],
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    credential
}

/// A passkey sign-in: the attempt cookie, and the finish's response.
async fn sign_in_with(
    s: &TestServer,
    browser: &mut Browser,
    credential: &RegisterPublicKeyCredential,
    user_id: &str,
) -> (String, String, Response) {
    let start = call(s, None, "passkey_sign_in_start", &[]).await;
    assert_eq!(start.status(), 200);
    let attempt = attempt_cookie(&start);
    let options: String = start.json().await.unwrap();
    let answer = serde_json::to_string(&browser.sign(&options, credential, user_id)).unwrap();
    let res = call_with_attempt(
        s,
        None,
        &attempt,
        "passkey_sign_in_finish",
        &[("credential", &answer)],
    )
    .await;
    (attempt, answer, res)
}

/// Confirms it is the owner of `cookie`'s session with `credential` (start and finish).
async fn step_up(
    s: &TestServer,
    browser: &mut Browser,
    cookie: &str,
    credential: &RegisterPublicKeyCredential,
    user: &str,
) -> (String, Response) {
    let start = call(s, Some(cookie), "passkey_reauth_start", &[]).await;
    assert_eq!(start.status(), 200);
    let options: String = start.json().await.unwrap();
    let answer = serde_json::to_string(&browser.sign(&options, credential, user)).unwrap();
    let res = call(
        s,
        Some(cookie),
        "passkey_reauth_finish",
        &[("credential", &answer)],
    )
    .await;
    (answer, res)
}

on_passkey_stores!(
    a_passkey_is_added_then_signs_in_alone_steps_up_and_is_removed,
    |s: TestServer| async move {
        let mut browser = Browser::on(&s);
        let user = user_id(&s, USER_EMAIL).await;
        let cookie = s.session_for(USER_EMAIL).await;
        assert_eq!(
            json(call(&s, None, "passkeys_enabled", &[]).await).await,
            true
        );

        let credential = add_passkey(&s, &mut browser, &cookie, "laptop").await;
        let listed = json(call(&s, Some(&cookie), "my_passkeys", &[]).await).await;
        assert_eq!(listed.as_array().unwrap().len(), 1);
        assert_eq!(listed[0]["name"], "laptop");
        assert_eq!(listed[0]["last_used_at"], Value::Null);
        assert!(common::audit_kinds(&s)
            .await
            .contains(&"passkey_added".to_owned()));
        // The same authenticator cannot register the same credential twice, and a second
        // finish of the same ceremony finds no challenge.
        let again = serde_json::to_string(&credential).unwrap();
        let res = call(
            &s,
            Some(&cookie),
            "passkey_register_finish",
            &[("name", "x"), ("credential", &again)],
        )
        .await;
        assert_eq!(res.status(), 400);
        assert!(json(res).await["message"]
            .as_str()
            .unwrap()
            .contains("expired or was already used"));

        // Sign in with the passkey alone: a new session, recorded as a passkey sign-in.
        assert_eq!(call(&s, Some(&cookie), "logout", &[]).await.status(), 200);
        let (attempt, answer, res) = sign_in_with(&s, &mut browser, &credential, &user).await;
        assert_eq!(res.status(), 200);
        assert!(
            res.headers().get_all(header::SET_COOKIE).iter().any(|v| v
                .to_str()
                .unwrap()
                .starts_with(&format!("{ATTEMPT_COOKIE}=;"))),
            "the attempt cookie is removed"
        );
        let session = session_cookie(&res).expect("a session cookie").0;
        let me = json(res).await;
        assert_eq!(me["email"], USER_EMAIL);
        assert_eq!(me["auth_method"], "passkey");
        let mine = json(call(&s, Some(&session), "my_sessions", &[]).await).await;
        assert_eq!(mine[0]["auth_method"], "passkey");
        let logins: Vec<_> = common::audit_events(&s, 50)
            .await
            .into_iter()
            .filter(|e| e.kind == "login_ok")
            .collect();
        assert_eq!(
            logins[0].reason.as_deref(),
            Some("with passkey"),
            "{logins:?}"
        );

        // The same answer again: the challenge was used (same attempt) or is another one.
        let replay = finish(&s, &attempt, &answer).await;
        assert_eq!(replay.status(), 400);
        let other_attempt = started(&s).await;
        let replay = finish(&s, &other_attempt, &answer).await;
        assert_eq!(
            replay.status(),
            401,
            "an answer to another challenge is refused"
        );

        // Step-up: once the window has passed, a sensitive action asks again, and a passkey
        // answers: the id is regenerated, like a password re-authentication.
        s.advance(400);
        let res = call(
            &s,
            Some(&session),
            "change_password",
            &[("new_password", "another long password")],
        )
        .await;
        assert_eq!(res.status(), 403);
        let refusal = json(res).await;
        assert_eq!(refusal["code"], "REAUTH_REQUIRED");
        assert_eq!(refusal["accept"], "both");
        let (answer, res) = step_up(&s, &mut browser, &session, &credential, &user).await;
        assert_eq!(res.status(), 200);
        let stepped_up = session_cookie(&res).expect("the id is regenerated").0;
        assert_ne!(stepped_up, session);
        assert_eq!(json(res).await["auth_method"], "passkey");
        assert_eq!(
            call(&s, Some(&session), "me", &[]).await.status(),
            401,
            "the old id is gone"
        );
        let res = call(
            &s,
            Some(&stepped_up),
            "passkey_reauth_finish",
            &[("credential", &answer)],
        )
        .await;
        assert_eq!(res.status(), 400, "a re-authentication answer is used once");
        let listed = json(call(&s, Some(&stepped_up), "my_passkeys", &[]).await).await;
        assert!(listed[0]["last_used_at"].as_i64().is_some());

        // Removing it (fresh): it no longer signs in; the session it started goes on.
        let id = listed[0]["id"].as_str().unwrap().to_owned();
        assert_eq!(
            call(&s, Some(&stepped_up), "passkey_remove", &[("id", &id)])
                .await
                .status(),
            200
        );
        assert_eq!(
            call(&s, Some(&stepped_up), "passkey_remove", &[("id", &id)])
                .await
                .status(),
            400
        );
        let (_, _, res) = sign_in_with(&s, &mut browser, &credential, &user).await;
        assert_eq!(res.status(), 401);
        assert_eq!(call(&s, Some(&stepped_up), "me", &[]).await.status(), 200);
        assert!(common::audit_kinds(&s)
            .await
            .contains(&"passkey_removed".to_owned()));
    }
);

on_passkey_stores!(
    wrong_answers_get_a_clear_4xx_are_audited_and_count_like_guesses,
    |s: TestServer| async move {
        let mut browser = Browser::on(&s);
        let user = user_id(&s, USER_EMAIL).await;
        let admin = user_id(&s, ADMIN_EMAIL).await;
        let cookie = s.session_for(USER_EMAIL).await;
        let credential = add_passkey(&s, &mut browser, &cookie, "phone").await;

        // Without the attempt cookie: 400, nothing to check.
        let res = call(&s, None, "passkey_sign_in_finish", &[("credential", "{}")]).await;
        assert_eq!(res.status(), 400);
        // Malformed.
        let attempt = started(&s).await;
        let res = finish(&s, &attempt, "not json").await;
        assert_eq!(res.status(), 400);
        assert!(json(res).await["message"]
            .as_str()
            .unwrap()
            .contains("could not be read"));

        // Made for another origin (a look-alike page on another port): refused.
        let port: u16 = s.base.rsplit(':').next().unwrap().parse().unwrap();
        let mut phished = Browser::at(&format!("http://localhost:{}", port + 1));
        phished.authenticator = std::mem::replace(
            &mut browser.authenticator,
            WebauthnAuthenticator::new(SoftPasskey::new(true)),
        );
        let (_, _, res) = sign_in_with(&s, &mut phished, &credential, &user).await;
        assert_eq!(res.status(), 401);
        browser.authenticator = phished.authenticator;

        // The user's credential presented as another user's (the admin's handle): refused.
        let (_, _, res) = sign_in_with(&s, &mut browser, &credential, &admin).await;
        assert_eq!(res.status(), 401);
        let failures: Vec<_> = common::audit_events(&s, 50)
            .await
            .into_iter()
            .filter(|e| e.kind == "login_failed")
            .collect();
        assert!(failures.len() >= 3, "{failures:?}");
        assert!(
            failures
                .iter()
                .all(|e| e.reason.as_deref().unwrap_or("").contains("passkey")),
            "{failures:?}"
        );

        // A disabled account's passkey is useless at once.
        let admin_cookie = s.session_for(ADMIN_EMAIL).await;
        let res = call(
            &s,
            Some(&admin_cookie),
            "admin_set_access",
            &[
                ("email", USER_EMAIL),
                ("role", "user"),
                ("disabled", "true"),
            ],
        )
        .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let (_, _, res) = sign_in_with(&s, &mut browser, &credential, &user).await;
        assert_eq!(res.status(), 401);

        // Starting a sign-in stores nothing (anyone may start one): its state travels
        // sealed in the cookie, and a tampered cookie is refused.
        for _ in 0..20 {
            assert_eq!(
                call(&s, None, "passkey_sign_in_start", &[]).await.status(),
                200
            );
        }
        let stored: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM passkey_challenges WHERE bound_to NOT LIKE 'used:%'",
        )
        .fetch_one(s.hallpass.users().pool())
        .await
        .unwrap();
        assert_eq!(stored, 0);
        let attempt = started(&s).await;
        let (payload, mac) = attempt.rsplit_once('.').unwrap();
        let forged = format!("{}9.{mac}", payload);
        let res = finish(&s, &forged, "{}").await;
        assert_eq!(res.status(), 400);

        // Guessing: the address's allowance runs out like for passwords (429, Retry-After).
        let mut limited = None;
        for _ in 0..40 {
            let attempt = started(&s).await;
            let res = finish(&s, &attempt, "{}").await;
            if res.status() == 429 {
                limited = Some(res);
                break;
            }
            assert_eq!(res.status(), 400);
        }
        let limited = limited.expect("the address is locked before 40 failures");
        assert!(limited.headers().get(header::RETRY_AFTER).is_some());
        // Junk passkey answers lock passkey sign-ins from the address, not password ones.
        let res = s.login(ADMIN_EMAIL, PASSWORD, None).await;
        assert_eq!(res.status(), 200);
    }
);

on_passkey_stores!(
    the_policy_can_hold_admins_to_passkeys_without_locking_them_out,
    |s: TestServer| async move {
        let mut browser = Browser::on(&s);
        let admin = user_id(&s, ADMIN_EMAIL).await;
        let cookie = s.session_for(ADMIN_EMAIL).await;
        let policy = |admin_passkey: &'static str, methods: &'static str| {
            vec![
                ("idle_timeout_secs", "1800"),
                ("absolute_timeout_secs", "28800"),
                ("reauth_window_secs", "300"),
                ("fingerprint_mode", "strict"),
                ("remember_me_secs", "2592000"),
                ("max_sessions_per_user", "10"),
                ("reauth_methods", methods),
                ("admin_requires_passkey", admin_passkey),
            ]
        };
        // Contradictory: refused with the reason, like any invalid value.
        let res = call(&s, Some(&cookie), "set_policy", &policy("true", "password")).await;
        assert_eq!(res.status(), 400);
        assert!(json(res).await["message"]
            .as_str()
            .unwrap()
            .contains("cannot require a passkey"));
        // Requiring passkeys before the admin has one would lock every admin out.
        let res = call(&s, Some(&cookie), "set_policy", &policy("true", "both")).await;
        assert_eq!(res.status(), 400);
        assert!(json(res).await["message"]
            .as_str()
            .unwrap()
            .contains("Add a passkey"));

        let credential = add_passkey(&s, &mut browser, &cookie, "admin key").await;
        let res = call(&s, Some(&cookie), "set_policy", &policy("true", "both")).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        assert_eq!(
            json(call(&s, Some(&cookie), "get_policy", &[]).await).await["admin_requires_passkey"],
            true
        );

        // A stolen password can neither add the thief's passkey to an admin account that has
        // one, nor remove the owner's: that takes one of its passkeys now.
        let thief = s.session_for(ADMIN_EMAIL).await;
        let res = call(&s, Some(&thief), "passkey_register_start", &[]).await;
        assert_eq!(res.status(), 403);
        assert_eq!(json(res).await["accept"], "passkey");
        let owners = json(call(&s, Some(&thief), "my_passkeys", &[]).await).await;
        let id = owners[0]["id"].as_str().unwrap().to_owned();
        assert_eq!(
            call(&s, Some(&thief), "passkey_remove", &[("id", &id)])
                .await
                .status(),
            403
        );

        // Now a password-fresh admin session may not act as admin...
        let res = call(&s, Some(&cookie), "set_policy", &policy("true", "both")).await;
        assert_eq!(res.status(), 403);
        let refusal = json(res).await;
        assert_eq!(refusal["code"], "REAUTH_REQUIRED");
        assert_eq!(refusal["accept"], "passkey");
        // ...a password re-authentication does not change that...
        let res = call(&s, Some(&cookie), "reauth", &[("password", PASSWORD)]).await;
        assert_eq!(res.status(), 200);
        let cookie = session_cookie(&res).unwrap().0;
        assert_eq!(
            call(&s, Some(&cookie), "set_policy", &policy("true", "both"))
                .await
                .status(),
            403
        );
        // ...but it still confirms the admin's own, non-admin sensitive actions.
        let res = call(
            &s,
            Some(&cookie),
            "change_password",
            &[
                ("new_password", "correct horse battery staple 2"),
                ("keep_other_sessions", "true"),
            ],
        )
        .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let cookie = session_cookie(&res).map(|c| c.0).unwrap_or(cookie);
        // A passkey re-authentication does.
        let (_, res) = step_up(&s, &mut browser, &cookie, &credential, &admin).await;
        assert_eq!(res.status(), 200);
        let cookie = session_cookie(&res).unwrap().0;
        let res = call(&s, Some(&cookie), "set_policy", &policy("false", "passkey")).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

        // Passkey-only re-authentication: the password no longer confirms anything.
        let res = call(
            &s,
            Some(&cookie),
            "reauth",
            &[("password", "correct horse battery staple 2")],
        )
        .await;
        assert_eq!(res.status(), 403);
        assert!(json(res).await["message"]
            .as_str()
            .unwrap()
            .contains("passkey"));
    }
);

on_passkey_stores!(
    a_reset_password_takes_the_passkeys_with_it_and_confirming_never_locks_admins_out,
    |s: TestServer| async move {
        let mut browser = Browser::on(&s);
        let user = user_id(&s, USER_EMAIL).await;
        let cookie = s.session_for(USER_EMAIL).await;
        let credential = add_passkey(&s, &mut browser, &cookie, "intruder's key").await;
        // A password change keeps the time and factor of the confirmation that allowed it.
        let before = json(call(&s, Some(&cookie), "me", &[]).await).await;
        s.advance(5);
        let res = call(
            &s,
            Some(&cookie),
            "change_password",
            &[
                ("new_password", "a brand new long password"),
                ("keep_other_sessions", "true"),
            ],
        )
        .await;
        assert_eq!(res.status(), 200);
        let cookie = session_cookie(&res).map(|c| c.0).unwrap_or(cookie);
        let after = json(call(&s, Some(&cookie), "me", &[]).await).await;
        assert_eq!(after["authenticated_at"], before["authenticated_at"]);
        assert_eq!(after["auth_method"], before["auth_method"]);

        // An admin's forced reset removes the account's passkeys with its password.
        let admin = s.session_for(ADMIN_EMAIL).await;
        let res = call(
            &s,
            Some(&admin),
            "admin_reset_password",
            &[("email", USER_EMAIL)],
        )
        .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let (_, _, res) = sign_in_with(&s, &mut browser, &credential, &user).await;
        assert_eq!(res.status(), 401, "the passkey went with the reset");

        // The operator's way out of a lost authenticator: `hallpass user reset-passkeys`.
        let admin_id = user_id(&s, ADMIN_EMAIL).await;
        let admin = s.session_for(ADMIN_EMAIL).await;
        add_passkey(&s, &mut browser, &admin, "only key").await;
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hallpass"))
            .args(["user", "reset-passkeys", "--email", ADMIN_EMAIL])
            .env("HALLPASS_DATABASE_URL", &s.database_url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("removed 1 passkeys"));
        assert_eq!(
            json(call(&s, Some(&admin), "my_passkeys", &[]).await).await,
            serde_json::json!([])
        );
        assert!(common::audit_events(&s, 20).await.iter().any(
            |e| e.kind == "passkey_removed" && e.user_id.as_deref() == Some(admin_id.as_str())
        ));

        // An instance without passkeys (no domain origin) does not hold anyone to them: a
        // policy that asks for passkeys falls back to passwords there.
        add_passkey(&s, &mut browser, &admin, "new key").await;
        let res = call(
            &s,
            Some(&admin),
            "set_policy",
            &[
                ("idle_timeout_secs", "1800"),
                ("absolute_timeout_secs", "28800"),
                ("reauth_window_secs", "300"),
                ("fingerprint_mode", "strict"),
                ("remember_me_secs", "2592000"),
                ("max_sessions_per_user", "10"),
                ("reauth_methods", "passkey"),
                ("admin_requires_passkey", "true"),
            ],
        )
        .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let plain = s.peer(s.kind()).await;
        let there = plain.session_for(ADMIN_EMAIL).await;
        let res = call(&plain, Some(&there), "admin_revoke_all", &[]).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_domain_origin_passkeys_are_off_and_say_why() {
    let s = TestServer::start(StoreKind::Sqlite).await;
    let _storage = s.storage();
    assert_eq!(
        json(call(&s, None, "passkeys_enabled", &[]).await).await,
        false
    );
    let res = call(&s, None, "passkey_sign_in_start", &[]).await;
    assert_eq!(res.status(), 400);
    assert!(json(res).await["message"]
        .as_str()
        .unwrap()
        .contains("HALLPASS_PUBLIC_ORIGIN"));
}
