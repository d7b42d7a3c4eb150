//! The session policy: one record, edited by admins, enforced on every request.
use serde::{Deserialize, Serialize};

/// What happens when a request's IP + User-Agent differ from the session's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FingerprintMode {
    /// End the session.
    Strict,
    /// Write an audit event and let the request through.
    Log,
    /// Ignore the fingerprint.
    Off,
}

impl FingerprintMode {
    /// The name used in forms and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            FingerprintMode::Strict => "strict",
            FingerprintMode::Log => "log",
            FingerprintMode::Off => "off",
        }
    }
}

impl std::str::FromStr for FingerprintMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "strict" => Ok(FingerprintMode::Strict),
            "log" => Ok(FingerprintMode::Log),
            "off" => Ok(FingerprintMode::Off),
            other => Err(format!(
                "fingerprint_mode must be strict, log or off (not {other:?})"
            )),
        }
    }
}

/// Which factors a re-authentication (before a sensitive action) accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReauthMethods {
    /// The password only.
    Password,
    /// A passkey only.
    Passkey,
    /// Either.
    #[default]
    Both,
}

impl ReauthMethods {
    /// The name used in forms and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ReauthMethods::Password => "password",
            ReauthMethods::Passkey => "passkey",
            ReauthMethods::Both => "both",
        }
    }

    /// Whether a re-authentication by `method` counts.
    pub fn accepts(self, method: crate::model::AuthMethod) -> bool {
        use crate::model::AuthMethod;
        matches!(
            (self, method),
            (
                ReauthMethods::Both,
                AuthMethod::Password | AuthMethod::Passkey
            ) | (ReauthMethods::Password, AuthMethod::Password)
                | (ReauthMethods::Passkey, AuthMethod::Passkey)
        )
    }
}

impl std::str::FromStr for ReauthMethods {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "password" => Ok(ReauthMethods::Password),
            "passkey" => Ok(ReauthMethods::Passkey),
            "both" => Ok(ReauthMethods::Both),
            other => Err(format!(
                "reauth_methods must be password, passkey or both (not {other:?})"
            )),
        }
    }
}

/// Timeouts and limits, all in seconds. The defaults follow OWASP ASVS 5.0 (7.1.1, 7.1.2) and
/// are justified in the README.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// A session unused this long ends.
    pub idle_timeout_secs: i64,
    /// A session ends this long after sign-in, however active.
    pub absolute_timeout_secs: i64,
    /// Sensitive actions need a password check at most this old.
    pub reauth_window_secs: i64,
    /// What a changed IP + User-Agent does.
    pub fingerprint_mode: FingerprintMode,
    /// How long a "remember me" token lives.
    pub remember_me_secs: i64,
    /// Live sessions per user; signing in beyond it ends the least recently used one.
    pub max_sessions_per_user: i64,
    /// Which factors re-authentication accepts (password, passkey or both).
    #[serde(default)]
    pub reauth_methods: ReauthMethods,
    /// Admin actions need a passkey re-authentication (a password one is not enough).
    #[serde(default)]
    pub admin_requires_passkey: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            idle_timeout_secs: 30 * 60,
            absolute_timeout_secs: 8 * 3600,
            reauth_window_secs: 5 * 60,
            fingerprint_mode: FingerprintMode::Strict,
            remember_me_secs: 30 * 86400,
            max_sessions_per_user: 10,
            reauth_methods: ReauthMethods::Both,
            admin_requires_passkey: false,
        }
    }
}

/// The two moments a session ends at, in Unix milliseconds: when it has been idle too long,
/// and when it has lived too long however active. From [`Policy::deadlines`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadlines {
    /// The last use plus the idle timeout.
    pub idle_ms: i64,
    /// The start plus the absolute lifetime.
    pub absolute_ms: i64,
}

impl Deadlines {
    /// Whether, and why, the session has ended at `now_ms`: the absolute lifetime is checked
    /// first (it holds however active the session is), then the idle timeout. A session is
    /// still live at the very deadline and ended one millisecond after.
    pub fn ended(&self, now_ms: i64) -> Option<crate::model::EndReason> {
        if now_ms > self.absolute_ms {
            Some(crate::model::EndReason::Absolute)
        } else if now_ms > self.idle_ms {
            Some(crate::model::EndReason::Idle)
        } else {
            None
        }
    }

    /// Unix seconds at which the idle rule ends the session, never later than the absolute
    /// deadline (what the countdown and the listings show).
    pub fn idle_at(&self) -> i64 {
        self.idle_ms.min(self.absolute_ms).div_euclid(1000)
    }

    /// Unix seconds at which the absolute lifetime ends the session.
    pub fn absolute_at(&self) -> i64 {
        self.absolute_ms.div_euclid(1000)
    }
}

/// Upper bounds that keep a typo from disabling a control.
const MAX_IDLE: i64 = 7 * 86400;
const MAX_ABSOLUTE: i64 = 30 * 86400;
const MAX_REAUTH: i64 = 86400;
const MAX_REMEMBER: i64 = 400 * 86400;
const MAX_SESSIONS: i64 = 1000;

/// The longest a busy session goes without its last activity being written back.
const MAX_TOUCH_INTERVAL_MS: i64 = 5_000;

impl Policy {
    /// How often a busy session's last activity is written back: a tenth of the idle
    /// timeout, at most 5 s. Writing less often would let a session in steady use look idle
    /// (with a 3 s idle timeout and a 5 s interval, a session used every second died).
    pub fn touch_interval_ms(&self) -> i64 {
        (self.idle_timeout_secs.saturating_mul(100)).clamp(0, MAX_TOUCH_INTERVAL_MS)
    }

    /// When a session started at `created_at` (Unix seconds) and last used at `last_used_ms`
    /// (Unix milliseconds) ends under this policy. The one place that arithmetic is written:
    /// the guard, the store's expiry, the listings, the dry run and the countdown all ask it.
    pub fn deadlines(&self, created_at: i64, last_used_ms: i64) -> Deadlines {
        Deadlines {
            idle_ms: last_used_ms.saturating_add(self.idle_timeout_secs.saturating_mul(1000)),
            absolute_ms: created_at
                .saturating_add(self.absolute_timeout_secs)
                .saturating_mul(1000),
        }
    }

    /// Whether a session last authenticated by `method` at `authenticated_at` may take a
    /// sensitive action at `now` (`admin`: an admin action). The one place freshness is
    /// decided.
    pub fn is_fresh(
        &self,
        method: crate::model::AuthMethod,
        authenticated_at: i64,
        now: i64,
        admin: bool,
    ) -> bool {
        let recent = now - authenticated_at <= self.reauth_window_secs;
        let factor = if admin && self.admin_requires_passkey {
            method == crate::model::AuthMethod::Passkey
        } else {
            self.reauth_methods.accepts(method)
        };
        recent && factor
    }

    /// Checks every value; the messages are meant for the person editing the policy.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        let mut range = |name: &str, value: i64, max: i64| {
            if value < 1 {
                errors.push(format!("{name} must be a positive number of seconds."));
            } else if value > max {
                errors.push(format!("{name} can be at most {max} seconds."));
            }
        };
        range("Idle timeout", self.idle_timeout_secs, MAX_IDLE);
        range(
            "Absolute lifetime",
            self.absolute_timeout_secs,
            MAX_ABSOLUTE,
        );
        range(
            "Re-authentication window",
            self.reauth_window_secs,
            MAX_REAUTH,
        );
        range("Remember-me lifetime", self.remember_me_secs, MAX_REMEMBER);
        if !(1..=MAX_SESSIONS).contains(&self.max_sessions_per_user) {
            errors.push(format!(
                "Sessions per user must be between 1 and {MAX_SESSIONS}."
            ));
        }
        if self.idle_timeout_secs > self.absolute_timeout_secs {
            errors.push("The idle timeout cannot be longer than the absolute lifetime.".into());
        }
        if self.admin_requires_passkey && self.reauth_methods == ReauthMethods::Password {
            errors.push(
                "Admin actions cannot require a passkey while re-authentication accepts only passwords."
                    .into(),
            );
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EndReason;

    #[test]
    fn a_policy_survives_its_form_and_a_bad_form_says_why() {
        let policy = Policy {
            admin_requires_passkey: true,
            reauth_methods: ReauthMethods::Passkey,
            ..Policy::default()
        };
        assert_eq!(PolicyForm::from(&policy).policy(), Ok(policy.clone()));
        // On the wire every field is text, as a flattened form field reaches its deserializer.
        let text = serde_json::json!({
            "idle_timeout_secs": "600", "absolute_timeout_secs": "7200",
            "reauth_window_secs": "300", "fingerprint_mode": "log",
            "remember_me_secs": "86400", "max_sessions_per_user": "5",
        });
        let form: PolicyForm = serde_json::from_value(text.clone()).unwrap();
        assert_eq!(form.policy().unwrap().idle_timeout_secs, 600);
        assert!(
            !form.policy().unwrap().admin_requires_passkey,
            "an absent checkbox is off"
        );
        // An empty checkbox or method field reads as left out, as a browser's form sends them.
        let mut empty = text.clone();
        empty["admin_requires_passkey"] = "".into();
        empty["reauth_methods"] = "".into();
        let form: PolicyForm = serde_json::from_value(empty).unwrap();
        let policy_of_empty = form.policy().unwrap();
        assert!(
            !policy_of_empty.admin_requires_passkey,
            "an empty checkbox is off"
        );
        assert_eq!(policy_of_empty.reauth_methods, Default::default());
        let mut checked = text.clone();
        checked["admin_requires_passkey"] = "on".into();
        let form: PolicyForm = serde_json::from_value(checked).unwrap();
        assert!(
            form.policy().unwrap().admin_requires_passkey,
            "a ticked box is on"
        );
        let mut padded = text.clone();
        padded["idle_timeout_secs"] = " 600".into();
        assert!(
            serde_json::from_value::<PolicyForm>(padded).is_err(),
            "numbers are not trimmed"
        );
        let mut bad = text;
        bad["idle_timeout_secs"] = "ten".into();
        let err = serde_json::from_value::<PolicyForm>(bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"ten\" is not a whole number"), "{err}");
        let mut wrong = PolicyForm::from(&policy);
        wrong.fingerprint_mode = "sometimes".into();
        assert!(wrong.policy().is_err());
    }

    #[test]
    fn deadlines_end_absolute_first_then_idle() {
        let policy = Policy {
            idle_timeout_secs: 60,
            absolute_timeout_secs: 3600,
            ..Policy::default()
        };
        // Started at 1000 s, last used at 1500 s.
        let d = policy.deadlines(1000, 1_500_000);
        assert_eq!(d.idle_ms, 1_560_000);
        assert_eq!(d.absolute_ms, 4_600_000);
        assert_eq!(d.ended(1_560_000), None, "live at the very deadline");
        assert_eq!(d.ended(1_560_001), Some(EndReason::Idle));
        assert_eq!((d.idle_at(), d.absolute_at()), (1560, 4600));
        // Used a moment before the absolute deadline: the lifetime still wins.
        let busy = policy.deadlines(1000, 4_599_000);
        assert_eq!(busy.ended(4_600_001), Some(EndReason::Absolute));
        assert_eq!(
            busy.idle_at(),
            4600,
            "never shown past the absolute deadline"
        );
    }

    #[test]
    fn defaults_are_valid_and_bad_values_are_explained() {
        assert_eq!(Policy::default().validate(), Ok(()));
        let bad = Policy {
            idle_timeout_secs: 0,
            absolute_timeout_secs: -5,
            max_sessions_per_user: 0,
            ..Policy::default()
        };
        let errors = bad.validate().unwrap_err();
        assert!(
            errors.contains(&"Idle timeout must be a positive number of seconds.".to_string()),
            "{errors:?}"
        );
        assert!(
            errors.contains(&"Absolute lifetime must be a positive number of seconds.".to_string())
        );
        assert!(errors.iter().any(|e| e.starts_with("Sessions per user")));
        let inverted = Policy {
            idle_timeout_secs: 7200,
            absolute_timeout_secs: 3600,
            ..Policy::default()
        };
        assert_eq!(
            inverted.validate(),
            Err(vec![
                "The idle timeout cannot be longer than the absolute lifetime.".into()
            ])
        );
    }
}

/// The policy as the editor sends it to `set_policy` and `policy_dry_run`: one form field per
/// setting, as text on the wire (`idle_timeout_secs=1800&fingerprint_mode=strict&…`). The
/// passkey fields may be left out (both factors; admins not held to passkeys). The one type
/// the page, the server functions and the tests build a proposed policy with;
/// [`PolicyForm::policy`] checks it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyForm {
    /// [`Policy::idle_timeout_secs`].
    #[serde(deserialize_with = "form_number")]
    pub idle_timeout_secs: i64,
    /// [`Policy::absolute_timeout_secs`].
    #[serde(deserialize_with = "form_number")]
    pub absolute_timeout_secs: i64,
    /// [`Policy::reauth_window_secs`].
    #[serde(deserialize_with = "form_number")]
    pub reauth_window_secs: i64,
    /// `strict`, `log` or `off`.
    pub fingerprint_mode: String,
    /// [`Policy::remember_me_secs`].
    #[serde(deserialize_with = "form_number")]
    pub remember_me_secs: i64,
    /// [`Policy::max_sessions_per_user`].
    #[serde(deserialize_with = "form_number")]
    pub max_sessions_per_user: i64,
    /// `password`, `passkey` or `both` (left out or empty: both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reauth_methods: Option<String>,
    /// A checkbox (see [`crate::api::checked`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_requires_passkey: Option<String>,
}

impl PolicyForm {
    /// The policy this form proposes, checked: every problem is listed.
    pub fn policy(&self) -> Result<Policy, Vec<String>> {
        let policy = Policy {
            idle_timeout_secs: self.idle_timeout_secs,
            absolute_timeout_secs: self.absolute_timeout_secs,
            reauth_window_secs: self.reauth_window_secs,
            fingerprint_mode: self.fingerprint_mode.parse().map_err(|e| vec![e])?,
            remember_me_secs: self.remember_me_secs,
            max_sessions_per_user: self.max_sessions_per_user,
            reauth_methods: self
                .reauth_methods
                .as_deref()
                .filter(|text| !text.is_empty())
                .map(str::parse)
                .transpose()
                .map_err(|e| vec![e])?
                .unwrap_or_default(),
            admin_requires_passkey: crate::api::checked(self.admin_requires_passkey.as_deref()),
        };
        policy.validate().map(|()| policy)
    }
}

impl From<&Policy> for PolicyForm {
    fn from(policy: &Policy) -> Self {
        Self {
            idle_timeout_secs: policy.idle_timeout_secs,
            absolute_timeout_secs: policy.absolute_timeout_secs,
            reauth_window_secs: policy.reauth_window_secs,
            fingerprint_mode: policy.fingerprint_mode.as_str().to_owned(),
            remember_me_secs: policy.remember_me_secs,
            max_sessions_per_user: policy.max_sessions_per_user,
            reauth_methods: Some(policy.reauth_methods.as_str().to_owned()),
            admin_requires_passkey: Some(policy.admin_requires_passkey.to_string()),
        }
    }
}

/// A whole number from a form field. The server functions take the form's fields flattened
/// into one argument, and a flattened field reaches its deserializer as text whatever its
/// type (query strings do not say whether `12` is a number), so it is parsed here.
fn form_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number {
        Int(i64),
        Text(String),
    }
    match Number::deserialize(deserializer)? {
        Number::Int(n) => Ok(n),
        Number::Text(text) => text
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("{text:?} is not a whole number"))),
    }
}
