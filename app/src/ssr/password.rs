//! Argon2id password hashing with OWASP's parameters (19 MiB, 2 passes, 1 lane), run on the
//! blocking pool so a login never stalls the async runtime.
use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use std::sync::LazyLock;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A real hash of a random password, verified against when the account does not exist so an
/// unknown email costs the same time as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let random: [u8; 16] = rand::random();
    hash_blocking(&hex::encode(random))
});

fn hash_blocking(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with valid parameters cannot fail")
        .to_string()
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        // An account without a usable password: as slow as a real check, and false.
        Err(_) => {
            if let Ok(dummy) = PasswordHash::new(&DUMMY_HASH) {
                let _ = argon2().verify_password(password.as_bytes(), &dummy);
            }
            false
        }
    }
}

tokio::task_local! {
    /// The [`HashGate`] place of the request hashing in this task (see [`HashPermit::hold`]).
    static HELD: std::sync::Arc<tokio::sync::OwnedSemaphorePermit>;
}

/// The place the current task holds, if any: a hash keeps it until the hash is done, even
/// if the request that asked for it is gone (a client that disconnects mid-hash must not
/// free a place while its 19 MiB are still in use).
fn held() -> Option<std::sync::Arc<tokio::sync::OwnedSemaphorePermit>> {
    HELD.try_with(|held| held.clone()).ok()
}

/// Hashes a password into a PHC string.
pub async fn hash(password: String) -> String {
    let held = held();
    tokio::task::spawn_blocking(move || {
        let _held = held;
        hash_blocking(&password)
    })
    .await
    .expect("password hashing task panicked")
}

/// Checks a password against a stored PHC string; with `None`, checks it against a dummy hash
/// (and returns false) so timing does not reveal whether an account exists.
pub async fn verify(password: String, hash: Option<String>) -> bool {
    let held = held();
    tokio::task::spawn_blocking(move || {
        let _held = held;
        match hash {
            Some(hash) => verify_blocking(&password, &hash),
            None => {
                verify_blocking(&password, &DUMMY_HASH);
                false
            }
        }
    })
    .await
    .unwrap_or(false)
}

/// Bounds how many password hashes run at once (each Argon2id pass holds 19 MiB): at most
/// `running` at a time, at most `waiting` more queued; anyone beyond is turned away at once
/// (503 with `Retry-After`) instead of queueing without bound. 64 concurrent sign-ins took an
/// unbounded server from 59 MB to 1.4 GB.
#[derive(Clone, Debug)]
pub struct HashGate {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    waiting: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    max_waiting: usize,
}

/// A place in the [`HashGate`]: hashing done inside [`HashPermit::hold`] keeps the place until
/// the hash itself has finished.
#[derive(Debug)]
pub struct HashPermit(std::sync::Arc<tokio::sync::OwnedSemaphorePermit>);

impl HashPermit {
    /// Runs `work` (which hashes) in this place.
    pub async fn hold<F: std::future::Future>(self, work: F) -> F::Output {
        HELD.scope(self.0, work).await
    }
}

/// One place in the gate's queue, given back however the wait ends (a client that
/// disconnects while queued included).
struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

impl HashGate {
    /// `running` at once (at least 1), `waiting` more queued.
    pub fn new(running: usize, waiting: usize) -> Self {
        Self {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(running.max(1))),
            waiting: Default::default(),
            max_waiting: waiting,
        }
    }

    /// Twice the cores running, as many waiting.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::new(2 * cores, 2 * cores)
    }

    /// A place to hash in, waiting in the short queue if need be; 503 with `Retry-After`
    /// when the queue is full too.
    pub async fn enter(&self) -> Result<HashPermit, crate::error::ApiError> {
        use std::sync::atomic::Ordering;
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Ok(HashPermit(std::sync::Arc::new(permit)));
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(crate::error::ApiError {
                message: "Too many sign-ins at once. Please try again in a moment.".into(),
                retry_after: Some(1),
                ..crate::error::ApiError::unavailable()
            });
        }
        let _waiting = Waiting(&self.waiting);
        let permit = self.permits.clone().acquire_owned().await;
        permit
            .map(|permit| HashPermit(std::sync::Arc::new(permit)))
            .map_err(|_| crate::error::ApiError::unavailable())
    }
}

/// Rejects passwords we refuse to store: too short to resist guessing, or long enough to be
/// a denial-of-service vector for the hash.
pub fn check_strength(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < 10 {
        Err("Passwords need at least 10 characters.".into())
    } else if password.len() > 1024 {
        Err("Passwords can be at most 1024 bytes.".into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_only_the_right_password() {
        let stored = hash("correct horse battery".into()).await;
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery".into(), Some(stored.clone())).await);
        assert!(!verify("wrong horse battery".into(), Some(stored)).await);
        assert!(!verify("anything".into(), None).await);
    }
}
