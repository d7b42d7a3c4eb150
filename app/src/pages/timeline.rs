//! A session's story: every event of one session and of the sessions it was regenerated from
//! or into, in order, with client and reason. `/admin/sessions/:handle` for admins (any
//! session, live or ended), `/sessions/:handle` for a user's own.
use crate::{
    api::{my_session_timeline, session_timeline},
    components::{format_time_ms, load_failed, AppHeader},
    model::{AuditRecord, Timeline},
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// The first characters of a storage key: enough to tell sessions apart on screen.
fn short(key: &str) -> String {
    key.chars().take(8).collect()
}

/// What an event did to the chain, in words.
fn link_of(e: &AuditRecord) -> Option<String> {
    match (&e.from_session, &e.session_key) {
        (Some(from), Some(to)) => Some(format!("{} → {}", short(from), short(to))),
        _ => None,
    }
}

/// `/admin/sessions/:handle` (`mine = false`) and `/sessions/:handle` (`mine = true`).
#[component]
pub fn TimelinePage(mine: bool) -> impl IntoView {
    let params = use_params_map();
    let story = Resource::new(
        move || params.with(|p| p.get("handle").unwrap_or_default()),
        move |handle| async move {
            if mine {
                my_session_timeline(handle).await
            } else {
                session_timeline(handle).await
            }
        },
    );
    let base = if mine { "/sessions" } else { "/admin/sessions" };
    let back = if mine {
        ("/sessions", "My devices")
    } else {
        ("/admin", "Dashboard")
    };
    view! {
        <AppHeader/>
        <main class="page">
            <section class="card">
                <div class="card-head">
                    <h1>"Session story"</h1>
                    <a href=back.0>{format!("← {}", back.1)}</a>
                </div>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || story.get().map(|result| match result {
                        Ok(Timeline { events, keys, others }) => view! {
                            <p class="muted">"Sessions in this story, oldest first (each regeneration gives a new id):"</p>
                            <ol class="chain" data-testid="chain">
                                {keys.iter().map(|k| view! {
                                    <li><code title=k.clone()>{short(k)}</code></li>
                                }).collect_view()}
                            </ol>
                            <div class="table-wrap">
                            <table data-testid="timeline">
                                <thead><tr><th>"Time"</th><th>"Event"</th><th>"Session"</th><th>"IP"</th><th>"Browser"</th><th>"Details"</th></tr></thead>
                                <tbody>
                                    {events.into_iter().map(|e| {
                                        let session = link_of(&e)
                                            .or_else(|| e.session_key.as_deref().map(short))
                                            .unwrap_or_default();
                                        view! {
                                            <tr data-kind=e.kind.clone()>
                                                <td>{format_time_ms(e.at_ms)}</td>
                                                <td><code>{e.kind.clone()}</code></td>
                                                <td><code>{session}</code></td>
                                                <td>{e.ip.clone().unwrap_or_default()}</td>
                                                <td class="small">{e.user_agent.clone().unwrap_or_default()}</td>
                                                <td>{e.reason.clone().unwrap_or_default()}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            </div>
                            {(!others.is_empty()).then(|| view! {
                                <h2>"Other sessions of this user at the time"</h2>
                                <ul class="chain" data-testid="others">
                                    {others.iter().map(|k| view! {
                                        <li><a href=format!("{base}/{k}")><code>{short(k)}</code></a></li>
                                    }).collect_view()}
                                </ul>
                            })}
                        }.into_any(),
                        Err(err) => load_failed(err),
                    })}
                </Transition>
            </section>
        </main>
    }
}
