//! The sign-in page's security headers.
use super::Scan;
use crate::scan::{client::Answer, report::Severity};

impl Scan<'_> {
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
}
