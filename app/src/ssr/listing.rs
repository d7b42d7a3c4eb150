//! Turning stored sessions into [`SessionInfo`] rows, and the admin list's pages of them.
use super::{
    auth::AuthState,
    context::{db_unavailable, store_unavailable, ServerState},
};
use crate::{
    error::ApiError,
    model::{Dashboard, SessionInfo, SessionKey},
    policy::Policy,
};

/// Sessions per page of the admin list.
pub const PAGE_SIZE: usize = 100;

/// Most accounts whose sessions a filtered admin list follows.
pub const FILTER_ACCOUNTS: i64 = 200;

/// One page of everyone's live sessions, most recently active first (`current`: the caller's
/// own, marked). Unfiltered, a page is one read of the store's index and one batched load of
/// its records, and the total is the index's size; filtered, the accounts whose e-mail
/// contains `filter` are found in the accounts table and their sessions read from their
/// per-user indexes. The activity chart is left empty for the caller.
pub async fn everyone(
    state: &ServerState,
    filter: &str,
    page: usize,
    current: Option<&SessionKey>,
) -> Result<Dashboard, ApiError> {
    let skip = page.saturating_mul(PAGE_SIZE);
    let (sessions, total, filter_capped) = if filter.trim().is_empty() {
        let total = state
            .registry
            .count_all()
            .await
            .map_err(store_unavailable)?;
        let sessions = state
            .registry
            .list_recent(skip, PAGE_SIZE)
            .await
            .map_err(store_unavailable)?;
        (sessions, total, false)
    } else {
        let pattern = super::users::contains_pattern(filter).map_err(ApiError::bad_request)?;
        let (users, capped) = state
            .users
            .ids_with_email_containing(&pattern, FILTER_ACCOUNTS)
            .await
            .map_err(db_unavailable)?;
        let mut sessions = state
            .registry
            .list_users(&users)
            .await
            .map_err(store_unavailable)?;
        sessions.sort_by(|(a_key, a), (b_key, b)| {
            b.last_seen_ms
                .cmp(&a.last_seen_ms)
                .then_with(|| a_key.as_str().cmp(b_key.as_str()))
        });
        let total = sessions.len();
        let on_page = sessions.into_iter().skip(skip).take(PAGE_SIZE).collect();
        (on_page, total, capped)
    };
    let policy = state.policy.current();
    Ok(Dashboard {
        sessions: sessions
            .iter()
            .map(|(key, auth)| session_info(key, auth, &policy, current))
            .collect(),
        activity: Vec::new(),
        total,
        page,
        page_size: PAGE_SIZE,
        filter_capped,
    })
}

/// Browser, OS and device class from a User-Agent (woothee).
pub fn describe_agent(user_agent: &str) -> (String, String, String) {
    let known = |v: &str, fallback: &str| {
        if v.is_empty() || v == "UNKNOWN" {
            fallback.to_owned()
        } else {
            v.to_owned()
        }
    };
    match woothee::parser::Parser::new().parse(user_agent) {
        Some(ua) => {
            let name = known(ua.name, "Unknown browser");
            let browser = match ua.version {
                "UNKNOWN" | "" => name,
                version => format!("{name} {}", version.split('.').next().unwrap_or(version)),
            };
            (
                browser,
                known(ua.os, "Unknown OS"),
                known(ua.category, "unknown"),
            )
        }
        None => (
            "Unknown browser".into(),
            "Unknown OS".into(),
            "unknown".into(),
        ),
    }
}

/// A listing row for the session stored under `key`.
pub fn session_info(
    key: &SessionKey,
    auth: &AuthState,
    policy: &Policy,
    current: Option<&SessionKey>,
) -> SessionInfo {
    let (browser, os, device) = describe_agent(&auth.user_agent);
    let deadlines = auth.deadlines(policy);
    SessionInfo {
        handle: key.clone(),
        user_id: auth.user_id.clone(),
        email: auth.email.clone(),
        role: auth.role,
        created_at: auth.created_at,
        last_seen: auth.last_seen,
        idle_expires_at: deadlines.idle_at(),
        absolute_expires_at: deadlines.absolute_at(),
        ip: auth.ip.clone(),
        browser,
        os,
        device,
        remembered: auth.remembered,
        auth_method: auth.method(),
        authenticated_at: auth.authenticated_at,
        current: current == Some(key),
    }
}

#[cfg(test)]
mod tests {
    use super::describe_agent;

    #[test]
    fn parses_common_agents() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
        assert_eq!(
            describe_agent(chrome),
            ("Chrome 156".into(), "Linux".into(), "pc".into())
        );
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        let (browser, os, device) = describe_agent(iphone);
        assert_eq!(
            (browser.as_str(), os.as_str(), device.as_str()),
            ("Safari 17", "iPhone", "smartphone")
        );
        assert_eq!(describe_agent("").0, "Unknown browser");
    }
}
