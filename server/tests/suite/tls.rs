//! TLS everywhere Hallpass talks: HTTPS to browsers (served by the binary itself, with the
//! certificate renewed in place and plain HTTP only redirecting), `rediss://` to Redis and
//! `sslmode=verify-full` to PostgreSQL, each against a real server using a certificate this
//! test makes.
use crate::common;

use common::{
    certs::Authority,
    served::Served,
    throwaway::{free_port, Postgres, Redis},
    StoreKind, TestServer, PASSWORD, USER_AGENT, USER_EMAIL,
};
use reqwest::{header, redirect::Policy, Client};
use std::{
    io::{Read, Write},
    process::Command,
    time::Duration,
};

/// A client that trusts only the test's CA.
fn trusting(ca: &Authority) -> Client {
    let pem = std::fs::read(ca.ca_file()).unwrap();
    Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// A TLS connection to 127.0.0.1:`port` (as `localhost`), trusting only the test's CA.
async fn tls_connect(
    ca: &Authority,
    port: u16,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca.ca_file()).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(hallpass::tls::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("handshake")
}

/// The certificate a TLS handshake with 127.0.0.1:`port` (as `localhost`) presents.
async fn presented(ca: &Authority, port: u16) -> Vec<u8> {
    let tls = tls_connect(ca, port).await;
    tls.get_ref().1.peer_certificates().unwrap()[0].to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_is_served_with_hsts_and_plain_http_only_redirects() {
    let ca = Authority::new("Hallpass test CA");
    let served = Served::start_tls(
        &ca,
        &[
            ("HALLPASS_HTTP_REDIRECT_ADDR", "127.0.0.1:0"),
            ("HALLPASS_HEADER_TIMEOUT_SECS", "1"),
        ],
    );
    let plain_port = served.port_after("redirecting http://");
    let port = served.port_after("listening on https://");
    let base = format!("https://localhost:{port}");
    let client = trusting(&ca);

    // The sign-in page over HTTPS, with HSTS for a year (what the HTTP Observatory asks for).
    let page = client.get(format!("{base}/login")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(
        page.headers()[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000; includeSubDomains"
    );
    // Signing in works end to end over TLS, and the cookie is the `__Host-` one.
    let login = client
        .post(format!("{base}/api/login"))
        .header(header::ORIGIN, &base)
        .header(header::USER_AGENT, USER_AGENT)
        .form(&[("email", "admin@example.test"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = common::session_cookie(&login).expect("a session cookie").0;
    let me = client
        .post(format!("{base}/api/me"))
        .header(header::ORIGIN, &base)
        .header(header::USER_AGENT, USER_AGENT)
        .header(header::COOKIE, format!("__Host-hallpass={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);

    // Plain HTTP answers every method and path with a permanent redirect to the same place on
    // https, and nothing else: no cookie, no page.
    let plain = Client::builder().redirect(Policy::none()).build().unwrap();
    for (method, path) in [
        (reqwest::Method::GET, "/account?tab=devices"),
        (reqwest::Method::POST, "/api/login"),
        (reqwest::Method::GET, "/"),
    ] {
        let res = plain
            .request(
                method.clone(),
                format!("http://localhost:{plain_port}{path}"),
            )
            .header(header::COOKIE, format!("__Host-hallpass={cookie}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 308, "{method} {path}");
        assert_eq!(
            res.headers()[header::LOCATION],
            format!("{base}{path}").as_str()
        );
        assert!(res.headers().get(header::SET_COOKIE).is_none());
        assert!(res
            .headers()
            .get(header::STRICT_TRANSPORT_SECURITY)
            .is_none());
    }
    // A request without a host cannot be redirected: 400 with a message.
    let mut raw = std::net::TcpStream::connect(("127.0.0.1", plain_port)).unwrap();
    raw.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut answer = String::new();
    raw.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.0 400"), "{answer}");
    assert!(answer.contains("redirect to https"), "{answer}");

    // The TLS port does not speak plain HTTP.
    assert!(plain
        .get(format!("http://127.0.0.1:{port}/login"))
        .send()
        .await
        .is_err());

    // A client that opens a connection and never starts its handshake is dropped after the
    // header timeout (1 s here), like one that never finishes its headers.
    let mut silent = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let (sent, took) = common::until_closed(&mut silent).await;
    assert!(sent.is_empty());
    assert!(took < Duration::from_secs(5), "{took:?}");

    // Nor one that completes the handshake and then says nothing.
    let mut quiet = tls_connect(&ca, port).await;
    let (_, took) = common::until_closed(&mut quiet).await;
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redirect_goes_to_the_public_origin_whatever_the_host_says() {
    let ca = Authority::new("Hallpass test CA");
    let served = Served::start_tls(
        &ca,
        &[
            ("HALLPASS_HTTP_REDIRECT_ADDR", "127.0.0.1:0"),
            ("HALLPASS_PUBLIC_ORIGIN", "HTTPS://app.example.test"),
        ],
    );
    let plain_port = served.port_after("redirecting http://");
    for (host, target) in [("evil.example", "/x?y=1"), ("app.example.test", "/")] {
        let mut raw = std::net::TcpStream::connect(("127.0.0.1", plain_port)).unwrap();
        raw.write_all(
            format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .unwrap();
        let mut answer = String::new();
        raw.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 308"), "{answer}");
        assert!(
            answer
                .to_lowercase()
                .contains(&format!("location: https://app.example.test{target}\r\n")),
            "{answer}"
        );
    }
    // Request targets that are not a path still land on the origin's root.
    let mut raw = std::net::TcpStream::connect(("127.0.0.1", plain_port)).unwrap();
    raw.write_all(b"OPTIONS * HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    raw.read_to_string(&mut answer).unwrap();
    assert!(
        answer
            .to_lowercase()
            .contains("location: https://app.example.test/\r\n"),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_certificate_is_served_without_a_restart_and_a_broken_one_is_not() {
    let ca = Authority::new("Hallpass test CA");
    let first = ca.issue();
    let (cert, key) = first.write(ca.dir());
    let served = Served::start(
        ca.dir(),
        &[
            ("HALLPASS_TLS_CERT", cert.to_str().unwrap()),
            ("HALLPASS_TLS_KEY", key.to_str().unwrap()),
        ],
    );
    let port = served.port_after("listening on https://");
    assert_eq!(presented(&ca, port).await, first.der);

    // A renewal writes both files; new handshakes get the new certificate.
    let renewed = ca.issue();
    renewed.write(ca.dir());
    served.wait_for("TLS certificate reloaded");
    assert_eq!(presented(&ca, port).await, renewed.der);

    // A key that does not belong to the certificate (a renewal caught half-way): the server
    // says so and keeps serving the last good pair.
    let other = ca.issue();
    std::fs::write(&key, &other.key_pem).unwrap();
    served.wait_for("do not load");
    assert_eq!(presented(&ca, port).await, renewed.der);
    // An expired certificate (with its own key): refused too.
    let expired = ca.issue_expired();
    expired.write(ca.dir());
    served.wait_for("not valid now");
    assert_eq!(presented(&ca, port).await, renewed.der);
    let page = trusting(&ca)
        .get(format!("https://localhost:{port}/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_that_does_not_load_stops_the_start_with_a_clear_message() {
    let ca = Authority::new("Hallpass test CA");
    let (cert, key) = ca.issue().write(ca.dir());
    std::fs::write(&key, ca.issue().key_pem).unwrap();
    let mut config = hallpass::config::Config::new(
        format!("sqlite://{}/hallpass.db?mode=rwc", ca.dir().display()),
        None,
    );
    config.tls_cert = Some(cert);
    config.tls_key = Some(key);
    let err = hallpass::Hallpass::start(&config).await.unwrap_err();
    let text = format!("{err:#}");
    assert!(text.contains("does not serve the certificate"), "{text}");
    // An expired one stops the start too.
    let (cert, key) = ca.issue_expired().write(ca.dir());
    let mut config = hallpass::config::Config::new(
        format!("sqlite://{}/hallpass.db?mode=rwc", ca.dir().display()),
        None,
    );
    config.tls_cert = Some(cert);
    config.tls_key = Some(key);
    let err = hallpass::Hallpass::start(&config).await.unwrap_err();
    assert!(format!("{err:#}").contains("not valid now"), "{err:#}");
    // The redirect listener alone is refused too (it would redirect to an https that is not
    // there).
    let mut config = hallpass::config::Config::new(
        format!("sqlite://{}/hallpass.db?mode=rwc", ca.dir().display()),
        None,
    );
    config.http_redirect_addr = Some("127.0.0.1:0".parse().unwrap());
    let err = hallpass::Hallpass::start(&config).await.unwrap_err();
    assert!(format!("{err:#}").contains("HALLPASS_TLS_CERT"), "{err:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_live_in_a_redis_reached_over_tls() {
    let ca = Authority::new("Hallpass test CA");
    let (cert, key) = ca.issue().write(ca.dir());
    let port = free_port();
    let _redis = Redis::start_tls(port, &cert, &key, &ca.ca_file());
    let url = format!("rediss://localhost:{port}");

    // Trusting the CA: sessions are written to, read from and ended in the TLS Redis, and the
    // event bus's subscription (its own connection) works over TLS too.
    let ca_file = ca.ca_file();
    let s = TestServer::start_with({
        let url = url.clone();
        move |config| {
            config.redis_url = Some(url.clone());
            config.redis_ca_file = Some(ca_file.clone());
        }
    })
    .await;
    let _storage = s.storage();
    assert!(matches!(s.kind(), StoreKind::Redis));
    let mut events = s.hallpass.state().events.subscribe();
    let cookie = s.session_for(USER_EMAIL).await;
    assert_eq!(s.post("me", &[], Some(&cookie)).await.status(), 200);
    let direct = hallpass::redis_conn::RedisTarget::new(url.clone(), Some(ca.ca_file()))
        .pool(1)
        .await
        .expect("the test reaches the TLS Redis");
    let keys: i64 = fred::interfaces::ServerInterface::dbsize(direct.next())
        .await
        .unwrap();
    assert!(
        keys > 0,
        "Hallpass's keys are in the TLS Redis (this server is the test's own)"
    );
    assert_eq!(s.post("logout", &[], Some(&cookie)).await.status(), 200);
    assert_eq!(s.post("me", &[], Some(&cookie)).await.status(), 401);
    tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("an event came back through the TLS subscription")
        .unwrap();

    // Not trusting it (the system's authorities do not know the test CA), or not speaking
    // TLS to it: the start fails and says why.
    for (url, ca_file, expected) in [
        (url.clone(), None, "UnknownIssuer"),
        (
            format!("redis://localhost:{port}"),
            None,
            "connecting to Redis",
        ),
        (
            format!("redis://localhost:{port}"),
            Some(ca.ca_file()),
            "not rediss://",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut config = hallpass::config::Config::new(
            format!("sqlite://{}/hallpass.db?mode=rwc", dir.path().display()),
            Some(url.clone()),
        );
        config.redis_ca_file = ca_file;
        let started =
            tokio::time::timeout(Duration::from_secs(20), hallpass::Hallpass::start(&config))
                .await
                .expect("the start gives up instead of hanging");
        let err = started.expect_err(&url);
        assert!(format!("{err:#}").contains(expected), "{url}: {err:#}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_is_reached_over_verified_tls() {
    let ca = Authority::new("Hallpass test CA");
    let issued = ca.issue();
    let pg = Postgres::new_tls(&issued.cert_pem, &issued.key_pem);
    let base = format!("postgres://postgres@localhost:{}/postgres", pg.port);
    let ca_file = ca.ca_file();

    // The server refuses unencrypted connections, so a start without TLS fails.
    let dir = tempfile::tempdir().unwrap();
    let config = hallpass::config::Config::new(format!("{base}?sslmode=disable"), None);
    let err = hallpass::Hallpass::start(&config).await.unwrap_err();
    assert!(format!("{err:#}").contains("no encryption"), "{err:#}");

    // A CA the server's certificate was not issued by: refused (verify-full checks the chain
    // and the host name).
    let stranger = Authority::new("Someone else's CA");
    let config = hallpass::config::Config::new(
        format!(
            "{base}?sslmode=verify-full&sslrootcert={}",
            stranger.ca_file().display()
        ),
        None,
    );
    let err = hallpass::Hallpass::start(&config).await.unwrap_err();
    assert!(format!("{err:#}").contains("UnknownIssuer"), "{err:#}");

    // verify-full with the right CA: Hallpass runs on it, and the connections are encrypted.
    let url = format!(
        "{base}?sslmode=verify-full&sslrootcert={}",
        ca_file.display()
    );
    let s = TestServer::start_with_database(StoreKind::Postgres, &url, dir).await;
    let _storage = s.storage();
    let cookie = s.session_for(USER_EMAIL).await;
    assert_eq!(s.post("me", &[], Some(&cookie)).await.status(), 200);
    let ssl: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(s.hallpass.users().pool())
        .await
        .unwrap();
    assert!(ssl, "the connection is encrypted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hallpass_audit_grades_hallpass_over_real_tls_an_a() {
    // The scanner trusts the system's authorities; SSL_CERT_FILE points them at the test CA.
    let ca = Authority::new("Hallpass test CA");
    let served = Served::start_tls(&ca, &[]);
    let port = served.port_after("listening on https://");
    let form = format!(
        "email=admin%40example.test&password={}",
        PASSWORD.replace(' ', "+")
    );
    let out = Command::new(env!("CARGO_BIN_EXE_hallpass"))
        .args(["audit", &format!("https://localhost:{port}")])
        .args(["--login", "/api/login", "--form", &form, "--probe", "/"])
        .args([
            "--logout",
            "/api/logout",
            "--logout-all",
            "/api/revoke_other_sessions",
        ])
        .args(["--samples", "20", "--rps", "100", "--format", "json"])
        .env("SSL_CERT_FILE", ca.ca_file())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["grade"], "A", "{report}");
    let passed: Vec<&str> = report["passed"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    for check in [
        "headers-hsts",
        "cookie-secure",
        "cookie-host-prefix",
        "csrf-foreign-origin",
    ] {
        assert!(passed.contains(&check), "{check}: {report}");
    }
}
