//! Signing out.
use crate::api::logout;
use leptos::{prelude::*, task::spawn_local};

/// Ends the session on the server, then loads the sign-in page.
#[component]
pub fn SignOutButton() -> impl IntoView {
    let pending = RwSignal::new(false);
    let on_click = move |_| {
        pending.set(true);
        spawn_local(async move {
            let target = match logout().await {
                Ok(()) => "/login?reason=signed_out",
                Err(_) => "/login",
            };
            let _ = window().location().set_href(target);
        });
    };
    view! {
        <button type="button" class="secondary" on:click=on_click disabled=move || pending.get()>
            "Sign out"
        </button>
    }
}
