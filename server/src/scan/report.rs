//! What a scan found, and how it is told: the grade, the terminal report, JSON and SARIF.
use serde::Serialize;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; not a weakness on its own.
    Info,
    /// Defence in depth missing.
    Low,
    /// A weakness an attacker can use with some luck or help.
    Medium,
    /// A weakness an attacker can use directly.
    High,
    /// Sessions can be taken over outright.
    Critical,
}

impl Severity {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// What it costs the score (out of 100).
    fn penalty(self) -> u32 {
        match self {
            Severity::Info => 0,
            Severity::Low => 3,
            Severity::Medium => 10,
            Severity::High => 25,
            Severity::Critical => 45,
        }
    }

    fn sarif_level(self) -> &'static str {
        match self {
            Severity::Info => "note",
            Severity::Low | Severity::Medium => "warning",
            Severity::High | Severity::Critical => "error",
        }
    }
}

/// One finding.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// Stable id (`cookie-httponly`, `fixation-planted`, …).
    pub id: &'static str,
    /// One line.
    pub title: String,
    /// How bad.
    pub severity: Severity,
    /// The exact response lines (or measurements) that show it.
    pub evidence: Vec<String>,
    /// What to change.
    pub fix: &'static str,
    /// ASVS 5.0 / WSTG / the article's practice.
    pub reference: &'static str,
}

/// A check that could not run, and why (not a finding: nothing was observed).
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    /// The check's id.
    pub check: &'static str,
    /// Why.
    pub why: String,
}

/// Everything a scan produced.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The base URL scanned.
    pub target: String,
    /// A to F.
    pub grade: char,
    /// Out of 100.
    pub score: u32,
    /// Worst first.
    pub findings: Vec<Finding>,
    /// Checks that passed.
    pub passed: Vec<&'static str>,
    /// Checks that could not run.
    pub skipped: Vec<Skipped>,
    /// Requests sent.
    pub requests: u32,
}

impl Report {
    /// The report for `target`, graded.
    pub fn new(
        target: String,
        mut findings: Vec<Finding>,
        passed: Vec<&'static str>,
        skipped: Vec<Skipped>,
        requests: u32,
    ) -> Self {
        findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(b.id)));
        let lost: u32 = findings.iter().map(|f| f.severity.penalty()).sum();
        let score = 100u32.saturating_sub(lost);
        let worst = findings.iter().map(|f| f.severity).max();
        // A grade also caps at the worst finding: one critical weakness is an F however clean
        // the rest is.
        let cap = match worst {
            Some(Severity::Critical) => 'F',
            Some(Severity::High) => 'D',
            Some(Severity::Medium) => 'B',
            _ => 'A',
        };
        let by_score = match score {
            90.. => 'A',
            80..=89 => 'B',
            70..=79 => 'C',
            60..=69 => 'D',
            _ => 'F',
        };
        Self {
            target,
            grade: by_score.max(cap),
            score,
            findings,
            passed,
            skipped,
            requests,
        }
    }

    /// Whether any finding is at or above `level` (the exit status says so).
    pub fn fails(&self, level: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= level)
    }

    /// The human report.
    pub fn text(&self) -> String {
        let mut out = format!(
            "Session security of {}\nGrade {} ({} / 100), {} requests\n\n",
            self.target, self.grade, self.score, self.requests
        );
        if self.findings.is_empty() {
            out.push_str("No findings.\n");
        }
        for f in &self.findings {
            out.push_str(&format!(
                "[{}] {} ({})\n",
                f.severity.as_str().to_uppercase(),
                f.title,
                f.id
            ));
            for line in &f.evidence {
                out.push_str(&format!("    > {line}\n"));
            }
            out.push_str(&format!("    fix: {}\n    ref: {}\n\n", f.fix, f.reference));
        }
        if !self.passed.is_empty() {
            out.push_str(&format!("Passed: {}\n", self.passed.join(", ")));
        }
        for s in &self.skipped {
            out.push_str(&format!("Skipped {}: {}\n", s.check, s.why));
        }
        out
    }

    /// JSON (this struct).
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report serialises")
    }

    /// SARIF 2.1.0, for code-scanning dashboards.
    pub fn sarif(&self) -> String {
        let rules: Vec<_> = self
            .findings
            .iter()
            .map(|f| {
                serde_json::json!({
                    "id": f.id,
                    "shortDescription": {"text": f.title},
                    "help": {"text": format!("{} ({})", f.fix, f.reference)},
                    "properties": {"security-severity": match f.severity {
                        Severity::Critical => "9.5", Severity::High => "8.0",
                        Severity::Medium => "5.5", Severity::Low => "3.0", Severity::Info => "0.0",
                    }},
                })
            })
            .collect();
        let results: Vec<_> = self
            .findings
            .iter()
            .map(|f| {
                serde_json::json!({
                    "ruleId": f.id,
                    "level": f.severity.sarif_level(),
                    "message": {"text": format!("{}: {}", f.title, f.evidence.join(" | "))},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": self.target}}}],
                })
            })
            .collect();
        serde_json::to_string_pretty(&serde_json::json!({
            "version": "2.1.0",
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "runs": [{
                "tool": {"driver": {
                    "name": "hallpass audit",
                    "informationUri": "https://github.com/hallpass/hallpass",
                    "rules": rules,
                }},
                "results": results,
            }],
        }))
        .expect("SARIF serialises")
    }
}
