//! Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): a browser
//! that has signed in to an account successfully gets a signed, HttpOnly cookie naming that
//! account and a random nonce. Sign-in attempts that carry a valid one for the account they
//! target are counted against that device only, not against the account's lock for unknown
//! clients: guesses sent from everywhere else can lock the account for everyone else, but
//! never its owner on a device they have used before. A device that guesses wrong too often
//! is locked on its own counter.
//!
//! The cookie is `user_id.nonce.signature`, the signature an HMAC-SHA256 (under a secret kept
//! in the database's `server_secrets`, made at first start and shared by every instance) of
//! the user id, the nonce and the user's session generation: a password change or sign-out
//! everywhere voids every device cookie of the account, so cookies collected with an old
//! password are worth nothing after a reset.
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::AnyPool;

/// How long a device cookie lasts (seconds); every successful sign-in renews it.
pub const DEVICE_COOKIE_SECS: i64 = 180 * 86400;

/// Issues and checks device cookies.
#[derive(Clone)]
pub struct Devices {
    secret: std::sync::Arc<[u8]>,
}

impl std::fmt::Debug for Devices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Devices { secret: <hidden> }")
    }
}

impl Devices {
    /// The signing secret from the database, made on first use.
    pub async fn load(pool: &AnyPool) -> Result<Self, sqlx::Error> {
        let fresh = hex::encode(rand::random::<[u8; 32]>());
        sqlx::query(
            "INSERT INTO server_secrets (name, value) VALUES ('device_cookie', $1) ON CONFLICT (name) DO NOTHING",
        )
        .bind(&fresh)
        .execute(pool)
        .await?;
        let secret: String =
            sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = 'device_cookie'")
                .fetch_one(pool)
                .await?;
        Ok(Self {
            secret: hex::decode(secret)
                .map_err(|e| sqlx::Error::Decode(e.into()))?
                .into(),
        })
    }

    fn mac(&self, user_id: &str, nonce: &str, gen: i64) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes any key");
        mac.update(user_id.as_bytes());
        mac.update(b".");
        mac.update(nonce.as_bytes());
        mac.update(b".");
        mac.update(gen.to_string().as_bytes());
        mac
    }

    /// A keyed, non-reversible tag of `text` (for the audit trail: it groups equal inputs
    /// without letting anyone who reads the trail confirm a guess of what they were).
    pub fn keyed_tag(&self, text: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes any key");
        mac.update(b"tag.");
        mac.update(text.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..8])
    }

    /// A new cookie value for `user_id`, whose session generation is `gen`.
    pub fn issue(&self, user_id: &str, gen: i64) -> String {
        let nonce = hex::encode(rand::random::<[u8; 16]>());
        let signature = hex::encode(self.mac(user_id, &nonce, gen).finalize().into_bytes());
        format!("{user_id}.{nonce}.{signature}")
    }

    /// The device's nonce, when `cookie` is a genuine device cookie for `user_id` issued in
    /// its current generation `gen`.
    pub fn verify<'c>(&self, cookie: &'c str, user_id: &str, gen: i64) -> Option<&'c str> {
        let mut parts = cookie.rsplitn(3, '.');
        let (signature, nonce, owner) = (parts.next()?, parts.next()?, parts.next()?);
        if owner != user_id || nonce.len() != 32 {
            return None;
        }
        let signature = hex::decode(signature).ok()?;
        self.mac(owner, nonce, gen)
            .verify_slice(&signature)
            .ok()
            .map(|()| nonce)
    }

    /// `payload` with a MAC under the server's secret for `purpose` (`payload.mac`): what the
    /// server hands a browser to give back unchanged (a passkey sign-in's ceremony state).
    pub fn seal(&self, purpose: &str, payload: &str) -> String {
        let mac = self.purpose_mac(purpose, payload).finalize().into_bytes();
        format!("{payload}.{}", hex::encode(mac))
    }

    /// The payload of a value [`Self::seal`] made for `purpose`, if it is genuine.
    pub fn unseal<'v>(&self, purpose: &str, sealed: &'v str) -> Option<&'v str> {
        let (payload, mac) = sealed.rsplit_once('.')?;
        let mac = hex::decode(mac).ok()?;
        self.purpose_mac(purpose, payload)
            .verify_slice(&mac)
            .ok()
            .map(|()| payload)
    }

    fn purpose_mac(&self, purpose: &str, payload: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes any key");
        mac.update(b"sealed.");
        mac.update(purpose.as_bytes());
        mac.update(b".");
        mac.update(payload.as_bytes());
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_unchanged_and_for_their_purpose() {
        let devices = Devices {
            secret: b"0123456789abcdef0123456789abcdef".to_vec().into(),
        };
        let sealed = devices.seal("passkey", "120.abcdef");
        assert_eq!(devices.unseal("passkey", &sealed), Some("120.abcdef"));
        assert_eq!(devices.unseal("device", &sealed), None, "another purpose");
        assert_eq!(
            devices.unseal("passkey", &sealed.replace("120", "999")),
            None
        );
        assert_eq!(devices.unseal("passkey", "no mac"), None);
        assert_eq!(devices.unseal("passkey", "x.zz"), None);
    }

    #[test]
    fn only_genuine_cookies_for_the_same_account_verify() {
        let devices = Devices {
            secret: b"0123456789abcdef0123456789abcdef".to_vec().into(),
        };
        let cookie = devices.issue("user-1", 3);
        assert!(devices.verify(&cookie, "user-1", 3).is_some());
        assert!(
            devices.verify(&cookie, "user-2", 3).is_none(),
            "another account"
        );
        assert!(
            devices.verify(&cookie, "user-1", 4).is_none(),
            "a later generation"
        );
        // The last character changed for sure (a fixed `0` left it intact when it was one).
        let last = if cookie.ends_with('0') { '1' } else { '0' };
        let forged = format!("{}{last}", &cookie[..cookie.len() - 1]);
        assert!(
            devices.verify(&forged, "user-1", 3).is_none(),
            "a changed signature"
        );
        let other = Devices {
            secret: b"another secret, another deployment".to_vec().into(),
        };
        assert!(other.verify(&cookie, "user-1", 3).is_none());
        assert!(devices.verify("garbage", "user-1", 3).is_none());
    }
}
