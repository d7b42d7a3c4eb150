//! Gives server-function errors their HTTP status.
//!
//! server_fn answers every error with 500 and a `serverfnerror` header; the body is our
//! [`ApiError`] as JSON, whose `code` says the real status (401, 403, 400, 503, …).
use app::error::ApiError;
use axum::{body::Body, extract::Request, middleware::Next, response::Response};
use http::{
    header::{CONTENT_TYPE, RETRY_AFTER},
    HeaderValue, StatusCode,
};

const SERVER_FN_ERROR_HEADER: &str = "serverfnerror";
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Middleware that rewrites the status of server-function error responses.
pub async fn map_status(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_ERROR_BODY)
        .await
        .unwrap_or_default();
    if let Ok(err) = serde_json::from_slice::<ApiError>(&bytes) {
        parts.status =
            StatusCode::from_u16(err.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        parts
            .headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(wait) = err.retry_after {
            parts.headers.insert(RETRY_AFTER, HeaderValue::from(wait));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}
