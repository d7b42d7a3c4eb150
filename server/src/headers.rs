//! Security headers on every response: a Content-Security-Policy with a fresh nonce for the
//! Leptos hydration scripts (no `unsafe-inline` / `unsafe-eval`), and the fixed headers through
//! tower-http's `SetResponseHeaderLayer`.
use axum::{extract::Request, middleware::Next, response::Response};
use http::{header, HeaderName, HeaderValue};
use rand::RngCore;
use tower_http::set_header::SetResponseHeaderLayer;

/// The nonce of the current response, for the page render (see `leptos::nonce::Nonce`).
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

/// The policy for a response whose scripts carry `nonce`. `'wasm-unsafe-eval'` lets the page
/// compile its WebAssembly; it does not allow `eval` of JavaScript.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'"
    )
}

/// The policy for API responses (JSON and event streams): nothing in them may run or load.
const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Middleware: a fresh 128-bit nonce per page request, in the request (for the render) and in
/// the response's CSP header; API responses get a fixed, stricter policy and no nonce.
pub async fn csp(mut req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/api/") {
        let mut res = next.run(req).await;
        res.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(API_POLICY),
        );
        return res;
    }
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let nonce = hex::encode(bytes);
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    if let Ok(value) = HeaderValue::from_str(&content_security_policy(&nonce)) {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    res
}

/// The fixed headers, as tower-http layers: nosniff, no referrer, same-origin opener, no
/// framing.
pub fn fixed() -> [SetResponseHeaderLayer<HeaderValue>; 4] {
    [
        SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
        SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ),
    ]
}

/// HSTS (one year), only when served over TLS (`tls`).
pub fn hsts(tls: bool) -> Option<SetResponseHeaderLayer<HeaderValue>> {
    tls.then(|| {
        SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        )
    })
}
