//! How server functions reach the server's shared state and the current request.
use super::{
    audit::Audit,
    auth::{ClientInfo, Principal},
    clock::Clock,
    events::EventBus,
    policy_store::PolicyStore,
    registry::SessionRegistry,
    remember::RememberTokens,
    users::Users,
};
use crate::error::ApiError;
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
pub(super) fn extension<T: Clone + Send + Sync + 'static>() -> Option<T> {
    with_context::<http::request::Parts, _>(|parts| parts.extensions.get::<T>().cloned()).flatten()
}

/// The session of the current request.
pub fn session() -> Result<super::session::Session, ApiError> {
    with_request(|parts| parts.extensions.get::<super::session::Session>().cloned())?.ok_or_else(
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
