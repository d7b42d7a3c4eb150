//! Runtime configuration, from flags or `HALLPASS_*` / `LEPTOS_*` environment variables.
use clap::Args;
use std::net::SocketAddr;

/// The Redis key prefix by default (`HALLPASS_REDIS_NAMESPACE`).
pub const DEFAULT_REDIS_NAMESPACE: &str = "hallpass";
/// The listen address by default (`LEPTOS_SITE_ADDR`).
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
/// Where the built assets are by default (`LEPTOS_SITE_ROOT`).
pub const DEFAULT_SITE_ROOT: &str = "target/site";

/// Everything the server needs to start.
#[derive(Args, Clone, Debug)]
pub struct Config {
    /// Where users (and, without Redis, sessions) live: `sqlite://…` or `postgres://…`.
    #[arg(
        long,
        env = "HALLPASS_DATABASE_URL",
        default_value = "sqlite://data/hallpass.db?mode=rwc"
    )]
    pub database_url: String,
    /// Redis for sessions (`redis://host:port`); without it sessions live in the database.
    #[arg(long, env = "HALLPASS_REDIS_URL")]
    pub redis_url: Option<String>,
    /// Prefix of Hallpass's own Redis keys and channel (index, ended sessions, events).
    #[arg(long, env = "HALLPASS_REDIS_NAMESPACE", default_value = DEFAULT_REDIS_NAMESPACE)]
    pub redis_namespace: String,
    /// Connections to Redis per instance (1–64); commands are pipelined on each.
    #[arg(
        long,
        env = "HALLPASS_REDIS_CONNECTIONS",
        default_value_t = crate::store::DEFAULT_REDIS_CONNECTIONS,
        value_parser = clap::builder::TypedValueParser::map(
            clap::value_parser!(u8).range(1..=64),
            usize::from,
        ),
    )]
    pub redis_connections: usize,
    /// How long the reason a session ended is kept, so its tab can be told (seconds).
    #[arg(long, env = "HALLPASS_HISTORY_SECS", default_value_t = crate::store::DEFAULT_HISTORY_SECS)]
    pub history_secs: i64,
    /// How long audit events are kept (days); older ones are deleted by the clean-up.
    #[arg(long, env = "HALLPASS_AUDIT_RETENTION_DAYS", default_value_t = crate::cleanup::DEFAULT_AUDIT_RETENTION_DAYS)]
    pub audit_retention_days: i64,
    /// How often each instance cleans up what has ended (seconds).
    #[arg(long, env = "HALLPASS_CLEANUP_SECS", default_value_t = crate::cleanup::DEFAULT_CLEANUP_SECS)]
    pub cleanup_secs: u64,
    /// Email of the first admin, created at start when there are no users yet.
    #[arg(long, env = "HALLPASS_ADMIN_EMAIL")]
    pub admin_email: Option<String>,
    /// Password of the first admin; when missing a random one is generated and printed once.
    #[arg(long, env = "HALLPASS_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// The origins the app is served from (comma-separated, e.g. `https://hallpass.example`);
    /// state-changing requests from anywhere else are refused. Default: the request's own host.
    #[arg(long, env = "HALLPASS_PUBLIC_ORIGIN", value_delimiter = ',')]
    pub public_origin: Vec<String>,
    /// Served over TLS by a proxy in front: send HSTS. Implied by an https public origin and
    /// by `HALLPASS_TLS_CERT`.
    #[arg(long, env = "HALLPASS_TLS")]
    pub tls: bool,
    /// Serve HTTPS: the certificate chain (PEM, leaf first); re-read when it changes.
    #[arg(long, env = "HALLPASS_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// Serve HTTPS: the certificate's private key (PEM); re-read when it changes.
    #[arg(long, env = "HALLPASS_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// With HTTPS: also listen for plain HTTP here (e.g. `0.0.0.0:80`), only to redirect to
    /// https.
    #[arg(long, env = "HALLPASS_HTTP_REDIRECT_ADDR", requires = "tls_cert")]
    pub http_redirect_addr: Option<SocketAddr>,
    /// Certificate authorities (PEM) that `rediss://` Redis servers are checked against, in
    /// place of the system's (for a private CA).
    #[arg(long, env = "HALLPASS_REDIS_CA_FILE")]
    pub redis_ca_file: Option<std::path::PathBuf>,
    /// Peers allowed to set `X-Forwarded-For` (comma-separated addresses or CIDR ranges,
    /// e.g. `10.0.0.0/8,192.0.2.7`).
    #[arg(long, env = "HALLPASS_TRUSTED_PROXIES", value_delimiter = ',', value_parser = crate::client::parse_proxy_range)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Where to serve `/metrics` (Prometheus); keep it private. Unset: no metrics endpoint.
    #[arg(long, env = "HALLPASS_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    /// A bearer token `/metrics` requires (`Authorization: Bearer …`), for when its address is
    /// reachable by more than the scraper. Unset: the separate address is the only protection.
    #[arg(long, env = "HALLPASS_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Password hashes (Argon2id, 19 MiB each) run at once; as many more may wait, anyone
    /// beyond gets 503 with `Retry-After`. Default: twice the cores.
    #[arg(long, env = "HALLPASS_HASHING_CONCURRENCY")]
    pub hashing_concurrency: Option<usize>,
    /// How long a client may take to send a request's headers (seconds).
    #[arg(long, env = "HALLPASS_HEADER_TIMEOUT_SECS", default_value_t = crate::transport::DEFAULT_HEADER_TIMEOUT_SECS)]
    pub header_timeout_secs: u64,
    /// How long a kept-alive connection may wait for its next request (seconds).
    #[arg(long, env = "HALLPASS_IDLE_TIMEOUT_SECS", default_value_t = crate::transport::DEFAULT_IDLE_TIMEOUT_SECS)]
    pub idle_timeout_secs: u64,
    /// How long a client may take to send a request's body (seconds).
    #[arg(long, env = "HALLPASS_BODY_TIMEOUT_SECS", default_value_t = crate::transport::DEFAULT_BODY_TIMEOUT_SECS)]
    pub body_timeout_secs: u64,
    /// How long a response write may stall, the client not reading (seconds).
    #[arg(long, env = "HALLPASS_WRITE_TIMEOUT_SECS", default_value_t = crate::transport::DEFAULT_WRITE_TIMEOUT_SECS)]
    pub write_timeout_secs: u64,
    /// How long a page may take to begin its answer, and then each next part (seconds).
    #[arg(long, env = "HALLPASS_RENDER_TIMEOUT_SECS", default_value_t = crate::transport::DEFAULT_RENDER_TIMEOUT_SECS)]
    pub render_timeout_secs: u64,
    /// Connections one instance holds open at once; more wait to be accepted.
    #[arg(long, env = "HALLPASS_MAX_CONNECTIONS", default_value_t = crate::transport::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Address to listen on.
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = DEFAULT_ADDR)]
    pub addr: SocketAddr,
    /// Folder with the built site (`pkg/` with the WASM, JS and CSS).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = DEFAULT_SITE_ROOT)]
    pub site_root: String,
}

impl Config {
    /// The configuration with every default, for `database_url` and `redis_url` as given.
    pub fn new(database_url: impl Into<String>, redis_url: Option<String>) -> Self {
        Self {
            database_url: database_url.into(),
            redis_url,
            redis_namespace: DEFAULT_REDIS_NAMESPACE.into(),
            redis_connections: crate::store::DEFAULT_REDIS_CONNECTIONS,
            history_secs: crate::store::DEFAULT_HISTORY_SECS,
            audit_retention_days: crate::cleanup::DEFAULT_AUDIT_RETENTION_DAYS,
            cleanup_secs: crate::cleanup::DEFAULT_CLEANUP_SECS,
            admin_email: None,
            admin_password: None,
            trusted_proxies: Vec::new(),
            public_origin: Vec::new(),
            tls: false,
            tls_cert: None,
            tls_key: None,
            http_redirect_addr: None,
            redis_ca_file: None,
            metrics_addr: None,
            metrics_token: None,
            hashing_concurrency: None,
            header_timeout_secs: crate::transport::DEFAULT_HEADER_TIMEOUT_SECS,
            idle_timeout_secs: crate::transport::DEFAULT_IDLE_TIMEOUT_SECS,
            body_timeout_secs: crate::transport::DEFAULT_BODY_TIMEOUT_SECS,
            write_timeout_secs: crate::transport::DEFAULT_WRITE_TIMEOUT_SECS,
            render_timeout_secs: crate::transport::DEFAULT_RENDER_TIMEOUT_SECS,
            max_connections: crate::transport::DEFAULT_MAX_CONNECTIONS,
            addr: DEFAULT_ADDR.parse().expect("the default address parses"),
            site_root: DEFAULT_SITE_ROOT.into(),
        }
    }

    /// The Redis server, as configured (URL and trust), when sessions live in Redis.
    pub fn redis(&self) -> Option<crate::redis_conn::RedisTarget> {
        self.redis_url
            .as_deref()
            .map(|url| crate::redis_conn::RedisTarget::new(url, self.redis_ca_file.clone()))
    }

    /// How long clients may take to send requests.
    pub fn timeouts(&self) -> crate::transport::Timeouts {
        crate::transport::Timeouts {
            header: std::time::Duration::from_secs(self.header_timeout_secs.max(1)),
            idle: std::time::Duration::from_secs(self.idle_timeout_secs.max(1)),
            body: std::time::Duration::from_secs(self.body_timeout_secs.max(1)),
            write: std::time::Duration::from_secs(self.write_timeout_secs.max(1)),
            render: std::time::Duration::from_secs(self.render_timeout_secs.max(1)),
            max_connections: self.max_connections.max(1),
        }
    }

    /// The Leptos options that go with this configuration.
    pub fn leptos_options(&self) -> leptos::config::LeptosOptions {
        leptos::config::LeptosOptions::builder()
            .output_name("hallpass")
            .site_root(self.site_root.as_str())
            .site_pkg_dir("pkg")
            .site_addr(self.addr)
            .build()
    }
}

/// A URL with any password replaced, for messages.
/// A store URL for logs and error messages: see [`store_url`].
pub fn redact(url: &str) -> String {
    store_url(url).shown
}

/// A store's URL as it may be shown (logs, the security page) and what the security page
/// grades it by. Only the scheme, host, port and path are kept, and of the query only
/// `sslmode`: never a user, a password (in the authority or as `?password=`) or any other
/// parameter.
pub fn store_url(url: &str) -> app::ssr::posture::StoreUrl {
    use app::ssr::posture::StoreUrl;
    if url.starts_with("sqlite:") {
        return StoreUrl {
            shown: url.split('?').next().unwrap_or(url).to_owned(),
            embedded: true,
            loopback: true,
            tls: None,
        };
    }
    let Ok(parsed) = url::Url::parse(url) else {
        return StoreUrl {
            shown: "(an unreadable URL)".into(),
            embedded: false,
            loopback: false,
            tls: None,
        };
    };
    let host = parsed.host_str().unwrap_or("");
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
        || (host.is_empty() && parsed.scheme().starts_with("postgres"));
    let sslmode = parsed
        .query_pairs()
        .find(|(k, _)| k == "sslmode")
        .map(|(_, v)| v.into_owned());
    let mut shown = format!("{}://{host}", parsed.scheme());
    if let Some(port) = parsed.port() {
        shown.push_str(&format!(":{port}"));
    }
    shown.push_str(parsed.path());
    if let Some(mode) = &sslmode {
        shown.push_str(&format!("?sslmode={mode}"));
    }
    let tls = if parsed.scheme().starts_with("rediss") {
        Some("tls".to_owned())
    } else {
        sslmode
    };
    StoreUrl {
        shown,
        embedded: false,
        loopback,
        tls,
    }
}

#[cfg(test)]
mod tests {
    use super::store_url;

    #[test]
    fn store_urls_are_shown_without_any_secret() {
        for (url, shown) in [
            (
                "postgres://u:p@db.internal/hallpass?password=x&sslmode=verify-full",
                "postgres://db.internal/hallpass?sslmode=verify-full",
            ),
            (
                "postgres://db.internal/db?user=u&password=s3cret",
                "postgres://db.internal/db",
            ),
            ("redis://:pass@cache:6380", "redis://cache:6380"),
            (
                "rediss://user:pa@ss@cache.internal",
                "rediss://cache.internal",
            ),
            (
                "sqlite://data/hallpass.db?mode=rwc",
                "sqlite://data/hallpass.db",
            ),
        ] {
            assert_eq!(store_url(url).shown, shown, "{url}");
        }
        assert!(store_url("postgres://u:p@localhost/db").loopback);
        assert!(
            store_url("postgres://u:p@db.internal/db?application_name=sslmode=verify-full")
                .tls
                .is_none()
        );
        assert_eq!(store_url("rediss://cache").tls.as_deref(), Some("tls"));
    }
}
