//! The session cookie and the layer that turns it into a [`tower_sessions::Session`].
mod cookie;
mod layer;

pub use cookie::{
    read_session_cookie, removal_cookie, session_cookie, CookieError, Incoming, COOKIE_NAME,
};
pub use layer::{manage, Sessions};
