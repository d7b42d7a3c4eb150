//! `hallpass audit`: each finding is raised exactly when its flaw is present. The targets are
//! a small axum app with a switch per flaw (a clean one raises nothing), and Hallpass itself.
use crate::common;

use axum::{
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Form, Router,
};
use hallpass::scan::{self, Credentials, Endpoint, Options, Severity, Target};
use std::{
    collections::{BTreeSet, HashMap},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

/// One switch per flaw.
#[derive(Clone, Copy, Debug, Default)]
struct Flaws {
    fixation: bool,
    no_httponly: bool,
    no_secure: bool,
    no_samesite: bool,
    domain: bool,
    persistent: bool,
    default_name: bool,
    counter_ids: bool,
    short_ids: bool,
    logout_keeps_session: bool,
    get_logout: bool,
    id_in_url: bool,
    no_no_store: bool,
    no_csrf_check: bool,
    no_idle_timeout: bool,
    no_headers: bool,
    logout_all_keeps_others: bool,
    /// The sign-in page issues an anonymous session, and signing in keeps its id without
    /// setting the cookie again (PHP's classic, without `session_regenerate_id`).
    anonymous_kept: bool,
}

struct App {
    flaws: Flaws,
    /// Each session's start and last use.
    sessions: Mutex<HashMap<String, (Instant, Instant)>>,
    /// The absolute lifetime, if the target enforces one.
    absolute: Option<Duration>,
    /// Anonymous sessions the sign-in page issued.
    anonymous: Mutex<std::collections::HashSet<String>>,
    counter: AtomicU64,
    idle: Duration,
    origin: String,
}

type Shared = Arc<App>;

impl App {
    fn cookie_name(&self) -> &'static str {
        if self.flaws.default_name {
            "connect.sid"
        } else {
            "__Host-sid"
        }
    }

    fn session_of(&self, headers: &HeaderMap) -> Option<String> {
        let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
        cookies.split(';').find_map(|c| {
            let (n, v) = c.trim().split_once('=')?;
            (n == self.cookie_name()).then(|| v.to_owned())
        })
    }

    fn set_cookie(&self, id: &str) -> String {
        let f = self.flaws;
        let mut line = format!("{}={id}; Path=/", self.cookie_name());
        if !f.no_httponly {
            line.push_str("; HttpOnly");
        }
        if !f.no_secure {
            line.push_str("; Secure");
        }
        if !f.no_samesite {
            line.push_str("; SameSite=Lax");
        }
        if f.domain {
            line.push_str("; Domain=example.test");
        }
        if f.persistent {
            line.push_str("; Max-Age=86400");
        }
        line
    }

    fn new_id(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        if self.flaws.counter_ids {
            format!("sess{}", 100_000 + n)
        } else if self.flaws.short_ids {
            hex::encode(rand::random::<[u8; 6]>())
        } else {
            hex::encode(rand::random::<[u8; 16]>())
        }
    }

    fn cross_site(&self, headers: &HeaderMap) -> bool {
        let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        site.is_some_and(|s| s != "same-origin") || origin.is_some_and(|o| o != self.origin)
    }
}

async fn login_page(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let mut res = "<form method=post><input type=hidden name=\"_csrf\" value=\"tok-42\"></form>"
        .into_response();
    let known = app
        .session_of(&headers)
        .is_some_and(|id| app.anonymous.lock().unwrap().contains(&id));
    if app.flaws.anonymous_kept && !known {
        let id = app.new_id();
        app.anonymous.lock().unwrap().insert(id.clone());
        res.headers_mut()
            .insert(header::SET_COOKIE, app.set_cookie(&id).parse().unwrap());
    }
    if !app.flaws.no_headers {
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; frame-ancestors 'none'"
                .parse()
                .unwrap(),
        );
        h.insert(header::X_CONTENT_TYPE_OPTIONS, "nosniff".parse().unwrap());
        h.insert(header::REFERRER_POLICY, "no-referrer".parse().unwrap());
    }
    res
}

async fn login(
    State(app): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if form.get("password").map(String::as_str) != Some("secret")
        || form.get("_csrf").map(String::as_str) != Some("tok-42")
    {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let anonymous = app
        .session_of(&headers)
        .filter(|id| app.flaws.anonymous_kept && app.anonymous.lock().unwrap().contains(id));
    if let Some(id) = anonymous {
        // Signed in under the id it already had: no new cookie.
        app.sessions
            .lock()
            .unwrap()
            .insert(id, (Instant::now(), Instant::now()));
        return "signed in".into_response();
    }
    let id = match app.session_of(&headers) {
        Some(planted) if app.flaws.fixation => planted,
        _ => app.new_id(),
    };
    app.sessions
        .lock()
        .unwrap()
        .insert(id.clone(), (Instant::now(), Instant::now()));
    let cookie = app.set_cookie(&id);
    if app.flaws.id_in_url {
        (
            StatusCode::SEE_OTHER,
            [
                (header::SET_COOKIE, cookie),
                (header::LOCATION, format!("/home?sid={id}")),
            ],
        )
            .into_response()
    } else {
        ([(header::SET_COOKIE, cookie)], "signed in").into_response()
    }
}

async fn me(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let Some(id) = app.session_of(&headers) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let mut sessions = app.sessions.lock().unwrap();
    let alive = match sessions.get_mut(&id) {
        Some((started, last))
            if (app.flaws.no_idle_timeout || last.elapsed() < app.idle)
                && app.absolute.is_none_or(|limit| started.elapsed() < limit) =>
        {
            *last = Instant::now();
            true
        }
        _ => false,
    };
    if !alive {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let mut res = "you".into_response();
    if !app.flaws.no_no_store {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, "no-store".parse().unwrap());
    }
    res
}

async fn logout(State(app): State<Shared>, headers: HeaderMap) -> Response {
    if !app.flaws.no_csrf_check && app.cross_site(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    if let (Some(id), false) = (app.session_of(&headers), app.flaws.logout_keeps_session) {
        app.sessions.lock().unwrap().remove(&id);
    }
    (
        [(
            header::SET_COOKIE,
            format!("{}=; Path=/; Max-Age=0", app.cookie_name()),
        )],
        "bye",
    )
        .into_response()
}

async fn get_logout(state: State<Shared>, headers: HeaderMap) -> Response {
    if state.flaws.get_logout {
        logout(state, headers).await
    } else {
        StatusCode::METHOD_NOT_ALLOWED.into_response()
    }
}

async fn logout_all(State(app): State<Shared>, headers: HeaderMap) -> Response {
    if app.session_of(&headers).is_none() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if !app.flaws.logout_all_keeps_others {
        // One test account: every session is its.
        app.sessions.lock().unwrap().clear();
    }
    "all gone".into_response()
}

/// Serves a target with `flaws`; its base URL.
async fn serve(flaws: Flaws, idle: Duration) -> url::Url {
    serve_with_absolute(flaws, idle, None).await
}

/// Serves a target with `flaws` and an absolute lifetime, if any.
async fn serve_with_absolute(flaws: Flaws, idle: Duration, absolute: Option<Duration>) -> url::Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let app = Arc::new(App {
        flaws,
        sessions: Mutex::new(HashMap::new()),
        absolute,
        anonymous: Mutex::new(Default::default()),
        counter: AtomicU64::new(0),
        idle,
        origin: origin.clone(),
    });
    let router = Router::new()
        .route("/login", get(login_page).post(login))
        .route("/me", get(me))
        .route("/logout", post(logout).get(get_logout))
        .route("/logout-all", post(logout_all))
        .with_state(app);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url::Url::parse(&origin).unwrap()
}

fn endpoint(method: &str, path: &str) -> Endpoint {
    Endpoint {
        method: method.into(),
        path: path.into(),
    }
}

fn target() -> Target {
    Target {
        login: endpoint("POST", "/login"),
        credentials: Credentials::Form("email=me%40example.test&password=secret".into()),
        probe: endpoint("GET", "/me"),
        logout: Some(endpoint("POST", "/logout")),
        logout_all: Some(endpoint("POST", "/logout-all")),
        csrf_field: Some("_csrf".into()),
        csrf_header: None,
    }
}

fn quick() -> Options {
    Options {
        samples: 20,
        rps: 500.0,
        ..Options::default()
    }
}

async fn findings(flaws: Flaws) -> BTreeSet<&'static str> {
    let base = serve(flaws, Duration::from_secs(3600)).await;
    let report = scan::run(&base, &target(), &quick())
        .await
        .expect("the scan runs");
    report.findings.iter().map(|f| f.id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_target_raises_nothing_and_gets_an_a() {
    let base = serve(Flaws::default(), Duration::from_secs(3600)).await;
    let report = scan::run(&base, &target(), &quick()).await.unwrap();
    assert!(report.findings.is_empty(), "{}", report.text());
    assert_eq!(report.grade, 'A');
    for check in [
        "cookie-httponly",
        "fixation-planted",
        "logout-server",
        "logout-get",
        "logout-everywhere",
        "csrf-foreign-origin",
        "id-bits",
        "id-bias",
        "cache-no-store",
        "id-in-url",
        "headers-framing",
    ] {
        assert!(
            report.passed.contains(&check),
            "{check} passed: {:?}",
            report.passed
        );
    }
    // Every format tells the same story.
    let json: serde_json::Value = serde_json::from_str(&report.json()).unwrap();
    assert_eq!(json["grade"], "A");
    let sarif: serde_json::Value = serde_json::from_str(&report.sarif()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_flaw_raises_its_finding_and_only_its_own() {
    let cases: Vec<(Flaws, &[&str])> = vec![
        (
            Flaws {
                fixation: true,
                ..Default::default()
            },
            &["fixation-planted"],
        ),
        (
            Flaws {
                no_httponly: true,
                ..Default::default()
            },
            &["cookie-httponly"],
        ),
        (
            Flaws {
                no_secure: true,
                ..Default::default()
            },
            &["cookie-secure"],
        ),
        (
            Flaws {
                no_samesite: true,
                ..Default::default()
            },
            &["cookie-samesite"],
        ),
        (
            Flaws {
                domain: true,
                ..Default::default()
            },
            &["cookie-domain"],
        ),
        (
            Flaws {
                persistent: true,
                ..Default::default()
            },
            &["cookie-persistent"],
        ),
        (
            Flaws {
                default_name: true,
                ..Default::default()
            },
            &["cookie-default-name", "cookie-host-prefix"],
        ),
        (
            Flaws {
                counter_ids: true,
                ..Default::default()
            },
            &["id-counter", "id-bits", "id-bias"],
        ),
        (
            Flaws {
                short_ids: true,
                ..Default::default()
            },
            &["id-bits"],
        ),
        (
            Flaws {
                logout_keeps_session: true,
                ..Default::default()
            },
            &["logout-server"],
        ),
        (
            Flaws {
                get_logout: true,
                ..Default::default()
            },
            &["logout-get"],
        ),
        (
            Flaws {
                id_in_url: true,
                ..Default::default()
            },
            &["id-in-url"],
        ),
        (
            Flaws {
                no_no_store: true,
                ..Default::default()
            },
            &["cache-no-store"],
        ),
        (
            Flaws {
                no_csrf_check: true,
                ..Default::default()
            },
            &["csrf-foreign-origin"],
        ),
        (
            Flaws {
                no_headers: true,
                ..Default::default()
            },
            &[
                "headers-csp",
                "headers-nosniff",
                "headers-framing",
                "headers-referrer",
            ],
        ),
        (
            Flaws {
                logout_all_keeps_others: true,
                ..Default::default()
            },
            &["logout-everywhere"],
        ),
        (
            Flaws {
                anonymous_kept: true,
                ..Default::default()
            },
            &["fixation-anonymous"],
        ),
    ];
    for (flaws, expected) in cases {
        let found = findings(flaws).await;
        let expected: BTreeSet<&str> = expected.iter().copied().collect();
        // The counter's bits may or may not fail the bias tests on a given run; everything
        // else is exact.
        let found_core: BTreeSet<&str> = found
            .iter()
            .copied()
            .filter(|f| *f != "id-bias" || expected.contains("id-bias"))
            .collect();
        let expected_core: BTreeSet<&str> = expected
            .iter()
            .copied()
            .filter(|f| *f != "id-bias")
            .collect();
        assert!(
            expected_core.is_subset(&found_core),
            "{flaws:?}: expected {expected:?}, found {found:?}"
        );
        assert!(
            found_core.is_subset(&expected),
            "{flaws:?}: expected {expected:?}, found {found:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_idle_timeout_is_proven_only_when_asked_and_only_when_missing() {
    let options = Options {
        idle: Some(2),
        samples: 2,
        rps: 500.0,
        ..Options::default()
    };
    let base = serve(Flaws::default(), Duration::from_secs(2)).await;
    let report = scan::run(&base, &target(), &options).await.unwrap();
    assert!(report.passed.contains(&"idle-timeout"), "{}", report.text());
    let base = serve(
        Flaws {
            no_idle_timeout: true,
            ..Default::default()
        },
        Duration::from_secs(2),
    )
    .await;
    let report = scan::run(&base, &target(), &options).await.unwrap();
    assert!(
        report.findings.iter().any(|f| f.id == "idle-timeout"),
        "{}",
        report.text()
    );
    assert!(report.fails(Severity::Medium));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_that_works_signed_out_is_refused_before_anything_is_graded() {
    let base = serve(Flaws::default(), Duration::from_secs(3600)).await;
    let mut bad = target();
    bad.probe = endpoint("GET", "/login");
    let err = scan::run(&base, &bad, &quick()).await.unwrap_err();
    assert!(err.to_string().contains("without signing in"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hallpass_itself_gets_an_a_with_nothing_at_or_above_low() {
    let s = common::TestServer::start(common::StoreKind::Sqlite).await;
    let _storage = s.storage();
    let base = url::Url::parse(&s.base).unwrap();
    let target = Target {
        login: endpoint("POST", "/api/login"),
        credentials: Credentials::Form(format!(
            "email={}&password={}",
            common::USER_EMAIL.replace('@', "%40"),
            common::PASSWORD.replace(' ', "+")
        )),
        probe: endpoint("GET", "/"),
        logout: Some(endpoint("POST", "/api/logout")),
        logout_all: Some(endpoint("POST", "/api/revoke_other_sessions")),
        csrf_field: None,
        csrf_header: None,
    };
    let report = scan::run(
        &base,
        &target,
        &Options {
            samples: 50,
            rps: 200.0,
            ..Options::default()
        },
    )
    .await
    .unwrap();
    assert!(report.passed.contains(&"id-bias"), "{}", report.text());
    assert_eq!(report.grade, 'A', "{}", report.text());
    assert!(!report.fails(Severity::Low), "{}", report.text());
    assert!(report.skipped.is_empty(), "{}", report.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_prints_the_report_and_fails_at_the_threshold() {
    let base = serve(
        Flaws {
            no_httponly: true,
            ..Default::default()
        },
        Duration::from_secs(3600),
    )
    .await;
    let run = |fail_on: &str, format: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_hallpass"))
            .args([
                "audit",
                base.as_str(),
                "--login",
                "/login",
                "--form",
                "email=me%40example.test&password=secret",
                "--csrf-field",
                "_csrf",
                "--probe",
                "/me",
                "--logout",
                "/logout",
                "--samples",
                "5",
                "--rps",
                "200",
                "--fail-on",
                fail_on,
                "--format",
                format,
            ])
            .output()
            .unwrap()
    };
    let out = run("critical", "text");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("[HIGH]") && text.contains("cookie-httponly"),
        "{text}"
    );
    let out = run("high", "sarif");
    assert_eq!(out.status.code(), Some(3));
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "cookie-httponly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_security_page_grades_this_deployment_for_admins_only() {
    let s = common::TestServer::start_with(|config| config.audit_retention_days = 30).await;
    let _storage = s.storage();
    let admin = s.session_for(common::ADMIN_EMAIL).await;
    let res = s.post("admin_security", &[], Some(&admin)).await;
    assert_eq!(res.status(), 200);
    let posture = common::json(res).await;
    let status = |item: &str| {
        posture["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["item"] == item)
            .unwrap_or_else(|| panic!("no row {item}: {posture}"))["status"]
            .clone()
    };
    // The test server speaks plain HTTP, keeps audit events 30 days, and runs the defaults.
    assert_eq!(status("TLS and HSTS"), "bad");
    assert_eq!(status("Audit retention"), "warn");
    assert_eq!(status("Idle timeout"), "good");
    assert_eq!(status("Public origin"), "warn");
    assert_eq!(posture["grade"], "D");
    let user = s.session_for(common::USER_EMAIL).await;
    assert_eq!(
        s.post("admin_security", &[], Some(&user)).await.status(),
        403
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_security_page_audits_this_deployment_with_a_throwaway_account() {
    let s = common::TestServer::start_kind_with(common::StoreKind::Sqlite, &|config| {
        config.public_origin = vec![format!("http://127.0.0.1:{}", config.addr.port())];
    })
    .await;
    let _storage = s.storage();
    let admin = s.session_for(common::ADMIN_EMAIL).await;
    let accounts = s.hallpass.state().users.count().await.unwrap();
    assert_eq!(
        common::json(s.post("admin_audit_status", &[], Some(&admin)).await).await,
        serde_json::Value::Null
    );
    let res = s.post("admin_run_audit", &[], Some(&admin)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // One at a time.
    let again = s.post("admin_run_audit", &[], Some(&admin)).await;
    assert_eq!(again.status(), 400);
    assert!(common::json(again).await["message"]
        .as_str()
        .unwrap()
        .contains("already running"));
    // It runs in the background; its status is what the page polls.
    let deadline = Instant::now() + Duration::from_secs(60);
    let run = loop {
        let run = common::json(s.post("admin_audit_status", &[], Some(&admin)).await).await;
        if !run["finished_at"].is_null() {
            break run;
        }
        assert!(Instant::now() < deadline, "the audit did not finish: {run}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(run["grade"], "A", "{run}");
    assert!(
        run["report"].as_str().unwrap().contains("No findings."),
        "{run}"
    );
    assert_eq!(run["started_by"], common::ADMIN_EMAIL);
    // The throwaway account is gone, with every session it had.
    assert_eq!(s.hallpass.state().users.count().await.unwrap(), accounts);
    let kinds = common::audit_kinds(&s).await;
    assert!(kinds.contains(&"account_deleted".to_owned()), "{kinds:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_public_origin_the_audit_says_what_it_needs() {
    let s = common::TestServer::start(common::StoreKind::Sqlite).await;
    let _storage = s.storage();
    let admin = s.session_for(common::ADMIN_EMAIL).await;
    let res = s.post("admin_run_audit", &[], Some(&admin)).await;
    assert_eq!(res.status(), 400);
    assert!(common::json(res).await["message"]
        .as_str()
        .unwrap()
        .contains("HALLPASS_PUBLIC_ORIGIN"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_instance_stopped_is_closed_and_its_account_removed_by_the_clean_up() {
    let s = common::TestServer::start(common::StoreKind::Sqlite).await;
    let _storage = s.storage();
    let state = s.hallpass.state();
    let runs = app::ssr::self_audit::Runs(state.users.pool().clone());
    let admin = common::user_id(&s, common::ADMIN_EMAIL).await;
    // A run that created its account, and whose instance then stopped.
    assert!(runs
        .begin("stopped-run", &admin, state.clock.now())
        .await
        .unwrap());
    let password = "a throwaway long password";
    let email = "self-audit-0123456789ab@hallpass.invalid";
    let account = state
        .users
        .create(email, password, app::model::Role::User)
        .await
        .unwrap();
    runs.account("stopped-run", Some(&account.id)).await;
    let cookie = common::session_cookie(&s.login(email, password, None).await)
        .unwrap()
        .0;
    // An account an admin made by hand with a look-alike e-mail is nobody's run's.
    state
        .users
        .create(
            "self-audit-byhand@hallpass.invalid",
            password,
            app::model::Role::User,
        )
        .await
        .unwrap();
    // Still within its time: it may be running; nothing is touched, and no other run starts.
    assert_eq!(
        s.hallpass.cleanup().sweep().await.unwrap().audit_accounts,
        0
    );
    assert!(!runs
        .begin("another", &admin, state.clock.now())
        .await
        .unwrap());
    s.advance(app::ssr::self_audit::STALE_SECS + 60);
    s.post("touch", &[], Some(&cookie)).await;
    let admin_cookie = s.session_for(common::ADMIN_EMAIL).await;
    let status = common::json(s.post("admin_audit_status", &[], Some(&admin_cookie)).await).await;
    assert!(
        status["failure"].as_str().unwrap().contains("stopped"),
        "{status}"
    );
    assert_eq!(
        s.hallpass.cleanup().sweep().await.unwrap().audit_accounts,
        1
    );
    assert!(state.users.find_by_email(email).await.unwrap().is_none());
    assert_eq!(s.post("me", &[], Some(&cookie)).await.status(), 401);
    assert!(state
        .users
        .find_by_email("self-audit-byhand@hallpass.invalid")
        .await
        .unwrap()
        .is_some());
    // And a new run may start.
    assert!(runs.begin("next", &admin, state.clock.now()).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_absolute_timeout_is_proven_only_when_asked_and_only_when_missing() {
    let options = Options {
        absolute: Some(2),
        samples: 2,
        rps: 500.0,
        ..Options::default()
    };
    let base = serve_with_absolute(
        Flaws::default(),
        Duration::from_secs(3600),
        Some(Duration::from_secs(2)),
    )
    .await;
    let report = scan::run(&base, &target(), &options).await.unwrap();
    assert!(
        report.passed.contains(&"absolute-timeout"),
        "{}",
        report.text()
    );
    let base = serve_with_absolute(Flaws::default(), Duration::from_secs(3600), None).await;
    let report = scan::run(&base, &target(), &options).await.unwrap();
    assert!(
        report.findings.iter().any(|f| f.id == "absolute-timeout"),
        "{}",
        report.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_file_holds_the_same_settings_as_the_flags() {
    let base = serve(Flaws::default(), Duration::from_secs(3600)).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("audit.toml");
    std::fs::write(
        &config,
        "login = \"/login\"\nform = \"email=me%40example.test&password=secret\"\ncsrf_field = \"_csrf\"\n\
         probe = \"/me\"\nlogout = \"/logout\"\nlogout_all = \"/logout-all\"\nsamples = 5\nrps = 200.0\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hallpass"))
        .args([
            "audit",
            base.as_str(),
            "--config",
            config.to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["grade"], "A");
    assert!(report["skipped"].as_array().unwrap().is_empty(), "{report}");
    // A setting the file does not know is an error, not a silent default.
    std::fs::write(&config, "logn = \"/login\"\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hallpass"))
        .args(["audit", base.as_str(), "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown field"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_that_would_leave_the_target_are_refused() {
    let base = serve(Flaws::default(), Duration::from_secs(3600)).await;
    // Another server, which must never be asked anything.
    let other = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other_port = other.local_addr().unwrap().port();
    for path in [
        format!("/\\127.0.0.1:{other_port}/x"),
        format!("/\t/127.0.0.1:{other_port}/x"),
        format!("/\n/127.0.0.1:{other_port}/x"),
        format!("//127.0.0.1:{other_port}/x"),
    ] {
        let mut bad = target();
        bad.probe = endpoint("GET", &path);
        let err = scan::run(&base, &bad, &quick()).await.unwrap_err();
        assert!(
            err.to_string().contains("is not a path on the target"),
            "{path:?}: {err}"
        );
    }
    let asked = tokio::time::timeout(Duration::from_millis(200), other.accept()).await;
    assert!(asked.is_err(), "the other server was contacted");
}
