//! Cross-site request forgery defence for every state-changing request (all server
//! functions, login included): the browser must say the request is same-origin
//! (`Sec-Fetch-Site`), or, for clients that do not send that header, `Origin` must be one of
//! ours. Cross-site, `null`, look-alike or missing: 403. GET never changes state.
use crate::reply;
use app::error::{ApiError, ErrorCode};
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use http::{header::HOST, HeaderMap, Method};
use std::sync::Arc;

/// The origins state-changing requests may come from.
#[derive(Clone, Debug, Default)]
pub struct AllowedOrigins(pub Arc<Vec<String>>);

impl AllowedOrigins {
    /// Whether `origin` is ours: one of the configured origins, or, when none is configured,
    /// this request's own host over http or https.
    fn allows(&self, origin: &str, headers: &HeaderMap) -> bool {
        if !self.0.is_empty() {
            return self.0.iter().any(|o| o == origin);
        }
        let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) else {
            return false;
        };
        origin == format!("http://{host}") || origin == format!("https://{host}")
    }
}

/// Why a request is refused, or `None` when it may go ahead.
pub fn refusal(
    method: &Method,
    headers: &HeaderMap,
    allowed: &AllowedOrigins,
) -> Option<&'static str> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let text = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or("\u{fffd}"));
    let fetch_site = text("sec-fetch-site");
    let origin = text("origin");
    if let Some(site) = fetch_site {
        if site != "same-origin" {
            return Some("Cross-site request refused.");
        }
    }
    match origin {
        Some(origin) if allowed.allows(origin, headers) => None,
        Some(_) => Some("Request from another origin refused."),
        None if fetch_site.is_some() => None,
        None => Some("Request without Origin or Sec-Fetch-Site refused."),
    }
}

/// The CSRF middleware (with the allowed origins as state).
pub async fn check(State(allowed): State<AllowedOrigins>, req: Request, next: Next) -> Response {
    match refusal(req.method(), req.headers(), &allowed) {
        None => next.run(req).await,
        Some(why) => {
            tracing::warn!(path = req.uri().path(), why, "csrf check refused a request");
            reply::error(
                reply::is_api(req.uri().path()),
                ApiError::new(ErrorCode::Forbidden, why),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(HOST, HeaderValue::from_static("app.example:3000"));
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn only_same_origin_state_changes_pass() {
        let any = AllowedOrigins::default();
        let post = Method::POST;
        assert_eq!(
            refusal(
                &Method::GET,
                &headers(&[("sec-fetch-site", "cross-site")]),
                &any
            ),
            None
        );
        assert_eq!(
            refusal(&post, &headers(&[("sec-fetch-site", "same-origin")]), &any),
            None
        );
        assert_eq!(
            refusal(
                &post,
                &headers(&[("origin", "http://app.example:3000")]),
                &any
            ),
            None
        );
        for bad in [
            vec![("sec-fetch-site", "cross-site")],
            vec![("sec-fetch-site", "same-site")],
            vec![("sec-fetch-site", "none")],
            vec![("origin", "null")],
            vec![("origin", "http://app.example:3000.evil.test")],
            vec![("origin", "http://evil.test")],
            vec![
                ("sec-fetch-site", "same-origin"),
                ("origin", "http://evil.test"),
            ],
            vec![],
        ] {
            assert!(
                refusal(&post, &headers(&bad), &any).is_some(),
                "{bad:?} must be refused"
            );
        }
        let configured = AllowedOrigins(Arc::new(vec!["https://hallpass.example".into()]));
        assert_eq!(
            refusal(
                &post,
                &headers(&[("origin", "https://hallpass.example")]),
                &configured
            ),
            None
        );
        assert!(refusal(
            &post,
            &headers(&[("origin", "http://app.example:3000")]),
            &configured
        )
        .is_some());
    }
}
