//! The checks, each a function that observes the target and returns what it found. Every
//! finding carries its stable id, the response lines that show it, the fix and a reference.
use super::{
    client::{Answer, Call, Client, SetCookie},
    ids,
    report::{Finding, Severity},
    target::{Jar, ScanError, SignedIn, Target},
    Options,
};

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

/// What the checks share: the client, the target, the session cookie's name, and what was
/// found, passed or skipped.
pub struct Scan<'a> {
    pub client: Client,
    pub target: &'a Target,
    pub options: &'a Options,
    pub cookie: String,
    /// The session cookie's `SameSite`, as set.
    pub same_site: Option<String>,
    pub findings: Vec<Finding>,
    pub passed: Vec<&'static str>,
    pub skipped: Vec<super::report::Skipped>,
}

impl Scan<'_> {
    fn find(
        &mut self,
        id: &'static str,
        severity: Severity,
        title: impl Into<String>,
        evidence: Vec<String>,
        fix: &'static str,
        reference: &'static str,
    ) {
        self.findings.push(Finding {
            id,
            title: title.into(),
            severity,
            evidence,
            fix,
            reference,
        });
    }

    fn pass(&mut self, id: &'static str) {
        self.passed.push(id);
    }

    fn skip(&mut self, check: &'static str, why: impl Into<String>) {
        self.skipped.push(super::report::Skipped {
            check,
            why: why.into(),
        });
    }

    /// Signs in afresh.
    pub async fn sign_in(&mut self, jar: Jar) -> Result<SignedIn, ScanError> {
        self.target.sign_in(&mut self.client, jar).await
    }

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

    /// Fresh ids from `samples` sign-ins: repeats, counters, shared prefixes, bits, and the
    /// NIST monobit and runs tests.
    pub async fn id_strength(&mut self, first: &str) -> Result<(), ScanError> {
        let mut values = vec![first.to_owned()];
        while values.len() < self.options.samples {
            let signed = self.sign_in(Jar::default()).await?;
            if let Some(v) = signed.jar.get(&self.cookie) {
                values.push(v.to_owned());
            }
            if let Some(bar) = &self.options.progress {
                bar.inc(1);
            }
        }
        let s = ids::measure(&values);
        let sample = |values: &[String]| {
            values
                .iter()
                .take(3)
                .map(|v| format!("id: {v}"))
                .collect::<Vec<_>>()
        };
        if s.repeats > 0 {
            self.find(
                "id-repeats",
                Severity::Critical,
                format!(
                    "{} of {} fresh sign-ins got an id another one had",
                    s.repeats,
                    values.len()
                ),
                sample(&values),
                "Generate ids with a CSPRNG, at least 128 bits, never reused.",
                "ASVS 5.0 3.2.2; WSTG-SESS-01",
            );
        } else {
            self.pass("id-repeats");
        }
        if s.counter {
            self.find(
                "id-counter",
                Severity::Critical,
                "Session ids go up like a counter",
                sample(&values),
                "Generate ids with a CSPRNG; never derive them from a counter, time or user data.",
                "ASVS 5.0 3.2.2; WSTG-SESS-01",
            );
        } else {
            self.pass("id-counter");
        }
        if s.bits < 128.0 {
            self.find(
                "id-bits",
                if s.bits < 64.0 {
                    Severity::Critical
                } else if s.bits < 96.0 {
                    Severity::High
                } else {
                    Severity::Medium
                },
                format!(
                    "Session ids carry at most {:.0} bits of randomness (128 needed)",
                    s.bits
                ),
                vec![format!(
                    "shared prefix {} characters, {:.2} bits per character observed",
                    s.shared_prefix, s.entropy_per_char
                )],
                "Use at least 128 bits from a CSPRNG (e.g. 16 random bytes, hex or base64url).",
                "ASVS 5.0 3.2.2; WSTG-SESS-01",
            );
        } else {
            self.pass("id-bits");
        }
        if s.decoded_bits < 100 {
            self.skip(
                "id-bias",
                "the ids are neither hex nor base64, so their bits could not be tested",
            );
        } else if s.monobit_p < 0.001 || s.runs_p < 0.001 {
            self.find(
                "id-bias",
                Severity::Medium,
                "The ids' bits fail NIST SP 800-22 tests (monobit/runs)",
                vec![format!(
                    "monobit p = {:.5}, runs p = {:.5} over {} ids",
                    s.monobit_p,
                    s.runs_p,
                    values.len()
                )],
                "Use a CSPRNG, and encode its output without structure.",
                "NIST SP 800-22 2.1, 2.3; WSTG-SESS-01",
            );
        } else {
            self.pass("id-bias");
        }
        Ok(())
    }

    /// A planted id, and one the server itself issued before sign-in, must not survive it.
    pub async fn fixation(&mut self, anonymous: Option<String>) -> Result<(), ScanError> {
        let planted = format!("planted{}", hex::encode(rand::random::<[u8; 16]>()));
        let signed = self
            .sign_in(Jar::default().with(&self.cookie, &planted))
            .await?;
        let kept = signed.jar.get(&self.cookie) == Some(planted.as_str());
        let works = kept && self.target.reaches(&mut self.client, &signed.jar).await?;
        if works {
            self.find("fixation-planted", Severity::High, "An id planted before sign-in is still the session's id after it", vec![format!("cookie before and after sign-in: {}={planted}", self.cookie)],
                "Issue a new session id on sign-in (and on every privilege change); never adopt an id the browser brought.", "ASVS 5.0 3.2.1; WSTG-SESS-03");
        } else {
            self.pass("fixation-planted");
        }
        match anonymous {
            Some(before) => {
                let signed = self
                    .sign_in(Jar::default().with(&self.cookie, &before))
                    .await?;
                if signed.jar.get(&self.cookie) == Some(before.as_str()) {
                    self.find(
                        "fixation-anonymous",
                        Severity::High,
                        "The anonymous session the server issued keeps its id through sign-in",
                        vec![format!("{}={before} before and after", self.cookie)],
                        "Regenerate the session id when the user signs in.",
                        "ASVS 5.0 3.2.1; WSTG-SESS-03",
                    );
                } else {
                    self.pass("fixation-anonymous");
                }
            }
            None => self.pass("fixation-anonymous"),
        }
        Ok(())
    }

    /// Sign-out ends the session on the server; a GET does not sign out.
    pub async fn logout(&mut self) -> Result<(), ScanError> {
        let Some(logout) = self.target.logout.clone() else {
            self.skip("logout-server", "no --logout given");
            return Ok(());
        };
        let signed = self.sign_in(Jar::default()).await?;
        let answer = self
            .target
            .call(&mut self.client, &logout, &signed.jar)
            .await?;
        if answer.status >= 400 {
            // Refused (a CSRF token it wants, a wrong path): nothing was observed.
            self.skip(
                "logout-server",
                format!(
                    "the sign-out answered HTTP {}; check --logout",
                    answer.status
                ),
            );
        } else if self.target.reaches(&mut self.client, &signed.jar).await? {
            let mut evidence = answer.evidence(&["set-cookie"]);
            evidence.push("the old cookie still reaches the probe after sign-out".into());
            self.find("logout-server", Severity::High, "Sign-out only clears the cookie: the session still works on the server", evidence,
                "Destroy the session on the server at sign-out (delete the record), not only the cookie.", "ASVS 5.0 3.3.3; WSTG-SESS-06");
        } else {
            self.pass("logout-server");
        }
        if logout.method.eq_ignore_ascii_case("GET") {
            self.find(
                "logout-get",
                Severity::Medium,
                "Sign-out is a GET: any page can sign users out with an image tag",
                vec![format!("GET {}", logout.path)],
                "Make sign-out a POST (with the CSRF protections of any state change).",
                "ASVS 5.0 3.5.3; WSTG-SESS-05",
            );
            return Ok(());
        }
        let signed = self.sign_in(Jar::default()).await?;
        let get = super::target::Endpoint {
            method: "GET".into(),
            path: logout.path.clone(),
        };
        let answer = self
            .target
            .call(&mut self.client, &get, &signed.jar)
            .await?;
        if !self.target.reaches(&mut self.client, &signed.jar).await? {
            self.find(
                "logout-get",
                Severity::Medium,
                "A GET to the sign-out path signs the user out",
                answer.evidence(&["location"]),
                "Sign out only on POST (refuse GET with 405).",
                "ASVS 5.0 3.5.3; WSTG-SESS-05",
            );
        } else {
            self.pass("logout-get");
        }
        Ok(())
    }

    /// Signing out everywhere ends a second session too.
    pub async fn logout_all(&mut self) -> Result<(), ScanError> {
        let Some(all) = self.target.logout_all.clone() else {
            self.skip("logout-everywhere", "no --logout-all given");
            return Ok(());
        };
        let first = self.sign_in(Jar::default()).await?;
        let second = self.sign_in(Jar::default()).await?;
        let answer = self.target.call(&mut self.client, &all, &first.jar).await?;
        if answer.status >= 400 {
            self.skip(
                "logout-everywhere",
                format!(
                    "the sign-out everywhere answered HTTP {}; check --logout-all",
                    answer.status
                ),
            );
        } else if self.target.reaches(&mut self.client, &second.jar).await? {
            let mut evidence = answer.evidence(&[]);
            evidence.truncate(1);
            evidence.push("a second session still reaches the probe".into());
            self.find("logout-everywhere", Severity::Medium, "Sign-out everywhere leaves other sessions alive", evidence,
                "End every session of the user on the server (a per-user index or generation counter).", "ASVS 5.0 3.3.4 (terminate all sessions)");
        } else {
            self.pass("logout-everywhere");
        }
        Ok(())
    }

    /// The id never appears in a URL: redirects, links, bodies.
    pub fn id_in_url(&mut self, signed: &SignedIn, probe: &Answer) {
        let Some(id) = signed.jar.get(&self.cookie).map(ids::random_part) else {
            return;
        };
        if id.len() < 8 {
            return;
        }
        let mut seen = Vec::new();
        for (what, answer) in [("sign-in", &signed.answer), ("probe", probe)] {
            if let Some(location) = answer.header("location").filter(|l| l.contains(&id)) {
                seen.push(format!("{what} location: {location}"));
            }
            if answer.body.contains(&format!("={id}")) || answer.body.contains(&format!("/{id}")) {
                seen.push(format!("{what} body holds a URL with the id"));
            }
        }
        if seen.is_empty() {
            self.pass("id-in-url");
        } else {
            self.find("id-in-url", Severity::High, "The session id appears in a URL", seen,
                "Carry the session id only in a cookie; never in URLs (they end up in logs, history and Referer headers).", "ASVS 5.0 3.1.1; WSTG-SESS-04");
        }
    }

    /// Signed-in answers are not cacheable.
    pub fn no_store(&mut self, probe: &Answer) {
        let cache = probe
            .header("cache-control")
            .unwrap_or("")
            .to_ascii_lowercase();
        if cache.contains("no-store") {
            self.pass("cache-no-store");
        } else {
            self.find(
                "cache-no-store",
                Severity::Medium,
                "Signed-in answers may be cached (no Cache-Control: no-store)",
                vec![format!(
                    "cache-control: {}",
                    probe.header("cache-control").unwrap_or("(none)")
                )],
                "Send Cache-Control: no-store on every authenticated response.",
                "ASVS 5.0 14.3.2; WSTG-ATHN-06",
            );
        }
    }

    /// A state change from another site is refused.
    pub async fn csrf(&mut self) -> Result<(), ScanError> {
        let Some(logout) = self
            .target
            .logout
            .clone()
            .filter(|l| !l.method.eq_ignore_ascii_case("GET"))
        else {
            self.skip("csrf-foreign-origin", "needs a non-GET --logout to try");
            return Ok(());
        };
        let signed = self.sign_in(Jar::default()).await?;
        let call = Call::new(&logout.method, &logout.path)
            .cookies(signed.jar.header())
            .header("origin", "https://attacker.example")
            .header("sec-fetch-site", "cross-site");
        let answer = self.client.send(call).await?;
        if !self.target.reaches(&mut self.client, &signed.jar).await? {
            let mut evidence = answer.evidence(&[]);
            evidence.truncate(1);
            evidence.insert(
                0,
                format!(
                    "{} {} with Origin: https://attacker.example, Sec-Fetch-Site: cross-site",
                    logout.method, logout.path
                ),
            );
            evidence.push("the session ended".into());
            // With SameSite=Lax/Strict a browser would not send the cookie from another site:
            // exploitable only where SameSite is bypassed (a sibling subdomain, an old browser).
            let shielded = self
                .same_site
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("lax") || s.eq_ignore_ascii_case("strict"));
            if shielded {
                evidence
                    .push("the cookie's SameSite keeps browsers from sending it cross-site".into());
            }
            let severity = if shielded {
                Severity::Low
            } else {
                Severity::Medium
            };
            self.find("csrf-foreign-origin", severity, "A state change sent from another site is carried out", evidence,
                "Refuse state-changing requests whose Origin is not yours or whose Sec-Fetch-Site is not same-origin (or require a CSRF token).", "ASVS 5.0 3.5.1; WSTG-SESS-05");
        } else {
            self.pass("csrf-foreign-origin");
        }
        Ok(())
    }

    /// The sign-in page's security headers.
    pub fn headers(&mut self, page: &Answer) {
        let csp = page
            .header("content-security-policy")
            .unwrap_or("")
            .to_ascii_lowercase();
        let checks: [(&'static str, bool, Severity, &str, &'static str, &'static str); 5] = [
            ("headers-csp", !csp.is_empty(), Severity::Low, "No Content-Security-Policy on the sign-in page",
                "Send a Content-Security-Policy (script-src with nonces, object-src 'none', base-uri 'none', frame-ancestors 'none').", "ASVS 5.0 3.4.3"),
            ("headers-nosniff", page.header("x-content-type-options").is_some_and(|v| v.eq_ignore_ascii_case("nosniff")), Severity::Low, "No X-Content-Type-Options: nosniff",
                "Send X-Content-Type-Options: nosniff.", "ASVS 5.0 3.4.4"),
            ("headers-framing", csp.contains("frame-ancestors") || page.header("x-frame-options").is_some(), Severity::Medium, "The sign-in page may be framed (clickjacking)",
                "Send Content-Security-Policy: frame-ancestors 'none' (or X-Frame-Options: DENY).", "ASVS 5.0 3.4.6"),
            ("headers-referrer", page.header("referrer-policy").is_some(), Severity::Low, "No Referrer-Policy",
                "Send Referrer-Policy: no-referrer (or strict-origin-when-cross-origin).", "ASVS 5.0 3.4.5"),
            ("headers-hsts", !self.client.https() || page.header("strict-transport-security").is_some_and(|v| v.to_ascii_lowercase().contains("max-age=")), Severity::Medium, "No Strict-Transport-Security over HTTPS",
                "Send Strict-Transport-Security: max-age=31536000; includeSubDomains.", "ASVS 5.0 3.4.1"),
        ];
        for (id, ok, severity, title, fix, reference) in checks {
            if ok {
                self.pass(id);
            } else {
                let evidence = page.evidence(&[
                    "content-security-policy",
                    "x-content-type-options",
                    "x-frame-options",
                    "referrer-policy",
                    "strict-transport-security",
                ]);
                self.find(id, severity, title, evidence, fix, reference);
            }
        }
    }

    /// Opt-in: a session left alone for `idle` seconds has ended, one used meanwhile has not;
    /// a session used all along has ended after `absolute` seconds.
    pub async fn timeouts(&mut self) -> Result<(), ScanError> {
        let slack = std::time::Duration::from_secs(2);
        if let Some(idle) = self.options.idle {
            let left = self.sign_in(Jar::default()).await?;
            let used = self.sign_in(Jar::default()).await?;
            let step = std::time::Duration::from_secs((idle / 3).max(1));
            let end = std::time::Instant::now() + std::time::Duration::from_secs(idle) + slack;
            let mut kept_alive = true;
            while std::time::Instant::now() < end {
                tokio::time::sleep(step).await;
                kept_alive &= self.target.reaches(&mut self.client, &used.jar).await?;
            }
            let left_alive = self.target.reaches(&mut self.client, &left.jar).await?;
            if left_alive {
                self.find("idle-timeout", Severity::Medium, format!("A session left alone for {idle} s still works"), vec![format!("probe after {} s idle: 2xx", idle + 2)],
                    "End sessions on the server after the idle timeout (15-30 minutes for most apps).", "ASVS 5.0 7.3.1; WSTG-SESS-07");
            } else if !kept_alive {
                self.find(
                    "idle-timeout",
                    Severity::Low,
                    format!(
                        "A session in use every {} s ended within {idle} s",
                        step.as_secs()
                    ),
                    vec!["activity does not extend the session".into()],
                    "Move the idle deadline on activity.",
                    "ASVS 5.0 7.3.1",
                );
            } else {
                self.pass("idle-timeout");
            }
        }
        if let Some(absolute) = self.options.absolute {
            let used = self.sign_in(Jar::default()).await?;
            let end = std::time::Instant::now() + std::time::Duration::from_secs(absolute) + slack;
            let step = std::time::Duration::from_secs((absolute / 5).max(1));
            let mut alive = true;
            while std::time::Instant::now() < end && alive {
                tokio::time::sleep(step).await;
                alive = self.target.reaches(&mut self.client, &used.jar).await?;
            }
            if alive {
                self.find(
                    "absolute-timeout",
                    Severity::Medium,
                    format!("A session in constant use still works after {absolute} s"),
                    vec![],
                    "End every session after an absolute lifetime, however active.",
                    "ASVS 5.0 7.3.2; WSTG-SESS-07",
                );
            } else {
                self.pass("absolute-timeout");
            }
        }
        Ok(())
    }
}
