//! Redis stopped mid-traffic: requests that need a session fail closed with 503 and a clear
//! message, nobody gets in, the process stays up, and it recovers by itself when Redis returns.
mod common;

use common::{json, StoreKind, TestServer, PASSWORD, USER_EMAIL};
use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

struct Redis(Child);

impl Redis {
    fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
                "--bind",
                "127.0.0.1",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server runs (scripts/setup installs it)");
        // Ready when it accepts connections.
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Redis(child)
    }

    fn stop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_fails_closed_and_recovers() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut redis = Redis::start(port);
    let s = TestServer::start(StoreKind::RedisAt(format!("redis://127.0.0.1:{port}"))).await;
    let cookie = s.session_for(USER_EMAIL).await;
    assert_eq!(s.post("me", &[], Some(&cookie)).await.status(), 200);

    redis.stop();
    let started = Instant::now();
    let res = s.post("me", &[], Some(&cookie)).await;
    assert_eq!(
        res.status(),
        503,
        "a session that cannot be checked is refused"
    );
    let err = json(res).await;
    assert_eq!(err["code"], "UNAVAILABLE");
    assert_eq!(
        err["message"],
        "The sign-in service is temporarily unavailable. Please try again shortly."
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "fails fast: {:?}",
        started.elapsed()
    );
    let page = s.get("/", Some(&cookie)).await;
    assert_eq!(page.status(), 503);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("temporarily unavailable"),
        "browsers get a page that says so"
    );
    assert_eq!(
        s.login(USER_EMAIL, PASSWORD, None).await.status(),
        503,
        "nobody gets in"
    );

    // Redis returns (empty: it keeps nothing on disk): the server recovers by itself.
    let _redis = Redis::start(port);
    let back = Instant::now();
    let deadline = back + Duration::from_secs(10);
    let mut status = 0;
    while Instant::now() < deadline {
        status = s.login(USER_EMAIL, PASSWORD, None).await.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "sign-in works again once Redis is back");
    let res = s.post("me", &[], Some(&cookie)).await;
    assert_eq!(
        res.status(),
        401,
        "the session lost with Redis's memory stays lost"
    );
    println!("recovered within {:?} of Redis returning", back.elapsed());
}
