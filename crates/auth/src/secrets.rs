//! Client secrets of registered applications.
//!
//! A secret is 32 random bytes in base64url (43 characters, the strength of Entra's), shown
//! once when created. The database keeps only an argon2id hash (PHC string), so a copy of
//! the database does not hand out working credentials; verifying costs tens of
//! milliseconds, which callers should spend off the async executor (`spawn_blocking`).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A new random client secret.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The argon2id hash of `secret` (default parameters: 19 MiB, 2 passes), as a PHC string.
pub fn hash(secret: &str) -> String {
    let salt = SaltString::generate(&mut rand_core::OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any input")
        .to_string()
}

/// Whether `secret` matches the stored hash; false for a malformed hash.
pub fn verify(secret: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(secret.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}
