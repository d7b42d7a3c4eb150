//! This deployment, graded: the live policy against ASVS 5.0, and the configuration the server
//! started with (transport, stores, metrics, clean-up), each row with its status, why it
//! matters and the exact fix. What `/admin/security` shows.
use crate::{
    model::{Posture, PostureRow, PostureStatus},
    policy::{FingerprintMode, Policy},
};

/// A store's URL as the page shows it (no user, password or parameter but `sslmode`) and the
/// facts it is graded by.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreUrl {
    /// What the page shows.
    pub shown: String,
    /// An embedded database (SQLite): nothing crosses a network.
    pub embedded: bool,
    /// The host is this machine.
    pub loopback: bool,
    /// `tls` for `rediss://`, or PostgreSQL's `sslmode`.
    pub tls: Option<String>,
}

/// What the server was started with, as far as security goes (no secrets).
#[derive(Clone, Debug, Default)]
pub struct Deployment {
    /// Hallpass terminates TLS itself (`HALLPASS_TLS_CERT`).
    pub serves_tls: bool,
    /// A TLS proxy is declared in front (`HALLPASS_TLS`).
    pub behind_tls_proxy: bool,
    /// Plain HTTP answers with a redirect to https (`HALLPASS_HTTP_REDIRECT_ADDR`).
    pub redirects_http: bool,
    /// `HALLPASS_PUBLIC_ORIGIN`.
    pub public_origins: Vec<String>,
    /// How many proxy ranges are trusted for `X-Forwarded-For`.
    pub trusted_proxies: usize,
    /// The Redis URL, when sessions live there.
    pub redis: Option<StoreUrl>,
    /// The Redis namespace.
    pub redis_namespace: String,
    /// The database URL.
    pub database: StoreUrl,
    /// Where `/metrics` listens, and whether it needs a token.
    pub metrics: Option<(std::net::SocketAddr, bool)>,
    /// How often the clean-up runs (seconds).
    pub cleanup_secs: u64,
    /// How long audit events are kept (days).
    pub audit_retention_days: i64,
}

fn row(
    area: &'static str,
    item: &'static str,
    status: PostureStatus,
    value: impl Into<String>,
    why: &'static str,
    fix: impl Into<String>,
) -> PostureRow {
    PostureRow {
        area: area.into(),
        item: item.into(),
        status,
        value: value.into(),
        why: why.into(),
        fix: fix.into(),
    }
}

fn at_most(value: i64, good: i64, warn: i64) -> PostureStatus {
    if value <= good {
        PostureStatus::Good
    } else if value <= warn {
        PostureStatus::Warn
    } else {
        PostureStatus::Bad
    }
}

fn minutes(secs: i64) -> String {
    match secs {
        s if s % 86400 == 0 => format!("{} d", s / 86400),
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// Grades `policy` and `deployment` (`passkeys`: whether passkeys are available).
pub fn grade(policy: &Policy, deployment: &Deployment, passkeys: bool) -> Posture {
    use PostureStatus::{Bad, Good, Info, Warn};
    let mut rows = vec![
        row("Policy", "Idle timeout", at_most(policy.idle_timeout_secs, 30 * 60, 60 * 60), minutes(policy.idle_timeout_secs),
            "An unattended session is a session anyone at the keyboard can use.",
            "ASVS 5.0 7.3.1: 15-30 minutes for most apps (set it on the Policy page)."),
        row("Policy", "Absolute lifetime", at_most(policy.absolute_timeout_secs, 12 * 3600, 24 * 3600), minutes(policy.absolute_timeout_secs),
            "Caps how long a stolen session stays useful, however active.",
            "ASVS 5.0 7.3.2: 12 hours or less (a working day)."),
        row("Policy", "Re-authentication window", at_most(policy.reauth_window_secs, 15 * 60, 60 * 60), minutes(policy.reauth_window_secs),
            "How long one confirmation covers sensitive actions.",
            "ASVS 5.0 7.5: 15 minutes or less."),
        row("Policy", "Sessions per user", at_most(policy.max_sessions_per_user, 10, 50), policy.max_sessions_per_user.to_string(),
            "A bound on sessions makes a stolen account's sessions visible and limited.",
            "ASVS 5.0 7.1.2: a small number (10 or fewer)."),
        row("Policy", "Fingerprint binding", match policy.fingerprint_mode {
                FingerprintMode::Strict => Good,
                FingerprintMode::Log => Warn,
                FingerprintMode::Off => Bad,
            }, policy.fingerprint_mode.as_str(),
            "A session replayed from another address or browser ends (strict) or is at least recorded (log).",
            "strict, or log where users roam between networks."),
        row("Policy", "Remember-me lifetime", at_most(policy.remember_me_secs, 30 * 86400, 90 * 86400), minutes(policy.remember_me_secs),
            "A remember-me token is a long-lived credential in the browser.",
            "30 days or less."),
        row("Policy", "Passkeys for admin actions", if policy.admin_requires_passkey { Good } else if passkeys { Warn } else { Info },
            if policy.admin_requires_passkey { "required" } else { "not required" },
            "A phished or stolen password alone cannot then act as an admin.",
            if passkeys { "Turn on \"Admin actions need a passkey\" once every admin has one." } else { "Set HALLPASS_PUBLIC_ORIGIN to a domain to enable passkeys." }),
    ];
    let https_origin = deployment
        .public_origins
        .iter()
        .any(|o| o.to_ascii_lowercase().starts_with("https://"));
    let tls = deployment.serves_tls || deployment.behind_tls_proxy || https_origin;
    rows.push(row(
        "Transport",
        "TLS and HSTS",
        if tls { Good } else { Bad },
        if deployment.serves_tls {
            "served by Hallpass, HSTS on"
        } else if tls {
            "behind a TLS proxy, HSTS on"
        } else {
            "plain HTTP"
        },
        "Session cookies and passwords must never cross the network in clear.",
        "Set HALLPASS_TLS_CERT/HALLPASS_TLS_KEY, or HALLPASS_TLS=true behind a TLS proxy.",
    ));
    if deployment.serves_tls {
        rows.push(row(
            "Transport",
            "HTTP to HTTPS redirect",
            if deployment.redirects_http {
                Good
            } else {
                Warn
            },
            if deployment.redirects_http {
                "on"
            } else {
                "off"
            },
            "People who type the address reach the secure site.",
            "Set HALLPASS_HTTP_REDIRECT_ADDR=0.0.0.0:80.",
        ));
    }
    rows.push(row("Transport", "Public origin", if deployment.public_origins.is_empty() { Warn } else { Good },
        if deployment.public_origins.is_empty() { "not set (the request's host)".to_owned() } else { deployment.public_origins.join(", ") },
        "State-changing requests are accepted only from these origins; passkeys need one with a domain.",
        "Set HALLPASS_PUBLIC_ORIGIN=https://your.host."));
    rows.push(row("Transport", "Trusted proxies", if deployment.behind_tls_proxy && deployment.trusted_proxies == 0 { Warn } else { Info },
        deployment.trusted_proxies.to_string(),
        "Behind a proxy, client addresses (throttles, fingerprints, audit) come from X-Forwarded-For of trusted hops only.",
        "Set HALLPASS_TRUSTED_PROXIES to the proxy's address or range."));
    match &deployment.redis {
        Some(redis) => {
            let status = if redis.tls.is_some() {
                Good
            } else if redis.loopback {
                Info
            } else {
                Bad
            };
            rows.push(row("Stores", "Redis transport", status, redis.shown.clone(),
                "Anyone who can read Redis traffic can take sessions; anyone who can write to it can mint them.",
                "Use rediss:// (HALLPASS_REDIS_CA_FILE for a private CA), a password or ACL user, and a private network."));
            rows.push(row("Stores", "Redis namespace", if deployment.redis_namespace == "hallpass" { Info } else { Good },
                deployment.redis_namespace.clone(),
                "Deployments sharing a Redis must not share a namespace (they would accept each other's cookies).",
                "Give each deployment its own HALLPASS_REDIS_NAMESPACE."));
        }
        None => rows.push(row(
            "Stores",
            "Session store",
            Info,
            "embedded (SQL database)",
            "Sessions live in the database; for several instances use Redis.",
            "Set HALLPASS_REDIS_URL for scale.",
        )),
    }
    let db = &deployment.database;
    let db_status = match db.tls.as_deref() {
        _ if db.embedded => Info,
        Some("verify-full") => Good,
        Some("require" | "verify-ca") => Warn,
        _ if db.loopback => Info,
        _ => Bad,
    };
    rows.push(row(
        "Stores",
        "Database transport",
        db_status,
        db.shown.clone(),
        "Accounts, policy and remember-me tokens live there.",
        "For PostgreSQL across a network: sslmode=verify-full&sslrootcert=/path/ca.pem.",
    ));
    rows.push(match deployment.metrics {
        None => row(
            "Operations",
            "/metrics",
            Good,
            "off",
            "Metrics reveal activity; they are served only where you choose.",
            "—",
        ),
        Some((addr, token)) => row(
            "Operations",
            "/metrics",
            if token || addr.ip().is_loopback() {
                Good
            } else {
                Warn
            },
            format!("{addr}{}", if token { ", bearer token" } else { "" }),
            "Metrics reveal activity; keep them private.",
            "Bind HALLPASS_METRICS_ADDR to a private address, or set HALLPASS_METRICS_TOKEN.",
        ),
    });
    rows.push(row(
        "Operations",
        "Clean-up",
        if deployment.cleanup_secs <= 3600 {
            Good
        } else {
            Warn
        },
        format!("every {}", minutes(deployment.cleanup_secs as i64)),
        "Ended sessions, expired tokens and old audit events are deleted on time.",
        "HALLPASS_CLEANUP_SECS of an hour or less.",
    ));
    rows.push(row(
        "Operations",
        "Audit retention",
        if deployment.audit_retention_days >= 90 {
            Good
        } else {
            Warn
        },
        format!("{} days", deployment.audit_retention_days),
        "Incidents are often found weeks later; the trail must still be there.",
        "HALLPASS_AUDIT_RETENTION_DAYS of 90 or more.",
    ));
    let bad = rows.iter().filter(|r| r.status == Bad).count();
    let warn = rows.iter().filter(|r| r.status == Warn).count();
    let grade = match (bad, warn) {
        (0, 0) => 'A',
        (0, 1..=2) => 'B',
        (0, _) => 'C',
        (1, _) => 'D',
        _ => 'F',
    };
    Posture { grade, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hardened_deployment_is_an_a_and_plain_http_is_not() {
        let hardened = Deployment {
            serves_tls: true,
            redirects_http: true,
            public_origins: vec!["https://hallpass.example".into()],
            redis: Some(StoreUrl {
                shown: "rediss://cache.internal".into(),
                tls: Some("tls".into()),
                ..StoreUrl::default()
            }),
            redis_namespace: "prod".into(),
            database: StoreUrl {
                shown: "postgres://db.internal/hallpass?sslmode=verify-full".into(),
                tls: Some("verify-full".into()),
                ..StoreUrl::default()
            },
            cleanup_secs: 300,
            audit_retention_days: 400,
            ..Deployment::default()
        };
        let policy = Policy {
            admin_requires_passkey: true,
            ..Policy::default()
        };
        let posture = grade(&policy, &hardened, true);
        assert_eq!(posture.grade, 'A', "{posture:?}");
        let plain = Deployment {
            database: StoreUrl {
                shown: "postgres://db.internal/hallpass".into(),
                ..StoreUrl::default()
            },
            redis: Some(StoreUrl {
                shown: "redis://cache.internal".into(),
                ..StoreUrl::default()
            }),
            cleanup_secs: 300,
            audit_retention_days: 400,
            ..Deployment::default()
        };
        let posture = grade(&Policy::default(), &plain, false);
        assert_eq!(posture.grade, 'F');
        let bad: Vec<_> = posture
            .rows
            .iter()
            .filter(|r| r.status == PostureStatus::Bad)
            .map(|r| r.item.as_str())
            .collect();
        assert_eq!(
            bad,
            ["TLS and HSTS", "Redis transport", "Database transport"]
        );
        let lax = Policy {
            idle_timeout_secs: 4 * 3600,
            absolute_timeout_secs: 7 * 86400,
            ..Policy::default()
        };
        let posture = grade(&lax, &hardened, true);
        assert!(posture
            .rows
            .iter()
            .any(|r| r.item == "Idle timeout" && r.status == PostureStatus::Bad));
    }
}
