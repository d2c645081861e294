//! Tokens already verified, so that a client calling many times with the same token pays for
//! one ES256 signature check (a few hundred microseconds) and not one per request.
//!
//! The key is the whole token text: only the exact bytes that were verified hit the cache. An
//! entry lives until the token expires, and at most [`MAX_AGE`], so that a key withdrawn by a
//! rotation stops being honoured soon even for tokens it signed. The cache is bounded; when
//! full it starts again, which costs only re-verification.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kbgap_auth::{AuthError, Issuer, Principal};

/// How long a verified token is trusted without checking its signature again.
const MAX_AGE: Duration = Duration::from_secs(60);

/// How many tokens are remembered.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Default)]
pub(crate) struct VerifiedTokens {
    entries: Mutex<HashMap<String, Entry>>,
}

#[derive(Debug, Clone)]
struct Entry {
    principal: Principal,
    /// Unix seconds after which the entry is not used.
    until: u64,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl VerifiedTokens {
    /// The principal of `token`: from the cache when it was verified recently, else verified
    /// by `issuer` (and remembered when valid).
    pub(crate) fn verify(&self, issuer: &Issuer, token: &str) -> Result<Principal, AuthError> {
        let now = unix_now();
        if let Some(entry) = self.lock().get(token)
            && now < entry.until
        {
            return Ok(entry.principal.clone());
        }
        let principal = issuer.verify(token)?;
        let until = principal.expires_at.min(now + MAX_AGE.as_secs());
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            token.to_string(),
            Entry {
                principal: principal.clone(),
                until,
            },
        );
        Ok(principal)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kbgap_auth::{DEFENDER_AUDIENCES, generate_key_pem, generate_tenant_id};

    fn issuer() -> Issuer {
        Issuer::from_pem(&generate_key_pem(), &generate_tenant_id(), &[]).unwrap()
    }

    #[test]
    fn only_the_exact_verified_token_is_remembered_and_not_past_its_expiry() {
        let issuer = issuer();
        let cache = VerifiedTokens::default();
        let roles = ["Software.Read.All".to_string()];
        let token = issuer
            .issue(
                "app",
                &roles,
                Duration::from_secs(600),
                DEFENDER_AUDIENCES[0],
            )
            .unwrap();
        let first = cache.verify(&issuer, &token).unwrap();
        assert_eq!(cache.verify(&issuer, &token).unwrap(), first);
        let until = cache.lock()[&token].until;
        assert!(until <= unix_now() + MAX_AGE.as_secs());

        // A token differing in one byte of its signature is verified, and refused.
        let mut tampered = token.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert!(cache.verify(&issuer, &tampered).is_err());
        assert!(!cache.lock().contains_key(&tampered));

        // Another issuer's cache entry is not consulted by a fresh issuer: a token signed by
        // a key the issuer does not hold fails even though a cache once held it.
        let other = VerifiedTokens::default();
        assert!(other.verify(&self::issuer(), &token).is_err());

        // An expired entry is verified again (and the token, still valid, passes).
        cache.lock().get_mut(&token).unwrap().until = 0;
        assert_eq!(cache.verify(&issuer, &token).unwrap(), first);
    }
}
