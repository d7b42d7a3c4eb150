//! A real Hallpass server on a free port, backed by a fresh SQLite database and either the
//! database's session table or the real Redis, plus an HTTP client that handles cookies
//! explicitly (as a browser would for `__Host-` cookies).
#![allow(dead_code)]

pub mod certs;
pub mod served;
pub mod throwaway;

use app::model::Role;
use hallpass::{config::Config, session::COOKIE_NAME, Hallpass};
use reqwest::{header, redirect::Policy, Client, Response};

/// Which session store a test server uses.
#[derive(Clone, Debug)]
pub enum StoreKind {
    /// Sessions in the database (a table in SQLite, or in PostgreSQL for a `postgres://` URL).
    Sqlite,
    /// Sessions in Redis (`HALLPASS_TEST_REDIS_URL`, default the local one).
    Redis,
    /// Sessions in the Redis at this URL.
    RedisAt(String),
    /// Users and sessions in a fresh database on the PostgreSQL at
    /// `HALLPASS_TEST_POSTGRES_URL` (default the local one), dropped afterwards.
    Postgres,
}

/// The PostgreSQL server test databases are created in.
pub fn postgres_url() -> String {
    std::env::var("HALLPASS_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A database of its own on the test PostgreSQL, dropped when this goes.
pub struct PgDatabase {
    name: String,
}

impl PgDatabase {
    pub async fn create() -> Self {
        use sqlx::Connection;
        let name = format!("hallpass_test_{:016x}", rand::random::<u64>());
        let mut admin = sqlx::PgConnection::connect(&format!("{}/postgres", postgres_url()))
            .await
            .expect("PostgreSQL answers (scripts/test starts one)");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        Self { name }
    }

    pub fn url(&self) -> String {
        format!("{}/{}", postgres_url(), self.name)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Best effort, from a thread of its own (this may run inside the test's runtime).
        let (url, name) = (format!("{}/postgres", postgres_url()), self.name.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                use sqlx::Connection;
                if let Ok(mut admin) = sqlx::PgConnection::connect(&url).await {
                    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await
                        .ok();
                }
            });
        })
        .join()
        .ok();
    }
}

pub const ADMIN_EMAIL: &str = "admin@example.test";
pub const USER_EMAIL: &str = "user@example.test";
pub const PASSWORD: &str = "correct horse battery staple";
pub const USER_AGENT: &str = "hallpass-tests/1.0";

pub fn redis_url() -> String {
    std::env::var("HALLPASS_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A running server and a client for it.
pub struct TestServer {
    pub base: String,
    pub hallpass: Hallpass,
    pub client: Client,
    pub database_url: String,
    /// Redis namespace of this server and its peers, so parallel tests do not see each other.
    pub namespace: String,
    _dir: std::sync::Arc<tempfile::TempDir>,
    _pg: Option<std::sync::Arc<PgDatabase>>,
}

/// What a test server's database lives in (its SQLite file's folder, its PostgreSQL
/// database), held by the test macros until the test body has finished. A test body that
/// never names these fields would otherwise drop them as soon as it starts: a closure's
/// `async move` block captures only the fields it uses, so the rest of the server (the temp
/// folder, the PostgreSQL database) went the moment the body began.
pub struct Storage(
    #[allow(dead_code)] std::sync::Arc<tempfile::TempDir>,
    #[allow(dead_code)] Option<std::sync::Arc<PgDatabase>>,
);

impl TestServer {
    /// Keeps this server's storage alive for as long as the returned value lives.
    pub fn storage(&self) -> Storage {
        Storage(self._dir.clone(), self._pg.clone())
    }
}

impl TestServer {
    pub async fn start(kind: StoreKind) -> Self {
        Self::start_kind_with(kind, &|_| {}).await
    }

    /// A server of `kind` with its configuration changed by `configure` first (which sees the
    /// address it will listen on in `config.addr`). When the first public origin is
    /// `http://localhost:…`, requests go there (passkeys need a domain name).
    pub async fn start_kind_with(kind: StoreKind, configure: &dyn Fn(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        if let StoreKind::Postgres = kind {
            let pg = PgDatabase::create().await;
            let mut server = Self::start_fresh(kind, &pg.url(), dir, configure).await;
            server._pg = Some(std::sync::Arc::new(pg));
            return server;
        }
        let database_url = format!("sqlite://{}/hallpass.db?mode=rwc", dir.path().display());
        Self::start_fresh(kind, &database_url, dir, configure).await
    }

    /// A server on the database at `database_url` (empty), with the test user created;
    /// `dir` lives as long as the server.
    pub async fn start_with_database(
        kind: StoreKind,
        database_url: &str,
        dir: tempfile::TempDir,
    ) -> Self {
        Self::start_fresh(kind, database_url, dir, &|_| {}).await
    }

    /// A server on an empty database with the test user created, its configuration changed by
    /// `configure` first.
    async fn start_fresh(
        kind: StoreKind,
        database_url: &str,
        dir: tempfile::TempDir,
        configure: &dyn Fn(&mut Config),
    ) -> Self {
        let namespace = format!("test-{:016x}", rand::random::<u64>());
        let server = Self::start_on_with(kind, database_url, &namespace, dir, configure).await;
        server
            .hallpass
            .users()
            .create(USER_EMAIL, PASSWORD, Role::User)
            .await
            .expect("user created");
        server
    }

    /// A second instance sharing this one's database (and Redis, for the Redis kind).
    pub async fn peer(&self, kind: StoreKind) -> Self {
        let mut peer = Self::start_on(
            kind,
            &self.database_url,
            &self.namespace,
            tempfile::tempdir().unwrap(),
        )
        .await;
        peer._pg = self._pg.clone();
        peer
    }

    /// Which kind of store this server uses (for starting peers).
    pub fn kind(&self) -> StoreKind {
        match self.hallpass.sessions().store.inner().index() {
            hallpass::store::SessionIndex::Redis(..) => StoreKind::Redis,
            hallpass::store::SessionIndex::Sql(_) if self.database_url.starts_with("postgres") => {
                StoreKind::Postgres
            }
            hallpass::store::SessionIndex::Sql(_) => StoreKind::Sqlite,
        }
    }

    /// A server on SQLite with its configuration changed by `configure` first.
    pub async fn start_with(configure: impl Fn(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/hallpass.db?mode=rwc", dir.path().display());
        Self::start_fresh(StoreKind::Sqlite, &url, dir, &configure).await
    }

    async fn start_on(
        kind: StoreKind,
        database_url: &str,
        namespace: &str,
        dir: tempfile::TempDir,
    ) -> Self {
        Self::start_on_with(kind, database_url, namespace, dir, &|_| {}).await
    }

    async fn start_on_with(
        kind: StoreKind,
        database_url: &str,
        namespace: &str,
        dir: tempfile::TempDir,
        configure: &dyn Fn(&mut Config),
    ) -> Self {
        let database_url = database_url.to_owned();
        let redis = match kind {
            StoreKind::Sqlite | StoreKind::Postgres => None,
            StoreKind::Redis => Some(redis_url()),
            StoreKind::RedisAt(url) => Some(url),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut config = Config::new(&database_url, redis);
        config.redis_namespace = namespace.to_owned();
        config.admin_email = Some(ADMIN_EMAIL.into());
        config.admin_password = Some(PASSWORD.into());
        config.addr = addr;
        configure(&mut config);
        let hallpass = Hallpass::start(&config).await.expect("server starts");
        let base = config
            .public_origin
            .first()
            .filter(|o| o.starts_with("http://localhost:"))
            .cloned()
            .unwrap_or_else(|| format!("http://{addr}"));
        let router = hallpass.router();
        let timeouts = hallpass.timeouts();
        tokio::spawn(async move {
            hallpass::transport::serve(listener, router, timeouts, std::future::pending())
                .await
                .unwrap();
        });
        let client = Client::builder().redirect(Policy::none()).build().unwrap();
        Self {
            base,
            hallpass,
            client,
            namespace: namespace.to_owned(),
            database_url,
            _dir: std::sync::Arc::new(dir),
            _pg: None,
        }
    }

    /// POSTs a form to a server function, with the session cookie if given.
    pub async fn post(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Response {
        let mut req = self
            .client
            .post(format!("{}/api/{endpoint}", self.base))
            .header(header::ORIGIN, &self.base)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::USER_AGENT, USER_AGENT)
            .body(serde_urlencoded(form));
        if let Some(cookie) = cookie {
            req = req.header(header::COOKIE, format!("{COOKIE_NAME}={cookie}"));
        }
        req.send().await.expect("request sent")
    }

    /// GETs a page, with the session cookie if given.
    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Response {
        let mut req = self
            .client
            .get(format!("{}{path}", self.base))
            .header(header::USER_AGENT, USER_AGENT);
        if let Some(cookie) = cookie {
            req = req.header(header::COOKIE, format!("{COOKIE_NAME}={cookie}"));
        }
        req.send().await.expect("request sent")
    }

    /// POSTs with a full `Cookie` header and User-Agent of the caller's choosing.
    pub async fn post_raw(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
        cookie_header: &str,
        user_agent: &str,
    ) -> Response {
        self.client
            .post(format!("{}/api/{endpoint}", self.base))
            .header(header::ORIGIN, &self.base)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::USER_AGENT, user_agent)
            .header(header::COOKIE, cookie_header)
            .body(serde_urlencoded(form))
            .send()
            .await
            .expect("request sent")
    }

    /// Advances the server's clock.
    pub fn advance(&self, secs: i64) {
        self.hallpass.state().clock.advance(secs);
    }

    /// Sets the policy through the API as a freshly signed-in admin.
    pub async fn set_policy(&self, idle: i64, absolute: i64, mode: &str, max_sessions: i64) {
        let admin = self.session_for(ADMIN_EMAIL).await;
        let form = app::policy::PolicyForm {
            idle_timeout_secs: idle,
            absolute_timeout_secs: absolute,
            reauth_window_secs: 300,
            fingerprint_mode: mode.to_owned(),
            remember_me_secs: 2_592_000,
            max_sessions_per_user: max_sessions,
            reauth_methods: None,
            admin_requires_passkey: None,
        };
        let fields = form_fields(&form);
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let res = self.post("set_policy", &pairs, Some(&admin)).await;
        assert_eq!(
            res.status(),
            200,
            "set_policy: {}",
            res.text().await.unwrap_or_default()
        );
    }

    /// The live event stream of the session `cookie`.
    pub async fn open_events(&self, cookie: &str) -> Response {
        self.client
            .get(format!("{}/api/events", self.base))
            .header(header::USER_AGENT, USER_AGENT)
            .header(header::COOKIE, format!("{COOKIE_NAME}={cookie}"))
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, email: &str, password: &str, cookie: Option<&str>) -> Response {
        self.post("login", &[("email", email), ("password", password)], cookie)
            .await
    }

    /// Signs in and returns the session cookie's value.
    pub async fn session_for(&self, email: &str) -> String {
        let res = self.login(email, PASSWORD, None).await;
        assert_eq!(
            res.status(),
            200,
            "login failed: {}",
            res.text().await.unwrap_or_default()
        );
        session_cookie(&res)
            .expect("login sets the session cookie")
            .0
    }
}

/// A server function's argument as its form fields (name, text), as the page sends them.
pub fn form_fields(argument: &impl serde::Serialize) -> Vec<(String, String)> {
    let serde_json::Value::Object(fields) = serde_json::to_value(argument).expect("serializable")
    else {
        panic!("a form is a struct");
    };
    fields
        .into_iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(name, value)| match value {
            serde_json::Value::String(text) => (name, text),
            other => (name, other.to_string()),
        })
        .collect()
}

fn serde_urlencoded(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The value of the cookie `name` and its whole `Set-Cookie` line, if the response sets it.
pub fn set_cookie(res: &Response, name: &str) -> Option<(String, String)> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .find_map(|v| {
            let line = v.to_str().ok()?.to_owned();
            let value = line
                .strip_prefix(&format!("{name}="))?
                .split(';')
                .next()?
                .to_owned();
            Some((value, line))
        })
}

/// The session cookie's value and the whole `Set-Cookie` line, if the response sets it.
pub fn session_cookie(res: &Response) -> Option<(String, String)> {
    set_cookie(res, COOKIE_NAME)
}

/// The longest a test body may run. The slowest test takes a few seconds; one that waits on
/// something that never comes fails here, naming itself, instead of holding the suite until
/// CI's limit.
pub const TEST_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Runs `body` to its end, or panics once it has run for [`TEST_LIMIT`].
pub async fn bounded<T>(body: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(TEST_LIMIT, body).await {
        Ok(out) => out,
        Err(_) => {
            panic!("the test did not finish within {TEST_LIMIT:?}: something it awaits never came")
        }
    }
}

/// Runs an async test body once per store kind listed, as separate tests named after them.
#[macro_export]
macro_rules! on_stores {
    ($name:ident, $body:expr, $($test:ident => $kind:ident),+) => {
        mod $name {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    common::bounded(async {
                        let server = common::TestServer::start(common::StoreKind::$kind).await;
                        let _storage = server.storage();
                        ($body)(server).await
                    })
                    .await
                }
            )+
        }
    };
}

/// Runs an async test body on SQLite, Redis and PostgreSQL (where the SQL differs), as three
/// separate tests.
#[macro_export]
macro_rules! on_every_store {
    ($name:ident, $body:expr) => {
        $crate::on_stores!($name, $body, sqlite => Sqlite, redis => Redis, postgres => Postgres);
    };
}

/// Runs an async test body once per store kind, as two separate tests.
#[macro_export]
macro_rules! on_both_stores {
    ($name:ident, $body:expr) => {
        $crate::on_stores!($name, $body, sqlite => Sqlite, redis => Redis);
    };
}

/// The id of the account with `email`.
pub async fn user_id(s: &TestServer, email: &str) -> String {
    s.hallpass
        .users()
        .find_by_email(email)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// The remember-me cookie's value and `Set-Cookie` line, if the response sets it.
pub fn remember_cookie(res: &Response) -> Option<(String, String)> {
    set_cookie(res, "__Host-hallpass-remember")
}

/// Reads `stream` until the server closes it (bounded: a server that never does fails the
/// test); what it sent and how long it took.
pub async fn until_closed(
    stream: &mut (impl tokio::io::AsyncRead + Unpin),
) -> (Vec<u8>, std::time::Duration) {
    use tokio::io::AsyncReadExt;
    let started = std::time::Instant::now();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        stream.read_to_end(&mut out),
    )
    .await
    .expect("the server closes the connection");
    (out, started.elapsed())
}

/// Everything an event stream (`TestServer::open_events`) sends until the server closes it
/// (bounded, so a stream that never closes fails the test instead of hanging it).
pub async fn stream_until_closed(mut stream: Response) -> String {
    let mut text = String::new();
    let read = async {
        while let Some(chunk) = stream.chunk().await.unwrap_or(None) {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), read)
        .await
        .expect("the stream closes once its session is over");
    text
}

/// The JSON body.
pub async fn json(res: Response) -> serde_json::Value {
    res.json().await.expect("a JSON body")
}

/// How many remember-me tokens the user with `email` has.
pub async fn remember_tokens(s: &TestServer, email: &str) -> i64 {
    let user = s
        .hallpass
        .users()
        .find_by_email(email)
        .await
        .unwrap()
        .expect("user exists");
    s.hallpass
        .state()
        .remember
        .count_for(&user.id)
        .await
        .unwrap()
}

/// The newest audit events, at most `limit`.
pub async fn audit_events(s: &TestServer, limit: i64) -> Vec<app::model::AuditRecord> {
    s.hallpass
        .state()
        .audit
        .recent(app::ssr::audit::AuditQuery {
            limit,
            ..Default::default()
        })
        .await
        .unwrap()
}

/// The kinds of the newest audit events (up to 500).
pub async fn audit_kinds(s: &TestServer) -> Vec<String> {
    audit_events(s, 500)
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

/// A request whose body is held back: headers and all but the last byte are sent, the rest
/// only when [`HeldRequest::finish`] is called (a client widening the window in which its
/// session could change under it).
pub struct HeldRequest {
    stream: tokio::net::TcpStream,
    last: u8,
}

impl TestServer {
    /// Starts `POST /api/{endpoint}` with the session cookie and holds its body back.
    pub async fn held_post(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
        cookie: &str,
    ) -> HeldRequest {
        use tokio::io::AsyncWriteExt;
        let mut body = serde_urlencoded(form).into_bytes();
        if body.is_empty() {
            body = b"_=".to_vec();
        }
        let last = body.pop().unwrap();
        let host = self.base.trim_start_matches("http://");
        let head = format!(
            "POST /api/{endpoint} HTTP/1.1\r\nHost: {host}\r\nOrigin: {}\r\nUser-Agent: {USER_AGENT}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nCookie: {COOKIE_NAME}={cookie}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.base,
            body.len() + 1
        );
        let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&body).await.unwrap();
        stream.flush().await.unwrap();
        HeldRequest { stream, last }
    }

    /// Sets a user's role through the API as the signed-in admin `admin`; the answer (the
    /// number of that user's sessions ended).
    pub async fn set_role(&self, admin: &str, email: &str, role: &str) -> serde_json::Value {
        let res = self
            .post(
                "admin_set_access",
                &[("email", email), ("role", role)],
                Some(admin),
            )
            .await;
        assert_eq!(res.status(), 200, "admin_set_access {email} {role}");
        json(res).await
    }

    /// A second deployment sharing this one's Redis namespace (the default namespace is the
    /// same everywhere) but with a database of its own.
    pub async fn stranger(&self, kind: StoreKind) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/hallpass.db?mode=rwc", dir.path().display());
        Self::start_on(kind, &url, &self.namespace, dir).await
    }
}

/// Signs in as the test user with "remember me" (with `extra_cookie` sent along, if
/// given); the session cookie and the remember-me token.
pub async fn remembered(s: &TestServer, extra_cookie: Option<&str>) -> (String, String) {
    let mut req = s
        .client
        .post(format!("{}/api/login", s.base))
        .header(header::ORIGIN, &s.base)
        .header(header::USER_AGENT, USER_AGENT)
        .form(&[
            ("email", USER_EMAIL),
            ("password", PASSWORD),
            ("remember", "on"),
        ]);
    if let Some(cookie) = extra_cookie {
        req = req.header(header::COOKIE, cookie);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200);
    let token = remember_cookie(&res).expect("a remember-me cookie").0;
    (session_cookie(&res).unwrap().0, token)
}

impl HeldRequest {
    /// Sends the rest of the body; the status and the raw response text.
    pub async fn finish(mut self) -> (u16, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        self.stream.write_all(&[self.last]).await.unwrap();
        let mut response = Vec::new();
        self.stream.read_to_end(&mut response).await.unwrap();
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, text)
    }
}

/// The storage key of a session cookie (what the registry and events name it by).
pub fn session_key_of(cookie: &str) -> app::model::SessionKey {
    let id: tower_sessions::session::Id = cookie.parse().expect("a session id");
    app::model::SessionKey::of(&id)
}

/// The storage key of a session cookie as the API writes it (a listing's `handle`).
pub fn key_of(cookie: &str) -> String {
    session_key_of(cookie).to_string()
}
