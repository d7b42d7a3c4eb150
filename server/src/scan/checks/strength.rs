//! How random fresh session ids are.
use super::Scan;
use crate::scan::{
    ids,
    report::Severity,
    target::{Jar, ScanError},
};

impl Scan<'_> {
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
}
