//! What the router needs to serve the app's pages: their routes, and what every render gets.
//!
//! The route list is generated **once per process**. Generating it renders the whole app once
//! with every resource load suppressed, and leptos suppresses them through one process-wide
//! flag (`leptos::server::SuppressResourceLoad`): a page whose data (a `Resource`) first loads
//! anywhere in the process while a route list is being generated waits forever, holding its
//! connection, at no CPU (leptos#4773). Every router needs the list, so once it exists before
//! the first router, no render can ever overlap its generation, however many instances one
//! process builds (the test suite builds hundreds, while others render pages).
use crate::headers::CspNonce;
use app::{ssr::context::ServerState, App};
use leptos::{
    nonce::Nonce,
    prelude::{provide_context, with_context},
};
use leptos_axum::{generate_route_list, AxumRouteListing};
use std::sync::LazyLock;

/// The app's routes, generated on first use and shared by every router in the process.
pub fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));
    ROUTES.clone()
}

/// What every page render gets: the server state, and this response's CSP nonce for its
/// scripts.
pub fn context(state: &ServerState) -> impl Fn() + Clone + Send + 'static {
    let state = state.clone();
    move || {
        provide_context(state.clone());
        let nonce =
            with_context::<http::request::Parts, _>(|p| p.extensions.get::<CspNonce>().cloned())
                .flatten();
        if let Some(CspNonce(nonce)) = nonce {
            provide_context(Nonce::from_value(nonce));
        }
    }
}
