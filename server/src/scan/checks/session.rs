//! A session's life: fixation, sign-out, ids in URLs, caching, cross-site state changes and
//! (opt-in) timeouts.
use super::Scan;
use crate::scan::{
    client::{Answer, Call},
    ids,
    report::Severity,
    target::{Jar, ScanError, SignedIn},
};

impl Scan<'_> {
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
        let get = crate::scan::target::Endpoint {
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
