//! Turning stored sessions into [`SessionInfo`] rows.
use super::auth::AuthState;
use crate::{
    model::{SessionInfo, SessionKey},
    policy::Policy,
};

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
