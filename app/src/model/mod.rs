//! Types that cross the wire between server functions and pages.
use serde::{Deserialize, Serialize};

mod event;
mod key;

pub use event::Event;
#[cfg(feature = "ssr")]
pub use key::storage_id;
pub use key::{NotAKey, SessionKey};

/// What a user may do. Admins manage other people's sessions and the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Full access, including every admin action.
    Admin,
    /// An ordinary user who manages only their own sessions.
    User,
}

impl Role {
    /// The name stored in the database and shown in the UI.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::User => "user",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Role::Admin),
            "user" => Ok(Role::User),
            other => Err(format!("unknown role {other:?}: expected admin or user")),
        }
    }
}

/// The signed-in user as the current session sees them (`/api/me`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    /// Stable user id.
    pub user_id: String,
    /// The email the user signs in with.
    pub email: String,
    /// The role this session carries.
    pub role: Role,
    /// Unix seconds of the last password check (login or re-authentication).
    pub authenticated_at: i64,
    /// Unix seconds when this session started.
    pub session_started_at: i64,
    /// When this session ends if unused from now on (Unix seconds).
    pub idle_expires_at: i64,
    /// When this session ends regardless of use.
    pub absolute_expires_at: i64,
    /// The server's clock when this was computed, so the browser can correct for skew.
    pub server_now: i64,
    /// Started from a remember-me token.
    pub remembered: bool,
    /// How the user last proved who they are in this session (at `authenticated_at`).
    #[serde(default)]
    pub auth_method: AuthMethod,
}

/// How a session's user last proved who they are: what the session records, the devices page
/// and the admin listing show, and the audit trail names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuthMethod {
    /// Their password.
    #[default]
    #[serde(rename = "pwd")]
    Password,
    /// A passkey (WebAuthn, with user verification).
    #[serde(rename = "passkey")]
    Passkey,
    /// A remember-me token: nothing was entered in this session yet.
    #[serde(rename = "remember")]
    Remember,
}

impl AuthMethod {
    /// The short name (`pwd`, `passkey`, `remember`).
    pub fn code(self) -> &'static str {
        match self {
            AuthMethod::Password => "pwd",
            AuthMethod::Passkey => "passkey",
            AuthMethod::Remember => "remember",
        }
    }

    /// For people: "password", "passkey", "remember me".
    pub fn label(self) -> &'static str {
        match self {
            AuthMethod::Password => "password",
            AuthMethod::Passkey => "passkey",
            AuthMethod::Remember => "remember me",
        }
    }
}

/// How a setting of this deployment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PostureStatus {
    /// As it should be.
    Good,
    /// Acceptable in some deployments; look at it.
    Warn,
    /// Fix it.
    Bad,
    /// Neither good nor bad here; for the record.
    Info,
}

/// One setting of the deployment, graded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostureRow {
    /// Policy, Transport, Stores, Operations.
    pub area: String,
    /// The setting.
    pub item: String,
    /// How it stands.
    pub status: PostureStatus,
    /// Its value now.
    pub value: String,
    /// Why it matters.
    pub why: String,
    /// The exact fix.
    pub fix: String,
}

/// The deployment, graded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posture {
    /// A (nothing to fix or look at) to F.
    pub grade: char,
    /// One row per setting.
    pub rows: Vec<PostureRow>,
}

/// A run of `hallpass audit` against this deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfAuditRun {
    /// Unix seconds.
    pub started_at: i64,
    /// Unix seconds; none while it runs.
    pub finished_at: Option<i64>,
    /// The admin who started it (their e-mail, if the account still exists).
    pub started_by: Option<String>,
    /// How far it has got.
    pub progress: String,
    /// A to F, when done.
    pub grade: Option<String>,
    /// The report, when done.
    pub report: Option<String>,
    /// Why it could not run.
    pub failure: Option<String>,
}

/// A passkey as its owner sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyInfo {
    /// Opaque id (for removing it).
    pub id: String,
    /// The name its owner gave it.
    pub name: String,
    /// Unix seconds when it was added.
    pub created_at: i64,
    /// Unix seconds it last signed in or confirmed a sensitive action.
    pub last_used_at: Option<i64>,
}

/// Why a session ended. The `code` travels in `/login?reason=…` and in API errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The user signed out.
    #[serde(rename = "signed_out")]
    Logout,
    /// No request for longer than the idle timeout.
    Idle,
    /// Older than the absolute lifetime.
    #[serde(rename = "expired")]
    Absolute,
    /// Used from a different IP + User-Agent under the strict policy.
    Fingerprint,
    /// Ended by the user from another device, or by an administrator.
    Revoked,
    /// A replayed remember-me token: every session of the user was ended.
    Theft,
    /// Evicted because the user had too many sessions.
    Limit,
    /// The password changed.
    PasswordChanged,
    /// The account's role changed or it was disabled.
    RoleChanged,
}

impl EndReason {
    /// Stable code, the same as its JSON form (`/login?reason=…`, audit records).
    pub fn code(self) -> &'static str {
        match self {
            EndReason::Logout => "signed_out",
            EndReason::Idle => "idle",
            EndReason::Absolute => "expired",
            EndReason::Fingerprint => "fingerprint",
            EndReason::Revoked => "revoked",
            EndReason::Theft => "theft",
            EndReason::Limit => "limit",
            EndReason::PasswordChanged => "password_changed",
            EndReason::RoleChanged => "role_changed",
        }
    }

    /// Whether ending a session for this reason also revokes its remember-me token: every
    /// sign-out and revocation does; the idle and absolute timeouts do not (bridging them is
    /// what the token is for).
    pub fn revokes_remember_me(self) -> bool {
        !matches!(self, EndReason::Idle | EndReason::Absolute)
    }

    /// Parses a code.
    pub fn from_code(code: &str) -> Option<Self> {
        [
            EndReason::Logout,
            EndReason::Idle,
            EndReason::Absolute,
            EndReason::Fingerprint,
            EndReason::Revoked,
            EndReason::Theft,
            EndReason::Limit,
            EndReason::PasswordChanged,
            EndReason::RoleChanged,
        ]
        .into_iter()
        .find(|r| r.code() == code)
    }

    /// What the user is told.
    pub fn message(self) -> &'static str {
        match self {
            EndReason::Logout => "You have signed out.",
            EndReason::Idle => "You were signed out after a period of inactivity.",
            EndReason::Absolute => "Your session expired. Please sign in again.",
            EndReason::Fingerprint => "Your session was used from another device and has been ended.",
            EndReason::Revoked => "This session was ended from another device or by an administrator.",
            EndReason::Theft => "Your saved sign-in was used somewhere else, so every session was ended. Please sign in and change your password.",
            EndReason::Limit => "This session was ended because you signed in on too many devices.",
            EndReason::PasswordChanged => "Your password was changed. Please sign in again.",
            EndReason::RoleChanged => "Your account was changed by an administrator. Please sign in again.",
        }
    }
}

/// One entry of the audit trail (`/api/audit_events`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// The event's own id.
    #[serde(default)]
    pub id: String,
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// The user concerned, if known.
    pub user_id: Option<String>,
    /// Short hash of the session id, never the id (the start of `session_key`).
    pub session_tag: Option<String>,
    /// The session's storage key (the SHA-256 of its id), if the event is about a session.
    #[serde(default)]
    pub session_key: Option<String>,
    /// For a regeneration: the storage key it replaced.
    #[serde(default)]
    pub from_session: Option<String>,
    /// For a failed attempt: the account targeted (a user id, or `unknown:<keyed hash>`).
    #[serde(default)]
    pub target: Option<String>,
    /// Client IP.
    pub ip: Option<String>,
    /// Client User-Agent.
    pub user_agent: Option<String>,
    /// What happened (`login_ok`, `idle_timeout`, …).
    pub kind: String,
    /// Details.
    pub reason: Option<String>,
}

/// A session's story: its events and those of the sessions it was regenerated from or into,
/// oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    /// Every event of the chain, oldest first.
    pub events: Vec<AuditRecord>,
    /// The storage keys of the chain, in the order they were issued.
    pub keys: Vec<String>,
    /// The user's other sessions with events in the same span (storage keys).
    pub others: Vec<String>,
}

/// One account in the admin list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRow {
    /// Stable id.
    pub user_id: String,
    /// Sign-in e-mail.
    pub email: String,
    /// Its role.
    pub role: Role,
    /// Whether it may sign in.
    pub disabled: bool,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix milliseconds of the last sign-in or remember-me restore, if any is recorded.
    pub last_sign_in_ms: Option<i64>,
    /// Live sessions now.
    pub live_sessions: usize,
    /// Remember-me tokens now.
    pub remember_tokens: i64,
}

/// A page of the admin account list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountPage {
    /// This page's accounts.
    pub accounts: Vec<AccountRow>,
    /// How many accounts match the filter.
    pub total: i64,
    /// This page (from 0).
    pub page: i64,
    /// Accounts per page.
    pub page_size: i64,
}

/// How the admin account list is sorted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountSort {
    /// By e-mail.
    #[default]
    Email,
    /// Newest first.
    Newest,
    /// Most recent sign-in first.
    LastSignIn,
    /// Admins first.
    Role,
}

impl std::str::FromStr for AccountSort {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "" | "email" => Ok(Self::Email),
            "newest" => Ok(Self::Newest),
            "last_sign_in" => Ok(Self::LastSignIn),
            "role" => Ok(Self::Role),
            other => Err(format!(
                "unknown sort {other:?}: expected email, newest, last_sign_in or role"
            )),
        }
    }
}

/// What a change to an account would end, shown before it is confirmed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Impact {
    /// The account.
    pub email: String,
    /// Live sessions that would end now.
    pub live_sessions: usize,
    /// Remember-me tokens that would stop working.
    pub remember_tokens: i64,
}

/// A change made to an account: what it ended, and a one-time set-password link when one
/// was issued (shown once, never stored in the clear).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountChange {
    /// The account.
    pub email: String,
    /// Sessions that ended.
    pub ended_sessions: usize,
    /// The path of the set-password link (`/set-password?token=…`), if one was issued.
    pub link: Option<String>,
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::EndReason;

    #[test]
    fn end_reason_codes_match_their_json_and_parse_back() {
        for code in [
            "signed_out",
            "idle",
            "expired",
            "fingerprint",
            "revoked",
            "theft",
            "limit",
            "password_changed",
            "role_changed",
        ] {
            let reason = EndReason::from_code(code).expect(code);
            assert_eq!(reason.code(), code);
            assert_eq!(
                serde_json::to_string(&reason).unwrap(),
                format!("\"{code}\"")
            );
            assert_eq!(
                serde_json::from_str::<EndReason>(&format!("\"{code}\"")).unwrap(),
                reason
            );
        }
        assert_eq!(EndReason::from_code("<script>"), None);
    }
}

/// One live session as listings show it (`/api/my_sessions`, `/api/admin_sessions`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Opaque name for revoking it: the hash of the id, never the cookie value.
    pub handle: SessionKey,
    /// Owner.
    pub user_id: String,
    /// Owner's email.
    pub email: String,
    /// Role the session carries.
    pub role: Role,
    /// Unix seconds when it started.
    pub created_at: i64,
    /// Unix seconds of its last request (to within 5 s).
    pub last_seen: i64,
    /// When it ends if unused.
    pub idle_expires_at: i64,
    /// When it ends regardless.
    pub absolute_expires_at: i64,
    /// Client IP at sign-in (or as last seen under `log` binding).
    pub ip: String,
    /// Browser name and version.
    pub browser: String,
    /// Operating system.
    pub os: String,
    /// Device class (pc, smartphone, …).
    pub device: String,
    /// Started from a remember-me token.
    pub remembered: bool,
    /// How its user last proved who they are, and when (Unix seconds).
    #[serde(default)]
    pub auth_method: AuthMethod,
    /// When that was.
    #[serde(default)]
    pub authenticated_at: i64,
    /// The caller's own session.
    pub current: bool,
}

/// What a policy change would do now (`/api/policy_dry_run`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DryRun {
    /// Live sessions that the new policy would end on their next request.
    pub would_end: usize,
    /// Live sessions examined.
    pub total: usize,
}

/// A sample of the number of active sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivitySample {
    /// Unix seconds.
    pub at: i64,
    /// Sessions active in the idle window at that time.
    pub active: i64,
}

/// The admin dashboard's data (`/api/admin_sessions`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    /// This page of live sessions, most recently active first.
    pub sessions: Vec<SessionInfo>,
    /// Active sessions over the last hours, oldest first.
    pub activity: Vec<ActivitySample>,
    /// How many sessions match the filter (all of them without one), on every page.
    pub total: usize,
    /// This page (from 0).
    pub page: usize,
    /// Sessions per page.
    pub page_size: usize,
    /// The filter matched more accounts than a listing follows: only the sessions of the
    /// first ones (by e-mail) are listed, so the filter should be narrowed.
    pub filter_capped: bool,
}
