//! Validation against a key set installed directly (the HTTP side is tested through the API,
//! against a provider on a loopback socket: crates/api/tests/external_idp.rs).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{EncodingKey, Header};
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

use super::*;
use crate::now;

const ISSUER: &str = "https://login.example.test/tenant-1/v2.0";
const AUDIENCE: &str = "https://api.securitycenter.microsoft.com";
const RSA_PEM: &str = include_str!("../../tests/data/oidc-rsa-1.pem");

fn rsa_jwk(pem: &str, kid: &str) -> Value {
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem).unwrap();
    json!({
        "kty": "RSA", "use": "sig", "kid": kid,
        "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    })
}

/// An ES256 key: its signing half and its JWK.
fn ec_key(kid: &str) -> (EncodingKey, Value) {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    let secret = p256::SecretKey::random(&mut rand_core::OsRng);
    let point = secret.public_key().to_encoded_point(false);
    let jwk = json!({
        "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig",
        "x": URL_SAFE_NO_PAD.encode(point.x().unwrap()),
        "y": URL_SAFE_NO_PAD.encode(point.y().unwrap()),
    });
    let pem = secret.to_pkcs8_pem(LineEnding::LF).unwrap();
    (EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(), jwk)
}

fn issuers(algorithms: &[Algorithm], group_claim: &str) -> ExternalIssuers {
    let config = OidcConfig::new(
        vec![ISSUER.into()],
        vec![AUDIENCE.into()],
        algorithms.to_vec(),
        group_claim,
    )
    .unwrap();
    ExternalIssuers::new(config)
}

fn claims(extra: Value) -> Value {
    let now = now();
    let mut claims = json!({
        "iss": ISSUER, "aud": AUDIENCE, "tid": "tenant-1", "sub": "subject",
        "iat": now, "nbf": now, "exp": now + 600,
    });
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    claims
}

fn rs256(kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    let key = EncodingKey::from_rsa_pem(RSA_PEM.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

/// A token with a hand-written header and signature.
fn forged(header: Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

fn with_rsa(issuers: &ExternalIssuers) {
    issuers.install(ISSUER, &json!({ "keys": [rsa_jwk(RSA_PEM, "rsa-1")] }));
}

fn refused(result: Result<ExternalPrincipal, AuthError>) -> String {
    match result {
        Err(AuthError::Invalid(why)) => why,
        other => panic!("expected an invalid token, got {other:?}"),
    }
}

#[test]
fn entra_v1_application_token_is_unscoped() {
    let idp = issuers(&[Algorithm::RS256], DEFAULT_GROUP_CLAIM);
    with_rsa(&idp);
    let token = rs256(
        "rsa-1",
        &claims(json!({ "appid": "app-1", "ver": "1.0", "roles": ["Software.Read.All"] })),
    );
    let found = idp.verify(&token).unwrap();
    assert_eq!(found.principal.app_id, "app-1");
    assert!(!found.principal.delegated);
    assert!(found.principal.has_any(&["Software.Read.All"]));
    assert_eq!(found.tenant.as_deref(), Some("tenant-1"));
    assert_eq!(found.device_groups, None);
}

#[test]
fn delegated_token_carries_its_scopes_and_groups() {
    let idp = issuers(&[Algorithm::RS256], DEFAULT_GROUP_CLAIM);
    with_rsa(&idp);
    let token = rs256(
        "rsa-1",
        &claims(json!({
            "azp": "app-2", "ver": "2.0", "scp": "Software.Read Machine.Read",
            "roles": ["Software.Read.All"], "groups": ["Servers", "Kiosks"],
        })),
    );
    let found = idp.verify(&token).unwrap();
    assert_eq!(found.principal.app_id, "app-2");
    assert!(found.principal.delegated);
    // `roles` of a user token are not application permissions.
    assert!(!found.principal.has_any(&["Software.Read.All"]));
    assert!(found.principal.has_any(&["Machine.Read"]));
    let groups: Vec<&str> = found
        .device_groups
        .as_ref()
        .unwrap()
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(groups, ["Kiosks", "Servers"]);

    let no_groups = rs256("rsa-1", &claims(json!({ "scp": "Software.Read" })));
    assert_eq!(
        idp.verify(&no_groups).unwrap().device_groups,
        Some(BTreeSet::new())
    );
}

#[test]
fn the_group_claim_is_configurable() {
    let idp = issuers(&[Algorithm::RS256], "device_groups");
    with_rsa(&idp);
    let token = rs256(
        "rsa-1",
        &claims(json!({ "scp": "Software.Read", "groups": ["A"], "device_groups": "B" })),
    );
    let groups = idp.verify(&token).unwrap().device_groups.unwrap();
    assert_eq!(groups.into_iter().collect::<Vec<_>>(), ["B"]);
}

#[test]
fn claims_that_do_not_hold_are_refused() {
    let idp = issuers(&[Algorithm::RS256], DEFAULT_GROUP_CLAIM);
    with_rsa(&idp);
    let now = now();
    let other_audience = rs256("rsa-1", &claims(json!({ "aud": "https://graph.example" })));
    assert!(refused(idp.verify(&other_audience)).contains("Audience"));
    let expired = rs256("rsa-1", &claims(json!({ "exp": now - 3600 })));
    assert!(refused(idp.verify(&expired)).contains("Expired"));
    let early = rs256("rsa-1", &claims(json!({ "nbf": now + 3600 })));
    assert!(refused(idp.verify(&early)).contains("Immature"));
    let untrusted = rs256(
        "rsa-1",
        &claims(json!({ "iss": "https://login.example.test/tenant-2/v2.0" })),
    );
    assert!(refused(idp.verify(&untrusted)).contains("not trusted"));

    // A valid signature over other claims.
    let good = rs256("rsa-1", &claims(json!({ "roles": ["Software.Read.All"] })));
    let mut parts: Vec<&str> = good.split('.').collect();
    let tampered = URL_SAFE_NO_PAD.encode(
        claims(json!({ "roles": ["Machine.ReadWrite.All"] }))
            .to_string()
            .as_bytes(),
    );
    parts[1] = &tampered;
    assert!(refused(idp.verify(&parts.join("."))).contains("InvalidSignature"));
    // The audience matches with or without a trailing slash.
    let slash = rs256("rsa-1", &claims(json!({ "aud": format!("{AUDIENCE}/") })));
    assert!(idp.verify(&slash).is_ok());
}

#[test]
fn the_header_never_chooses_the_algorithm_family() {
    let idp = issuers(&[Algorithm::RS256], DEFAULT_GROUP_CLAIM);
    let (ec, ec_jwk) = ec_key("ec-1");
    idp.install(
        ISSUER,
        &json!({ "keys": [rsa_jwk(RSA_PEM, "rsa-1"), ec_jwk] }),
    );
    let body = claims(json!({ "roles": ["Software.Read.All"] }));

    let none = forged(json!({ "alg": "none", "kid": "rsa-1" }), &body, b"");
    assert!(matches!(idp.verify(&none), Err(AuthError::Invalid(_))));

    // HS256 keyed with the public key, the classic confusion.
    let public = rsa::RsaPrivateKey::from_pkcs8_pem(RSA_PEM)
        .unwrap()
        .to_public_key();
    let public_pem =
        rsa::pkcs8::EncodePublicKey::to_public_key_pem(&public, LineEnding::LF).unwrap();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("rsa-1".into());
    let hs = jsonwebtoken::encode(
        &header,
        &body,
        &EncodingKey::from_secret(public_pem.as_bytes()),
    )
    .unwrap();
    assert!(refused(idp.verify(&hs)).contains("not accepted"));

    // ES256 by a key the provider publishes, but only RS256 is configured.
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("ec-1".into());
    let es = jsonwebtoken::encode(&header, &body, &ec).unwrap();
    assert!(refused(idp.verify(&es)).contains("not accepted"));

    // With ES256 allowed too, the EC key verifies ES256 but the RSA key never does.
    let both = issuers(&[Algorithm::RS256, Algorithm::ES256], DEFAULT_GROUP_CLAIM);
    let (ec, ec_jwk) = ec_key("ec-1");
    both.install(
        ISSUER,
        &json!({ "keys": [rsa_jwk(RSA_PEM, "rsa-1"), ec_jwk] }),
    );
    let es = jsonwebtoken::encode(&header, &body, &ec).unwrap();
    assert!(both.verify(&es).is_ok());
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("rsa-1".into());
    let mislabelled = jsonwebtoken::encode(&header, &body, &ec).unwrap();
    assert!(refused(both.verify(&mislabelled)).contains("does not sign with"));
}

#[test]
fn unknown_key_ids_ask_for_a_refresh_at_most_once_an_interval() {
    let idp = issuers(&[Algorithm::RS256], DEFAULT_GROUP_CLAIM);
    with_rsa(&idp);
    let body = claims(json!({ "roles": ["Software.Read.All"] }));
    let known = rs256("rsa-1", &body);
    assert!(idp.refresh_due(&known).is_none());
    let unknown = rs256("rotated-in", &body);
    assert_eq!(
        idp.verify(&unknown),
        Err(AuthError::UnknownKey("rotated-in".into()))
    );
    assert!(idp.refresh_due(&unknown).is_some());
    for i in 0..100 {
        let flood = forged(
            json!({ "alg": "RS256", "kid": format!("forged-{i}") }),
            &body,
            b"x",
        );
        assert!(idp.refresh_due(&flood).is_none());
    }
    // Tokens of issuers not configured here never cause a fetch.
    let foreign = rs256(
        "x",
        &claims(json!({ "iss": "https://evil.example/", "roles": [] })),
    );
    assert!(idp.refresh_due(&foreign).is_none());
}

#[test]
fn configuration_is_checked() {
    let aud = || vec![AUDIENCE.to_string()];
    let config = |issuer: &str, algs: Vec<Algorithm>| {
        OidcConfig::new(vec![issuer.into()], aud(), algs, DEFAULT_GROUP_CLAIM)
    };
    assert!(config(ISSUER, vec![Algorithm::HS256]).is_err());
    assert!(config("http://login.example.test/t/", vec![Algorithm::RS256]).is_err());
    assert!(config("http://127.0.0.1:8081/realms/r", vec![Algorithm::RS256]).is_ok());
    assert!(config("http://localhost/realms/r", vec![Algorithm::RS256]).is_ok());
    assert!(config("http://127.0.0.1.evil.example/", vec![Algorithm::RS256]).is_err());
    assert!(parse_algorithms(&["RS256", "ES256"]).is_ok());
    assert!(parse_algorithms(&["HS256"]).is_err());
    assert!(parse_algorithms(&["none"]).is_err());
    let ok = config(ISSUER, vec![Algorithm::RS256]).unwrap();
    assert_eq!(ok.audiences, [format!("{AUDIENCE}/"), AUDIENCE.to_string()]);
}
