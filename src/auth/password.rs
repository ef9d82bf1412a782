//! Argon2id password hashes (PHC strings), computed off the async workers.

use crate::domain::Password;
use anyhow::Context;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use std::sync::OnceLock;

/// Hashes with Argon2id and the crate's defaults (the OWASP-recommended m=19 MiB, t=2, p=1),
/// on the blocking pool: hashing takes tens of milliseconds of CPU.
pub async fn hash(password: Password) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .context("hashing task failed")?
    .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

/// Checks `password` against `stored`. Without a stored hash (unknown account) a dummy hash
/// is checked anyway, so response times do not reveal which emails have accounts.
pub async fn verify(password: Password, stored: Option<String>) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| dummy_hash().to_string());
        let ok = PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.expose().as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        known && ok
    })
    .await
    .context("verification task failed")
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(b"not a real password", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(s: &str) -> Password {
        Password::parse(s.into()).unwrap()
    }

    #[tokio::test]
    async fn hashes_verify_and_salts_differ() {
        let a = hash(pw("correct horse")).await.unwrap();
        let b = hash(pw("correct horse")).await.unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b);
        assert!(verify(pw("correct horse"), Some(a.clone())).await.unwrap());
        assert!(!verify(pw("wrong horse"), Some(a)).await.unwrap());
        assert!(!verify(pw("not a real password"), None).await.unwrap());
    }
}
