//! The `hallpass audit` command line: flags or a config file, a progress bar, the report in
//! the chosen format, and an exit status for CI.
use super::{report::Severity, Credentials, Endpoint, Options, Target};
use std::process::ExitCode;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A readable report with a grade.
    Text,
    /// The report as JSON.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
}

/// `hallpass audit <BASE_URL> …`
#[derive(clap::Args, Clone, Debug)]
pub struct AuditArgs {
    /// The app's base URL (`https://app.example`); nothing off this host is requested.
    pub base_url: String,
    /// The same settings from a TOML file (flags given here win).
    #[arg(long)]
    pub config: Option<std::path::PathBuf>,
    /// The sign-in path.
    #[arg(long)]
    pub login: Option<String>,
    /// Its method.
    #[arg(long)]
    pub login_method: Option<String>,
    /// Form-encoded credentials (`email=me@x.test&password=…`).
    #[arg(long, conflicts_with = "json")]
    pub form: Option<String>,
    /// JSON credentials (`{"email":"…","password":"…"}`).
    #[arg(long)]
    pub json: Option<String>,
    /// Send the login page's CSRF token back in this form field.
    #[arg(long)]
    pub csrf_field: Option<String>,
    /// Send the login page's CSRF token back in this header.
    #[arg(long)]
    pub csrf_header: Option<String>,
    /// A page or endpoint (GET) that answers 2xx only when signed in.
    #[arg(long)]
    pub probe: Option<String>,
    /// The sign-out path.
    #[arg(long)]
    pub logout: Option<String>,
    /// Its method (default POST).
    #[arg(long)]
    pub logout_method: Option<String>,
    /// The sign-out-everywhere path.
    #[arg(long)]
    pub logout_all: Option<String>,
    /// Its method (default POST).
    #[arg(long)]
    pub logout_all_method: Option<String>,
    /// Fresh sign-ins sampled for id strength.
    #[arg(long)]
    pub samples: Option<usize>,
    /// Prove the idle timeout (seconds; the scan waits this long).
    #[arg(long)]
    pub idle: Option<u64>,
    /// Prove the absolute timeout (seconds; the scan waits this long).
    #[arg(long)]
    pub absolute: Option<u64>,
    /// Requests per second.
    #[arg(long)]
    pub rps: Option<f64>,
    /// Requests in all, at most.
    #[arg(long)]
    pub max_requests: Option<u32>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit with status 3 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = Severity::Medium)]
    pub fail_on: Severity,
}

/// The config file: the same settings as the flags.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    login: Option<String>,
    login_method: Option<String>,
    form: Option<String>,
    json: Option<String>,
    csrf_field: Option<String>,
    csrf_header: Option<String>,
    probe: Option<String>,
    logout: Option<String>,
    logout_method: Option<String>,
    logout_all: Option<String>,
    logout_all_method: Option<String>,
    samples: Option<usize>,
    idle: Option<u64>,
    absolute: Option<u64>,
    rps: Option<f64>,
    max_requests: Option<u32>,
}

/// The exit status when a finding reaches `--fail-on` (2 is what a usage error exits with).
pub const FINDINGS: u8 = 3;

/// Runs the command; exit status 0, [`FINDINGS`] when a finding reaches `--fail-on`, 1 when
/// the scan could not run, 2 for a usage error.
pub async fn audit(args: AuditArgs) -> ExitCode {
    match scan(args).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn scan(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let file: FileConfig = match &args.config {
        Some(path) => toml::from_str(&std::fs::read_to_string(path)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        None => FileConfig::default(),
    };
    let base = url::Url::parse(&args.base_url)
        .map_err(|e| anyhow::anyhow!("{} is not a URL: {e}", args.base_url))?;
    anyhow::ensure!(
        matches!(base.scheme(), "http" | "https"),
        "only http and https targets can be scanned"
    );
    let endpoint = |path: Option<String>, method: Option<String>, default: &str| {
        path.map(|path| Endpoint {
            method: method
                .unwrap_or_else(|| default.to_owned())
                .to_ascii_uppercase(),
            path,
        })
    };
    let credentials = match (args.form.or(file.form), args.json.or(file.json)) {
        (Some(form), None) => Credentials::Form(form),
        (None, Some(json)) => {
            serde_json::from_str::<serde_json::Value>(&json)
                .map_err(|e| anyhow::anyhow!("--json is not JSON: {e}"))?;
            Credentials::Json(json)
        }
        _ => anyhow::bail!("give the credentials with --form or --json (one of them)"),
    };
    let target = Target {
        login: endpoint(
            args.login.or(file.login),
            args.login_method.or(file.login_method),
            "POST",
        )
        .ok_or_else(|| anyhow::anyhow!("--login PATH is needed"))?,
        credentials,
        probe: endpoint(args.probe.or(file.probe), None, "GET")
            .ok_or_else(|| anyhow::anyhow!("--probe PATH is needed"))?,
        logout: endpoint(
            args.logout.or(file.logout),
            args.logout_method.or(file.logout_method),
            "POST",
        ),
        logout_all: endpoint(
            args.logout_all.or(file.logout_all),
            args.logout_all_method.or(file.logout_all_method),
            "POST",
        ),
        csrf_field: args.csrf_field.or(file.csrf_field),
        csrf_header: args.csrf_header.or(file.csrf_header),
    };
    for path in [Some(&target.login.path), Some(&target.probe.path)]
        .into_iter()
        .chain([
            target.logout.as_ref().map(|e| &e.path),
            target.logout_all.as_ref().map(|e| &e.path),
        ])
        .flatten()
    {
        anyhow::ensure!(
            path.starts_with('/') && !path.starts_with("//"),
            "{path} must be a path on the target (starting with /)"
        );
    }
    let samples = args.samples.or(file.samples).unwrap_or(50).clamp(2, 500);
    let progress = indicatif::ProgressBar::new(samples as u64 + 8);
    progress.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {bar:30} {pos}/{len} {msg}")
            .expect("a valid template"),
    );
    let options = Options {
        samples,
        idle: args.idle.or(file.idle),
        absolute: args.absolute.or(file.absolute),
        rps: args.rps.or(file.rps).unwrap_or(10.0).clamp(0.1, 1000.0),
        // Enough for the samples and the other checks unless a budget is given.
        max_requests: args
            .max_requests
            .or(file.max_requests)
            .unwrap_or(1000.max(2 * samples as u32 + 200)),
        progress: Some(progress),
    };
    let report = super::run(&base, &target, &options).await?;
    println!(
        "{}",
        match args.format {
            Format::Text => report.text(),
            Format::Json => report.json(),
            Format::Sarif => report.sarif(),
        }
    );
    Ok(if report.fails(args.fail_on) {
        ExitCode::from(FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}
