//! The bar on every signed-in page: navigation, the expiry countdown, the live stream and
//! the sign-out control.
use super::{ExpiryCountdown, LiveEvents, SignOutButton};
use crate::{api::me, model::Role};
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// Brand, navigation (admin links for admins) and sign-out.
#[component]
pub fn AppHeader() -> impl IntoView {
    let user = Resource::new(|| (), |_| me());
    let path = use_location().pathname;
    let link = move |href: &'static str, label: &'static str| {
        view! {
            <a href=href aria-current=move || (path.get() == href).then_some("page")>{label}</a>
        }
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/"><span class="logo" aria-hidden="true">"H"</span>"Hallpass"</a>
            <nav>
                {link("/", "Account")}
                {link("/sessions", "My devices")}
                <Suspense>
                    {move || user.get().and_then(Result::ok).filter(|u| u.role == Role::Admin).map(|_| view! {
                        {link("/admin", "Admin")}
                        {link("/admin/users", "Users")}
                        {link("/admin/policy", "Policy")}
                        {link("/admin/security", "Security")}
                    })}
                </Suspense>
            </nav>
            <SignOutButton/>
        </header>
        <LiveEvents/>
        <Suspense>
            {move || user.get().and_then(Result::ok).map(|u| view! { <ExpiryCountdown user=u/> })}
        </Suspense>
    }
}
