//! The HTML document and the router.
use crate::{
    components::{LiveTick, ReauthDialog},
    pages::{home::HomePage, login::LoginPage, not_found::NotFound, split},
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, Lazy,
};

/// The whole HTML document, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The application: styles, title and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Marks the page as interactive, so tests (and people) know the buttons are live.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    provide_context(LiveTick(RwSignal::new(0)));

    view! {
        <Stylesheet id="leptos" href="/pkg/hallpass.css"/>
        <Title text="Hallpass"/>
        <ReauthDialog>
            <Router>
                <Routes fallback=NotFound>
                    // Everyone's first pages are in the bundle; the rest load when first
                    // shown (see `pages::split`).
                    <Route path=path!("/") view=HomePage/>
                    <Route path=path!("/login") view=LoginPage/>
                    <Route path=path!("/sessions") view={Lazy::<split::Devices>::new()}/>
                    <Route path=path!("/sessions/:handle") view={Lazy::<split::OwnTimeline>::new()}/>
                    <Route path=path!("/set-password") view={Lazy::<split::SetPassword>::new()}/>
                    <Route path=path!("/admin") view={Lazy::<split::Admin>::new()}/>
                    <Route path=path!("/admin/sessions/:handle") view={Lazy::<split::AdminTimeline>::new()}/>
                    <Route path=path!("/admin/policy") view={Lazy::<split::Policy>::new()}/>
                    <Route path=path!("/admin/users") view={Lazy::<split::Users>::new()}/>
                    <Route path=path!("/admin/security") view={Lazy::<split::Security>::new()}/>
                </Routes>
            </Router>
        </ReauthDialog>
    }
}
