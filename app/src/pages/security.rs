//! `/admin/security`: this deployment, graded (see `crate::ssr::posture`).
use crate::{
    api::{admin_audit_status, admin_run_audit, admin_security},
    components::{format_time, load_failed, report, use_reauth, AppHeader, Outcome},
    model::PostureStatus,
};
use leptos::{prelude::*, task::spawn_local};

/// The grade and one row per setting: status, value, why it matters, the fix.
#[component]
pub fn SecurityPage() -> impl IntoView {
    let posture = Resource::new(|| (), |_| admin_security());
    view! {
        <AppHeader/>
        <main class="page">
            <section class="card">
                <h1>"Security posture"</h1>
                <p class="muted">"The policy in force and the configuration this server started with, checked against ASVS 5.0 and the practices Hallpass embodies. Run "<code>"hallpass audit"</code>" for a black-box scan from outside."</p>
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || posture.get().map(|result| match result {
                        Ok(posture) => view! {
                            <p class="grade" data-testid="posture-grade">{format!("Grade {}", posture.grade)}</p>
                            <div class="table-wrap">
                                <table class="posture" data-testid="posture">
                                    <thead><tr><th>"Setting"</th><th>"Status"</th><th>"Now"</th><th>"Why it matters, and the fix"</th></tr></thead>
                                    <tbody>
                                        {posture.rows.into_iter().map(|r| {
                                            let (class, label) = match r.status {
                                                PostureStatus::Good => ("badge good-badge", "good"),
                                                PostureStatus::Warn => ("badge warn-badge", "warning"),
                                                PostureStatus::Bad => ("badge bad-badge", "fix this"),
                                                PostureStatus::Info => ("badge muted-badge", "info"),
                                            };
                                            let item = r.item.clone();
                                            view! {
                                                <tr data-item=item>
                                                    <td><div class="muted small">{r.area}</div>{r.item}</td>
                                                    <td><span class=class>{label}</span></td>
                                                    <td class="value"><code>{r.value}</code></td>
                                                    <td class="small">{r.why}<div class="fix">{format!("Fix: {}", r.fix)}</div></td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(err) => load_failed(err),
                    })}
                </Suspense>
            </section>
            <OwnAudit/>
        </main>
    }
}

/// "Run the audit": `hallpass audit` against this deployment's own public origin, its progress
/// while it runs (checked every second), and the last report with its time.
#[component]
fn OwnAudit() -> impl IntoView {
    let reauth = use_reauth();
    let refresh = RwSignal::new(0u32);
    let status = Resource::new(move || refresh.get(), |_| admin_audit_status());
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let running = move || {
        status
            .get()
            .and_then(Result::ok)
            .flatten()
            .is_some_and(|run| run.finished_at.is_none())
    };
    // While a run is under way, look again every second.
    Effect::new(
        move |handle: Option<Option<leptos::prelude::IntervalHandle>>| {
            let previous = handle.flatten();
            if running() {
                previous.or_else(|| {
                    set_interval_with_handle(
                        move || refresh.update(|n| *n += 1),
                        std::time::Duration::from_secs(1),
                    )
                    .ok()
                })
            } else {
                if let Some(h) = previous {
                    h.clear();
                }
                None
            }
        },
    );
    let start = move |_| {
        spawn_local(async move {
            let result = reauth.run(admin_run_audit).await;
            refresh.update(|n| *n += 1);
            match result {
                // The progress line below says it is running.
                Ok(()) => outcome.set(None),
                Err(err) => report(outcome, Err(err)),
            }
        });
    };
    view! {
        <section class="card" data-testid="own-audit">
            <div class="card-head">
                <h2>"Audit from outside"</h2>
                <button type="button" class="primary" on:click=start disabled=running>"Run the audit"</button>
            </div>
            <p class="muted">"Runs "<code>"hallpass audit"</code>" against this deployment's own public origin with a throwaway account (deleted when it ends)."</p>
            <Outcome outcome=outcome/>
            <Transition fallback=|| ()>
                {move || status.get().map(|result| match result {
                    Ok(None) => view! { <p class="muted">"No audit has run yet."</p> }.into_any(),
                    Ok(Some(run)) => match (run.finished_at, run.grade, run.report, run.failure) {
                        (None, ..) => view! { <p role="status" data-testid="audit-progress">{format!("Running: {}", run.progress)}</p> }.into_any(),
                        (Some(at), Some(grade), Some(text), _) => view! {
                            <p class="grade" data-testid="audit-grade">{format!("Grade {grade}")}</p>
                            <p class="muted small">{format!("Run {}{}", format_time(at), run.started_by.map(|b| format!(" by {b}")).unwrap_or_default())}</p>
                            <pre class="report" data-testid="audit-report">{text}</pre>
                        }.into_any(),
                        (Some(at), _, _, failure) => view! {
                            <p class="error" role="alert">{format!("The audit at {} could not run: {}", format_time(at), failure.unwrap_or_default())}</p>
                        }.into_any(),
                    },
                    Err(err) => load_failed(err),
                })}
            </Transition>
        </section>
    }
}
