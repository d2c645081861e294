//! The active signing keys: their ids, their public halves as JWKs.
//!
//! A key id is the key's RFC 7638 JWK thumbprint (SHA-256, base64url), so it is derived
//! from the key itself: the database stores only the private PEM, and every process that
//! loads the same key names it the same way.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{DecodingKey, EncodingKey};
use p256::SecretKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
use sha2::{Digest, Sha256};

use crate::AuthError;

pub(crate) struct SigningKey {
    pub kid: String,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    x: String,
    y: String,
}

impl SigningKey {
    fn from_pem(private_pem: &str) -> Result<SigningKey, AuthError> {
        let key_error = |e: &dyn std::fmt::Display| AuthError::Key(e.to_string());
        let secret = SecretKey::from_pkcs8_pem(private_pem).map_err(|e| key_error(&e))?;
        let public = secret.public_key();
        let point = public.to_encoded_point(false);
        let (x, y) = match (point.x(), point.y()) {
            (Some(x), Some(y)) => (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y)),
            _ => return Err(AuthError::Key("public key is the identity point".into())),
        };
        // RFC 7638: the required members in lexicographic order, no whitespace.
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
        let public_pem = public
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| key_error(&e))?;
        Ok(SigningKey {
            kid,
            encoding: EncodingKey::from_ec_pem(private_pem.as_bytes())
                .map_err(|e| key_error(&e))?,
            decoding: DecodingKey::from_ec_pem(public_pem.as_bytes()).map_err(|e| key_error(&e))?,
            x,
            y,
        })
    }

    /// The public key as a JWK, as Entra's JWKS lists its keys.
    pub fn jwk(&self) -> serde_json::Value {
        serde_json::json!({
            "kty": "EC",
            "use": "sig",
            "alg": "ES256",
            "kid": self.kid,
            "crv": "P-256",
            "x": self.x,
            "y": self.y,
        })
    }
}

/// Non-empty, newest first.
pub(crate) struct KeySet(Vec<SigningKey>);

impl KeySet {
    pub fn from_pems<P: AsRef<str>>(pems: &[P]) -> Result<KeySet, AuthError> {
        if pems.is_empty() {
            return Err(AuthError::Key("no signing key".into()));
        }
        Ok(KeySet(
            pems.iter()
                .map(|p| SigningKey::from_pem(p.as_ref()))
                .collect::<Result<_, _>>()?,
        ))
    }

    pub fn current(&self) -> &SigningKey {
        &self.0[0]
    }

    pub fn find(&self, kid: &str) -> Option<&SigningKey> {
        self.0.iter().find(|k| k.kid == kid)
    }

    pub fn iter(&self) -> impl Iterator<Item = &SigningKey> {
        self.0.iter()
    }
}
