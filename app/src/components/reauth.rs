//! Re-authentication before sensitive actions: a dialog (password, passkey, or either, as the
//! server's policy accepts), then the action again.
use crate::{
    api::{passkey_reauth_finish, passkey_reauth_start, reauth},
    error::{ApiError, ErrorCode},
    policy::ReauthMethods,
};
use futures::channel::oneshot;
use leptos::{prelude::*, task::spawn_local};
use std::future::Future;

/// Opens the password dialog and waits for the user to confirm (true) or cancel (false).
#[derive(Clone, Copy)]
pub struct Reauth {
    open: RwSignal<bool>,
    reply: StoredValue<Option<oneshot::Sender<bool>>>,
    /// What the server said it accepts this time.
    accept: RwSignal<ReauthMethods>,
}

impl Reauth {
    /// Shows the dialog; resolves when the password was confirmed (true) or the user gave up.
    pub async fn prompt(self) -> bool {
        let (tx, rx) = oneshot::channel();
        self.reply.set_value(Some(tx));
        self.open.set(true);
        rx.await.unwrap_or(false)
    }

    fn finish(self, confirmed: bool) {
        self.open.set(false);
        if let Some(tx) = self.reply.try_update_value(Option::take).flatten() {
            let _ = tx.send(confirmed);
        }
    }

    /// Runs a sensitive server call; when the server asks for the password, prompts for it and
    /// runs the call once more.
    pub async fn run<T, F, Fut>(self, call: F) -> Result<T, ApiError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        match call().await {
            Err(err) if err.code == ErrorCode::ReauthRequired => {
                self.accept
                    .set(err.accept.unwrap_or(ReauthMethods::Password));
                if self.prompt().await {
                    call().await
                } else {
                    Err(ApiError::new(
                        ErrorCode::ReauthRequired,
                        "Cancelled: you need to confirm it's you for that.",
                    ))
                }
            }
            other => other,
        }
    }
}

/// The re-authentication handle provided by [`ReauthDialog`].
pub fn use_reauth() -> Reauth {
    expect_context::<Reauth>()
}

/// When an API error says the session ended, goes to the sign-in page with the reason
/// (in the browser; on the server the guard has already redirected).
pub fn follow_session_end(err: &ApiError) {
    #[cfg(feature = "hydrate")]
    {
        use std::sync::atomic::{AtomicBool, Ordering};
        // Several checks can be in flight when a session ends; the first answer removes the
        // cookie, so later ones only know "not signed in". The first navigation (the one that
        // knows why) wins.
        static LEAVING: AtomicBool = AtomicBool::new(false);
        if (err.reason.is_some() || err.code == ErrorCode::Unauthorized)
            && LEAVING.swap(true, Ordering::SeqCst)
        {
            return;
        }
        if let Some(reason) = err.reason {
            let _ = window()
                .location()
                .set_href(&format!("/login?reason={}", reason.code()));
        } else if err.code == ErrorCode::Unauthorized {
            let _ = window().location().set_href("/login");
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = err;
}

/// Provides [`Reauth`] to its children and renders the password dialog when asked.
#[component]
pub fn ReauthDialog(children: Children) -> impl IntoView {
    let handle = Reauth {
        open: RwSignal::new(false),
        reply: StoredValue::new(None),
        accept: RwSignal::new(ReauthMethods::Password),
    };
    provide_context(handle);
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        pending.set(true);
        spawn_local(async move {
            let result = reauth(password.get_untracked()).await;
            pending.set(false);
            match result {
                Ok(_) => {
                    password.set(String::new());
                    error.set(None);
                    handle.finish(true);
                }
                Err(err) if err.reason.is_some() => follow_session_end(&err),
                Err(err) => error.set(Some(err.message)),
            }
        });
    };
    let use_passkey = move |_| {
        pending.set(true);
        error.set(None);
        spawn_local(async move {
            let result = match passkey_reauth_start().await {
                Ok(options) => match super::passkeys::get(&options).await {
                    Ok(answer) => passkey_reauth_finish(answer).await.map(|_| ()),
                    Err(message) => Err(ApiError::bad_request(message)),
                },
                Err(err) => Err(err),
            };
            pending.set(false);
            match result {
                Ok(()) => {
                    password.set(String::new());
                    handle.finish(true);
                }
                Err(err) if err.reason.is_some() => follow_session_end(&err),
                Err(err) => error.set(Some(err.message)),
            }
        });
    };
    let with_password = move || handle.accept.get() != ReauthMethods::Passkey;
    let with_passkey = move || handle.accept.get() != ReauthMethods::Password;
    let cancel = move |_| {
        password.set(String::new());
        error.set(None);
        handle.finish(false);
    };
    view! {
        {children()}
        <Show when=move || handle.open.get()>
            <div class="modal-backdrop">
                <form class="card modal" role="dialog" aria-modal="true" aria-labelledby="reauth-title" on:submit=submit>
                    <h2 id="reauth-title">"Confirm it's you"</h2>
                    <p class="muted">{move || match handle.accept.get() {
                        ReauthMethods::Password => "Enter your password to continue. You won't be asked again for a few minutes.",
                        ReauthMethods::Passkey => "Use your passkey to continue. You won't be asked again for a few minutes.",
                        ReauthMethods::Both => "Enter your password or use a passkey to continue. You won't be asked again for a few minutes.",
                    }}</p>
                    {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    <Show when=with_password>
                        <label for="reauth-password">"Current password"</label>
                        <input id="reauth-password" type="password" autocomplete="current-password" required
                            prop:value=move || password.get()
                            on:input=move |ev| password.set(event_target_value(&ev))/>
                    </Show>
                    <div class="actions">
                        <button type="button" class="secondary" on:click=cancel>"Cancel"</button>
                        <Show when=with_passkey>
                            <button type="button" class=move || if with_password() { "secondary" } else { "primary" } data-testid="reauth-passkey" on:click=use_passkey disabled=move || pending.get()>"Use a passkey"</button>
                        </Show>
                        <Show when=with_password>
                            <button type="submit" class="primary" disabled=move || pending.get()>"Confirm"</button>
                        </Show>
                    </div>
                </form>
            </div>
        </Show>
    }
}
