//! The signed-in home: who you are and what this session is.
use crate::{
    api::me,
    components::{follow_session_end, ChangePassword, PasskeysCard},
    components::{format_time, AppHeader},
};
use leptos::prelude::*;

/// Shows the signed-in user, their role and this session's times.
#[component]
pub fn HomePage() -> impl IntoView {
    let me = Resource::new(|| (), |_| me());
    view! {
        <AppHeader/>
        <main class="page">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || me.get().map(|result| match result {
                    Ok(me) => view! {
                        <section class="card">
                            <h1>"Signed in"</h1>
                            <dl class="facts">
                                <dt>"Email"</dt><dd data-testid="me-email">{me.email.clone()}</dd>
                                <dt>"Role"</dt><dd data-testid="me-role">{me.role.as_str()}</dd>
                                <dt>"Session started"</dt><dd>{format_time(me.session_started_at)}</dd>
                                <dt>"Last confirmed"</dt><dd data-testid="me-auth">{format!("{} (with {})", format_time(me.authenticated_at), me.auth_method.label())}</dd>
                            </dl>
                        </section>
                        <ChangePassword/>
                        <PasskeysCard/>
                    }.into_any(),
                    Err(err) => {
                        follow_session_end(&err);
                        view! {
                        <section class="card">
                            <p class="error" role="alert">{err.message}</p>
                            <p><a href="/login">"Sign in"</a></p>
                        </section>
                    }.into_any()
                    }
                })}
            </Suspense>
        </main>
    }
}
