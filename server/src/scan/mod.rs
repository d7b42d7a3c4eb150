//! `hallpass audit <BASE_URL>`: a black-box scan of any web app's session handling, graded
//! against the practices Hallpass itself embodies.
//!
//! It needs only HTTP access and one test account ([`Target`]): how to sign in, a probe that
//! answers 2xx only when signed in, and optionally the sign-out endpoints. It signs in as a
//! browser would, finds which cookie is the session (the one the probe cannot do without),
//! and then checks, each a [`report::Finding`] with a stable id:
//! - the cookie's attributes (HttpOnly, Secure, SameSite, `__Host-`, Domain, persistence,
//!   default names);
//! - id strength over `samples` fresh sign-ins (repeats, counters, shared prefixes, bits,
//!   NIST SP 800-22 monobit and runs);
//! - fixation (a planted id; an anonymous id the server issued);
//! - sign-out on the server, GET sign-out, sign-out everywhere;
//! - ids in URLs, `no-store` on signed-in answers, a cross-site state change;
//! - the sign-in page's headers; opt-in idle and absolute timeouts (they wait).
//!
//! Requests are paced (`rps`), bounded (`max_requests`) and never leave the target's host.
pub mod checks;
pub mod client;
pub mod command;
pub mod ids;
pub mod own;
pub mod report;
pub mod target;

use client::{Call, Client};
pub use report::{Report, Severity};
pub use target::{Credentials, Endpoint, ScanError, Target};

/// How to scan.
#[derive(Clone, Debug)]
pub struct Options {
    /// Fresh sign-ins for the id strength checks (at least 2).
    pub samples: usize,
    /// Prove the idle timeout: seconds (opt-in: the scan waits that long).
    pub idle: Option<u64>,
    /// Prove the absolute timeout: seconds (opt-in: the scan waits that long).
    pub absolute: Option<u64>,
    /// Requests a second.
    pub rps: f64,
    /// Requests in all.
    pub max_requests: u32,
    /// Where to show progress (a terminal bar), if anywhere.
    pub progress: Option<indicatif::ProgressBar>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            samples: 50,
            idle: None,
            absolute: None,
            rps: 10.0,
            max_requests: 1000,
            progress: None,
        }
    }
}

/// Scans `base` (`https://app.example`) as `target` describes.
pub async fn run(base: &url::Url, target: &Target, options: &Options) -> Result<Report, ScanError> {
    let mut client = Client::new(base.clone(), options.rps, options.max_requests);
    let step = |msg: &'static str| {
        if let Some(bar) = &options.progress {
            bar.set_message(msg);
            bar.inc(1);
        }
    };
    // Signed out, the probe must refuse: otherwise it proves nothing.
    let anonymous = client
        .send(Call::new(&target.probe.method, &target.probe.path))
        .await?;
    if anonymous.ok() {
        return Err(ScanError::Probe(format!(
            "the probe {} answers {} without signing in: give a page that needs a session",
            target.probe.path, anonymous.status
        )));
    }
    step("signing in");
    let signed = target.sign_in(&mut client, Default::default()).await?;
    let probe = client
        .send(Call::new(&target.probe.method, &target.probe.path).cookies(signed.jar.header()))
        .await?;
    if !probe.ok() {
        return Err(ScanError::Probe(format!(
            "after signing in, the probe {} answers {}: check the credentials and --probe",
            target.probe.path, probe.status
        )));
    }
    // The session cookie is the one the probe cannot do without.
    step("finding the session cookie");
    let mut cookie = None;
    for (name, _) in &signed.jar.0 {
        if !target
            .reaches(&mut client, &signed.jar.without(name))
            .await?
        {
            cookie = Some(name.clone());
            break;
        }
    }
    let Some(cookie) = cookie else {
        return Err(ScanError::Probe(
            "no cookie is needed by the probe: the session is not carried in a cookie (or the probe is not protected)".into(),
        ));
    };
    // Set by the sign-in, or (a fixation flaw) already by the sign-in page and kept.
    let Some(set) = signed
        .answer
        .cookie(&cookie)
        .or_else(|| signed.page.cookie(&cookie))
        .cloned()
    else {
        return Err(ScanError::Probe(format!(
            "the session cookie {cookie} was not set by the sign-in page or the sign-in"
        )));
    };
    // An anonymous session the server issued before sign-in (to the sign-in page).
    let anonymous_id = signed.page.cookie(&cookie).map(|c| c.value.clone());
    let mut scan = checks::Scan {
        client,
        target,
        options,
        cookie,
        same_site: set.same_site.clone(),
        findings: Vec::new(),
        passed: Vec::new(),
        skipped: Vec::new(),
    };
    scan.cookie_attributes(&set);
    scan.id_in_url(&signed, &probe);
    scan.no_store(&probe);
    scan.headers(&signed.page);
    step("fixation");
    scan.fixation(anonymous_id).await?;
    step("sign-out");
    scan.logout().await?;
    scan.logout_all().await?;
    step("cross-site requests");
    scan.csrf().await?;
    step("id strength");
    scan.id_strength(&set.value).await?;
    if options.idle.is_some() || options.absolute.is_some() {
        step("timeouts (waiting)");
    }
    scan.timeouts().await?;
    if let Some(bar) = &options.progress {
        bar.finish_and_clear();
    }
    Ok(Report::new(
        base.to_string(),
        scan.findings,
        scan.passed,
        scan.skipped,
        scan.client.sent(),
    ))
}
