//! The pages the browser fetches only when it first shows them.
//!
//! Everyone who uses Hallpass sees the sign-in page and the home page; only some open their
//! devices, and only admins the dashboard, policy, users and security pages. Each page here is
//! a [`LazyRoute`]: with `cargo leptos build --split` its view goes into a WASM chunk of its
//! own, which the browser fetches (under the same CSP: `script-src 'self'`, `connect-src
//! 'self'`) on the first visit to the page, so the bundle everyone loads carries none of it.
//! A page loaded directly is still rendered in full on the server; the browser hydrates it once
//! its chunk is in (`leptos::mount::hydrate_lazy` in the `frontend` crate).
//!
//! The browser build therefore needs `--split` (every script here passes it): without it the
//! generated JavaScript imports a `__wasm_split_placeholder__` module that does not exist and
//! no page hydrates. On the server the views are ordinary async functions.
use crate::pages::{
    admin::AdminPage, devices::DevicesPage, policy::PolicyPage, security::SecurityPage,
    set_password::SetPasswordPage, timeline::TimelinePage, users::UsersPage,
};
use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

/// A lazily loaded page that needs nothing before its view: its data loads inside the view,
/// through the page's own resources, as it did before it was split out.
macro_rules! lazy_page {
    ($(#[$doc:meta])* $route:ident => $view:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                $view.into_any()
            }
        }
    };
}

lazy_page!(
    /// `/sessions`: the signed-in user's devices.
    Devices => view! { <DevicesPage/> }
);
lazy_page!(
    /// `/sessions/:handle`: the story of one of the user's own sessions.
    OwnTimeline => view! { <TimelinePage mine=true/> }
);
lazy_page!(
    /// `/set-password`: a password change the account must make.
    SetPassword => view! { <SetPasswordPage/> }
);
lazy_page!(
    /// `/admin`: every live session.
    Admin => view! { <AdminPage/> }
);
lazy_page!(
    /// `/admin/sessions/:handle`: the story of any session.
    AdminTimeline => view! { <TimelinePage mine=false/> }
);
lazy_page!(
    /// `/admin/policy`: the timeout policy in force.
    Policy => view! { <PolicyPage/> }
);
lazy_page!(
    /// `/admin/users`: accounts.
    Users => view! { <UsersPage/> }
);
lazy_page!(
    /// `/admin/security`: the deployment's posture and its self-audit.
    Security => view! { <SecurityPage/> }
);
