//! Two `hallpass` processes on different ports, sharing Redis and the database: a session made
//! on one is listed and revoked through the other.
use crate::common;

use common::{json, redis_url, PASSWORD, USER_AGENT};
use reqwest::{header, redirect::Policy, Client};
use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// Starts a process on a port the system picks (a port picked here and passed on could be
/// taken by a parallel test's process before this one binds it); its base URL, read from the
/// line it logs once it listens.
fn spawn(database_url: &str, namespace: &str) -> (Process, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hallpass"))
        .arg("serve")
        .env("HALLPASS_DATABASE_URL", database_url)
        .env("HALLPASS_REDIS_URL", redis_url())
        .env("HALLPASS_REDIS_NAMESPACE", namespace)
        .env("HALLPASS_ADMIN_EMAIL", "admin@example.test")
        .env("HALLPASS_ADMIN_PASSWORD", PASSWORD)
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn,hallpass=info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .spawn()
        .expect("hallpass starts");
    let stdout = child.stdout.take().unwrap();
    let process = Process(child);
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("the process logs where it listens")
            .unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            let addr: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                .collect();
            break format!("http://{addr}");
        }
    };
    // Keep draining its output, so the process never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (process, base)
}

/// Waits until the process answers (it is ready when its port accepts a request).
async fn ready(client: &Client, base: &str) {
    for _ in 0..200 {
        if client.get(format!("{base}/login")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{base} did not come up");
}

async fn login(client: &Client, base: &str, email: &str) -> String {
    let res = client
        .post(format!("{base}/api/login"))
        .header(header::ORIGIN, base)
        .header(header::USER_AGENT, USER_AGENT)
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    common::session_cookie(&res).unwrap().0
}

async fn post(
    client: &Client,
    base: &str,
    endpoint: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(format!("{base}/api/{endpoint}"))
        .header(header::ORIGIN, base)
        .header(header::USER_AGENT, USER_AGENT)
        .header(header::COOKIE, format!("__Host-hallpass={cookie}"))
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_sqlite_and_redis() {
    let dir = tempfile::tempdir().unwrap();
    two_processes_share_sessions_listings_and_revocations(&format!(
        "sqlite://{}/hallpass.db?mode=rwc",
        dir.path().display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_postgres_and_redis() {
    let db = common::PgDatabase::create().await;
    two_processes_share_sessions_listings_and_revocations(&db.url()).await;
}

async fn two_processes_share_sessions_listings_and_revocations(database_url: &str) {
    let database_url = database_url.to_owned();
    let namespace = format!("procs-{:016x}", rand::random::<u64>());
    let (_a, a) = spawn(&database_url, &namespace);
    let client = Client::builder().redirect(Policy::none()).build().unwrap();
    ready(&client, &a).await;
    // B starts once A has created the first admin, so both use the same account.
    let (_b, b) = spawn(&database_url, &namespace);
    ready(&client, &b).await;

    let on_a = login(&client, &a, "admin@example.test").await;
    let on_b = login(&client, &b, "admin@example.test").await;
    let dash = json(post(&client, &b, "admin_sessions", &on_b, &[]).await).await;
    let sessions = dash["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "B lists the session made on A");
    let target = sessions.iter().find(|s| s["current"] == false).unwrap()["handle"]
        .as_str()
        .unwrap()
        .to_owned();

    assert_eq!(
        post(
            &client,
            &b,
            "admin_revoke_session",
            &on_b,
            &[("handle", &target)]
        )
        .await
        .status(),
        200
    );
    let res = post(&client, &a, "me", &on_a, &[]).await;
    assert_eq!(res.status(), 401, "A honours B's revocation");
    assert_eq!(json(res).await["reason"], "revoked");
    assert_eq!(
        post(&client, &a, "me", &on_b, &[]).await.status(),
        200,
        "B's session works on A"
    );
}
