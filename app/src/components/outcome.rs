//! The result line of an action: a notice when it worked, an alert when it did not.
use leptos::prelude::*;

/// Renders `outcome` (nothing while it is `None`).
#[component]
pub fn Outcome(outcome: RwSignal<Option<Result<String, String>>>) -> impl IntoView {
    move || {
        outcome.get().map(|o| match o {
            Ok(text) => view! { <p class="notice" role="status">{text}</p> }.into_any(),
            Err(text) => view! { <p class="error" role="alert">{text}</p> }.into_any(),
        })
    }
}

/// Shows the result of an action in `outcome`; when the session ended meanwhile, goes to the
/// sign-in page with the reason instead.
pub fn report(
    outcome: RwSignal<Option<Result<String, String>>>,
    result: Result<String, crate::error::ApiError>,
) {
    match result {
        Ok(text) => outcome.set(Some(Ok(text))),
        Err(err) if err.reason.is_some() => super::follow_session_end(&err),
        Err(err) => outcome.set(Some(Err(err.message))),
    }
}
