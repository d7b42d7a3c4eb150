//! Server functions: the stable HTTP API under `/api/` (form-encoded requests, JSON answers,
//! errors as [`ApiError`](crate::error::ApiError)).
mod account;
mod admin;
mod auth;
mod devices;
mod passkeys;

pub use account::*;
pub use admin::*;
pub use auth::*;
pub use devices::*;
pub use passkeys::*;

/// Reads a form checkbox: present and not empty, `false`, `0` or `off` means yes (a browser
/// sends `on` for a ticked box and nothing for an unticked one).
pub fn checked(value: Option<&str>) -> bool {
    value.is_some_and(|v| !matches!(v, "" | "false" | "0" | "off"))
}

/// Endpoints a page calls on its own (refetching lists after live events, checking whether
/// its session is still alive, the expiry countdown, the dry run as a form is edited): the
/// session rules are enforced on them like on any request, but they do not count as the
/// person's activity, so an unattended tab still reaches its idle timeout. What the person
/// does (a page load, any action, or [`touch`] when they click or type) does count.
pub const BACKGROUND_ENDPOINTS: &[&str] = &[
    "/api/me",
    "/api/get_policy",
    "/api/my_sessions",
    "/api/admin_sessions",
    "/api/policy_dry_run",
    "/api/audit_events",
    "/api/admin_users",
    "/api/admin_user_impact",
    "/api/session_timeline",
    "/api/my_session_timeline",
    "/api/my_passkeys",
    "/api/admin_audit_status",
    "/api/events",
];
