//! Warns before the session ends for inactivity, with a way to stay signed in (never past the
//! absolute lifetime), and follows the server's verdict when time is up.
use super::follow_session_end;
use crate::{
    api::{me, touch},
    error::ApiError,
    model::CurrentUser,
};
use leptos::{prelude::*, task::spawn_local};

/// Seconds past the deadline before the browser asks the server (clock rounding).
const GRACE_SECS: i64 = 2;

/// Seconds left (idle, absolute) as the browser estimates them, refreshed every second.
#[component]
pub fn ExpiryCountdown(user: CurrentUser) -> impl IntoView {
    let user = RwSignal::new(user);
    let offset = RwSignal::new(0i64);
    let now = RwSignal::new(0i64);
    let checking = RwSignal::new(false);

    #[cfg(feature = "hydrate")]
    {
        let client_now = || (js_sys::Date::now() / 1000.0) as i64;
        offset.set(user.get_untracked().server_now - client_now());
        now.set(client_now());
        if let Ok(handle) = set_interval_with_handle(
            move || now.set(client_now()),
            std::time::Duration::from_secs(1),
        ) {
            on_cleanup(move || handle.clear());
        }
    }

    let left = move || {
        let u = user.get();
        let server_now = now.get() + offset.get();
        (
            u.idle_expires_at - server_now,
            u.absolute_expires_at - server_now,
        )
    };
    // `me` is a background check (it does not count as activity); "Stay signed in" is the
    // person's doing, so it is a `touch`.
    let refresh = move |stay: bool| {
        checking.set(true);
        spawn_local(async move {
            let answer: Result<CurrentUser, ApiError> =
                if stay { touch().await } else { me().await };
            match answer {
                Ok(fresh) => {
                    #[cfg(feature = "hydrate")]
                    offset.set(fresh.server_now - (js_sys::Date::now() / 1000.0) as i64);
                    user.set(fresh);
                }
                Err(err) => follow_session_end(&err),
            }
            checking.set(false);
        });
    };
    // Time is up: the server decides (and says why). Ask once the deadline has surely passed
    // on the server too.
    Effect::new(move |_| {
        let (idle, absolute) = left();
        if now.get() > 0 && idle.min(absolute) <= -GRACE_SECS && !checking.get_untracked() {
            refresh(false);
        }
    });

    let warning = move || {
        let (idle, absolute) = left();
        let u = user.get();
        let window = (u.idle_expires_at - u.server_now).min(120) / 2;
        if now.get() == 0 || idle.min(absolute) > window.max(5) {
            return None;
        }
        Some(if absolute <= idle {
            view! {
                <div class="banner" role="alert">
                    <span>{format!("Your session reaches its maximum length in {}s. Save your work; you will need to sign in again.", absolute.max(0))}</span>
                </div>
            }
            .into_any()
        } else {
            view! {
                <div class="banner" role="alert">
                    <span>{format!("You will be signed out in {}s because of inactivity.", idle.max(0))}</span>
                    <button type="button" class="primary" on:click=move |_| refresh(true)>"Stay signed in"</button>
                </div>
            }
            .into_any()
        })
    };
    view! { {warning} }
}
