//! Pieces shared by several pages.
mod change_password;
mod countdown;
mod header;
mod live;
mod outcome;
mod reauth;
mod sign_out;

pub use change_password::ChangePassword;
pub use countdown::ExpiryCountdown;
pub use header::AppHeader;
pub use live::{use_live_tick, LiveEvents, LiveTick};
pub use outcome::{report, Outcome};
pub use reauth::{follow_session_end, use_reauth, Reauth, ReauthDialog};
pub use sign_out::SignOutButton;

/// Formats Unix seconds as `YYYY-MM-DD HH:MM UTC`, identically on server and browser.
pub fn format_time(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .ok()
        })
        .unwrap_or_else(|| "—".into())
}
