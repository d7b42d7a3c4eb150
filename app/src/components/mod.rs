//! Pieces shared by several pages.
mod change_password;
mod countdown;
mod header;
mod live;
mod outcome;
mod passkeys;
mod reauth;
mod sign_out;

pub use change_password::ChangePassword;
pub use countdown::ExpiryCountdown;
pub use header::AppHeader;
pub use live::{use_live_tick, LiveEvents, LiveTick};
pub use outcome::{report, Outcome};
pub use passkeys::{create as create_passkey, get as use_passkey, PasskeysCard};
pub use reauth::{follow_session_end, use_reauth, Reauth, ReauthDialog};
pub use sign_out::SignOutButton;

/// Formats Unix seconds as `YYYY-MM-DD HH:MM UTC`, identically on server and browser.
pub fn format_time(secs: i64) -> String {
    format_at(
        i128::from(secs) * 1_000_000_000,
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC"),
    )
}

/// Formats Unix milliseconds as `YYYY-MM-DD HH:MM:SS UTC` (event times, where seconds matter).
pub fn format_time_ms(ms: i64) -> String {
    format_at(
        i128::from(ms) * 1_000_000,
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC"),
    )
}

fn format_at(nanos: i128, format: &[time::format_description::BorrowedFormatItem<'_>]) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_else(|| "—".into())
}

/// What a list shows when loading it failed: the message, after leaving for the sign-in
/// page if the failure was the session ending.
pub fn load_failed(err: crate::error::ApiError) -> leptos::prelude::AnyView {
    use leptos::prelude::*;
    follow_session_end(&err);
    view! { <p class="error" role="alert">{err.message}</p> }.into_any()
}
