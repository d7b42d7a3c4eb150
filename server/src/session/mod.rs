//! The layer that turns the session cookie into an [`app::ssr::session::Session`].
mod layer;

pub use app::ssr::cookies::{CookieError, SESSION_COOKIE};
pub use layer::{manage, Sessions};

/// The session cookie's name.
pub const COOKIE_NAME: &str = SESSION_COOKIE.name;
