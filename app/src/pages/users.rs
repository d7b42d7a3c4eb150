//! `/admin/users`: accounts, where sessions are managed too. Every change says first what it
//! will end ("3 live sessions will end now"), needs the password again, and is audited.
use crate::{
    api::{
        admin_create_user, admin_delete_user, admin_reset_password, admin_set_access,
        admin_user_impact, admin_users,
    },
    components::{
        format_time, format_time_ms, load_failed, report, use_live_tick, use_reauth, AppHeader,
        Outcome,
    },
    error::ApiError,
    model::{AccountChange, AccountRow, Impact, Role},
};
use leptos::{prelude::*, task::spawn_local};

/// What an admin can do to an account from its row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    MakeAdmin,
    MakeUser,
    Disable,
    Enable,
    ResetPassword,
    Delete,
}

impl Change {
    fn label(self) -> &'static str {
        match self {
            Change::MakeAdmin => "Make admin",
            Change::MakeUser => "Make user",
            Change::Disable => "Disable",
            Change::Enable => "Enable",
            Change::ResetPassword => "Reset password",
            Change::Delete => "Delete",
        }
    }

    /// The changes offered for an account as it is now.
    fn offered(row: &AccountRow) -> [Change; 4] {
        [
            if row.role == Role::Admin {
                Change::MakeUser
            } else {
                Change::MakeAdmin
            },
            if row.disabled {
                Change::Enable
            } else {
                Change::Disable
            },
            Change::ResetPassword,
            Change::Delete,
        ]
    }

    /// What the confirmation says will happen.
    fn consequence(self, impact: &Impact) -> String {
        let sessions = match impact.live_sessions {
            0 => "No live session will end".to_owned(),
            1 => "1 live session will end now".to_owned(),
            n => format!("{n} live sessions will end now"),
        };
        let tokens = match impact.remember_tokens {
            0 => String::new(),
            1 => ", and 1 remember-me token will stop working".to_owned(),
            n => format!(", and {n} remember-me tokens will stop working"),
        };
        let what = match self {
            Change::MakeAdmin => format!("{} becomes an admin.", impact.email),
            Change::MakeUser => format!("{} loses admin rights.", impact.email),
            Change::Disable => format!("{} can no longer sign in.", impact.email),
            Change::Enable => format!("{} can sign in again.", impact.email),
            Change::ResetPassword => format!(
                "{}'s password stops working; you get a one-time link for them to set a new one.",
                impact.email
            ),
            Change::Delete => format!("{}'s account is deleted for good.", impact.email),
        };
        format!("{what} {sessions}{tokens}.")
    }

    async fn run(self, row: AccountRow) -> Result<AccountChange, ApiError> {
        let access = |role: Role, disabled: bool| {
            let email = row.email.clone();
            async move {
                let ended = admin_set_access(
                    email.clone(),
                    role.as_str().to_owned(),
                    disabled.then(|| "true".to_owned()),
                )
                .await?;
                Ok(AccountChange {
                    email,
                    ended_sessions: ended,
                    link: None,
                })
            }
        };
        match self {
            Change::MakeAdmin => access(Role::Admin, row.disabled).await,
            Change::MakeUser => access(Role::User, row.disabled).await,
            Change::Disable => access(row.role, true).await,
            Change::Enable => access(row.role, false).await,
            Change::ResetPassword => admin_reset_password(row.email.clone()).await,
            Change::Delete => admin_delete_user(row.email.clone()).await,
        }
    }
}

/// The absolute address of a set-password link path, to hand over.
fn absolute(path: &str) -> String {
    #[cfg(feature = "hydrate")]
    if let Ok(origin) = window().location().origin() {
        return format!("{origin}{path}");
    }
    path.to_owned()
}

fn describe(change: Change, done: &AccountChange) -> String {
    let ended = match done.ended_sessions {
        0 => String::new(),
        1 => " 1 session ended.".to_owned(),
        n => format!(" {n} sessions ended."),
    };
    format!("{}: {} done.{ended}", done.email, change.label())
}

/// `/admin/users`.
#[component]
pub fn UsersPage() -> impl IntoView {
    let tick = use_live_tick();
    let reload = RwSignal::new(0u64);
    let filter = RwSignal::new(String::new());
    let sort = RwSignal::new("email".to_owned());
    let page = RwSignal::new(0i64);
    let accounts = Resource::new(
        move || {
            (
                tick.get(),
                reload.get(),
                filter.get(),
                sort.get(),
                page.get(),
            )
        },
        |(_, _, filter, sort, page)| admin_users(Some(filter), Some(sort), Some(page)),
    );
    let reauth = use_reauth();
    let message = RwSignal::new(None::<Result<String, String>>);
    let link = RwSignal::new(None::<String>);
    // The change waiting for confirmation, with what it would end.
    let confirming = RwSignal::new(None::<(Change, AccountRow, Impact)>);

    let ask = move |change: Change, row: AccountRow| {
        spawn_local(async move {
            match admin_user_impact(row.email.clone()).await {
                Ok(impact) => confirming.set(Some((change, row, impact))),
                Err(err) => report(message, Err(err)),
            }
        });
    };
    let confirm = move |_| {
        let Some((change, row, _)) = confirming.get_untracked() else {
            return;
        };
        confirming.set(None);
        spawn_local(async move {
            let result = reauth.run(|| change.run(row.clone())).await;
            if let Ok(AccountChange {
                link: Some(path), ..
            }) = &result
            {
                link.set(Some(absolute(path)));
            }
            report(message, result.map(|done| describe(change, &done)));
            reload.update(|n| *n += 1);
        });
    };

    let new_email = RwSignal::new(String::new());
    let new_role = RwSignal::new("user".to_owned());
    let new_password = RwSignal::new(String::new());
    let with_link = RwSignal::new(false);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        spawn_local(async move {
            let (email, role) = (new_email.get_untracked(), new_role.get_untracked());
            let password = (!with_link.get_untracked()).then(|| new_password.get_untracked());
            let by_link = with_link.get_untracked().then(|| "true".to_owned());
            let result = reauth
                .run(|| {
                    admin_create_user(
                        email.clone(),
                        role.clone(),
                        password.clone(),
                        by_link.clone(),
                    )
                })
                .await;
            match &result {
                Ok(created) => {
                    link.set(created.link.as_deref().map(absolute));
                    new_email.set(String::new());
                    new_password.set(String::new());
                }
                Err(_) => link.set(None),
            }
            report(
                message,
                result.map(|c| format!("Account {} created.", c.email)),
            );
            reload.update(|n| *n += 1);
        });
    };

    view! {
        <AppHeader/>
        <main class="page">
            <section class="card">
                <h1>"Users"</h1>
                <Outcome outcome=message/>
                {move || link.get().map(|l| view! {
                    <div class="notice">
                        <p>"Hand this one-time link to the person (it works once, for 24 hours; it is not shown again):"</p>
                        <code data-testid="set-password-link">{l}</code>
                    </div>
                })}
                {move || confirming.get().map(|(change, _, impact)| view! {
                    <div class="confirm" role="alertdialog" aria-labelledby="confirm-text">
                        <p id="confirm-text">{change.consequence(&impact)}</p>
                        <div class="actions">
                            <button type="button" class="secondary" on:click=move |_| confirming.set(None)>"Cancel"</button>
                            <button type="button" class="danger" on:click=confirm>{change.label()}</button>
                        </div>
                    </div>
                })}
                <div class="toolbar">
                    <label for="user-filter">"Filter"</label>
                    <input id="user-filter" type="text" placeholder="e-mail" prop:value=move || filter.get()
                        on:input=move |ev| { filter.set(event_target_value(&ev)); page.set(0); }/>
                    <label for="user-sort">"Sort by"</label>
                    <select id="user-sort" on:change=move |ev| { sort.set(event_target_value(&ev)); page.set(0); }>
                        <option value="email">"E-mail"</option>
                        <option value="newest">"Newest"</option>
                        <option value="last_sign_in">"Last sign-in"</option>
                        <option value="role">"Role"</option>
                    </select>
                </div>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || accounts.get().map(|result| match result {
                        Ok(list) => {
                            let pages = (list.total + list.page_size - 1) / list.page_size.max(1);
                            let current = list.page;
                            view! {
                                <div class="table-wrap">
                                <table data-testid="users">
                                    <thead><tr><th>"E-mail"</th><th>"Role"</th><th>"Created"</th><th>"Last sign-in"</th><th>"Live sessions"</th><th>"Remembered"</th><th></th></tr></thead>
                                    <tbody>
                                        {list.accounts.into_iter().map(|row| {
                                            let history = format!("/admin?email={}", row.email);
                                            view! {
                                                <tr data-email=row.email.clone()>
                                                    <td>{row.email.clone()}
                                                        {row.disabled.then(|| view! { <span class="badge muted-badge">"disabled"</span> })}</td>
                                                    <td>{row.role.as_str()}</td>
                                                    <td>{format_time(row.created_at)}</td>
                                                    <td>{row.last_sign_in_ms.map(format_time_ms).unwrap_or_else(|| "never".into())}</td>
                                                    <td data-testid="live-sessions">{row.live_sessions}</td>
                                                    <td>{row.remember_tokens}</td>
                                                    <td class="row-actions wrap">
                                                        <a class="button secondary" href=history>"History"</a>
                                                        {Change::offered(&row).into_iter().map(|change| {
                                                            let row = row.clone();
                                                            view! {
                                                                <button type="button" class="secondary" on:click=move |_| ask(change, row.clone())>{change.label()}</button>
                                                            }
                                                        }).collect_view()}
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                </div>
                                <div class="pager">
                                    <button type="button" class="secondary" disabled={current == 0} on:click=move |_| page.update(|p| *p -= 1)>"Previous"</button>
                                    <span class="muted">{format!("Page {} of {} · {} accounts", current + 1, pages.max(1), list.total)}</span>
                                    <button type="button" class="secondary" disabled={current + 1 >= pages} on:click=move |_| page.update(|p| *p += 1)>"Next"</button>
                                </div>
                            }.into_any()
                        }
                        Err(err) => load_failed(err),
                    })}
                </Transition>
            </section>
            <section class="card">
                <h2>"Add an account"</h2>
                <form class="stack" on:submit=create>
                    <label for="new-email">"E-mail"</label>
                    <input id="new-email" type="email" required prop:value=move || new_email.get()
                        on:input=move |ev| new_email.set(event_target_value(&ev))/>
                    <label for="new-role">"Role"</label>
                    <select id="new-role" on:change=move |ev| new_role.set(event_target_value(&ev))>
                        <option value="user">"User"</option>
                        <option value="admin">"Admin"</option>
                    </select>
                    <label class="check" for="new-with-link">
                        <input id="new-with-link" type="checkbox" prop:checked=move || with_link.get()
                            on:change=move |ev| with_link.set(event_target_checked(&ev))/>
                        "Give them a one-time link to set their own password"
                    </label>
                    <Show when=move || !with_link.get()>
                        <label for="new-initial-password">"Initial password"</label>
                        <input id="new-initial-password" type="password" autocomplete="new-password" minlength="10" required
                            prop:value=move || new_password.get()
                            on:input=move |ev| new_password.set(event_target_value(&ev))/>
                    </Show>
                    <button type="submit" class="primary">"Add account"</button>
                </form>
            </section>
        </main>
    }
}
