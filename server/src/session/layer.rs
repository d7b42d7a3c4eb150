//! Loads the session named by the cookie, and after the handler saves it and sets or removes
//! the cookie. Store failures fail closed with 503.
use super::SESSION_COOKIE;
use crate::{reply, store::Store};
use app::error::ApiError;
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use http::header::SET_COOKIE;
use std::sync::Arc;
use tower_sessions::{session::Id, Expiry, Session};

/// What the session layer needs: the store and how long an idle record may live in it.
#[derive(Clone, Debug)]
pub struct Sessions {
    /// The store every session is read from and written to.
    pub store: Arc<Store>,
    /// How long the store keeps a record after its last write.
    pub expiry: Expiry,
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
    let session = Session::new(id, sessions.store.clone(), Some(sessions.expiry));
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
) -> Result<CookieChange, tower_sessions::session::Error> {
    if !session.is_modified() {
        // The id was sent but the store had no such record (unknown, expired or ended).
        let dead = incoming.is_some() && session.id().is_none();
        return Ok(if dead || incoming.is_none() {
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
