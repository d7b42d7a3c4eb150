//! The browser entry point: hydrates the server-rendered Hallpass pages, waiting for a lazily
//! loaded page's code first when the page is one (`app::pages::split`).
// The hydrating future's type nests every view of the app; its layout needs more than the
// default 128 levels of the compiler's query depth.
#![recursion_limit = "256"]

/// Called by the hydration script cargo-leptos generates.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}
