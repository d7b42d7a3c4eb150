//! The session guard's HTTP side: on every request, refuses paths written another way
//! (dot segments, backslashes) and non-read methods on pages, lets assets through without a
//! session, asks [`app::ssr::admission`] whether the session may be used, and translates the
//! answer: the principal for the server functions, redirects for pages, the error status for
//! the API, the cookies to set or remove, `Cache-Control: no-store`. Keeps signed-out
//! visitors off protected pages and non-admins off the admin pages.
use crate::{assets, reply};
use app::{
    error::ApiError,
    ssr::{
        admission::{admit, Activity, Admission, CookieChange, Outcome, Verdict},
        auth::{ClientInfo, Principal, SessionEnded},
        context::ServerState,
        cookies::{REMEMBER_COOKIE, SESSION_COOKIE},
        session::Session,
    },
};
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use http::{
    header::{CACHE_CONTROL, SET_COOKIE},
    HeaderValue,
};

/// Pages anyone may see.
const PUBLIC_PAGES: &[&str] = &["/login", "/set-password"];

/// The page's report that the person clicked or typed: it moves an existing session's idle
/// deadline and never starts one from a remember-me token. It is sent beside the action the
/// click triggers; were it to restore a session from the token while that action (a
/// re-authentication, say) regenerates the id, the restored session's cookie could land last
/// and replace the fresh one.
const TOUCH_PATH: &str = "/api/touch";

/// Where people sign in: never refused for stale or guessed session cookies.
const SIGN_IN_PATHS: &[&str] = &["/login", "/api/login"];

/// Whether a path has a `.` or `..` segment, written plainly or percent-encoded. Such a path
/// could mean one thing here (`/pkg/%2e%2e/admin` looks like an asset) and another to the
/// router or a file server; no page or asset of ours has one, so it is refused outright.
fn has_dot_segment(path: &str) -> bool {
    // Some parsers (the WHATWG URL one Leptos's router uses among them) read `\` as `/`.
    let lower = path.to_ascii_lowercase();
    if lower.contains('\\') || lower.contains("%5c") {
        return true;
    }
    path.split('/').any(|segment| {
        let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
        decoded == "." || decoded == ".."
    })
}

/// The guard middleware (with the [`ServerState`] as state).
pub async fn guard(State(state): State<ServerState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if has_dot_segment(&path) {
        return reply::error(
            reply::is_api(&path),
            ApiError::bad_request("Paths with . or .. segments or backslashes are not accepted."),
        );
    }
    let api = reply::is_api(&path);
    if !api && !assets::is_read(req.method()) {
        // Pages and assets are read-only: a PUT to a page is not a reason to sign in.
        return assets::method_not_allowed();
    }
    if assets::is_asset(&path) {
        return next.run(req).await;
    }
    let (Some(session), client) = (
        req.extensions().get::<Session>().cloned(),
        req.extensions()
            .get::<ClientInfo>()
            .cloned()
            .unwrap_or_default(),
    ) else {
        return next.run(req).await;
    };

    let activity = if app::api::BACKGROUND_ENDPOINTS.contains(&path.as_str()) {
        Activity::Background
    } else {
        Activity::Person
    };
    let sign_in = SIGN_IN_PATHS.contains(&path.as_str());
    let request = Admission {
        client: &client,
        remember_token: REMEMBER_COOKIE.read(req.headers()).ok().flatten(),
        activity,
        may_restore: path != TOUCH_PATH,
        throttle_guesses: !sign_in,
    };
    let Outcome { verdict, cookies } = admit(&state, &session, &request).await;
    let cookies: Vec<HeaderValue> = cookies.into_iter().map(cookie).collect();
    let verdict = match verdict {
        Ok(verdict) => verdict,
        Err(err) => {
            let mut res = reply::error(api, err);
            append(&mut res, cookies);
            return res;
        }
    };
    let signed_in = match verdict {
        Verdict::SignedIn(auth) => {
            req.extensions_mut().insert(Principal(auth));
            true
        }
        Verdict::Anonymous => false,
        Verdict::Moved if sign_in || PUBLIC_PAGES.contains(&path.as_str()) => false,
        Verdict::Moved if api => return reply::error(true, ApiError::session_moved()),
        // The browser holds the new id: the sign-in page, asked for with it, sends it home.
        Verdict::Moved => return no_store(Redirect::to("/login").into_response()),
        Verdict::Ended(reason) if api => {
            // The server function decides: `login` goes ahead, the rest answer 401 with why.
            req.extensions_mut().insert(SessionEnded(reason));
            false
        }
        // The sign-in page renders (with the removal cookie); redirecting there would loop.
        Verdict::Ended(_) if PUBLIC_PAGES.contains(&path.as_str()) => false,
        Verdict::Ended(reason) => {
            let mut res =
                no_store(Redirect::to(&format!("/login?reason={}", reason.code())).into_response());
            append(&mut res, cookies);
            return res;
        }
    };

    let admin_page = path == "/admin" || path.starts_with("/admin/");
    let is_admin = req
        .extensions()
        .get::<Principal>()
        .is_some_and(|p| p.0.role == app::model::Role::Admin);
    let mut res = if !api && !signed_in && !PUBLIC_PAGES.contains(&path.as_str()) {
        Redirect::to("/login").into_response()
    } else if admin_page && !is_admin {
        reply::error(false, ApiError::forbidden())
    } else if !api && signed_in && path == "/login" {
        Redirect::to("/").into_response()
    } else {
        next.run(req).await
    };
    append(&mut res, cookies);
    no_store(res)
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The header that makes a [`CookieChange`].
fn cookie(change: CookieChange) -> HeaderValue {
    match change {
        CookieChange::RemoveSession => SESSION_COOKIE.removal(),
        CookieChange::RemoveRemember => REMEMBER_COOKIE.removal(),
        CookieChange::SetRemember {
            token,
            max_age_secs,
        } => REMEMBER_COOKIE.set(token, Some(max_age_secs)),
    }
}

fn append(res: &mut Response, cookies: Vec<HeaderValue>) {
    for cookie in cookies {
        res.headers_mut().append(SET_COOKIE, cookie);
    }
}
