//! The sign-in page.
use crate::{api::Login, model::EndReason};
use leptos::{form::ActionForm, prelude::*};
use leptos_router::hooks::use_query_map;

/// Why the user was sent here, for the known reasons only: arbitrary text from the URL is
/// never shown.
pub fn reason_message(reason: &str) -> Option<&'static str> {
    match reason {
        "unavailable" => Some("The sign-in service is temporarily unavailable."),
        code => EndReason::from_code(code).map(EndReason::message),
    }
}

/// Email, password and "remember me"; on success the browser goes to the signed-in home.
#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let query = use_query_map();
    let notice = move || query.read().get("reason").and_then(|r| reason_message(&r));
    let error = move || match login.value().get() {
        Some(Err(err)) => Some(err.message),
        _ => None,
    };
    Effect::new(move |_| {
        if let Some(Ok(_)) = login.value().get() {
            let _ = window().location().set_href("/");
        }
    });

    view! {
        <main class="centered">
            <ActionForm action=login attr:class="card auth-card">
                <div class="brand"><span class="logo" aria-hidden="true">"H"</span>"Hallpass"</div>
                <h1>"Sign in"</h1>
                {move || notice().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required/>
                <label class="check" for="remember">
                    <input id="remember" name="remember" type="checkbox" value="true"/>
                    "Remember me"
                </label>
                <button type="submit" class="primary" disabled=move || login.pending().get()>
                    {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
        </main>
    }
}
