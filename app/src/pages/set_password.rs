//! `/set-password?token=…`: where a one-time link from an admin lands. The new password is
//! set once, and the person is signed in with a fresh session.
use crate::api::set_password_with_link;
use leptos::{prelude::*, task::spawn_local};
use leptos_router::hooks::use_query_map;

/// New password, twice; on success the browser goes to the signed-in home.
#[component]
pub fn SetPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let password = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if password.get_untracked() != again.get_untracked() {
            error.set(Some("The two passwords differ.".into()));
            return;
        }
        let token = query.with_untracked(|q| q.get("token").unwrap_or_default());
        pending.set(true);
        spawn_local(async move {
            match set_password_with_link(token, password.get_untracked()).await {
                Ok(_) => {
                    let _ = window().location().set_href("/");
                }
                Err(err) => {
                    pending.set(false);
                    error.set(Some(err.message));
                }
            }
        });
    };
    view! {
        <main class="centered">
            <form class="card auth-card" on:submit=submit>
                <div class="brand"><span class="logo" aria-hidden="true">"H"</span>"Hallpass"</div>
                <h1>"Set your password"</h1>
                <p class="muted">"This link works once. At least 10 characters."</p>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <label for="new-password">"New password"</label>
                <input id="new-password" type="password" autocomplete="new-password" minlength="10" required
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev))/>
                <label for="repeat-password">"Repeat it"</label>
                <input id="repeat-password" type="password" autocomplete="new-password" minlength="10" required
                    prop:value=move || again.get()
                    on:input=move |ev| again.set(event_target_value(&ev))/>
                <button type="submit" class="primary" disabled=move || pending.get()>"Set password and sign in"</button>
            </form>
        </main>
    }
}
