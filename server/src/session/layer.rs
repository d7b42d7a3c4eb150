//! Loads the session named by the cookie, and after the handler saves it and sets or removes
//! the cookie. Store failures fail closed with 503.
use super::SESSION_COOKIE;
use crate::{
    reply,
    store::{Store, StoreError},
};
use app::{
    error::ApiError,
    ssr::{
        registry::{Gone, SessionGone, SessionRegistry},
        session::Session,
    },
};
use axum::response::{IntoResponse, Redirect};
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use http::header::SET_COOKIE;
use std::sync::Arc;
use tower_sessions::session::Id;

/// What the session layer needs: the store and how long an idle record may live in it.
#[derive(Clone, Debug)]
pub struct Sessions {
    /// The store every session is read from and written to.
    pub store: Arc<Store>,
    /// How long the store keeps a record without a deadline of its own after its last write.
    pub lifetime: time::Duration,
    /// Says why a session went away while its request was in flight.
    pub registry: Arc<dyn SessionRegistry>,
}

impl Sessions {
    /// The session a request with the cookie's `id` (if any) works on; nothing loaded yet.
    pub fn open(&self, id: Option<Id>) -> Session {
        Session::new(id, self.store.clone(), self.lifetime)
    }
}

/// The session middleware (use with `axum::middleware::from_fn_with_state`).
pub async fn manage(State(sessions): State<Sessions>, mut req: Request, next: Next) -> Response {
    let api = reply::is_api(req.uri().path());
    let cookie = match SESSION_COOKIE.read(req.headers()) {
        Ok(cookie) => cookie,
        Err(err) => {
            tracing::warn!(%err, "rejected session cookie");
            let mut res = reply::error(api, ApiError::bad_request(err.to_string()));
            res.headers_mut()
                .append(SET_COOKIE, SESSION_COOKIE.removal());
            return res;
        }
    };
    let id = cookie.as_deref().and_then(|value| {
        let id = value.parse::<Id>().ok();
        if id.is_none() {
            tracing::warn!("possibly suspicious activity: malformed session cookie");
        }
        id
    });
    let session = sessions.open(id);
    req.extensions_mut().insert(session.clone());

    let mut res = next.run(req).await;
    match persist(&session, id, res.status().is_server_error()).await {
        Ok(CookieChange::Set) => {
            let id = session.id().expect("a saved session has an id");
            res.headers_mut()
                .append(SET_COOKIE, SESSION_COOKIE.set(id.to_string(), None));
        }
        Ok(CookieChange::Remove) if cookie.is_some() => {
            res.headers_mut()
                .append(SET_COOKIE, SESSION_COOKIE.removal());
        }
        Ok(_) => {}
        Err(err) if SessionGone::is(&err) => {
            // Ended (revoked, signed out, outdated) while this request was in flight: the
            // request is answered as any later one would be, and nothing is written back.
            let gone = match session
                .key()
                .or_else(|| id.map(|id| app::model::SessionKey::of(&id)))
            {
                Some(key) => sessions.registry.why_gone(&key).await,
                None => Ok(None),
            };
            let gone = match gone {
                Ok(gone) => gone,
                Err(err) => {
                    tracing::error!(%err, "session store failed while saving");
                    return reply::error(api, ApiError::unavailable());
                }
            };
            tracing::info!("a session ended while its request was in flight");
            let cookies: Vec<_> = res.headers().get_all(SET_COOKIE).iter().cloned().collect();
            let reason = gone.and_then(Gone::reason);
            let mut res = match (api, gone) {
                (true, Some(Gone::Ended(reason))) => reply::error(true, ApiError::ended(reason)),
                (true, Some(Gone::Regenerated)) => reply::error(true, ApiError::session_moved()),
                (true, None) => reply::error(true, ApiError::not_signed_in()),
                (false, Some(Gone::Ended(reason))) => {
                    Redirect::to(&format!("/login?reason={}", reason.code())).into_response()
                }
                (false, _) => Redirect::to("/login").into_response(),
            };
            res.headers_mut().insert(
                http::header::CACHE_CONTROL,
                http::HeaderValue::from_static("no-store"),
            );
            // Whatever else the response set (a rotated remember-me token, its removal) stands.
            for cookie in cookies {
                res.headers_mut().append(SET_COOKIE, cookie);
            }
            // Only an end on purpose removes the cookie: after a regeneration (or without a
            // record) the browser may hold a new id, and a removal racing it would sign it out.
            if reason.is_some() {
                res.headers_mut()
                    .append(SET_COOKIE, SESSION_COOKIE.removal());
            }
            return res;
        }
        Err(err) => {
            tracing::error!(%err, "session store failed while saving");
            return reply::error(api, ApiError::unavailable());
        }
    }
    res
}

enum CookieChange {
    Keep,
    Set,
    Remove,
}

/// Writes what the handler changed and says what the cookie must become.
async fn persist(
    session: &Session,
    incoming: Option<Id>,
    server_error: bool,
) -> Result<CookieChange, StoreError> {
    if !session.is_modified() {
        // A malformed id is removed. An id the store does not know is left alone: it may be
        // the old id of a session regenerated by a concurrent request, whose response carries
        // the new cookie, and a removal cookie racing it would sign the user out.
        return Ok(if incoming.is_none() {
            CookieChange::Remove
        } else {
            CookieChange::Keep
        });
    }
    if session.is_empty().await {
        if session.id().is_some() {
            session.delete().await?;
        }
        return Ok(CookieChange::Remove);
    }
    if server_error {
        return Ok(CookieChange::Keep);
    }
    session.save().await?;
    Ok(if session.id() == incoming {
        CookieChange::Keep
    } else {
        CookieChange::Set
    })
}
