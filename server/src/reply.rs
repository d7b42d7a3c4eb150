//! Error answers the middleware gives before a page or server function runs: JSON for the
//! API, a small page for browsers.
use app::error::ApiError;
use axum::response::{Html, IntoResponse, Response};
use http::{
    header::{CACHE_CONTROL, RETRY_AFTER},
    HeaderValue, StatusCode,
};

/// Whether a path belongs to the JSON API.
pub fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// The answer for `err`, as JSON for the API or as a page.
pub fn error(api: bool, err: ApiError) -> Response {
    let retry_after = err.retry_after;
    let status =
        StatusCode::from_u16(err.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = if api {
        (status, axum::Json(&err)).into_response()
    } else {
        let message = html_escape(&err.message);
        let page = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
             content=\"width=device-width, initial-scale=1\"><title>Hallpass</title>\
             <link rel=\"stylesheet\" href=\"/pkg/hallpass.css\"></head><body><main class=\"centered\">\
             <div class=\"card\"><h1>Hallpass</h1><p class=\"error\" role=\"alert\">{message}</p>\
             <p><a href=\"/login\">Back to sign-in</a></p></div></main></body></html>"
        );
        (status, Html(page)).into_response()
    };
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(wait) = retry_after {
        res.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(wait));
    }
    res
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
