//! Passkeys: WebAuthn credentials (webauthn-rs) as a sign-in and re-authentication factor.
//!
//! A ceremony has two halves. Adding a passkey and re-authenticating store the challenge's
//! state in the database (shared by every instance), bound to the session's storage key, and
//! the first answer *takes* (deletes) it. A sign-in, which anyone may start, stores nothing
//! at its start: its state travels in a sealed, HttpOnly cookie to the browser that started
//! it, and the first answer leaves a mark so no other can use it. Either way a challenge
//! lives [`CHALLENGE_SECS`] and is used once, by the browser or session it was given to. The relying party (its id and
//! origin) is the first domain in `HALLPASS_PUBLIC_ORIGIN`; without one, passkeys are off.
//!
//! What happens to a session (regeneration, audit, throttles) is decided by the server
//! functions in `crate::api::passkeys`; this module only keeps credentials and checks
//! ceremonies.
use crate::model::PasskeyInfo;
use sqlx::{AnyPool, Row};
use webauthn_rs::prelude::{
    CreationChallengeResponse, CredentialID, DiscoverableAuthentication, DiscoverableKey, Passkey,
    PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Url, Uuid, Webauthn, WebauthnBuilder,
};
use webauthn_rs_proto::ResidentKeyRequirement;

/// How long a ceremony may take, from its start to the browser's answer.
pub const CHALLENGE_SECS: i64 = 120;

/// The longest name a passkey may be given.
pub const MAX_NAME: usize = 60;

/// Why a passkey ceremony failed.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// No relying party is configured (no public origin with a domain name).
    #[error("Passkeys are not available: the server has no public origin with a domain name (HALLPASS_PUBLIC_ORIGIN).")]
    Unavailable,
    /// The challenge is unknown, used, expired or was issued to someone else.
    #[error("That passkey request has expired or was already used. Please try again.")]
    NoChallenge,
    /// The browser's answer is not what a WebAuthn client sends.
    #[error("The passkey answer could not be read.")]
    Malformed,
    /// The credential is not registered here, or belongs to another user.
    #[error("That passkey is not registered for this account.")]
    UnknownCredential,
    /// The credential is already registered.
    #[error("That passkey is already registered.")]
    AlreadyRegistered,
    /// webauthn-rs refused the answer (signature, origin, relying party, counter…).
    #[error("The passkey could not be verified ({0}).")]
    Rejected(webauthn_rs::prelude::WebauthnError),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// A sign-in ceremony's state, as the browser holds it between start and finish (sealed by
/// the caller: see `Devices::seal`): `expires_at.hex(state)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInState(pub String);

/// What a challenge is for (a session holds at most one of each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Adding a passkey to the signed-in account.
    Register,
    /// Signing in.
    SignIn,
    /// Re-authenticating the signed-in session.
    Reauth,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::SignIn => "sign-in",
            Purpose::Reauth => "reauth",
        }
    }
}

/// The passkeys of every account, and the relying party they are registered for.
#[derive(Clone)]
pub struct Passkeys {
    pool: AnyPool,
    webauthn: Option<std::sync::Arc<Webauthn>>,
}

impl std::fmt::Debug for Passkeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passkeys")
            .field("enabled", &self.webauthn.is_some())
            .finish()
    }
}

impl Passkeys {
    /// Passkeys for the relying party named by the first of `public_origins` whose host is a
    /// domain name (the others are accepted as origins too); off when there is none.
    pub fn new(pool: AnyPool, public_origins: &[String]) -> Self {
        let urls: Vec<Url> = public_origins
            .iter()
            .filter_map(|o| Url::parse(o).ok())
            .collect();
        let webauthn = urls
            .iter()
            .find(|u| u.domain().is_some())
            .and_then(|primary| {
                let rp_id = primary.host_str()?.to_owned();
                let mut builder = WebauthnBuilder::new(&rp_id, primary)
                    .ok()?
                    .rp_name("Hallpass");
                for other in urls.iter().filter(|u| *u != primary) {
                    if other.host_str() == Some(rp_id.as_str()) {
                        builder = builder.append_allowed_origin(other);
                    }
                }
                builder.build().ok()
            })
            .map(std::sync::Arc::new);
        Self { pool, webauthn }
    }

    /// Whether passkeys can be used here.
    pub fn enabled(&self) -> bool {
        self.webauthn.is_some()
    }

    fn webauthn(&self) -> Result<&Webauthn, PasskeyError> {
        self.webauthn.as_deref().ok_or(PasskeyError::Unavailable)
    }

    /// The passkeys of `user_id`, oldest first.
    pub async fn list(&self, user_id: &str) -> Result<Vec<PasskeyInfo>, PasskeyError> {
        let rows = sqlx::query(
            "SELECT id, name, created_at, last_used_at FROM passkeys WHERE user_id = $1 ORDER BY created_at, id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|row| PasskeyInfo {
                id: row.get("id"),
                name: row.get("name"),
                created_at: row.get("created_at"),
                last_used_at: row.get("last_used_at"),
            })
            .collect())
    }

    /// How many passkeys `user_id` has.
    pub async fn count(&self, user_id: &str) -> Result<i64, PasskeyError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM passkeys WHERE user_id = $1")
                .bind(user_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn credentials(&self, user_id: &str) -> Result<Vec<(String, Passkey)>, PasskeyError> {
        let rows = sqlx::query("SELECT id, credential FROM passkeys WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let stored: String = row.get("credential");
                serde_json::from_str(&stored)
                    .ok()
                    .map(|passkey| (row.get("id"), passkey))
            })
            .collect())
    }

    /// Starts adding a passkey to `user_id` (`email` is what the authenticator shows), bound
    /// to the session `bound_to`. The browser is asked for a discoverable credential with user
    /// verification, so it can later sign in without an e-mail.
    pub async fn start_registration(
        &self,
        bound_to: &crate::model::SessionKey,
        user_id: &str,
        email: &str,
        now: i64,
    ) -> Result<CreationChallengeResponse, PasskeyError> {
        let webauthn = self.webauthn()?;
        let uuid = Uuid::parse_str(user_id).map_err(|_| PasskeyError::UnknownCredential)?;
        let existing: Vec<CredentialID> = self
            .credentials(user_id)
            .await?
            .into_iter()
            .map(|(_, p)| p.cred_id().clone())
            .collect();
        let (mut ccr, state) = webauthn
            .start_passkey_registration(uuid, email, email, Some(existing))
            .map_err(PasskeyError::Rejected)?;
        if let Some(selection) = ccr.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        self.put(
            bound_to.as_str(),
            Purpose::Register,
            Some(user_id),
            &state,
            now,
        )
        .await?;
        Ok(ccr)
    }

    /// Finishes adding a passkey named `name` for `user_id`, with the answer to the challenge
    /// bound to `bound_to`.
    pub async fn finish_registration(
        &self,
        bound_to: &crate::model::SessionKey,
        user_id: &str,
        name: &str,
        answer: &str,
        now: i64,
    ) -> Result<PasskeyInfo, PasskeyError> {
        let webauthn = self.webauthn()?;
        let answer: RegisterPublicKeyCredential =
            serde_json::from_str(answer).map_err(|_| PasskeyError::Malformed)?;
        let state: PasskeyRegistration = self
            .take(bound_to.as_str(), Purpose::Register, Some(user_id), now)
            .await?;
        let passkey = webauthn
            .finish_passkey_registration(&answer, &state)
            .map_err(PasskeyError::Rejected)?;
        let info = PasskeyInfo {
            id: Uuid::new_v4().to_string(),
            name: name.to_owned(),
            created_at: now,
            last_used_at: None,
        };
        let inserted = sqlx::query(
            "INSERT INTO passkeys (id, user_id, credential_id, name, credential, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (credential_id) DO NOTHING",
        )
        .bind(&info.id)
        .bind(user_id)
        .bind(hex::encode(passkey.cred_id()))
        .bind(name)
        .bind(serde_json::to_string(&passkey).expect("a passkey serialises"))
        .bind(now)
        .execute(&self.pool)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(PasskeyError::AlreadyRegistered);
        }
        Ok(info)
    }

    /// Starts a sign-in with any passkey the browser holds for this site. Nothing is stored:
    /// the ceremony's state goes back to the browser sealed ([`SignInState`]), so this
    /// unauthenticated call writes nothing anyone could flood.
    pub fn start_sign_in(
        &self,
        now: i64,
    ) -> Result<(RequestChallengeResponse, SignInState), PasskeyError> {
        let (rcr, state) = self
            .webauthn()?
            .start_discoverable_authentication()
            .map_err(PasskeyError::Rejected)?;
        let state = serde_json::to_string(&state).expect("ceremony state serialises");
        Ok((
            rcr,
            SignInState(format!("{}.{}", now + CHALLENGE_SECS, hex::encode(state))),
        ))
    }

    /// Finishes a sign-in: the user whose passkey answered the challenge in `state` (as it
    /// came back from the browser, already checked genuine). The state is used once: the
    /// first finish records it, any other is refused.
    pub async fn finish_sign_in(
        &self,
        state: &SignInState,
        answer: &str,
        now: i64,
    ) -> Result<String, PasskeyError> {
        let webauthn = self.webauthn()?;
        let answer: PublicKeyCredential =
            serde_json::from_str(answer).map_err(|_| PasskeyError::Malformed)?;
        let (expires_at, hex_state) = state.0.split_once('.').ok_or(PasskeyError::NoChallenge)?;
        let expires_at: i64 = expires_at.parse().map_err(|_| PasskeyError::NoChallenge)?;
        if expires_at < now {
            return Err(PasskeyError::NoChallenge);
        }
        let state: DiscoverableAuthentication = hex::decode(hex_state)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(PasskeyError::NoChallenge)?;
        // Used once: the first finish leaves a mark (until the state has expired anyway).
        let used = format!(
            "used:{}",
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(hex_state.as_bytes()))
        );
        let fresh = sqlx::query(
            "INSERT INTO passkey_challenges (bound_to, purpose, user_id, state, expires_at) \
             VALUES ($1, $2, NULL, '', $3) ON CONFLICT (bound_to, purpose) DO NOTHING",
        )
        .bind(&used)
        .bind(Purpose::SignIn.as_str())
        .bind(expires_at)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1;
        if !fresh {
            return Err(PasskeyError::NoChallenge);
        }
        let (uuid, cred_id) = webauthn
            .identify_discoverable_authentication(&answer)
            .map_err(PasskeyError::Rejected)?;
        let user_id = uuid.to_string();
        let (id, mut passkey) = self
            .credentials(&user_id)
            .await?
            .into_iter()
            .find(|(_, p)| p.cred_id().as_slice() == cred_id)
            .ok_or(PasskeyError::UnknownCredential)?;
        let result = webauthn
            .finish_discoverable_authentication(&answer, state, &[DiscoverableKey::from(&passkey)])
            .map_err(PasskeyError::Rejected)?;
        passkey.update_credential(&result);
        self.used(&id, &passkey, now).await?;
        Ok(user_id)
    }

    /// Starts re-authenticating `user_id` with one of their passkeys, bound to the session
    /// `bound_to`. A user without passkeys gets [`PasskeyError::UnknownCredential`].
    pub async fn start_reauth(
        &self,
        bound_to: &crate::model::SessionKey,
        user_id: &str,
        now: i64,
    ) -> Result<RequestChallengeResponse, PasskeyError> {
        let webauthn = self.webauthn()?;
        let keys: Vec<Passkey> = self
            .credentials(user_id)
            .await?
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        if keys.is_empty() {
            return Err(PasskeyError::UnknownCredential);
        }
        let (rcr, state) = webauthn
            .start_passkey_authentication(&keys)
            .map_err(PasskeyError::Rejected)?;
        self.put(
            bound_to.as_str(),
            Purpose::Reauth,
            Some(user_id),
            &state,
            now,
        )
        .await?;
        Ok(rcr)
    }

    /// Finishes a re-authentication of `user_id` on the session `bound_to`.
    pub async fn finish_reauth(
        &self,
        bound_to: &crate::model::SessionKey,
        user_id: &str,
        answer: &str,
        now: i64,
    ) -> Result<(), PasskeyError> {
        let webauthn = self.webauthn()?;
        let answer: PublicKeyCredential =
            serde_json::from_str(answer).map_err(|_| PasskeyError::Malformed)?;
        let state: PasskeyAuthentication = self
            .take(bound_to.as_str(), Purpose::Reauth, Some(user_id), now)
            .await?;
        let result = webauthn
            .finish_passkey_authentication(&answer, &state)
            .map_err(PasskeyError::Rejected)?;
        let (id, mut passkey) = self
            .credentials(user_id)
            .await?
            .into_iter()
            .find(|(_, p)| p.cred_id() == result.cred_id())
            .ok_or(PasskeyError::UnknownCredential)?;
        passkey.update_credential(&result);
        self.used(&id, &passkey, now).await
    }

    /// Removes passkey `id` of `user_id`; whether it existed.
    pub async fn remove(&self, user_id: &str, id: &str) -> Result<bool, PasskeyError> {
        let done = sqlx::query("DELETE FROM passkeys WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Removes every passkey of `user_id` (a forced reset: a thief's passkey must not outlive
    /// the stolen password); how many.
    pub async fn remove_all(&self, user_id: &str) -> Result<u64, PasskeyError> {
        Ok(sqlx::query("DELETE FROM passkeys WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Deletes ceremonies that were never finished.
    pub async fn clean_up(&self, now: i64) -> Result<u64, PasskeyError> {
        Ok(
            sqlx::query("DELETE FROM passkey_challenges WHERE expires_at < $1")
                .bind(now)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    /// Stores the new counter and the time of use.
    async fn used(&self, id: &str, passkey: &Passkey, now: i64) -> Result<(), PasskeyError> {
        sqlx::query("UPDATE passkeys SET credential = $1, last_used_at = $2 WHERE id = $3")
            .bind(serde_json::to_string(passkey).expect("a passkey serialises"))
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores a ceremony's state (replacing an unfinished one of the same purpose).
    async fn put(
        &self,
        bound_to: &str,
        purpose: Purpose,
        user_id: Option<&str>,
        state: &impl serde::Serialize,
        now: i64,
    ) -> Result<(), PasskeyError> {
        sqlx::query(
            "INSERT INTO passkey_challenges (bound_to, purpose, user_id, state, expires_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (bound_to, purpose) DO UPDATE SET user_id = excluded.user_id, \
             state = excluded.state, expires_at = excluded.expires_at",
        )
        .bind(bound_to)
        .bind(purpose.as_str())
        .bind(user_id)
        .bind(serde_json::to_string(state).expect("ceremony state serialises"))
        .bind(now + CHALLENGE_SECS)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes (deletes and returns) the ceremony `bound_to` started for `purpose`, if it has
    /// not expired and was started for `user_id`.
    async fn take<T: serde::de::DeserializeOwned>(
        &self,
        bound_to: &str,
        purpose: Purpose,
        user_id: Option<&str>,
        now: i64,
    ) -> Result<T, PasskeyError> {
        let row = sqlx::query(
            "DELETE FROM passkey_challenges WHERE bound_to = $1 AND purpose = $2 \
             RETURNING user_id, state, expires_at",
        )
        .bind(bound_to)
        .bind(purpose.as_str())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(PasskeyError::NoChallenge)?;
        let owner: Option<String> = row.get("user_id");
        let expires_at: i64 = row.get("expires_at");
        if expires_at < now || owner.as_deref() != user_id {
            return Err(PasskeyError::NoChallenge);
        }
        let state: String = row.get("state");
        serde_json::from_str(&state).map_err(|_| PasskeyError::NoChallenge)
    }
}
