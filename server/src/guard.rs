//! The session guard: on every request, decides whether the session is signed in and still
//! allowed by the policy (idle, absolute lifetime, fingerprint), restores sessions from
//! remember-me tokens, says why a session ended, and keeps signed-out visitors off protected
//! pages.
use crate::reply;
use app::{
    error::ApiError,
    model::EndReason,
    policy::FingerprintMode,
    ssr::{
        audit::{AuditEvent, AuditKind},
        auth::{
            session_key, session_tag, AuthState, ClientInfo, Principal, SessionEnded, AUTH_KEY,
        },
        context::ServerState,
        cookies::{REMEMBER_COOKIE, SESSION_COOKIE},
        lifecycle::{end_current, end_everywhere, generation, save_auth, start_session},
        remember::Redeemed,
        throttle::FREE_GUESSES_PER_IP,
    },
};
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use http::{
    header::{CACHE_CONTROL, SET_COOKIE},
    HeaderMap, HeaderValue,
};
use tower_sessions::{session::Error as SessionError, Session};

/// Pages anyone may see.
const PUBLIC_PAGES: &[&str] = &["/login"];

/// The page's report that the person clicked or typed: it moves an existing session's idle
/// deadline and never starts one from a remember-me token. It is sent beside the action the
/// click triggers; were it to restore a session from the token while that action (a
/// re-authentication, say) regenerates the id, the restored session's cookie could land last
/// and replace the fresh one.
const TOUCH_PATH: &str = "/api/touch";

/// Where people sign in: never refused for stale or guessed session cookies.
const SIGN_IN_PATHS: &[&str] = &["/login", "/api/login"];

/// Whether a path is a static asset (never session-dependent, cacheable).
fn is_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.ico"
}

/// What the guard concluded about the request's session.
enum Verdict {
    /// A signed-in session, allowed by the policy.
    SignedIn(AuthState),
    /// No signed-in session.
    Anonymous,
    /// The session just ended (or had ended) for this reason.
    Ended(EndReason),
}

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
    if is_asset(&path) {
        return next.run(req).await;
    }
    let api = reply::is_api(&path);
    let (Some(session), client) = (
        req.extensions().get::<Session>().cloned(),
        req.extensions()
            .get::<ClientInfo>()
            .cloned()
            .unwrap_or_default(),
    ) else {
        return next.run(req).await;
    };

    let mut cookies = Vec::new();
    let activity = if app::api::BACKGROUND_ENDPOINTS.contains(&path.as_str()) {
        Activity::Background
    } else {
        Activity::Person
    };
    let verdict = match verdict(
        &state,
        &session,
        &client,
        req.headers(),
        activity,
        &path,
        &mut cookies,
    )
    .await
    {
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

fn append(res: &mut Response, cookies: Vec<HeaderValue>) {
    for cookie in cookies {
        res.headers_mut().append(SET_COOKIE, cookie);
    }
}

fn store_failed(err: SessionError) -> ApiError {
    app::ssr::context::store_unavailable(err)
}

/// Whether a request is the person's doing (it moves the idle deadline) or the page's own
/// (see [`app::api::BACKGROUND_ENDPOINTS`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Activity {
    Person,
    Background,
}

async fn verdict(
    state: &ServerState,
    session: &Session,
    client: &ClientInfo,
    headers: &HeaderMap,
    activity: Activity,
    path: &str,
    cookies: &mut Vec<HeaderValue>,
) -> Result<Verdict, ApiError> {
    let sent_id = session.id();
    let auth = match session.get::<AuthState>(AUTH_KEY).await {
        Ok(auth) => auth,
        Err(SessionError::Store(err)) => return Err(store_failed(SessionError::Store(err))),
        Err(err) => {
            tracing::warn!(%err, "unreadable session record: ending it");
            session.flush().await.map_err(store_failed)?;
            None
        }
    };
    if let Some(auth) = auth {
        return match enforce(state, session, client, auth, activity).await? {
            // Timed out, not revoked: a remember-me token bridges that, in this very request.
            Verdict::Ended(reason) if !reason.revokes_remember_me() && path != TOUCH_PATH => {
                Ok(remember(state, session, client, headers, cookies)
                    .await?
                    .unwrap_or(Verdict::Ended(reason)))
            }
            verdict => Ok(verdict),
        };
    }
    // A cookie whose session is gone: why, if we know. This comes before any remember-me
    // token is redeemed: a session that was revoked must not sign itself back in.
    let ended = match (sent_id, session.id()) {
        (Some(id), None) => state
            .registry
            .end_reason(&session_key(&id).to_string())
            .await
            .map_err(app::ssr::context::store_unavailable)?,
        _ => None,
    };
    if let Some(reason) = ended.filter(|r| r.revokes_remember_me()) {
        if let Ok(Some(token)) = REMEMBER_COOKIE.read(headers) {
            state
                .remember
                .revoke(&token)
                .await
                .map_err(app::ssr::context::db_unavailable)?;
            cookies.push(REMEMBER_COOKIE.removal());
        }
        cookies.push(SESSION_COOKIE.removal());
        return Ok(Verdict::Ended(reason));
    }
    if path != TOUCH_PATH {
        if let Some(verdict) = remember(state, session, client, headers, cookies).await? {
            return Ok(verdict);
        }
    }
    if let Some(reason) = ended {
        // Ended on purpose (not regenerated by a concurrent request): the cookie can go.
        cookies.push(SESSION_COOKIE.removal());
        return Ok(Verdict::Ended(reason));
    }
    if sent_id.is_some() && session.id().is_none() && !SIGN_IN_PATHS.contains(&path) {
        // Unknown to us: a guess, a record the store expired, or the old id of a session a
        // concurrent request regenerated. Many from one IP are guessing: slow them down
        // (only requests with unknown ids; valid sessions behind the same IP are unaffected,
        // and so is signing in: one client guessing behind a shared address must not keep
        // everyone else with a stale cookie from the sign-in page).
        let guesses = format!("session-guess:{}", client.throttle_address());
        if let Some(wait) = state
            .throttle
            .reserve(&guesses, state.clock.now(), FREE_GUESSES_PER_IP)
            .await
            .map_err(app::ssr::context::store_unavailable)?
        {
            // Refused: the stale cookie goes, so this browser is not refused again for it.
            cookies.push(SESSION_COOKIE.removal());
            return Err(ApiError::rate_limited(wait));
        }
    }
    Ok(Verdict::Anonymous)
}

/// Applies the policy to a signed-in session.
async fn enforce(
    state: &ServerState,
    session: &Session,
    client: &ClientInfo,
    mut auth: AuthState,
    activity: Activity,
) -> Result<Verdict, ApiError> {
    let policy = state.policy.current();
    let now_ms = state.clock.now_ms();
    if !state
        .users
        .is_known(&auth.user_id)
        .await
        .map_err(app::ssr::context::db_unavailable)?
    {
        // A record this deployment's database has no user for (another deployment's
        // session in a shared store, or a deleted account): never signed in here.
        tracing::warn!("possibly suspicious activity: a session of an unknown user");
        return Ok(Verdict::Anonymous);
    }
    let mut changed = false;
    let ended = if let Some(reason) = auth.timed_out(&policy, now_ms) {
        Some(reason)
    } else if policy.fingerprint_mode != FingerprintMode::Off
        && auth.fingerprint != client.fingerprint()
    {
        if policy.fingerprint_mode == FingerprintMode::Strict {
            Some(EndReason::Fingerprint)
        } else {
            let tag = session.id().map(|id| session_tag(&id));
            state
                .audit
                .record(
                    AuditEvent::new(AuditKind::FingerprintMismatch, Some(&auth.user_id))
                        .session(tag)
                        .client(client)
                        .reason("log only"),
                )
                .await;
            // Logged once per change: the session now follows the new fingerprint.
            auth.fingerprint = client.fingerprint();
            auth.ip = client.ip.clone();
            auth.user_agent = client.user_agent.clone();
            changed = true;
            None
        }
    } else {
        None
    };

    if let Some(reason) = ended {
        end_current(state, session, &auth, reason, client, None).await?;
        return Ok(Verdict::Ended(reason));
    }
    let due = now_ms - auth.last_used_ms() >= policy.touch_interval_ms();
    if activity == Activity::Person && due {
        auth.touch(now_ms);
        save_auth(session, &auth, &policy).await?;
    } else if changed {
        save_auth(session, &auth, &policy).await?;
    }
    Ok(Verdict::SignedIn(auth))
}

/// Starts a session from a remember-me cookie, or ends everything on theft.
async fn remember(
    state: &ServerState,
    session: &Session,
    client: &ClientInfo,
    headers: &HeaderMap,
    cookies: &mut Vec<HeaderValue>,
) -> Result<Option<Verdict>, ApiError> {
    let Ok(Some(token)) = REMEMBER_COOKIE.read(headers) else {
        return Ok(None);
    };
    let now = state.clock.now();
    let policy = state.policy.current();
    let db = app::ssr::context::db_unavailable;
    // The generation before the token is checked: a sign-out everywhere during the check
    // drops the session it starts.
    let selector = token.split(':').next().unwrap_or_default();
    let owner = state.remember.owner_of(selector).await.map_err(db)?;
    let gen = match &owner {
        Some(user_id) => generation(state, user_id).await?,
        None => 0,
    };
    match state
        .remember
        .redeem(&token, now, policy.remember_me_secs)
        .await
        .map_err(db)?
    {
        Redeemed::Valid {
            user_id,
            selector,
            rotated,
            expires_at,
        } => {
            let user = state.users.find_by_id(&user_id).await.map_err(db)?;
            let Some(user) = user.filter(|u| !u.disabled && Some(&u.id) == owner.as_ref()) else {
                state.remember.revoke(&token).await.map_err(db)?;
                cookies.push(REMEMBER_COOKIE.removal());
                return Ok(None);
            };
            let auth = start_session(
                state,
                session,
                &user,
                client,
                true,
                gen,
                Some(selector.clone()),
            )
            .await?;
            // Revoked while it was being redeemed (a sign-out everywhere, say): the session
            // it just started goes with it.
            if state
                .remember
                .owner_of(&selector)
                .await
                .map_err(db)?
                .is_none()
            {
                session.flush().await.map_err(store_failed)?;
                cookies.push(REMEMBER_COOKIE.removal());
                return Ok(None);
            }
            if let Some(rotated) = rotated {
                cookies.push(REMEMBER_COOKIE.set(rotated, Some(expires_at - now)));
            }
            Ok(Some(Verdict::SignedIn(auth)))
        }
        Redeemed::Theft { user_id } => {
            let (ended, _) = end_everywhere(state, &user_id, None, EndReason::Theft).await?;
            session.flush().await.map_err(store_failed)?;
            state
                .audit
                .record(
                    AuditEvent::new(AuditKind::RememberTheft, Some(&user_id))
                        .client(client)
                        .reason(format!("replayed remember-me token: {ended} sessions and every remember-me token ended")),
                )
                .await;
            cookies.push(REMEMBER_COOKIE.removal());
            Ok(Some(Verdict::Ended(EndReason::Theft)))
        }
        Redeemed::Invalid => {
            cookies.push(REMEMBER_COOKIE.removal());
            Ok(None)
        }
    }
}
