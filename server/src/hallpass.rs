//! The assembled application: stores opened, first admin ensured, router built.
use crate::{
    api_errors, bootstrap,
    client::{self, TrustedProxies},
    config::{redact, store_url, Config},
    csrf::{self, AllowedOrigins},
    guard, headers, live, metrics, pages,
    session::{self, Sessions},
    store::{Backend, HashedIds},
};
use crate::{
    events::RedisBus,
    redis_conn::Namespace,
    registry::Registry,
    store::{EndedSessions, Indexed, SessionIndex},
    throttle::RedisThrottle,
};
use anyhow::Context as _;
use app::{
    shell,
    ssr::{
        activity::{Activity, SAMPLE_EVERY_SECS},
        audit::Audit,
        clock::Clock,
        context::{ServerState, Services},
        events::{Event, EventBus, LocalBus},
        metrics::Metrics,
        policy_store::PolicyStore,
        remember::RememberTokens,
        throttle::{LocalThrottle, Throttle},
        users::Users,
    },
};
use axum::{
    middleware::{from_fn, from_fn_with_state},
    routing::get,
    Router,
};
use leptos::config::LeptosOptions;
use leptos_axum::LeptosRoutes;
use std::sync::Arc;
use tokio::sync::broadcast;
use tower::ServiceBuilder;
use tower_http::trace::TraceLayer;

/// A running Hallpass: its stores and settings, ready to build a router.
#[derive(Clone, Debug)]
pub struct Hallpass {
    leptos: LeptosOptions,
    state: ServerState,
    sessions: Sessions,
    trusted_proxies: TrustedProxies,
    allowed_origins: AllowedOrigins,
    hsts: bool,
    metrics_addr: Option<std::net::SocketAddr>,
    metrics_token: metrics::MetricsToken,
    timeouts: crate::transport::Timeouts,
    cleanup: crate::cleanup::Cleanup,
    /// The certificate when Hallpass serves HTTPS itself.
    certificate: Option<Arc<crate::tls::Certificate>>,
    /// Where plain HTTP is answered with a redirect to https.
    http_redirect_addr: Option<std::net::SocketAddr>,
}

impl Hallpass {
    /// Opens the database (running migrations), ensures a first admin, connects the session
    /// store (Redis when configured, otherwise the database) and the event bus, and starts
    /// listening for policy changes.
    pub async fn start(config: &Config) -> anyhow::Result<Self> {
        crate::tls::install_default_provider();
        let certificate = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Some(
                crate::tls::Certificate::load(cert, key).context("loading the TLS certificate")?,
            ),
            (None, None) => None,
            _ => anyhow::bail!("HALLPASS_TLS_CERT and HALLPASS_TLS_KEY go together"),
        };
        anyhow::ensure!(
            config.http_redirect_addr.is_none() || certificate.is_some(),
            "HALLPASS_HTTP_REDIRECT_ADDR redirects to Hallpass's own https: it needs HALLPASS_TLS_CERT and HALLPASS_TLS_KEY"
        );
        if let Some(token) = &config.metrics_token {
            anyhow::ensure!(
                token.len() >= 16,
                "HALLPASS_METRICS_TOKEN must be at least 16 characters"
            );
        }
        let db = app::ssr::database::open(&config.database_url)
            .await
            .with_context(|| format!("opening the database at {}", redact(&config.database_url)))?;
        let users = Users::new(db.clone());
        bootstrap::first_admin(&users, config).await?;
        let clock = Clock::default();
        let (backend, index, ended, events, throttle): (
            Backend,
            SessionIndex,
            EndedSessions,
            Arc<dyn EventBus>,
            Arc<dyn Throttle>,
        ) = match (config.redis(), &config.redis_url) {
            (Some(redis), Some(url)) => {
                let namespace = Namespace(config.redis_namespace.as_str().into());
                let pool = redis
                    .pool(config.redis_connections)
                    .await
                    .with_context(|| format!("connecting to Redis at {}", redact(url)))?;
                let bus = RedisBus::start(&redis, pool.clone(), &namespace)
                    .await
                    .context("subscribing to Redis events")?;
                (
                    Backend::redis(pool.clone(), namespace.clone()),
                    SessionIndex::Redis(pool.clone(), namespace.clone()),
                    EndedSessions::Redis(pool.clone(), namespace.clone()),
                    bus,
                    Arc::new(RedisThrottle::new(pool, namespace)),
                )
            }
            _ => (
                Backend::sql(db.clone()),
                SessionIndex::Sql(db.clone()),
                EndedSessions::Sql(db.clone()),
                Arc::new(LocalBus::default()),
                Arc::new(LocalThrottle::default()),
            ),
        };
        tracing::info!(store = backend.name(), "session store ready");
        let indexed = Indexed::new(backend, index, events.clone());
        let metrics = Metrics::default();
        let state = ServerState::new(Services {
            users,
            policy: PolicyStore::load(db.clone())
                .await
                .context("loading the policy")?,
            audit: Audit::new(db.clone(), clock.clone(), metrics.clone()),
            remember: RememberTokens::new(db.clone()),
            registry: Arc::new(Registry::new(
                indexed.clone(),
                ended.clone(),
                events.clone(),
                clock.clone(),
                config.history_secs,
            )),
            events,
            clock,
            activity: Activity::default(),
            throttle,
            metrics,
            devices: app::ssr::devices::Devices::load(&db)
                .await
                .context("loading the device cookie key")?,
            passkeys: app::ssr::passkeys::Passkeys::new(db.clone(), &config.public_origin),
            self_audit: Arc::new(crate::scan::own::OwnAudit::new(&config.public_origin)),
            deployment: app::ssr::posture::Deployment {
                serves_tls: certificate.is_some(),
                behind_tls_proxy: config.tls,
                redirects_http: config.http_redirect_addr.is_some(),
                public_origins: config.public_origin.clone(),
                trusted_proxies: config.trusted_proxies.len(),
                redis: config.redis_url.as_deref().map(store_url),
                redis_namespace: config.redis_namespace.clone(),
                database: store_url(&config.database_url),
                metrics: config
                    .metrics_addr
                    .map(|addr| (addr, config.metrics_token.is_some())),
                cleanup_secs: config.cleanup_secs,
                audit_retention_days: config.audit_retention_days,
            },
            hashing: match config.hashing_concurrency {
                Some(n) => app::ssr::password::HashGate::new(n, n),
                None => app::ssr::password::HashGate::for_this_machine(),
            },
        });
        follow_policy_changes(&state);
        sample_activity(&state);
        let store = Arc::new(HashedIds::new(indexed));
        let cleanup = crate::cleanup::Cleanup {
            state: state.clone(),
            store: store.clone(),
            ended,
            history_secs: config.history_secs,
            audit_retention_days: config.audit_retention_days.max(1),
        };
        cleanup
            .clone()
            .spawn(std::time::Duration::from_secs(config.cleanup_secs.max(1)));
        Ok(Self {
            leptos: config.leptos_options(),
            sessions: Sessions {
                store,
                registry: state.registry.clone(),
                lifetime: time::Duration::hours(8),
            },
            cleanup,
            state,
            trusted_proxies: TrustedProxies(Arc::new(config.trusted_proxies.clone())),
            allowed_origins: AllowedOrigins(Arc::new(config.public_origin.clone())),
            hsts: config.tls
                || certificate.is_some()
                || config
                    .public_origin
                    .iter()
                    .any(|o| o.starts_with("https://")),
            metrics_addr: config.metrics_addr,
            metrics_token: metrics::MetricsToken(config.metrics_token.as_deref().map(Arc::from)),
            timeouts: config.timeouts(),
            certificate,
            http_redirect_addr: config.http_redirect_addr,
        })
    }

    /// The user directory (for tools and tests).
    pub fn users(&self) -> &Users {
        &self.state.users
    }

    /// Everything the server functions use (for tools and tests).
    pub fn state(&self) -> &ServerState {
        &self.state
    }

    /// The clean-up (it also runs by itself every `HALLPASS_CLEANUP_SECS`).
    pub fn cleanup(&self) -> &crate::cleanup::Cleanup {
        &self.cleanup
    }

    /// How long clients may take to send requests (for [`crate::transport::serve`]).
    pub fn timeouts(&self) -> crate::transport::Timeouts {
        self.timeouts
    }

    /// The session store (for tools and tests).
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// The full router: pages, `/api/*` server functions, static files, and the middleware.
    pub fn router(&self) -> Router {
        let state = self.state.clone();
        let leptos = self.leptos.clone();
        // Registers every server function under its `/api/…` path, and the pages.
        let live_state = (self.state.clone(), live::Streams::default());
        let router = Router::new()
            .route(
                "/api/events",
                get(move |req: axum::extract::Request| {
                    live::events(axum::extract::State(live_state.clone()), req)
                }),
            )
            .route(
                "/api/audit.jsonl",
                get({
                    let state = state.clone();
                    move |req: axum::extract::Request| {
                        crate::export::audit_jsonl(axum::extract::State(state.clone()), req)
                    }
                }),
            )
            .leptos_routes_with_context(&leptos, pages::routes(), pages::context(&state), {
                let leptos = leptos.clone();
                move || shell(leptos.clone())
            })
            .fallback({
                // Assets from the site root; any other unknown path is a page: the app's
                // not-found page, rendered with the same context (and CSP nonce) as the rest.
                let not_found =
                    leptos_axum::file_and_error_handler_with_context(pages::context(&state), shell);
                let site_root = leptos.site_root.clone();
                move |uri: http::Uri,
                      leptos: axum::extract::State<LeptosOptions>,
                      req: axum::extract::Request| {
                    let not_found = not_found.clone();
                    let site_root = site_root.clone();
                    async move {
                        if crate::assets::is_asset(uri.path()) {
                            crate::assets::serve(&site_root, req).await
                        } else {
                            not_found(uri, leptos, req).await
                        }
                    }
                }
            })
            .with_state(leptos);
        // One stack around the whole router, outermost first. (`Router::layer` would wrap
        // every route in every layer separately, and each request would clone that chain of
        // boxed services once per layer: measured at about a third of the CPU per request.)
        // Each `from_fn` layer clones the layers inside it per request, so the header layers,
        // which do not, go outside them.
        let [nosniff, referrer, opener, frames] = headers::fixed();
        let stack = ServiceBuilder::new()
            .layer(TraceLayer::new_for_http())
            .layer(nosniff)
            .layer(referrer)
            .layer(opener)
            .layer(frames)
            .option_layer(headers::hsts(self.hsts))
            .layer(from_fn_with_state(self.state.clone(), metrics::observe))
            .layer(from_fn(headers::csp))
            .layer(from_fn_with_state(
                self.trusted_proxies.clone(),
                client::identify,
            ))
            .layer(from_fn_with_state(
                self.allowed_origins.clone(),
                csrf::check,
            ))
            .layer(from_fn_with_state(
                self.timeouts,
                crate::transport::read_body,
            ))
            .layer(from_fn_with_state(self.sessions.clone(), session::manage))
            .layer(from_fn_with_state(self.state.clone(), guard::guard))
            .layer(from_fn(api_errors::map_status))
            .service(router);
        Router::new().fallback_service(stack)
    }

    /// Serves until Ctrl-C or SIGTERM.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
        if let Some(addr) = self.metrics_addr {
            let metrics = tokio::net::TcpListener::bind(addr).await?;
            tracing::info!("metrics on http://{}/metrics", metrics.local_addr()?);
            let router = metrics::router(self.state.clone(), self.metrics_token.clone());
            // With the same connection bounds as the app (timeouts, the cap, HTTP/1 only): a
            // scraper's address is private, but nothing on it should be able to hold it open.
            let timeouts = self.timeouts;
            tokio::spawn(async move {
                let stopped =
                    crate::transport::serve(metrics, router, timeouts, std::future::pending())
                        .await;
                if let Err(err) = stopped {
                    tracing::error!(%err, "metrics endpoint stopped");
                }
            });
        }
        let Some(certificate) = &self.certificate else {
            tracing::info!("listening on http://{}", listener.local_addr()?);
            crate::transport::serve(listener, self.router(), self.timeouts, shutdown_signal())
                .await?;
            return Ok(());
        };
        let https = listener.local_addr()?;
        if let Some(addr) = self.http_redirect_addr {
            let plain = tokio::net::TcpListener::bind(addr).await?;
            tracing::info!("redirecting http://{} to https", plain.local_addr()?);
            let router = crate::tls::redirect_router(self.allowed_origins.0.to_vec(), https.port());
            let timeouts = self.timeouts;
            tokio::spawn(async move {
                let stopped =
                    crate::transport::serve(plain, router, timeouts, std::future::pending()).await;
                if let Err(err) = stopped {
                    tracing::error!(%err, "the redirect to https stopped");
                }
            });
        }
        certificate.watch();
        tracing::info!("listening on https://{https}");
        let tls = certificate.server_config();
        crate::transport::serve_tls(
            listener,
            self.router(),
            self.timeouts,
            tls,
            shutdown_signal(),
        )
        .await?;
        Ok(())
    }
}

/// Counts active sessions once a minute for the admin chart.
fn sample_activity(state: &ServerState) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(SAMPLE_EVERY_SECS));
        loop {
            every.tick().await;
            let policy = state.policy.current();
            if let Err(err) = state
                .activity
                .sample(&*state.registry, &policy, state.clock.now())
                .await
            {
                tracing::warn!(%err, "could not count active sessions");
            }
        }
    });
}

/// Reloads the cached policy whenever any instance saves a new one.
fn follow_policy_changes(state: &ServerState) {
    let mut events = state.events.subscribe();
    let policy = state.policy.clone();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(Event::PolicyChanged) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    if let Err(err) = policy.reload().await {
                        tracing::error!(%err, "could not reload the policy");
                    }
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut sig) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            sig.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
