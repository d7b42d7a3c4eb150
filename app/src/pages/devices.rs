//! My devices: the user's live sessions, live, with sign-out per device.
use crate::{
    api::{my_sessions, revoke_other_sessions, revoke_session},
    components::{format_time, load_failed, report, use_live_tick, use_reauth, AppHeader, Outcome},
    model::SessionInfo,
};
use leptos::{prelude::*, task::spawn_local};

/// A one-line description of a session's device.
pub fn device_label(s: &SessionInfo) -> String {
    format!("{} on {}", s.browser, s.os)
}

/// `/sessions`.
#[component]
pub fn DevicesPage() -> impl IntoView {
    let tick = use_live_tick();
    let reload = RwSignal::new(0u64);
    let sessions = Resource::new(move || (tick.get(), reload.get()), |_| my_sessions());
    let reauth = use_reauth();
    let message = RwSignal::new(None::<Result<String, String>>);

    let sign_out = move |handle: String| {
        spawn_local(async move {
            let result = reauth.run(|| revoke_session(handle.clone())).await;
            report(
                message,
                result.map(|()| "That device was signed out.".to_owned()),
            );
            reload.update(|n| *n += 1);
        });
    };
    let sign_out_others = move |_| {
        spawn_local(async move {
            let result = reauth.run(revoke_other_sessions).await;
            report(
                message,
                result.map(|n| {
                    format!(
                        "Signed out {n} other device{}.",
                        if n == 1 { "" } else { "s" }
                    )
                }),
            );
            reload.update(|n| *n += 1);
        });
    };

    view! {
        <AppHeader/>
        <main class="page">
            <section class="card">
                <div class="card-head">
                    <h1>"My devices"</h1>
                    <button type="button" class="danger" on:click=sign_out_others>"Sign out all other devices"</button>
                </div>
                <Outcome outcome=message/>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || sessions.get().map(|result| match result {
                        Ok(list) => view! {
                            <ul class="devices" data-testid="devices">
                                {list.into_iter().rev().map(|s| {
                                    let handle = s.handle.to_string();
                                    view! {
                                        <li class="device" data-current=s.current.to_string()>
                                            <div>
                                                <strong>{device_label(&s)}</strong>
                                                {s.current.then(|| view! { <span class="badge">"This device"</span> })}
                                                {s.remembered.then(|| view! { <span class="badge muted-badge">"Remembered"</span> })}
                                                {(s.auth_method == crate::model::AuthMethod::Passkey).then(|| view! { <span class="badge muted-badge">"Passkey"</span> })}
                                                <div class="muted small">
                                                    {format!("{} · {} · started {} · last active {}", s.device, s.ip, format_time(s.created_at), format_time(s.last_seen))}
                                                </div>
                                            </div>
                                            <div class="row-actions">
                                                <a class="button secondary" href=format!("/sessions/{}", s.handle)>"History"</a>
                                                {(!s.current).then(|| view! {
                                                    <button type="button" class="secondary" on:click=move |_| sign_out(handle.clone())>"Sign out"</button>
                                                })}
                                            </div>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(err) => load_failed(err),
                    })}
                </Transition>
            </section>
        </main>
    }
}
