//! Bearer-token authentication, the way Defender's API and Entra ID do it.
//!
//! Clients send `Authorization: Bearer <JWT>`; the token carries the caller's permissions in
//! `roles` (application tokens) or `scp` (delegated tokens). kbgap is its own identity
//! provider: it signs tokens with ES256 keys kept in its database ([`Issuer`]), publishes
//! their public halves as a JWKS, and registers client applications whose secrets are kept
//! only as slow hashes ([`secrets`]).
//!
//! Validation pins the algorithm (the token header never chooses it), requires a known key
//! id, the issuer and an accepted audience, and checks `exp` and `nbf`. Several keys are
//! active at once (the newest signs, older ones still verify) so that rotating the key does
//! not invalidate tokens already handed out.
//!
//! The issuer is `https://sts.kbgap.local/<tenant>/` whichever endpoint issued the token,
//! as Entra writes `https://sts.windows.net/<tenant>/` into the v1-format tokens Defender's
//! API receives (from the v1 and the v2 endpoint alike): a name, not an address.

pub mod external;
mod keys;
pub mod secrets;

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, Header, Validation};
use p256::SecretKey;
use p256::pkcs8::{EncodePrivateKey, LineEnding};

use keys::KeySet;

/// The audiences Defender's API answers to (CONTRACT.md, Permissions).
pub const DEFENDER_AUDIENCES: [&str; 3] = [
    "https://api.securitycenter.microsoft.com",
    "https://api.securitycenter.windows.com",
    "https://api.security.microsoft.com",
];

/// The application permissions kbgap's endpoints check, the ones an application can be
/// granted (Defender's names; `ReadWrite` implies `Read`).
pub const APPLICATION_ROLES: [&str; 4] = [
    "Machine.Read.All",
    "Machine.ReadWrite.All",
    "Software.Read.All",
    "Vulnerability.Read.All",
];

/// How many signing keys a rotation keeps: the new one and the one before it.
pub const KEYS_KEPT: usize = 2;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("invalid token: {0}")]
    Invalid(String),
    /// Signed (or claiming to be signed) by a key this issuer does not hold: either forged
    /// or signed by a key rotated in since the keys were loaded.
    #[error("unknown signing key {0:?}")]
    UnknownKey(String),
    #[error("signing key is not usable: {0}")]
    Key(String),
}

/// The claims kbgap issues and reads.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub tid: String,
    pub appid: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
    /// The token format, "1.0" as in the tokens Entra issues for Defender's API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ver: Option<String>,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
}

/// Who is calling, and with which permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub app_id: String,
    /// Application permissions (`roles`) or delegated ones (`scp`).
    pub permissions: BTreeSet<String>,
    pub delegated: bool,
    /// When the token stops being valid (its `exp`, Unix seconds).
    pub expires_at: u64,
}

impl Principal {
    /// Whether the caller holds one of `accepted`. A `ReadWrite` permission implies the
    /// matching `Read` one (`Machine.ReadWrite.All` grants `Machine.Read.All`).
    pub fn has_any(&self, accepted: &[&str]) -> bool {
        self.permissions.iter().any(|held| {
            accepted.iter().any(|want| {
                held.eq_ignore_ascii_case(want)
                    || held
                        .replacen("ReadWrite", "Read", 1)
                        .eq_ignore_ascii_case(want)
            })
        })
    }
}

/// A role name in its canonical spelling, if it is one an application can be granted.
pub fn application_role(name: &str) -> Option<&'static str> {
    APPLICATION_ROLES
        .iter()
        .find(|r| r.eq_ignore_ascii_case(name.trim()))
        .copied()
}

/// A new random ES256 private key as PKCS#8 PEM, to be stored in the database.
pub fn generate_key_pem() -> String {
    let key = SecretKey::random(&mut rand_core::OsRng);
    key.to_pkcs8_pem(LineEnding::LF)
        .expect("a fresh P-256 key encodes")
        .to_string()
}

/// A new random GUID (version 4 form, lower case), as Entra writes tenant and client ids.
pub fn generate_guid() -> String {
    let mut bytes = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A new random tenant id (GUID form, like Entra's).
pub fn generate_tenant_id() -> String {
    generate_guid()
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// kbgap's own token issuer: the active signing keys (newest first), the tenant, the
/// issuer name and the audiences it accepts. The keys can be replaced while the server
/// runs ([`Issuer::set_keys`]) when a rotation happened in the database.
pub struct Issuer {
    /// The active keys and when they were loaded.
    keys: RwLock<(Arc<KeySet>, Instant)>,
    issuer: String,
    tenant: String,
    audiences: Vec<String>,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("kids", &self.kids())
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl Issuer {
    /// An issuer for `tenant` with one stored PKCS#8 PEM key. `extra_audiences` adds
    /// kbgap's own public URL to Defender's identifiers.
    pub fn from_pem(
        private_pem: &str,
        tenant: &str,
        extra_audiences: &[String],
    ) -> Result<Issuer, AuthError> {
        Issuer::from_pems(&[private_pem], tenant, extra_audiences)
    }

    /// An issuer with several keys, newest (the one that signs) first.
    pub fn from_pems<P: AsRef<str>>(
        private_pems: &[P],
        tenant: &str,
        extra_audiences: &[String],
    ) -> Result<Issuer, AuthError> {
        let mut audiences: Vec<String> = DEFENDER_AUDIENCES.iter().map(|s| s.to_string()).collect();
        audiences.extend(
            extra_audiences
                .iter()
                .map(|a| a.trim_end_matches('/').to_string()),
        );
        Ok(Issuer {
            keys: RwLock::new((Arc::new(KeySet::from_pems(private_pems)?), Instant::now())),
            issuer: format!("https://sts.kbgap.local/{tenant}/"),
            tenant: tenant.to_string(),
            audiences,
        })
    }

    fn key_set(&self) -> Arc<KeySet> {
        self.keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .clone()
    }

    /// How long ago the keys were loaded.
    pub fn keys_age(&self) -> Duration {
        self.keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .elapsed()
    }

    /// Replaces the active keys (newest first), after a rotation.
    pub fn set_keys<P: AsRef<str>>(&self, private_pems: &[P]) -> Result<(), AuthError> {
        let set = Arc::new(KeySet::from_pems(private_pems)?);
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = (set, Instant::now());
        Ok(())
    }

    /// The key id of the signing key.
    pub fn kid(&self) -> String {
        self.key_set().current().kid.clone()
    }

    /// The key ids of every active key, newest first.
    pub fn kids(&self) -> Vec<String> {
        self.key_set().iter().map(|k| k.kid.clone()).collect()
    }

    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The `iss` of every token this issuer signs.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The audience a token requested for `resource` gets, if this issuer serves it:
    /// Defender's API identifiers and kbgap's own URL, compared without a trailing slash
    /// and case-insensitively, answered in the canonical spelling.
    pub fn audience_for(&self, resource: &str) -> Option<&str> {
        let wanted = resource.trim().trim_end_matches('/');
        self.audiences
            .iter()
            .find(|a| a.eq_ignore_ascii_case(wanted))
            .map(String::as_str)
    }

    /// The public keys as a JSON Web Key Set (`{"keys": [...]}`), newest first.
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<serde_json::Value> = self.key_set().iter().map(|k| k.jwk()).collect();
        serde_json::json!({ "keys": keys })
    }

    /// Signs an application token carrying `roles`, valid for `ttl`.
    pub fn issue(
        &self,
        app_id: &str,
        roles: &[String],
        ttl: Duration,
        audience: &str,
    ) -> Result<String, AuthError> {
        let iat = now();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: audience.to_string(),
            sub: app_id.to_string(),
            tid: self.tenant.clone(),
            appid: app_id.to_string(),
            roles: roles.to_vec(),
            scp: None,
            ver: Some("1.0".into()),
            iat,
            nbf: iat,
            exp: iat + ttl.as_secs(),
        };
        self.sign(&claims)
    }

    /// Signs arbitrary claims with the current key (tests build malformed tokens with it).
    pub fn sign(&self, claims: &Claims) -> Result<String, AuthError> {
        let keys = self.key_set();
        let key = keys.current();
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, claims, &key.encoding)
            .map_err(|e| AuthError::Invalid(e.to_string()))
    }

    /// Validates a token: ES256 only, one of our key ids, our issuer, an accepted
    /// audience, inside its validity window (60 s leeway for clock skew).
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| AuthError::Invalid(e.to_string()))?;
        if header.alg != Algorithm::ES256 {
            return Err(AuthError::Invalid(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| AuthError::Invalid("no key id".into()))?;
        let keys = self.key_set();
        let key = keys.find(&kid).ok_or(AuthError::UnknownKey(kid))?;
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_audience(&self.audiences);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "nbf", "aud", "iss"]);
        validation.validate_nbf = true;
        validation.leeway = 60;
        let data = jsonwebtoken::decode::<Claims>(token, &key.decoding, &validation)
            .map_err(|e| AuthError::Invalid(e.to_string()))?;
        let claims = data.claims;
        if claims.tid != self.tenant {
            return Err(AuthError::Invalid("another tenant's token".into()));
        }
        let delegated = claims.roles.is_empty() && claims.scp.is_some();
        let permissions = if delegated {
            claims
                .scp
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_string)
                .collect()
        } else {
            claims.roles.into_iter().collect()
        };
        Ok(Principal {
            app_id: claims.appid,
            permissions,
            delegated,
            expires_at: claims.exp,
        })
    }
}

#[cfg(test)]
mod tests;
