//! `/metrics` (Prometheus) on its own address, and the request-latency middleware.
use app::ssr::context::ServerState;
use axum::{
    extract::{Request, State},
    middleware::{from_fn_with_state, Next},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use http::{
    header::{AUTHORIZATION, WWW_AUTHENTICATE},
    HeaderMap, StatusCode,
};
use std::{sync::Arc, time::Instant};
use subtle::ConstantTimeEq;

/// Middleware timing every request into `hallpass_request_duration_seconds`.
pub async fn observe(State(state): State<ServerState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let route = if path.starts_with("/api/") {
        "api"
    } else if path.starts_with("/pkg/") {
        "asset"
    } else {
        "page"
    };
    let started = Instant::now();
    let res = next.run(req).await;
    let status = match res.status().as_u16() / 100 {
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    };
    state
        .metrics
        .observe(route, status, started.elapsed().as_secs_f64());
    res
}

/// The bearer token `/metrics` requires, if any (`HALLPASS_METRICS_TOKEN`).
#[derive(Clone, Debug, Default)]
pub struct MetricsToken(pub Option<Arc<str>>);

impl MetricsToken {
    /// Whether `headers` carry the token (always, when none is configured). Compared in
    /// constant time.
    fn admits(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.0 else {
            return true;
        };
        let sent = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        bool::from(sent.as_bytes().ct_eq(token.as_bytes()))
    }
}

/// Middleware: 401 unless the request carries the metrics token.
async fn require_token(State(token): State<MetricsToken>, req: Request, next: Next) -> Response {
    if token.admits(req.headers()) {
        return next.run(req).await;
    }
    (
        StatusCode::UNAUTHORIZED,
        [(WWW_AUTHENTICATE, "Bearer")],
        "The metrics endpoint needs `Authorization: Bearer <HALLPASS_METRICS_TOKEN>`.\n",
    )
        .into_response()
}

/// The metrics router: serve it on a separate, private address (`HALLPASS_METRICS_ADDR`),
/// behind `token` when one is configured.
pub fn router(state: ServerState, token: MetricsToken) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(move || {
                let state = state.clone();
                async move {
                    let policy = state.policy.current();
                    match state
                        .registry
                        .count_active(state.clock.now() - policy.idle_timeout_secs)
                        .await
                    {
                        Ok(n) => state.metrics.set_active(n),
                        Err(err) => {
                            tracing::warn!(%err, "could not count active sessions for /metrics")
                        }
                    }
                    (
                        [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                        state.metrics.render(),
                    )
                }
            }),
        )
        .layer(from_fn_with_state(token, require_token))
}
