//! The change-password card (a sensitive action: asks for the password when needed).
use super::{report, use_reauth, Outcome};
use crate::api::change_password;
use leptos::{prelude::*, task::spawn_local};

/// New password, and whether to keep other devices signed in.
#[component]
pub fn ChangePassword() -> impl IntoView {
    let reauth = use_reauth();
    let new_password = RwSignal::new(String::new());
    let keep_others = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let pending = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        pending.set(true);
        outcome.set(None);
        spawn_local(async move {
            let password = new_password.get_untracked();
            let keep = keep_others.get_untracked().then(|| "true".to_owned());
            let result = reauth
                .run(|| change_password(password.clone(), keep.clone()))
                .await;
            pending.set(false);
            if result.is_ok() {
                new_password.set(String::new());
            }
            report(
                outcome,
                result.map(|ended| {
                    let others = match ended {
                        0 => "No other devices were signed in.".to_owned(),
                        1 => "1 other device was signed out.".to_owned(),
                        n => format!("{n} other devices were signed out."),
                    };
                    format!("Password changed. {others}")
                }),
            );
        });
    };
    view! {
        <section class="card">
            <h2>"Change password"</h2>
            <form class="stack" on:submit=submit>
                <Outcome outcome=outcome/>
                <label for="new-password">"New password"</label>
                <input id="new-password" type="password" autocomplete="new-password" minlength="10" required
                    prop:value=move || new_password.get()
                    on:input=move |ev| new_password.set(event_target_value(&ev))/>
                <label class="check" for="keep-others">
                    <input id="keep-others" type="checkbox"
                        prop:checked=move || keep_others.get()
                        on:change=move |ev| keep_others.set(event_target_checked(&ev))/>
                    "Keep my other devices signed in"
                </label>
                <button type="submit" class="primary" disabled=move || pending.get()>"Change password"</button>
            </form>
        </section>
    }
}
