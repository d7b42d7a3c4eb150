//! The policy editor: every value, validated as you type, a dry run, and a re-auth-protected
//! save.
use crate::{
    api::{get_policy, policy_dry_run, set_policy},
    components::{follow_session_end, report, use_reauth, AppHeader, Outcome},
    policy::{FingerprintMode, Policy, PolicyForm, ReauthMethods},
};
use leptos::{prelude::*, task::spawn_local};

#[component]
fn NumberField(id: &'static str, label: &'static str, value: RwSignal<i64>) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <input id=id type="number" min="1" step="1" prop:value=move || value.get().to_string()
            on:input=move |ev| value.set(event_target_value(&ev).trim().parse().unwrap_or(0))/>
    }
}

/// `/admin/policy`.
#[component]
pub fn PolicyPage() -> impl IntoView {
    let loaded = Resource::new(|| (), |_| get_policy());
    view! {
        <AppHeader/>
        <main class="page">
            <section class="card">
                <h1>"Session policy"</h1>
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || loaded.get().map(|result| match result {
                        Ok(policy) => view! { <PolicyEditor policy/> }.into_any(),
                        Err(err) => {
                            follow_session_end(&err);
                            view! { <p class="error" role="alert">{err.message}</p> }.into_any()
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
}

#[component]
fn PolicyEditor(policy: Policy) -> impl IntoView {
    let idle = RwSignal::new(policy.idle_timeout_secs);
    let absolute = RwSignal::new(policy.absolute_timeout_secs);
    let reauth_window = RwSignal::new(policy.reauth_window_secs);
    let mode = RwSignal::new(policy.fingerprint_mode);
    let remember = RwSignal::new(policy.remember_me_secs);
    let max_sessions = RwSignal::new(policy.max_sessions_per_user);
    let reauth_methods = RwSignal::new(policy.reauth_methods);
    let admin_passkey = RwSignal::new(policy.admin_requires_passkey);
    let draft = move || Policy {
        idle_timeout_secs: idle.get(),
        absolute_timeout_secs: absolute.get(),
        reauth_window_secs: reauth_window.get(),
        fingerprint_mode: mode.get(),
        remember_me_secs: remember.get(),
        max_sessions_per_user: max_sessions.get(),
        reauth_methods: reauth_methods.get(),
        admin_requires_passkey: admin_passkey.get(),
    };
    let problems = move || draft().validate().err().unwrap_or_default();
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let reauth = use_reauth();

    let dry_run = move |_| {
        let p = draft();
        spawn_local(async move {
            let result = policy_dry_run(PolicyForm::from(&p)).await;
            outcome.set(Some(match result {
                Ok(run) => Ok(format!(
                    "Preview: {} of {} live session{} would end now.",
                    run.would_end,
                    run.total,
                    if run.total == 1 { "" } else { "s" }
                )),
                Err(err) => Err(err.message),
            }));
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let p = draft();
        spawn_local(async move {
            let result = reauth
                .run(|| {
                    let p = p.clone();
                    set_policy(PolicyForm::from(&p))
                })
                .await;
            report(
                outcome,
                result.map(|_| {
                    "Saved. Live sessions follow the new policy from their next request.".to_owned()
                }),
            );
        });
    };

    view! {
        <form class="policy-form" on:submit=save>
            <NumberField id="idle" label="Idle timeout (seconds)" value=idle/>
            <NumberField id="absolute" label="Absolute lifetime (seconds)" value=absolute/>
            <NumberField id="reauth-window" label="Re-authentication window (seconds)" value=reauth_window/>
            <label for="mode">"Fingerprint binding"</label>
            <select id="mode" on:change=move |ev| {
                if let Ok(m) = event_target_value(&ev).parse::<FingerprintMode>() { mode.set(m) }
            }>
                {[FingerprintMode::Strict, FingerprintMode::Log, FingerprintMode::Off].into_iter().map(|m| view! {
                    <option value=m.as_str() selected=move || mode.get() == m>{m.as_str()}</option>
                }).collect_view()}
            </select>
            <NumberField id="remember" label="Remember-me lifetime (seconds)" value=remember/>
            <NumberField id="max-sessions" label="Sessions per user" value=max_sessions/>
            <label for="reauth-methods">"Re-authentication accepts"</label>
            <select id="reauth-methods" on:change=move |ev| {
                if let Ok(m) = event_target_value(&ev).parse::<ReauthMethods>() { reauth_methods.set(m) }
            }>
                {[ReauthMethods::Both, ReauthMethods::Password, ReauthMethods::Passkey].into_iter().map(|m| view! {
                    <option value=m.as_str() selected=move || reauth_methods.get() == m>{m.as_str()}</option>
                }).collect_view()}
            </select>
            <label class="check" for="admin-passkey">
                <input id="admin-passkey" type="checkbox" prop:checked=move || admin_passkey.get()
                    on:change=move |ev| admin_passkey.set(event_target_checked(&ev))/>
                " Admin actions need a passkey"
            </label>
            <ul class="problems" aria-live="polite">
                {move || problems().into_iter().map(|p| view! { <li class="error">{p}</li> }).collect_view()}
            </ul>
            <Outcome outcome=outcome/>
            <div class="actions">
                <button type="button" class="secondary" on:click=dry_run disabled=move || !problems().is_empty()>"Preview effect"</button>
                <button type="submit" class="primary" disabled=move || !problems().is_empty()>"Save policy"</button>
            </div>
        </form>
    }
}
