//! Static files: the compiled app under `/pkg/` and `/favicon.ico`, from the site root.
//!
//! They are the same for everyone, so the guard lets them through without looking at the
//! session; they answer GET and HEAD only (see [`READ_ONLY`]), text names its charset, and a
//! missing file is a plain 404 with nothing in it that could run. Unknown *pages* are not
//! assets: the app renders its not-found page for them, under the response's CSP nonce like
//! every other page.
use axum::{
    body::Body,
    extract::Request,
    response::{IntoResponse, Response},
};
use http::{header, HeaderValue, Method, StatusCode};
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// The methods pages and assets answer; anything else is 405 with this `Allow`.
pub const READ_ONLY: &str = "GET, HEAD";

/// Whether a path is a static asset (never session-dependent, cacheable).
pub fn is_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.ico"
}

/// Whether a page or asset may be asked for with this method.
pub fn is_read(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

/// 405 for a method other than GET or HEAD on a page or an asset.
pub fn method_not_allowed() -> Response {
    let mut res = (
        StatusCode::METHOD_NOT_ALLOWED,
        "Only GET and HEAD are accepted here.\n",
    )
        .into_response();
    res.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(READ_ONLY));
    res
}

/// Serves an asset from `site_root` (precompressed copies when the browser takes them).
pub async fn serve(site_root: &str, req: Request) -> Response {
    if !is_read(req.method()) {
        return method_not_allowed();
    }
    let files = ServeDir::new(site_root)
        .precompressed_br()
        .precompressed_gzip();
    let mut res = match files.oneshot(req).await {
        Ok(res) => res.map(Body::new),
        Err(err) => match err {},
    };
    if res.status() == StatusCode::NOT_FOUND {
        return (StatusCode::NOT_FOUND, "Not found.\n").into_response();
    }
    name_charset(&mut res);
    res
}

/// `text/css` becomes `text/css; charset=utf-8` (and so for every text type without one):
/// our text files are UTF-8, and a browser should not have to guess.
fn name_charset(res: &mut Response) {
    let Some(kind) = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return;
    };
    if kind.starts_with("text/") && !kind.contains("charset") {
        if let Ok(value) = HeaderValue::from_str(&format!("{kind}; charset=utf-8")) {
            res.headers_mut().insert(header::CONTENT_TYPE, value);
        }
    }
}
