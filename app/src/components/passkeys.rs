//! Passkeys in the browser: `navigator.credentials` (through web-sys and the browser's own
//! WebAuthn JSON forms), and the account page's card to add, list and remove them.
use super::{format_time, load_failed, report, use_reauth, Outcome};
use crate::api::{my_passkeys, passkey_register_finish, passkey_register_start, passkey_remove};
use leptos::{prelude::*, task::spawn_local};

/// Asks the browser to create a passkey with `options` (the server's JSON); the answer as
/// JSON for the server.
#[cfg(feature = "hydrate")]
pub async fn create(options: &str) -> Result<String, String> {
    ceremony(
        options,
        "parseCreationOptionsFromJSON",
        |container, options| container.create_with_options(options.unchecked_ref()),
    )
    .await
}

/// Asks the browser to sign the server's challenge (`options`, JSON) with a passkey; the
/// answer as JSON for the server.
#[cfg(feature = "hydrate")]
pub async fn get(options: &str) -> Result<String, String> {
    ceremony(
        options,
        "parseRequestOptionsFromJSON",
        |container, options| container.get_with_options(options.unchecked_ref()),
    )
    .await
}

#[cfg(feature = "hydrate")]
use wasm_bindgen::JsCast;

/// One WebAuthn ceremony through the browser's own JSON forms (WebAuthn Level 3:
/// `PublicKeyCredential.parse…OptionsFromJSON` for the server's options, `toJSON()` for the
/// answer), which are the forms webauthn-rs reads and writes: no conversion code is shipped
/// in the WASM.
#[cfg(feature = "hydrate")]
async fn ceremony(
    options: &str,
    parser: &str,
    call: impl FnOnce(
        &web_sys::CredentialsContainer,
        &js_sys::Object,
    ) -> Result<js_sys::Promise, wasm_bindgen::JsValue>,
) -> Result<String, String> {
    use js_sys::{Function, Object, Reflect, JSON};
    use wasm_bindgen::JsValue;
    let too_old = || "This browser cannot use passkeys (it is too old).".to_owned();
    let unreadable = |_| "The server's passkey options are unreadable.".to_owned();
    let class = Reflect::get(&window(), &JsValue::from_str("PublicKeyCredential"))
        .ok()
        .filter(|c| !c.is_undefined())
        .ok_or_else(too_old)?;
    let parse: Function = Reflect::get(&class, &JsValue::from_str(parser))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(too_old)?;
    let server = JSON::parse(options).map_err(unreadable)?;
    let public_key = Reflect::get(&server, &JsValue::from_str("publicKey")).map_err(unreadable)?;
    let parsed = parse.call1(&class, &public_key).map_err(browser_refused)?;
    let request = Object::new();
    Reflect::set(&request, &JsValue::from_str("publicKey"), &parsed).map_err(browser_refused)?;
    let promise = call(&window().navigator().credentials(), &request).map_err(browser_refused)?;
    let credential = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(browser_refused)?;
    let to_json: Function = Reflect::get(&credential, &JsValue::from_str("toJSON"))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(too_old)?;
    let answer = to_json.call0(&credential).map_err(browser_refused)?;
    JSON::stringify(&answer)
        .map(String::from)
        .map_err(browser_refused)
}

/// Why the browser did not produce a credential (cancelled, timed out, not allowed…).
#[cfg(feature = "hydrate")]
fn browser_refused(err: wasm_bindgen::JsValue) -> String {
    match err.dyn_ref::<js_sys::Error>() {
        Some(e) if e.name() == "NotAllowedError" => {
            "The passkey request was cancelled or timed out.".to_owned()
        }
        Some(e) => format!(
            "The browser could not use a passkey: {}",
            String::from(e.message())
        ),
        None => "The browser could not use a passkey.".to_owned(),
    }
}

/// On the server there is no browser to ask.
#[cfg(not(feature = "hydrate"))]
pub async fn create(_options: &str) -> Result<String, String> {
    Err("Passkeys need the browser.".into())
}

/// On the server there is no browser to ask.
#[cfg(not(feature = "hydrate"))]
pub async fn get(_options: &str) -> Result<String, String> {
    Err("Passkeys need the browser.".into())
}

/// The account page's passkeys: the list (created, last used), a name and "Add a passkey",
/// and "Remove" on each; adding and removing ask for a fresh confirmation first.
#[component]
pub fn PasskeysCard() -> impl IntoView {
    let reauth = use_reauth();
    let reload = RwSignal::new(0u32);
    let list = Resource::new(move || reload.get(), |_| my_passkeys());
    let name = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let pending = RwSignal::new(false);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        pending.set(true);
        outcome.set(None);
        spawn_local(async move {
            let label = name.get_untracked();
            let result = match reauth.run(passkey_register_start).await {
                Ok(options) => match create(&options).await {
                    Ok(answer) => passkey_register_finish(label, answer)
                        .await
                        .map(|info| format!("Passkey \"{}\" added.", info.name)),
                    Err(message) => Err(crate::error::ApiError::bad_request(message)),
                },
                Err(err) => Err(err),
            };
            pending.set(false);
            if result.is_ok() {
                name.set(String::new());
                reload.update(|n| *n += 1);
            }
            report(outcome, result);
        });
    };
    let remove = move |id: String| {
        spawn_local(async move {
            let result = reauth.run(|| passkey_remove(id.clone())).await;
            if result.is_ok() {
                reload.update(|n| *n += 1);
            }
            report(outcome, result.map(|()| "Passkey removed.".to_owned()));
        });
    };
    view! {
        <section class="card" data-testid="passkeys">
            <h2>"Passkeys"</h2>
            <p class="muted">"Sign in and confirm sensitive actions with your device's screen lock or a security key instead of your password."</p>
            <Outcome outcome=outcome/>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || list.get().map(|result| match result {
                    Ok(keys) if keys.is_empty() => view! { <p class="muted">"No passkeys yet."</p> }.into_any(),
                    Ok(keys) => view! {
                        <ul class="devices">
                            {keys.into_iter().map(|key| {
                                let id = key.id.clone();
                                let used = key.last_used_at.map_or_else(|| "never used".to_owned(), |t| format!("last used {}", format_time(t)));
                                view! {
                                    <li class="device">
                                        <div>
                                            <strong>{key.name.clone()}</strong>
                                            <div class="muted small">{format!("added {} · {used}", format_time(key.created_at))}</div>
                                        </div>
                                        <div class="row-actions">
                                            <button type="button" class="secondary" on:click=move |_| remove(id.clone())>"Remove"</button>
                                        </div>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(err) => load_failed(err),
                })}
            </Transition>
            <form class="stack" on:submit=add>
                <label for="passkey-name">"Name for a new passkey"</label>
                <input id="passkey-name" type="text" maxlength="60" placeholder="laptop" required
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))/>
                <button type="submit" class="primary" disabled=move || pending.get()>"Add a passkey"</button>
            </form>
        </section>
    }
}
