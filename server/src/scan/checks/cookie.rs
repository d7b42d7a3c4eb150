//! The session cookie's attributes.
use super::Scan;
use crate::scan::{client::SetCookie, report::Severity};

/// Cookie names frameworks use by default (a name that tells an attacker the stack).
const DEFAULT_NAMES: &[&str] = &[
    "connect.sid",
    "PHPSESSID",
    "JSESSIONID",
    "ASP.NET_SessionId",
    "session",
    "sessionid",
    "sid",
    "laravel_session",
    "_session_id",
    "rack.session",
];

impl Scan<'_> {
    /// The session cookie's attributes, as the sign-in set it.
    pub fn cookie_attributes(&mut self, set: &SetCookie) {
        let https = self.client.https();
        let line = vec![format!("set-cookie: {}", set.line)];
        if set.http_only {
            self.pass("cookie-httponly");
        } else {
            self.find(
                "cookie-httponly",
                Severity::High,
                format!(
                    "The session cookie {} is readable by scripts (no HttpOnly)",
                    set.name
                ),
                line.clone(),
                "Set HttpOnly on the session cookie, so an XSS cannot read the session id.",
                "ASVS 5.0 3.3.4; WSTG-SESS-02",
            );
        }
        if set.secure {
            self.pass("cookie-secure");
        } else {
            self.find(
                "cookie-secure",
                if https {
                    Severity::High
                } else {
                    Severity::Medium
                },
                format!(
                    "The session cookie {} may travel over plain HTTP (no Secure)",
                    set.name
                ),
                line.clone(),
                "Set Secure on the session cookie (and serve only over HTTPS).",
                "ASVS 5.0 3.3.1; WSTG-SESS-02",
            );
        }
        match set.same_site.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("lax") | Some("strict") => self.pass("cookie-samesite"),
            other => self.find("cookie-samesite", Severity::Medium, format!("The session cookie has SameSite={}", other.unwrap_or("(not set)")), line.clone(),
                "Set SameSite=Lax (or Strict) on the session cookie, so other sites' requests do not carry it.", "ASVS 5.0 3.3.2; WSTG-SESS-02"),
        }
        if set.name.starts_with("__Host-") {
            self.pass("cookie-host-prefix");
        } else {
            self.find("cookie-host-prefix", Severity::Low, format!("The session cookie {} has no __Host- prefix", set.name), line.clone(),
                "Name it __Host-… (with Secure, Path=/ and no Domain): the browser then refuses it from subdomains and plain HTTP.", "ASVS 5.0 3.3.1; the article: __Host- prefix");
        }
        if let Some(domain) = &set.domain {
            self.find(
                "cookie-domain",
                Severity::Medium,
                format!("The session cookie is sent to every host under {domain}"),
                line.clone(),
                "Leave Domain unset, so the cookie goes only to the host that set it.",
                "ASVS 5.0 3.3.1; WSTG-SESS-02",
            );
        } else {
            self.pass("cookie-domain");
        }
        if set.persistent {
            self.find("cookie-persistent", Severity::Low, "The session cookie outlives the browser (Max-Age/Expires)", line.clone(),
                "Give the session cookie no Max-Age/Expires; let the server enforce the session's lifetime (a separate remember-me token can outlive it).", "OWASP Session Management Cheat Sheet: non-persistent cookies");
        } else {
            self.pass("cookie-persistent");
        }
        if DEFAULT_NAMES
            .iter()
            .any(|n| n.eq_ignore_ascii_case(&set.name))
        {
            self.find("cookie-default-name", Severity::Low, format!("The session cookie has a framework's default name ({})", set.name), line,
                "Rename the session cookie to something generic (it tells attackers which stack to aim at).", "OWASP Session Management Cheat Sheet: session ID name fingerprinting");
        } else {
            self.pass("cookie-default-name");
        }
    }
}
