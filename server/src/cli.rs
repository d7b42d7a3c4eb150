//! The `hallpass` command line.
use crate::config::Config;
use app::model::Role;
use clap::{Parser, Subcommand};

/// Hallpass: session management you can see.
#[derive(Parser, Debug)]
#[command(name = "hallpass", version, about)]
pub struct Cli {
    /// Server and database settings.
    #[command(flatten)]
    pub config: Config,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Top-level commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web server (the default).
    Serve,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Scan any web app's session handling (black box; needs one test account) and grade it.
    Audit(Box<crate::scan::command::AuditArgs>),
    /// Print the audit trail, oldest first (for a SIEM, or a look at an incident).
    AuditLog {
        /// From when: Unix seconds, or a span back from now (`90m`, `24h`, `7d`).
        #[arg(long, default_value = "24h", value_parser = parse_since)]
        since: Since,
        /// Only this account's events (and the failed attempts at it), by e-mail.
        #[arg(long)]
        user: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Jsonl)]
        format: Format,
    },
}

/// How `audit-log` prints.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
}

/// A point in time given on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Since {
    /// Unix seconds.
    At(i64),
    /// This many seconds before now.
    Ago(i64),
}

impl Since {
    /// Unix seconds, given the time now.
    pub fn resolve(self, now: i64) -> i64 {
        match self {
            Since::At(at) => at,
            Since::Ago(secs) => now - secs,
        }
    }
}

/// `hallpass audit-log`: the trail since `since`, of one account if `user` is given, as JSON
/// Lines on standard output (the same lines `GET /api/audit.jsonl` serves).
pub async fn audit_log(config: &Config, since: Since, user: Option<&str>) -> anyhow::Result<()> {
    use app::ssr::{
        audit::{json_lines, Account, Audit, AuditQuery},
        clock::Clock,
        database::open as connect,
        devices::Devices,
        metrics::Metrics,
        users::Users,
    };
    use std::io::Write;
    let pool = connect(&config.database_url).await?;
    let users = Users::new(pool.clone());
    let devices = Devices::load(&pool).await?;
    let clock = Clock::default();
    let account = match user {
        Some(email) => Some(
            Account::find(&users, &devices, email)
                .await
                .map_err(|err| anyhow::anyhow!(err.message))?,
        ),
        None => None,
    };
    let audit = Audit::new(pool, clock.clone(), Metrics::default());
    let mut since_ms = since.resolve(clock.now()).saturating_mul(1000);
    let mut out = std::io::stdout().lock();
    // Page by time, so a long trail streams out without being held in memory at once. A
    // page ends inside a millisecond: the next starts at that millisecond again, skipping
    // the events already printed.
    const PAGE: i64 = 10_000;
    let mut printed_at_last = std::collections::HashSet::new();
    loop {
        let page = audit
            .recent(AuditQuery {
                since_ms: Some(since_ms),
                limit: PAGE,
                ..AuditQuery::of(account.as_ref())
            })
            .await?;
        let full = page.len() as i64 == PAGE;
        let fresh: Vec<_> = page
            .into_iter()
            .filter(|e| !printed_at_last.contains(&e.id))
            .collect();
        out.write_all(json_lines(&fresh).as_bytes())?;
        let Some(last) = fresh.last().map(|e| e.at_ms) else {
            break;
        };
        if !full {
            break;
        }
        if last != since_ms {
            printed_at_last.clear();
        }
        printed_at_last.extend(
            fresh
                .iter()
                .filter(|e| e.at_ms == last)
                .map(|e| e.id.clone()),
        );
        since_ms = last;
    }
    Ok(())
}

fn parse_since(s: &str) -> Result<Since, String> {
    let bad = || format!("`{s}` is neither Unix seconds nor a span like 90m, 24h or 7d");
    if let Ok(at) = s.parse::<i64>() {
        return (at >= 0).then_some(Since::At(at)).ok_or_else(bad);
    }
    let Some((at, _)) = s.char_indices().last() else {
        return Err(bad());
    };
    let (number, unit) = s.split_at(at);
    let n: i64 = number.parse().map_err(|_| bad())?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(scale)
        .filter(|secs| *secs >= 0)
        .map(Since::Ago)
        .ok_or_else(bad)
}

/// `hallpass user …`
#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user; the password is read from the first line of standard input.
    Add {
        /// The email to sign in with.
        #[arg(long)]
        email: String,
        /// admin or user.
        #[arg(long, default_value = "user", value_parser = parse_role)]
        role: Role,
    },
    /// Remove every passkey of a user (a lost authenticator under a passkey-only policy; the
    /// account then adds a new one after a fresh password sign-in). Audited.
    ResetPasskeys {
        /// The account's email.
        #[arg(long)]
        email: String,
    },
}

/// `hallpass user reset-passkeys`: removes every passkey of `email`.
pub async fn reset_passkeys(config: &Config, email: &str) -> anyhow::Result<()> {
    use app::ssr::{
        audit::{Audit, AuditEvent, AuditKind},
        clock::Clock,
        database::open as connect,
        metrics::Metrics,
        passkeys::Passkeys,
        users::{normalize_email, Users},
    };
    let pool = connect(&config.database_url).await?;
    let users = Users::new(pool.clone());
    let normal = normalize_email(email).map_err(|err| anyhow::anyhow!(err))?;
    let user = users
        .find_by_email(&normal)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no account has the e-mail {email}"))?;
    let removed = Passkeys::new(pool.clone(), &[])
        .remove_all(&user.id)
        .await?;
    Audit::new(pool, Clock::default(), Metrics::default())
        .record(
            AuditEvent::new(AuditKind::PasskeyRemoved, Some(&user.id))
                .reason(format!("{removed} passkeys removed from the command line")),
        )
        .await;
    println!("removed {removed} passkeys of {}", user.email);
    Ok(())
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

#[cfg(test)]
mod tests {
    use super::{parse_since, Since};

    #[test]
    fn since_takes_unix_seconds_or_a_span() {
        assert_eq!(parse_since("1700000000"), Ok(Since::At(1_700_000_000)));
        assert_eq!(parse_since("90m"), Ok(Since::Ago(5400)));
        assert_eq!(parse_since("7d"), Ok(Since::Ago(604_800)));
        for bad in ["", "h", "-5", "5y", "99999999999999999d", "1.5h", "7д"] {
            assert!(parse_since(bad).is_err(), "{bad}");
        }
    }
}
