//! The HTTP surface's edges: static files answer only reads and name their charset, unknown
//! pages render under their own CSP nonce, pages refuse other methods with 405.
use crate::common;

use common::{TestServer, USER_AGENT, USER_EMAIL};
use reqwest::{header, Method, Response};

/// A server whose site root holds a stylesheet, a script and the favicon from `public/`.
async fn with_assets() -> TestServer {
    let site = tempfile::tempdir().unwrap().keep();
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/hallpass.css"), "body { color: black }\n").unwrap();
    std::fs::write(site.join("pkg/hallpass.js"), "export {};\n").unwrap();
    let favicon = concat!(env!("CARGO_MANIFEST_DIR"), "/../public/favicon.ico");
    std::fs::copy(favicon, site.join("favicon.ico")).expect("public/favicon.ico exists");
    TestServer::start_with(move |config| {
        config.site_root = site.display().to_string();
    })
    .await
}

async fn send(s: &TestServer, method: Method, path: &str, cookie: Option<&str>) -> Response {
    let mut req = s
        .client
        .request(method, format!("{}{path}", s.base))
        .header(header::ORIGIN, &s.base)
        .header(header::USER_AGENT, USER_AGENT);
    if let Some(cookie) = cookie {
        req = req.header(
            header::COOKIE,
            format!("{}={cookie}", hallpass::session::COOKIE_NAME),
        );
    }
    req.send().await.unwrap()
}

/// The nonce the response's CSP allows scripts with.
fn header_nonce(res: &Response) -> String {
    let policy = res.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("no nonce in {policy}"))
        .to_owned()
}

#[tokio::test]
async fn assets_name_their_charset_and_the_favicon_exists() {
    let s = with_assets().await;
    for (path, kind) in [
        ("/pkg/hallpass.css", "text/css; charset=utf-8"),
        ("/pkg/hallpass.js", "text/javascript; charset=utf-8"),
        ("/favicon.ico", "image/x-icon"),
    ] {
        let res = send(&s, Method::GET, path, None).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()[header::CONTENT_TYPE], kind, "{path}");
        let res = send(&s, Method::HEAD, path, None).await;
        assert_eq!(res.status(), 200, "HEAD {path}");
    }
}

#[tokio::test]
async fn assets_and_pages_answer_only_reads() {
    let s = with_assets().await;
    let session = s.session_for(USER_EMAIL).await;
    for path in [
        "/pkg/hallpass.css",
        "/favicon.ico",
        "/",
        "/sessions",
        "/login",
    ] {
        for method in ["PUT", "DELETE", "PATCH", "TRACE", "POST", "OPTIONS"] {
            for cookie in [None, Some(session.as_str())] {
                let res = send(
                    &s,
                    Method::from_bytes(method.as_bytes()).unwrap(),
                    path,
                    cookie,
                )
                .await;
                assert_eq!(res.status(), 405, "{method} {path} (signed in: {cookie:?})");
                assert_eq!(res.headers()[header::ALLOW], "GET, HEAD");
                let body = res.text().await.unwrap();
                assert!(!body.contains("body {"), "{method} {path} served the file");
            }
        }
    }
}

#[tokio::test]
async fn a_missing_asset_is_a_plain_404() {
    let s = with_assets().await;
    let res = send(&s, Method::GET, "/pkg/no-such-file.js", None).await;
    assert_eq!(res.status(), 404);
    let body = res.text().await.unwrap();
    assert!(!body.contains("<script"), "nothing that could run: {body}");
}

#[tokio::test]
async fn the_not_found_page_carries_its_own_responses_nonce() {
    let s = with_assets().await;
    let session = s.session_for(USER_EMAIL).await;
    for cookie in [Some(session.as_str()), None] {
        let res = send(&s, Method::GET, "/no-such-page", cookie).await;
        if cookie.is_none() {
            assert_eq!(res.status(), 303, "signed out: to the sign-in page");
            continue;
        }
        assert_eq!(res.status(), 404);
        let nonce = header_nonce(&res);
        let html = res.text().await.unwrap();
        assert!(html.contains("Page not found"), "{html}");
        let scripts = html.matches("<script").count();
        assert!(scripts > 0, "the page hydrates: {html}");
        assert_eq!(
            html.matches(&format!("nonce=\"{nonce}\"")).count(),
            scripts,
            "every script carries the header's nonce"
        );
    }
}
