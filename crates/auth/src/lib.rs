//! Bearer-token authentication, the way Defender's API does it.
//!
//! Clients send `Authorization: Bearer <JWT>`; the token carries the caller's permissions in
//! `roles` (application tokens) or `scp` (delegated tokens). kbgap signs its own tokens with
//! an ES256 key that lives in its database, so `kbgap token` on the same database produces
//! tokens the server accepts. Validation pins the algorithm (the token header never chooses
//! it), the key id, the issuer and the audience, and checks `exp` and `nbf`.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use p256::SecretKey;
use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use sha1::{Digest, Sha1};

/// The audiences Defender's API answers to (CONTRACT.md, Permissions).
pub const DEFENDER_AUDIENCES: [&str; 3] = [
    "https://api.securitycenter.microsoft.com",
    "https://api.securitycenter.windows.com",
    "https://api.security.microsoft.com",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("invalid token: {0}")]
    Invalid(String),
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

/// kbgap's own token issuer: one ES256 key, its key id, the issuer name and the audiences
/// it accepts.
pub struct Issuer {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
    tenant: String,
    audiences: Vec<String>,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("kid", &self.kid)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// A new random ES256 private key as PKCS#8 PEM, to be stored in the database.
pub fn generate_key_pem() -> String {
    let key = SecretKey::random(&mut rand_core::OsRng);
    key.to_pkcs8_pem(LineEnding::LF)
        .expect("a fresh P-256 key encodes")
        .to_string()
}

/// A new random tenant id (GUID form, like Entra's).
pub fn generate_tenant_id() -> String {
    let mut bytes = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
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

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Issuer {
    /// An issuer for `tenant` from a stored PKCS#8 PEM key. `extra_audiences` adds kbgap's own
    /// public URL to Defender's identifiers.
    pub fn from_pem(
        private_pem: &str,
        tenant: &str,
        extra_audiences: &[String],
    ) -> Result<Issuer, AuthError> {
        use p256::pkcs8::DecodePrivateKey;
        let secret =
            SecretKey::from_pkcs8_pem(private_pem).map_err(|e| AuthError::Key(e.to_string()))?;
        let public_pem = secret
            .public_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| AuthError::Key(e.to_string()))?;
        let kid: String = Sha1::digest(public_pem.as_bytes())
            .iter()
            .take(10)
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut audiences: Vec<String> = DEFENDER_AUDIENCES.iter().map(|s| s.to_string()).collect();
        audiences.extend(
            extra_audiences
                .iter()
                .map(|a| a.trim_end_matches('/').to_string()),
        );
        Ok(Issuer {
            kid,
            encoding: EncodingKey::from_ec_pem(private_pem.as_bytes())
                .map_err(|e| AuthError::Key(e.to_string()))?,
            decoding: DecodingKey::from_ec_pem(public_pem.as_bytes())
                .map_err(|e| AuthError::Key(e.to_string()))?,
            issuer: format!("https://sts.kbgap.local/{tenant}/"),
            tenant: tenant.to_string(),
            audiences,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
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
            iat,
            nbf: iat,
            exp: iat + ttl.as_secs(),
        };
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map_err(|e| AuthError::Invalid(e.to_string()))
    }

    /// Validates a token: ES256 only, our key id, our issuer, an accepted audience, inside
    /// its validity window (60 s leeway for clock skew).
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| AuthError::Invalid(e.to_string()))?;
        if header.alg != Algorithm::ES256 {
            return Err(AuthError::Invalid(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        if header.kid.as_deref() != Some(self.kid.as_str()) {
            return Err(AuthError::Invalid("unknown signing key".into()));
        }
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_audience(&self.audiences);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "nbf", "aud", "iss"]);
        validation.validate_nbf = true;
        validation.leeway = 60;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|e| AuthError::Invalid(e.to_string()))?;
        let claims = data.claims;
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
        })
    }
}

#[cfg(test)]
mod tests;
