//! A page whose render stops is cut off, instead of holding its connection forever unseen.
//!
//! A test binary of its own, so a process of its own: the stall is made with leptos's
//! process-wide switch that keeps every resource from loading (`SuppressResourceLoad`, the
//! mechanism behind leptos#4773), which would stall the pages of every test running beside it
//! in the suite's process.
use hallpass::{config::Config, Hallpass};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_whose_render_stops_is_cut_off_and_the_next_is_answered() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let database = format!("sqlite://{}/hallpass.db?mode=rwc", dir.path().display());
    let mut config = Config::new(database, None);
    config.addr = addr;
    config.render_timeout_secs = 1;
    let hallpass = Hallpass::start(&config).await.expect("server starts");
    let (router, timeouts) = (hallpass.router(), hallpass.timeouts());
    tokio::spawn(hallpass::transport::serve(
        listener,
        router,
        timeouts,
        std::future::pending(),
    ));
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/login");
    let page = |client: &reqwest::Client| {
        let req = client.get(&url).timeout(Duration::from_secs(30));
        async move { req.send().await?.error_for_status()?.text().await }
    };
    assert!(
        page(&client).await.unwrap().contains("Remember me"),
        "renders whole"
    );

    // From here no resource loads: the sign-in page's data never comes.
    let stall = leptos::server::SuppressResourceLoad::new();
    let started = Instant::now();
    let stalled = page(&client).await;
    let took = started.elapsed();
    drop(stall);
    let err = stalled.expect_err("the stalled page is not answered as if whole");
    assert!(
        !err.is_timeout(),
        "the server cut it off, not the client's 30 s: {err}"
    );
    assert!(
        took < Duration::from_secs(10),
        "cut off about the 1 s render timeout: {took:?}"
    );
    assert!(
        page(&client).await.unwrap().contains("Remember me"),
        "the next page is answered whole"
    );
}
