//! 404.
use leptos::prelude::*;

/// Shown for unknown paths.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        options.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="centered">
            <div class="card">
                <h1>"Page not found"</h1>
                <p><a href="/">"Go to your account"</a></p>
            </div>
        </main>
    }
}
