//! The one error type every Hallpass server function returns.
//!
//! It travels as JSON (`{"code":"UNAUTHORIZED","message":"…"}`); the server maps `code` to the
//! HTTP status in one place, so a server function only has to say what went wrong.
use crate::model::EndReason;
use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// Machine-readable error kinds; stable, documented in the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// The request itself is malformed or a value is out of range (400).
    BadRequest,
    /// No valid session, or wrong credentials (401).
    Unauthorized,
    /// The request carried a session id that another request of the same browser had just
    /// replaced (401); the browser holds the new one, so the page ignores this and the user
    /// may simply try again.
    SessionMoved,
    /// Signed in, but not allowed (403).
    Forbidden,
    /// Allowed only after the password is entered again (403).
    ReauthRequired,
    /// No such thing (404).
    NotFound,
    /// The request took too long to arrive (408).
    Timeout,
    /// The request body is larger than any Hallpass request (413).
    TooLarge,
    /// Too many attempts (429).
    RateLimited,
    /// A backing store is down; nobody is let in until it returns (503).
    Unavailable,
    /// A bug on our side (500).
    Internal,
}

impl ErrorCode {
    /// The HTTP status this kind of error is answered with.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::Unauthorized | ErrorCode::SessionMoved => 401,
            ErrorCode::Forbidden | ErrorCode::ReauthRequired => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Timeout => 408,
            ErrorCode::TooLarge => 413,
            ErrorCode::RateLimited => 429,
            ErrorCode::Unavailable => 503,
            ErrorCode::Internal => 500,
        }
    }
}

/// An error with a code and a message that is safe to show to the user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// What kind of failure this is.
    pub code: ErrorCode,
    /// A sentence for the user.
    pub message: String,
    /// When a session was just ended: why (the UI sends the user to `/login?reason=…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<EndReason>,
    /// With `RATE_LIMITED`: seconds to wait (also sent as `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<i64>,
    /// With `REAUTH_REQUIRED`: which factors the confirmation may use (the prompt offers those).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept: Option<crate::policy::ReauthMethods>,
}

impl ApiError {
    /// An error of the given kind.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            reason: None,
            retry_after: None,
            accept: None,
        }
    }

    /// 401 for a session that has just been ended, saying why.
    pub fn ended(reason: EndReason) -> Self {
        Self {
            reason: Some(reason),
            ..Self::new(ErrorCode::Unauthorized, reason.message())
        }
    }

    /// 401 for a request with an id that was just regenerated (see [`ErrorCode::SessionMoved`]).
    pub fn session_moved() -> Self {
        Self::new(
            ErrorCode::SessionMoved,
            "Your sign-in was renewed while this request was on its way. Please try again.",
        )
    }

    /// 403 until the user enters their password again.
    pub fn reauth_required() -> Self {
        Self::new(
            ErrorCode::ReauthRequired,
            "Please confirm your password to continue.",
        )
    }

    /// 403 until the user confirms it is them with one of `accept`.
    pub fn reauth_with(accept: crate::policy::ReauthMethods) -> Self {
        use crate::policy::ReauthMethods;
        let message = match accept {
            ReauthMethods::Password => "Please confirm your password to continue.",
            ReauthMethods::Passkey => "Please confirm with a passkey to continue.",
            ReauthMethods::Both => "Please confirm it's you (password or passkey) to continue.",
        };
        Self {
            accept: Some(accept),
            ..Self::new(ErrorCode::ReauthRequired, message)
        }
    }

    /// 429: wait `retry_after` seconds.
    pub fn rate_limited(retry_after: i64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(
                ErrorCode::RateLimited,
                format!("Too many attempts. Try again in {retry_after} seconds."),
            )
        }
    }

    /// 403 for a signed-in user who may not do this.
    pub fn forbidden() -> Self {
        Self::new(
            ErrorCode::Forbidden,
            "You do not have permission to do that.",
        )
    }

    /// 403 with the given message.
    pub fn forbidden_because(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// 400 with the given message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// 404 with the given message.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// 401 with the given message.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    /// 401 for a request that needs a session and has none.
    pub fn not_signed_in() -> Self {
        Self::unauthorized("You are not signed in.")
    }

    /// 503 while a store is unreachable.
    pub fn unavailable() -> Self {
        Self::new(
            ErrorCode::Unavailable,
            "The sign-in service is temporarily unavailable. Please try again shortly.",
        )
    }

    /// 500; the details go to the log, never to the client.
    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal, "Something went wrong on our side.")
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::Deserialization(msg) => {
                ApiError::bad_request(format!("Malformed request: {msg}"))
            }
            ServerFnErrorErr::Request(msg) | ServerFnErrorErr::Response(msg) => ApiError::new(
                ErrorCode::Unavailable,
                format!("Could not reach the server: {msg}"),
            ),
            ServerFnErrorErr::MissingArg(msg) => {
                ApiError::bad_request(format!("Missing field: {msg}"))
            }
            _ => ApiError::internal(),
        }
    }
}
