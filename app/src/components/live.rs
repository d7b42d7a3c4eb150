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
        use std::{
            cell::{Cell, RefCell},
            rc::Rc,
        };
        let tick = use_live_tick();
        let current: Rc<RefCell<Option<web_sys::EventSource>>> = Rc::default();
        let alive = Rc::new(Cell::new(true));
        open_stream(tick, current.clone(), alive.clone());
        let on_leave = send_wrapper::SendWrapper::new((current, alive));
        on_cleanup(move || {
            let (current, alive) = &*on_leave;
            alive.set(false);
            if let Some(source) = current.borrow_mut().take() {
                source.close();
            }
        });
        report_activity();
    }
}

/// How long a tab waits before opening a new stream after the browser gave one up.
#[cfg(feature = "hydrate")]
const REOPEN_AFTER: std::time::Duration = std::time::Duration::from_secs(3);

/// Opens `/api/events` (the browser reconnects by itself after a dropped connection). When
/// the stream fails for good (the browser does not retry a refused one: a request that raced
/// this tab's own id regeneration, say) and the session is still alive, a new one is opened;
/// when the session is over, the tab goes to the sign-in page with the reason instead.
#[cfg(feature = "hydrate")]
fn open_stream(
    tick: RwSignal<u64>,
    current: std::rc::Rc<std::cell::RefCell<Option<web_sys::EventSource>>>,
    alive: std::rc::Rc<std::cell::Cell<bool>>,
) {
    use crate::model::Event;
    use leptos::task::spawn_local;
    use wasm_bindgen::{closure::Closure, JsCast};

    if !alive.get() {
        return;
    }
    let Ok(source) = web_sys::EventSource::new("/api/events") else {
        return;
    };
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |msg: web_sys::MessageEvent| {
            let Some(text) = msg.data().as_string() else {
                return;
            };
            let Ok(event) = serde_json::from_str::<Event>(&text) else {
                return;
            };
            tick.update(|t| *t += 1);
            if matches!(event, Event::SessionEnded { .. }) {
                spawn_local(async {
                    check_own_session().await;
                });
            }
        });
    source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // Anything that happened before the stream was open was missed: refresh once, and check
    // this tab's own session.
    let on_open = Closure::<dyn FnMut()>::new(move || {
        tick.update(|t| *t += 1);
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-live", "open");
        }
        spawn_local(async {
            check_own_session().await;
        });
    });
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    on_open.forget();
    // The server closes the stream once this tab's session is over: find out why.
    let on_error = {
        let (source, current, alive) = (source.clone(), current.clone(), alive.clone());
        Closure::<dyn FnMut()>::new(move || {
            let given_up = source.ready_state() == web_sys::EventSource::CLOSED;
            let (current, alive) = (current.clone(), alive.clone());
            spawn_local(async move {
                if check_own_session().await && given_up {
                    set_timeout(move || open_stream(tick, current, alive), REOPEN_AFTER);
                }
            });
        })
    };
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    if let Some(old) = current.borrow_mut().replace(source) {
        old.close();
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

/// Leaves the page when the server says this tab's session ended, and why; whether the
/// session is alive. A bare 401 is not followed here: it can be a request that raced this
/// tab's own id regeneration, and the next action the user takes will find out for sure.
#[cfg(feature = "hydrate")]
async fn check_own_session() -> bool {
    match crate::api::me().await {
        Ok(_) => true,
        Err(err) => {
            if err.reason.is_some() {
                super::follow_session_end(&err);
            }
            false
        }
    }
}
