//! How server functions reach the server's shared state and the current request.
use super::{
    audit::Audit,
    auth::{ClientInfo, Principal, SessionEnded},
    clock::Clock,
    events::EventBus,
    policy_store::PolicyStore,
    registry::SessionRegistry,
    remember::RememberTokens,
    users::Users,
};
use crate::{error::ApiError, model::Role};
use leptos::prelude::*;
use std::sync::Arc;

/// Shared state the server provides to every server function, page render and middleware.
/// Cloned several times per request, so it is one reference-counted pointer; its fields are
/// reached through `Deref` ([`Services`]).
#[derive(Clone, Debug)]
pub struct ServerState(Arc<Services>);

impl ServerState {
    /// Shares `services`.
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl std::ops::Deref for ServerState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// Everything the server shares between requests.
#[derive(Debug)]
pub struct Services {
    /// The user directory.
    pub users: Users,
    /// The policy in force.
    pub policy: PolicyStore,
    /// The audit trail.
    pub audit: Audit,
    /// Remember-me tokens.
    pub remember: RememberTokens,
    /// Live sessions by user.
    pub registry: Arc<dyn SessionRegistry>,
    /// Change notifications across instances.
    pub events: Arc<dyn EventBus>,
    /// The time rules are checked against.
    pub clock: Clock,
    /// Active-session counts over time.
    pub activity: super::activity::Activity,
    /// Back-off for guessing (shared by every instance when Redis is configured).
    pub throttle: Arc<dyn super::throttle::Throttle>,
    /// Prometheus metrics.
    pub metrics: super::metrics::Metrics,
    /// Bounds concurrent password hashing.
    pub hashing: super::password::HashGate,
    /// Device cookies: signs in from known devices past the account's lock.
    pub devices: super::devices::Devices,
    /// Passkeys (WebAuthn) and their ceremonies.
    pub passkeys: super::passkeys::Passkeys,
    /// What the server was started with, for the security posture page.
    pub deployment: super::posture::Deployment,
    /// Runs `hallpass audit` against this deployment (the security page's button).
    pub self_audit: Arc<dyn super::self_audit::SelfAudit>,
}

/// The server's shared state.
pub fn server_state() -> Result<ServerState, ApiError> {
    use_context::<ServerState>().ok_or_else(|| {
        tracing::error!("ServerState missing from the Leptos context");
        ApiError::internal()
    })
}

/// Reads something from the current request's parts without cloning them (they hold every
/// header and extension; a clone per lookup was a measurable share of a request).
fn with_request<R>(read: impl FnOnce(&http::request::Parts) -> R) -> Result<R, ApiError> {
    with_context::<http::request::Parts, _>(read).ok_or_else(|| {
        tracing::error!("request Parts missing from the Leptos context");
        ApiError::internal()
    })
}

/// A request extension (put there by the middleware), if there is a request and it has one.
fn extension<T: Clone + Send + Sync + 'static>() -> Option<T> {
    with_context::<http::request::Parts, _>(|parts| parts.extensions.get::<T>().cloned()).flatten()
}

/// The session of the current request.
pub fn session() -> Result<tower_sessions::Session, ApiError> {
    with_request(|parts| parts.extensions.get::<tower_sessions::Session>().cloned())?.ok_or_else(
        || {
            tracing::error!("no session layer in front of this route");
            ApiError::internal()
        },
    )
}

/// The request's headers.
pub fn request_headers() -> Result<http::HeaderMap, ApiError> {
    with_request(|parts| parts.headers.clone())
}

/// The storage key of the current session, if it has one yet.
pub fn current_key() -> Result<Option<crate::model::SessionKey>, ApiError> {
    Ok(session()?.id().map(|id| crate::model::SessionKey::of(&id)))
}

/// The signed-in user of the current request, if any.
pub fn principal() -> Option<Principal> {
    extension::<Principal>()
}

/// The signed-in user of the current request, or 401 (saying why, when the request's session
/// has just ended).
pub fn require_principal() -> Result<Principal, ApiError> {
    principal().ok_or_else(|| match extension::<SessionEnded>() {
        Some(SessionEnded(reason)) => ApiError::ended(reason),
        None => ApiError::not_signed_in(),
    })
}

/// The signed-in user, who must have entered their password within the re-authentication
/// window (403 `REAUTH_REQUIRED` otherwise), and whose rights are, at this moment, still
/// those the request was admitted with (see [`confirm_rights`]).
pub async fn require_fresh(state: &ServerState) -> Result<Principal, ApiError> {
    fresh(state, false, confirmation_policy(state)).await
}

/// The policy as it applies to confirmations here: when passkeys are not available (no
/// relying party configured, say after a change of `HALLPASS_PUBLIC_ORIGIN`), a policy that
/// asks for them falls back to passwords rather than lock everyone, admins included, out of
/// every sensitive action.
pub fn confirmation_policy(state: &ServerState) -> crate::policy::Policy {
    let policy = state.policy.current();
    if state.passkeys.enabled() {
        return policy;
    }
    crate::policy::Policy {
        reauth_methods: crate::policy::ReauthMethods::Password,
        admin_requires_passkey: false,
        ..policy
    }
}

/// Like [`require_fresh`], but any factor counts: for adding a first passkey, which a
/// passkey-only policy could otherwise never let anyone do (a fresh password sign-in is then
/// the way in).
pub async fn require_fresh_any_factor(state: &ServerState) -> Result<Principal, ApiError> {
    let policy = crate::policy::Policy {
        reauth_methods: crate::policy::ReauthMethods::Both,
        admin_requires_passkey: false,
        ..confirmation_policy(state)
    };
    fresh(state, false, policy).await
}

async fn fresh(
    state: &ServerState,
    admin: bool,
    policy: crate::policy::Policy,
) -> Result<Principal, ApiError> {
    let principal = require_principal()?;
    if !principal.0.is_fresh(&policy, state.clock.now(), admin) {
        let accept = if admin && policy.admin_requires_passkey {
            crate::policy::ReauthMethods::Passkey
        } else {
            policy.reauth_methods
        };
        // Either factor, for someone with no passkey yet: the prompt offers the password only.
        let accept = match accept {
            crate::policy::ReauthMethods::Both
                if state
                    .passkeys
                    .count(&principal.0.user_id)
                    .await
                    .map_err(db_unavailable)?
                    == 0 =>
            {
                crate::policy::ReauthMethods::Password
            }
            accept => accept,
        };
        return Err(ApiError::reauth_with(accept));
    }
    confirm_rights(state, &principal).await?;
    Ok(principal)
}

/// Just before a sensitive action: the session's user must still exist, be enabled and have
/// the role the session carries, and no sign-out everywhere may have happened since the
/// session was issued. A request admitted a moment before its user was demoted or signed out
/// everywhere cannot act with the rights it came in with (401 with the reason).
async fn confirm_rights(state: &ServerState, principal: &Principal) -> Result<(), ApiError> {
    let auth = &principal.0;
    let gen = state
        .registry
        .generation(&auth.user_id)
        .await
        .map_err(store_unavailable)?;
    let user = state
        .users
        .find_by_id(&auth.user_id)
        .await
        .map_err(db_unavailable)?;
    match user {
        Some(user) if !user.disabled && user.role == auth.role && gen <= auth.gen => Ok(()),
        _ => {
            let ended = match current_key()? {
                Some(key) => state
                    .registry
                    .why_gone(&key)
                    .await
                    .map_err(store_unavailable)?
                    .and_then(super::registry::Gone::reason),
                None => None,
            };
            Err(ApiError::ended(
                ended.unwrap_or(crate::model::EndReason::RoleChanged),
            ))
        }
    }
}

/// A signed-in admin (403 for other users).
pub fn require_admin() -> Result<Principal, ApiError> {
    let principal = require_principal()?;
    if principal.0.role == Role::Admin {
        Ok(principal)
    } else {
        Err(ApiError::forbidden())
    }
}

/// A signed-in admin with a fresh password check and current rights (403 otherwise).
pub async fn require_fresh_admin(state: &ServerState) -> Result<Principal, ApiError> {
    require_admin()?;
    fresh(state, true, confirmation_policy(state)).await
}

/// Before adding or removing a passkey of the signed-in account: a confirmation as strong as
/// what the account's passkeys protect. An admin account that has passkeys, under
/// `admin_requires_passkey`, confirms with one of them (otherwise a stolen password could add
/// the thief's passkey, or remove the owner's, and then act as admin); any account with
/// passkeys confirms by a factor the policy accepts; an account without any may add its first
/// after any fresh confirmation (a fresh password sign-in included: under a passkey-only
/// policy there would be no other way in; an account without a passkey is as strong as its
/// password until it has one).
pub async fn require_fresh_for_passkeys(
    state: &ServerState,
    has_passkeys: bool,
) -> Result<Principal, ApiError> {
    let principal = require_principal()?;
    if !has_passkeys {
        return require_fresh_any_factor(state).await;
    }
    fresh(
        state,
        principal.0.role == Role::Admin,
        confirmation_policy(state),
    )
    .await
}

/// The client behind the current request.
pub fn client_info() -> ClientInfo {
    extension::<ClientInfo>().unwrap_or_default()
}

/// Adds a header to the response of the current server function.
pub fn append_response_header(name: http::HeaderName, value: http::HeaderValue) {
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        options.append_header(name, value);
    }
}

/// Logs a database failure and answers 503.
pub fn db_unavailable(err: impl std::fmt::Display) -> ApiError {
    tracing::error!(%err, "database failed");
    ApiError::unavailable()
}

/// Logs a session-store failure and answers 503.
pub fn store_unavailable(err: impl std::fmt::Display) -> ApiError {
    tracing::error!(%err, "session store failed");
    ApiError::unavailable()
}
