//! The checks, each a method of [`Scan`] that observes the target and records what it found.
//! Every finding carries its stable id, the response lines that show it, the fix and a
//! reference. One file per subject: the cookie ([`cookie`]), id strength ([`strength`]), the
//! session's life (fixation, sign-out, URLs, caching, cross-site requests, timeouts:
//! [`session`]) and the sign-in page's headers ([`headers`]).
mod cookie;
mod headers;
mod session;
mod strength;

use super::{
    client::Client,
    report::{Finding, Severity},
    target::{Jar, ScanError, SignedIn, Target},
    Options,
};

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
}
