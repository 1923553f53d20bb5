//! Password hashing with argon2id (OWASP Password Storage: m = 19 MiB, t = 2, p = 1 at
//! least). Hashing is CPU-bound for about 15 ms (BENCHMARKS.md), so it runs on the blocking
//! pool and never stalls the request executor, and at most two hashes per core run at once:
//! a burst of sign-ins queues instead of taking 19 MiB of memory each.

use std::sync::{Arc, OnceLock};

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier as _, Version,
};
use async_trait::async_trait;

use crate::{
    Error,
    domain::Password,
    ports::{PasswordCheck, PasswordHasher},
};

/// Memory cost in KiB: OWASP's minimum for argon2id with t = 2.
pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

/// argon2id with the parameters above; verifies hashes of any parameters and says when a
/// stored hash is weaker than the current ones.
#[derive(Clone)]
pub struct Argon2Hasher {
    params: Params,
    dummy: Arc<OnceLock<String>>,
    running: Arc<tokio::sync::Semaphore>,
}

impl Argon2Hasher {
    pub fn new() -> Result<Self, String> {
        Self::with_params(MEMORY_KIB, ITERATIONS, PARALLELISM)
    }

    /// Other parameters: tests use weaker ones to create "old" hashes.
    pub fn with_params(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Self, String> {
        let params = Params::new(memory_kib, iterations, parallelism, None)
            .map_err(|error| format!("invalid argon2 parameters: {error}"))?;
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Ok(Self {
            params,
            dummy: Arc::new(OnceLock::new()),
            running: Arc::new(tokio::sync::Semaphore::new(cores * 2)),
        })
    }

    /// Runs `work` on the blocking pool once a hashing slot is free.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(Self) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let _slot = self
            .running
            .acquire()
            .await
            .map_err(|error| Error::Internal(format!("hashing slots closed: {error}")))?;
        let hasher = self.clone();
        tokio::task::spawn_blocking(move || work(hasher))
            .await
            .map_err(|error| Error::Internal(format!("hashing task failed: {error}")))?
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    fn hash_blocking(&self, password: &str) -> Result<String, Error> {
        self.argon2()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|error| Error::Internal(format!("argon2 hash failed: {error}")))
    }

    fn verify_blocking(&self, password: &str, phc: &str) -> Result<PasswordCheck, Error> {
        let Ok(parsed) = PasswordHash::new(phc) else {
            // A stored hash that does not parse can never match; say so in the logs.
            tracing::error!("a stored password hash is not a PHC string");
            return Ok(PasswordCheck::Mismatch);
        };
        match self.argon2().verify_password(password.as_bytes(), &parsed) {
            Ok(()) => Ok(PasswordCheck::Match {
                needs_rehash: self.is_weaker(&parsed),
            }),
            Err(argon2::password_hash::Error::PasswordInvalid) => Ok(PasswordCheck::Mismatch),
            Err(error) => Err(Error::Internal(format!("argon2 verify failed: {error}"))),
        }
    }

    /// True when `hash` is not argon2id with at least the current costs.
    fn is_weaker(&self, hash: &PasswordHash) -> bool {
        let Ok(stored) = Params::try_from(hash) else {
            return true;
        };
        hash.algorithm.as_str() != "argon2id"
            || stored.m_cost() < self.params.m_cost()
            || stored.t_cost() < self.params.t_cost()
            || stored.p_cost() != self.params.p_cost()
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<String, Error> {
        let password = password.expose().to_owned();
        self.run(move |hasher| hasher.hash_blocking(&password))
            .await
    }

    async fn verify(&self, password: &Password, phc: &str) -> Result<PasswordCheck, Error> {
        let (password, phc) = (password.expose().to_owned(), phc.to_owned());
        self.run(move |hasher| hasher.verify_blocking(&password, &phc))
            .await
    }

    async fn dummy_hash(&self) -> Result<String, Error> {
        if let Some(hash) = self.dummy.get() {
            return Ok(hash.clone());
        }
        // The password is random and thrown away: this hash can never be matched.
        let password = crate::domain::tokens::random_token("")
            .map_err(|error| Error::Internal(error.to_string()))?;
        let hash = self
            .hash(&Password::for_login(&password).map_err(Error::Internal)?)
            .await?;
        Ok(self.dummy.get_or_init(|| hash).clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_with_owasp_parameters() {
        let hasher = Argon2Hasher::new().unwrap();
        let password = Password::parse("correct horse battery").unwrap();
        let phc = hasher.hash(&password).await.unwrap();
        let parsed = PasswordHash::new(&phc).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let params = Params::try_from(&parsed).unwrap();
        assert!(params.m_cost() >= 19_456);
        assert!(params.t_cost() >= 2);
        assert_eq!(params.p_cost(), 1);
        assert_eq!(
            hasher.verify(&password, &phc).await.unwrap(),
            PasswordCheck::Match {
                needs_rehash: false
            }
        );
        let wrong = Password::for_login("correct horse battery!").unwrap();
        assert_eq!(
            hasher.verify(&wrong, &phc).await.unwrap(),
            PasswordCheck::Mismatch
        );
    }

    #[tokio::test]
    async fn weaker_stored_hashes_ask_for_a_rehash() {
        let old = Argon2Hasher::with_params(4096, 1, 1).unwrap();
        let current = Argon2Hasher::new().unwrap();
        let password = Password::parse("correct horse battery").unwrap();
        let weak = old.hash(&password).await.unwrap();
        assert_eq!(
            current.verify(&password, &weak).await.unwrap(),
            PasswordCheck::Match { needs_rehash: true }
        );
        assert_eq!(
            current.verify(&password, "not a phc string").await.unwrap(),
            PasswordCheck::Mismatch
        );
    }
}
