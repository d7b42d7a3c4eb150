//! The admin dashboard: every live session, live, with revocation, activity and audit trail.
use super::devices::device_label;
use crate::{
    api::{
        admin_revoke_all, admin_revoke_session, admin_revoke_user, admin_sessions, audit_events,
    },
    components::{format_time, load_failed, report, use_live_tick, use_reauth, AppHeader, Outcome},
    model::{ActivitySample, SessionInfo},
};
use leptos::{prelude::*, task::spawn_local};

fn sort(list: &mut [SessionInfo], by: &str) {
    match by {
        "started" => list.sort_by_key(|s| std::cmp::Reverse(s.created_at)),
        "user" => list.sort_by(|a, b| a.email.cmp(&b.email)),
        "ip" => list.sort_by(|a, b| a.ip.cmp(&b.ip)),
        _ => list.sort_by_key(|s| std::cmp::Reverse(s.last_seen)),
    }
}

/// What the dashboard's buttons do (an enum, so no unknown action can fall through to
/// "sign out everyone").
#[derive(Clone, Debug)]
enum Action {
    /// End one session (its storage key).
    EndSession(String),
    /// End every session of a user (their e-mail).
    EndUser(String),
    /// End every session but the admin's own.
    EndEveryoneElse,
}

/// Active sessions over time as bars.
#[component]
fn ActivityChart(samples: Vec<ActivitySample>) -> impl IntoView {
    let max = samples.iter().map(|s| s.active).max().unwrap_or(0).max(1);
    let n = samples.len().max(1);
    let width = 100.0 / n as f64;
    let now = samples.last().map(|s| s.active).unwrap_or(0);
    view! {
        <figure class="chart">
            <figcaption>{format!("Active sessions, last {} min · now {now} · peak {max}", n.saturating_sub(1))}</figcaption>
            <svg viewBox="0 0 100 40" preserveAspectRatio="none" role="img" aria-label="Active sessions over time">
                {samples.iter().enumerate().map(|(i, s)| {
                    let h = 38.0 * s.active as f64 / max as f64;
                    view! { <rect x=format!("{:.3}", i as f64 * width) y=format!("{:.3}", 40.0 - h) width=format!("{:.3}", (width * 0.8).max(0.2)) height=format!("{h:.3}")/> }
                }).collect_view()}
            </svg>
        </figure>
    }
}

/// `/admin`.
#[component]
pub fn AdminPage() -> impl IntoView {
    let tick = use_live_tick();
    let reload = RwSignal::new(0u64);
    // Paging and the filter are the server's: the list reaches every session however many.
    let filter = RwSignal::new(String::new());
    let page = RwSignal::new(0usize);
    let dashboard = Resource::new(
        move || (tick.get(), reload.get(), filter.get(), page.get()),
        |(_, _, filter, page)| {
            admin_sessions((!filter.trim().is_empty()).then_some(filter), Some(page))
        },
    );
    // `?email=…` (the Users page's "History"): that account's events only.
    let query = leptos_router::hooks::use_query_map();
    let audit = Resource::new(
        move || (tick.get(), reload.get(), query.read().get("email")),
        |(_, _, email)| audit_events(Some(50), email),
    );
    let sort_by = RwSignal::new("active".to_owned());
    let reauth = use_reauth();
    let message = RwSignal::new(None::<Result<String, String>>);

    let act = move |action: Action| {
        spawn_local(async move {
            let result = match &action {
                Action::EndSession(handle) => reauth
                    .run(|| admin_revoke_session(handle.clone()))
                    .await
                    .map(|()| "Session ended.".to_owned()),
                Action::EndUser(email) => reauth
                    .run(|| admin_revoke_user(email.clone()))
                    .await
                    .map(|n| format!("Ended {n} session(s) of {email}.")),
                Action::EndEveryoneElse => reauth
                    .run(admin_revoke_all)
                    .await
                    .map(|n| format!("Ended {n} session(s). Yours is still signed in.")),
            };
            report(message, result);
            reload.update(|n| *n += 1);
        });
    };

    view! {
        <AppHeader/>
        <main class="page">
            <section class="card">
                <div class="card-head">
                    <h1>"Live sessions"</h1>
                    <button type="button" class="danger" on:click=move |_| act(Action::EndEveryoneElse)>"Sign out everyone except me"</button>
                </div>
                <Outcome outcome=message/>
                <div class="toolbar">
                    <label for="filter">"Filter"</label>
                    <input id="filter" type="search" placeholder="user e-mail contains…" prop:value=move || filter.get()
                        on:input=move |ev| { page.set(0); filter.set(event_target_value(&ev)); }/>
                    <label for="sort">"Sort this page by"</label>
                    <select id="sort" on:change=move |ev| sort_by.set(event_target_value(&ev))>
                        <option value="active">"Last active"</option>
                        <option value="started">"Started"</option>
                        <option value="user">"User"</option>
                        <option value="ip">"IP"</option>
                    </select>
                </div>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || dashboard.get().map(|result| match result {
                        Ok(dash) => {
                            let mut rows = dash.sessions;
                            sort(&mut rows, &sort_by.get());
                            let first = dash.page * dash.page_size;
                            let shown = rows.len();
                            let has_next = first + dash.page_size < dash.total;
                            view! {
                                <ActivityChart samples=dash.activity/>
                                <div class="toolbar pager" data-testid="sessions-pager">
                                    <span data-testid="sessions-range">{if dash.total == 0 {
                                        "No live sessions".to_owned()
                                    } else if shown == 0 {
                                        format!("No sessions on this page (of {})", dash.total)
                                    } else {
                                        format!("Sessions {}–{} of {}", first + 1, first + shown, dash.total)
                                    }}</span>
                                    <button type="button" class="secondary" disabled=dash.page == 0
                                        on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>"Previous"</button>
                                    <button type="button" class="secondary" disabled=!has_next
                                        on:click=move |_| page.update(|p| *p += 1)>"Next"</button>
                                    {dash.filter_capped.then(|| view! {
                                        <span class="muted">"More accounts match than one list follows: only the first 200 by e-mail are shown. Narrow the filter."</span>
                                    })}
                                </div>
                                <div class="table-wrap">
                                <table data-testid="admin-sessions">
                                    <thead><tr><th>"User"</th><th>"Device"</th><th>"IP"</th><th>"Signed in with"</th><th>"Started"</th><th>"Last active"</th><th></th></tr></thead>
                                    <tbody>
                                        {rows.into_iter().map(|s| {
                                            let handle = s.handle.to_string();
                                            let email = s.email.clone();
                                            view! {
                                                <tr data-email=s.email.clone()>
                                                    <td>{s.email.clone()} " " <span class="badge muted-badge">{s.role.as_str()}</span>
                                                        {s.current.then(|| view! { <span class="badge">"You"</span> })}</td>
                                                    <td>{device_label(&s)}</td>
                                                    <td>{s.ip.clone()}</td>
                                                    <td data-testid="auth-method">{if s.auth_method == crate::model::AuthMethod::Remember { s.auth_method.label().to_owned() } else { format!("{} · {}", s.auth_method.label(), format_time(s.authenticated_at)) }}</td>
                                                    <td>{format_time(s.created_at)}</td>
                                                    <td>{format_time(s.last_seen)}</td>
                                                    <td class="row-actions">
                                                        <a class="button secondary" href=format!("/admin/sessions/{}", s.handle)>"Story"</a>
                                                        {(!s.current).then(|| view! {
                                                            <button type="button" class="secondary" on:click=move |_| act(Action::EndSession(handle.clone()))>"Revoke"</button>
                                                        })}
                                                        <button type="button" class="secondary" on:click=move |_| act(Action::EndUser(email.clone()))>"All of user"</button>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                </div>
                            }.into_any()
                        }
                        Err(err) => load_failed(err),
                    })}
                </Transition>
            </section>
            <section class="card">
                <div class="card-head">
                    <h2>"History"</h2>
                    <a href="/api/audit.jsonl" download="hallpass-audit.jsonl">"Export the last 24 h (JSON Lines)"</a>
                </div>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || audit.get().map(|result| match result {
                        Ok(events) => view! {
                            <div class="table-wrap">
                            <table data-testid="audit">
                                <thead><tr><th>"Time"</th><th>"Event"</th><th>"Session"</th><th>"IP"</th><th>"Details"</th></tr></thead>
                                <tbody>
                                    {events.into_iter().map(|e| view! {
                                        <tr>
                                            <td>{format_time(e.at_ms / 1000)}</td>
                                            <td><code>{e.kind}</code></td>
                                            <td>{e.session_key.map(|key| view! {
                                                <a href=format!("/admin/sessions/{key}")><code>{key.chars().take(8).collect::<String>()}</code></a>
                                            })}</td>
                                            <td>{e.ip.unwrap_or_default()}</td>
                                            <td>{e.reason.unwrap_or_default()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            </div>
                        }.into_any(),
                        Err(err) => view! { <p class="error" role="alert">{err.message}</p> }.into_any(),
                    })}
                </Transition>
            </section>
        </main>
    }
}
