//! Decides whether the request is signed in, and keeps signed-out visitors off protected pages.
use crate::reply;
use app::{
    error::ApiError,
    ssr::auth::{AuthState, Principal, AUTH_KEY},
};
use axum::{
    extract::Request,
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use http::{header::CACHE_CONTROL, HeaderValue};
use tower_sessions::{session::Error as SessionError, Session};

/// Pages anyone may see.
const PUBLIC_PAGES: &[&str] = &["/login"];

/// Whether a path is a static asset (never session-dependent, cacheable).
fn is_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.ico"
}

/// Loads the signed-in user of the session into the request as a [`Principal`]; sends
/// signed-out visitors of protected pages to `/login` and signed-in visitors of `/login` home;
/// marks every non-asset response `Cache-Control: no-store`.
pub async fn guard(mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if is_asset(&path) {
        return next.run(req).await;
    }
    let api = reply::is_api(&path);
    let principal = match req.extensions().get::<Session>() {
        Some(session) => match session.get::<AuthState>(AUTH_KEY).await {
            Ok(auth) => auth.map(Principal),
            Err(SessionError::Store(err)) => {
                tracing::error!(%err, "session store failed while loading");
                return reply::error(api, ApiError::unavailable());
            }
            Err(err) => {
                tracing::warn!(%err, "unreadable session record: ending it");
                session.flush().await.ok();
                None
            }
        },
        None => None,
    };
    let signed_in = principal.is_some();
    if let Some(principal) = principal {
        req.extensions_mut().insert(principal);
    }
    if !api {
        let public = PUBLIC_PAGES.contains(&path.as_str());
        if !signed_in && !public {
            return Redirect::to("/login").into_response();
        }
        if signed_in && path == "/login" {
            return Redirect::to("/").into_response();
        }
    }
    let mut res = next.run(req).await;
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
