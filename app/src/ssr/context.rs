//! How server functions reach the server's shared state and the current request.
use super::{
    auth::{ClientInfo, Principal},
    users::Users,
};
use crate::error::ApiError;
use leptos::prelude::*;

/// Shared state the server provides to every server function and page render.
#[derive(Clone, Debug)]
pub struct ServerState {
    /// The user directory.
    pub users: Users,
}

/// The server's shared state.
pub fn server_state() -> Result<ServerState, ApiError> {
    use_context::<ServerState>().ok_or_else(|| {
        tracing::error!("ServerState missing from the Leptos context");
        ApiError::internal()
    })
}

fn request_parts() -> Result<http::request::Parts, ApiError> {
    use_context::<http::request::Parts>().ok_or_else(|| {
        tracing::error!("request Parts missing from the Leptos context");
        ApiError::internal()
    })
}

/// The session of the current request.
pub fn session() -> Result<tower_sessions::Session, ApiError> {
    request_parts()?
        .extensions
        .get::<tower_sessions::Session>()
        .cloned()
        .ok_or_else(|| {
            tracing::error!("no session layer in front of this route");
            ApiError::internal()
        })
}

/// The signed-in user of the current request, if any.
pub fn principal() -> Option<Principal> {
    use_context::<http::request::Parts>()?
        .extensions
        .get::<Principal>()
        .cloned()
}

/// The signed-in user of the current request, or 401.
pub fn require_principal() -> Result<Principal, ApiError> {
    principal().ok_or_else(ApiError::not_signed_in)
}

/// The client behind the current request.
pub fn client_info() -> ClientInfo {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<ClientInfo>().cloned())
        .unwrap_or_default()
}

/// Adds a header to the response of the current server function.
pub fn set_response_header(name: http::HeaderName, value: &'static str) {
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        options.insert_header(name, http::HeaderValue::from_static(value));
    }
}
