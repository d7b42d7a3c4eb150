//! Signing in and out over real HTTP, against the SQLite store and the real Redis.
use crate::common;

use common::{session_cookie, TestServer, ADMIN_EMAIL, PASSWORD, USER_EMAIL};
use hallpass::session::COOKIE_NAME;
use reqwest::header;

on_both_stores!(
    login_issues_a_hardened_session_cookie,
    |s: TestServer| async move {
        let res = s.login(USER_EMAIL, PASSWORD, None).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
        let (value, line) = session_cookie(&res).expect("Set-Cookie for the session");
        let attrs: Vec<&str> = line.split(';').map(str::trim).skip(1).collect();
        for expected in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(attrs.contains(&expected), "{line} lacks {expected}");
        }
        assert!(
            !line.contains("Domain") && !line.contains("Max-Age") && !line.contains("Expires"),
            "{line}"
        );
        // 128 random bits, URL-safe base64 without padding.
        assert_eq!(value.len(), 22, "{value}");
        let me: serde_json::Value = res.json().await.unwrap();
        assert_eq!(me["email"], USER_EMAIL);
        assert_eq!(me["role"], "user");

        let res = s.post("me", &[], Some(&value)).await;
        assert_eq!(res.status(), 200);
        let me: serde_json::Value = res.json().await.unwrap();
        assert_eq!(me["email"], USER_EMAIL);
    }
);

on_both_stores!(
    wrong_credentials_get_one_generic_401,
    |s: TestServer| async move {
        let wrong_password = s.login(USER_EMAIL, "not the password", None).await;
        let unknown_user = s.login("nobody@example.test", PASSWORD, None).await;
        assert_eq!(wrong_password.status(), 401);
        assert_eq!(unknown_user.status(), 401);
        assert!(
            session_cookie(&wrong_password).is_none() && session_cookie(&unknown_user).is_none()
        );
        let a: serde_json::Value = wrong_password.json().await.unwrap();
        let b: serde_json::Value = unknown_user.json().await.unwrap();
        assert_eq!(
            a, b,
            "the answer must not reveal whether the account exists"
        );
        assert_eq!(a["code"], "UNAUTHORIZED");
        assert_eq!(a["message"], "Incorrect email or password.");
    }
);

on_both_stores!(
    login_regenerates_the_session_id,
    |s: TestServer| async move {
        let first = s.session_for(USER_EMAIL).await;
        // Signing in again while holding a session (e.g. one planted by an attacker) must give a
        // new id and kill the old one.
        let res = s.login(ADMIN_EMAIL, PASSWORD, Some(&first)).await;
        assert_eq!(res.status(), 200);
        let second = session_cookie(&res).expect("a new cookie").0;
        assert_ne!(first, second);
        assert_eq!(
            s.post("me", &[], Some(&first)).await.status(),
            401,
            "the pre-login id must be dead"
        );
        let me: serde_json::Value = s.post("me", &[], Some(&second)).await.json().await.unwrap();
        assert_eq!(me["email"], ADMIN_EMAIL);
        assert_eq!(me["role"], "admin");
    }
);

on_both_stores!(
    logout_destroys_the_session_and_clears_the_cookie,
    |s: TestServer| async move {
        let cookie = s.session_for(USER_EMAIL).await;
        let res = s.post("logout", &[], Some(&cookie)).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["clear-site-data"], "\"cache\", \"storage\"");
        let (value, line) = session_cookie(&res).expect("a removal cookie");
        assert_eq!(value, "");
        for expected in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=0"] {
            assert!(line.contains(expected), "{line} lacks {expected}");
        }
        // Replaying the old cookie gets nothing.
        let replay = s.post("me", &[], Some(&cookie)).await;
        assert_eq!(replay.status(), 401);
        let err: serde_json::Value = replay.json().await.unwrap();
        assert_eq!(err["code"], "UNAUTHORIZED");
        assert_eq!(s.get("/", Some(&cookie)).await.status(), 303);
    }
);

on_both_stores!(protected_pages_need_a_session, |s: TestServer| async move {
    let res = s.get("/", None).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[header::LOCATION], "/login");
    let login_page = s.get("/login", None).await;
    assert_eq!(login_page.status(), 200);
    let html = login_page.text().await.unwrap();
    assert!(html.contains("Remember me") && html.contains("Password"));

    let cookie = s.session_for(USER_EMAIL).await;
    let home = s.get("/", Some(&cookie)).await;
    assert_eq!(home.status(), 200);
    assert_eq!(home.headers()[header::CACHE_CONTROL], "no-store");
    assert!(
        home.text().await.unwrap().contains(USER_EMAIL),
        "home shows who is signed in"
    );
    let res = s.get("/login", Some(&cookie)).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[header::LOCATION], "/");
});

on_both_stores!(
    bad_cookies_and_bodies_get_clear_4xx,
    |s: TestServer| async move {
        let cookie = s.session_for(USER_EMAIL).await;
        let twice = format!("{COOKIE_NAME}={cookie}; {COOKIE_NAME}={cookie}");
        let res = s
            .client
            .post(format!("{}/api/me", s.base))
            .header(header::COOKIE, twice)
            .header(header::ORIGIN, &s.base)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let err: serde_json::Value = res.json().await.unwrap();
        assert_eq!(err["message"], "More than one session cookie was sent.");

        let res = s.post("me", &[], Some("not-an-id")).await;
        assert_eq!(res.status(), 401);
        assert_eq!(
            session_cookie(&res).expect("malformed cookie is removed").0,
            ""
        );

        // A well-formed id the store does not know (e.g. the old id of a session a concurrent
        // request just regenerated) is not answered with a removal cookie that could race the new one.
        let res = s.post("me", &[], Some("AAAAAAAAAAAAAAAAAAAAAA")).await;
        assert_eq!(res.status(), 401);
        assert!(session_cookie(&res).is_none());

        let res = s.post("login", &[("email", USER_EMAIL)], None).await;
        assert_eq!(res.status(), 400, "missing password field");
        let err: serde_json::Value = res.json().await.unwrap();
        assert_eq!(err["code"], "BAD_REQUEST");

        let huge = "x".repeat(100 * 1024);
        let res = s
            .post("login", &[("email", USER_EMAIL), ("password", &huge)], None)
            .await;
        let status = res.status();
        let body = res.text().await.unwrap();
        assert_eq!(status, 413, "{body}");
    }
);

on_both_stores!(
    cross_site_requests_are_refused,
    |s: TestServer| async move {
        let cookie = s.session_for(USER_EMAIL).await;
        let logout = |headers: Vec<(&'static str, String)>| {
            let mut req = s
                .client
                .post(format!("{}/api/logout", s.base))
                .header(header::USER_AGENT, common::USER_AGENT)
                .header(header::COOKIE, format!("{COOKIE_NAME}={cookie}"));
            for (k, v) in headers {
                req = req.header(k, v);
            }
            req.send()
        };
        for attack in [
            vec![
                ("sec-fetch-site", "cross-site".to_owned()),
                ("origin", "http://localhost:1".to_owned()),
            ],
            vec![("origin", "null".to_owned())],
            vec![("origin", format!("{}.evil.test", s.base))],
            vec![],
        ] {
            let res = logout(attack.clone()).await.unwrap();
            assert_eq!(res.status(), 403, "{attack:?}");
            assert_eq!(
                res.json::<serde_json::Value>().await.unwrap()["code"],
                "FORBIDDEN"
            );
        }
        assert_eq!(
            s.post("me", &[], Some(&cookie)).await.status(),
            200,
            "the session survived every attempt"
        );
        let res = logout(vec![("sec-fetch-site", "same-origin".to_owned())])
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
);

on_both_stores!(
    pages_carry_security_headers_and_a_fresh_script_nonce,
    |s: TestServer| async move {
        let first = s.get("/login", None).await;
        let second = s.get("/login", None).await;
        let policy = |res: &reqwest::Response| {
            res.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .to_owned()
        };
        let (p1, p2) = (policy(&first), policy(&second));
        for directive in [
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "script-src 'self' 'nonce-",
        ] {
            assert!(p1.contains(directive), "{p1} lacks {directive}");
        }
        assert!(
            !p1.contains("unsafe-inline") && !p1.contains("'unsafe-eval'"),
            "{p1}"
        );
        let nonce = p1
            .split("'nonce-")
            .nth(1)
            .unwrap()
            .split('\'')
            .next()
            .unwrap()
            .to_owned();
        assert_eq!(nonce.len(), 32, "128-bit nonce");
        assert_ne!(p1, p2, "a new nonce per response");
        assert_eq!(first.headers()["x-content-type-options"], "nosniff");
        assert_eq!(first.headers()["referrer-policy"], "no-referrer");
        assert_eq!(first.headers()["cross-origin-opener-policy"], "same-origin");
        assert!(
            first.headers().get("strict-transport-security").is_none(),
            "no HSTS over plain http"
        );
        let html = first.text().await.unwrap();
        let scripts = html.matches("<script").count();
        assert!(scripts > 0);
        assert_eq!(
            html.matches(&format!("nonce=\"{nonce}\"")).count(),
            scripts,
            "every script carries the nonce"
        );
    }
);

/// The status of a request sent exactly as written (clients normalise dot segments away).
async fn raw_status(s: &TestServer, path: &str) -> u16 {
    use tokio::io::AsyncWriteExt;
    let host = s.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    // Bounded (this once waited forever, 1 of 18 runs of the sign-in tests); the captured
    // output, shown when it fails, names the request that got no answer.
    eprintln!("GET {path}");
    let (response, _) = common::until_closed(&mut stream).await;
    String::from_utf8_lossy(&response)
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_with_dot_segments_are_refused() {
    let s = common::TestServer::start(common::StoreKind::Sqlite).await;
    for path in [
        "/pkg/%2e%2e/admin",
        "/pkg/%2E%2E/admin",
        "/./admin",
        "/sessions/../admin",
        "/pkg/../admin",
        "/api/%2e/me",
        "/pkg/..\\admin",
        "/sessions\\..\\admin",
        "/admin\\",
        "/pkg/%5c..%5cadmin",
    ] {
        assert_eq!(raw_status(&s, path).await, 400, "{path}");
    }
    assert_eq!(
        raw_status(&s, "/admin").await,
        303,
        "the plain path goes to sign-in"
    );
    assert_eq!(raw_status(&s, "/login").await, 200);
}
