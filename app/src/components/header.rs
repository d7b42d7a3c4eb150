//! The bar on every signed-in page.
use super::SignOutButton;
use leptos::prelude::*;

/// Brand, navigation and the sign-out control.
#[component]
pub fn AppHeader() -> impl IntoView {
    view! {
        <header class="topbar">
            <a class="brand" href="/"><span class="logo" aria-hidden="true">"H"</span>"Hallpass"</a>
            <nav><a href="/">"Account"</a></nav>
            <SignOutButton/>
        </header>
    }
}
