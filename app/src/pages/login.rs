//! The sign-in page.
use crate::{
    api::{passkey_sign_in_finish, passkey_sign_in_start, passkeys_enabled, Login},
    model::EndReason,
};
use leptos::{form::ActionForm, html, prelude::*, task::spawn_local};
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
    // Passkeys: offered when the server has a relying party; "remember me" applies too.
    let offered = Resource::new(|| (), |_| passkeys_enabled());
    let remember = NodeRef::<html::Input>::new();
    let passkey_error = RwSignal::new(None::<String>);
    let passkey_pending = RwSignal::new(false);
    let with_passkey = move |_| {
        passkey_pending.set(true);
        passkey_error.set(None);
        let remember = remember
            .get_untracked()
            .is_some_and(|input| input.checked())
            .then(|| "true".to_owned());
        spawn_local(async move {
            let result = match passkey_sign_in_start().await {
                Ok(options) => match crate::components::use_passkey(&options).await {
                    Ok(answer) => passkey_sign_in_finish(answer, remember).await.map(|_| ()),
                    Err(message) => Err(crate::error::ApiError::bad_request(message)),
                },
                Err(err) => Err(err),
            };
            passkey_pending.set(false);
            match result {
                Ok(()) => {
                    let _ = window().location().set_href("/");
                }
                Err(err) => passkey_error.set(Some(err.message)),
            }
        });
    };

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
                    <input id="remember" name="remember" type="checkbox" value="true" node_ref=remember/>
                    "Remember me"
                </label>
                <button type="submit" class="primary" disabled=move || login.pending().get()>
                    {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
                <Suspense fallback=|| ()>
                    {move || offered.get().and_then(Result::ok).filter(|on| *on).map(|_| view! {
                        <div class="passkey-sign-in">
                            {move || passkey_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                            <button type="button" class="secondary" on:click=with_passkey disabled=move || passkey_pending.get()>
                                "Sign in with a passkey"
                            </button>
                        </div>
                    })}
                </Suspense>
            </ActionForm>
        </main>
    }
}
