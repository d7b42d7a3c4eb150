//! The live event stream in the browser: lists refresh as sessions start and end, and a tab
//! whose own session was ended learns it at once.
use leptos::prelude::*;

/// Bumped on every live event; listings re-fetch when it changes.
#[derive(Clone, Copy)]
pub struct LiveTick(pub RwSignal<u64>);

/// The tick provided by the app shell.
pub fn use_live_tick() -> RwSignal<u64> {
    use_context::<LiveTick>()
        .map(|t| t.0)
        .unwrap_or_else(|| RwSignal::new(0))
}

/// Listens to `/api/events` while mounted (in the browser; the `EventSource` reconnects by
/// itself). On a session end, and whenever the stream (re)opens, asks the server whether this
/// tab's session is still alive and goes to the sign-in page with the reason if not.
#[component]
pub fn LiveEvents() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    {
        use crate::model::LiveEvent;
        use leptos::task::spawn_local;
        use wasm_bindgen::{closure::Closure, JsCast};

        let tick = use_live_tick();
        Effect::new(move |_| {
            let Ok(source) = web_sys::EventSource::new("/api/events") else {
                return;
            };
            let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |msg: web_sys::MessageEvent| {
                    let Some(text) = msg.data().as_string() else {
                        return;
                    };
                    let Ok(event) = serde_json::from_str::<LiveEvent>(&text) else {
                        return;
                    };
                    tick.update(|t| *t += 1);
                    if event.kind == "session_ended" {
                        spawn_local(check_own_session());
                    }
                },
            );
            source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            on_message.forget();
            // Anything that happened before the stream was open was missed: refresh once, and
            // check this tab's own session.
            let on_open = Closure::<dyn FnMut()>::new(move || {
                tick.update(|t| *t += 1);
                if let Some(body) = document().body() {
                    let _ = body.set_attribute("data-live", "open");
                }
                spawn_local(check_own_session());
            });
            source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
            on_open.forget();
            // The server closes the stream once this tab's session is over: find out why.
            let on_error = Closure::<dyn FnMut()>::new(move || {
                spawn_local(check_own_session());
            });
            source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            on_error.forget();
            let source = send_wrapper::SendWrapper::new(source);
            on_cleanup(move || source.close());
        });
        report_activity();
    }
}

/// Tells the server when the person clicks or types (at most once a second): the page's own
/// background requests do not count as activity, so without this an active reader of a page
/// would time out.
#[cfg(feature = "hydrate")]
fn report_activity() {
    use leptos::task::spawn_local;
    use std::{cell::Cell, rc::Rc};
    use wasm_bindgen::{closure::Closure, JsCast};

    let last = Rc::new(Cell::new(0.0f64));
    let on_input = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
        // A click on a button or a link starts a request of its own, which is activity
        // already; a touch sent beside it would race it (a re-authentication, say).
        let starts_its_own = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("button, a").ok().flatten())
            .is_some();
        if event.type_() == "pointerdown" && starts_its_own {
            return;
        }
        let now = js_sys::Date::now();
        if now - last.get() >= 1000.0 {
            last.set(now);
            spawn_local(async {
                if let Err(err) = crate::api::touch().await {
                    if err.reason.is_some() {
                        super::follow_session_end(&err);
                    }
                }
            });
        }
    });
    let document = document();
    for event in ["pointerdown", "keydown"] {
        let _ = document.add_event_listener_with_callback(event, on_input.as_ref().unchecked_ref());
    }
    let on_input = send_wrapper::SendWrapper::new(on_input);
    on_cleanup(move || {
        let document = leptos::prelude::document();
        for event in ["pointerdown", "keydown"] {
            let _ = document
                .remove_event_listener_with_callback(event, on_input.as_ref().unchecked_ref());
        }
    });
}

/// Leaves the page when the server says this tab's session ended, and why. A bare 401 is
/// ignored here: it can be a request that raced this tab's own id regeneration, and the next
/// action the user takes will find out for sure.
#[cfg(feature = "hydrate")]
async fn check_own_session() {
    if let Err(err) = crate::api::me().await {
        if err.reason.is_some() {
            super::follow_session_end(&err);
        }
    }
}
