//! `/metrics` (Prometheus) on its own address, and the request-latency middleware.
use app::ssr::context::ServerState;
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
    routing::get,
    Router,
};
use std::time::Instant;

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

/// The metrics router: serve it on a separate, private address (`HALLPASS_METRICS_ADDR`).
pub fn router(state: ServerState) -> Router {
    Router::new().route(
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
}
