use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};

use super::*;

fn issuer() -> Issuer {
    Issuer::from_pem(
        &generate_key_pem(),
        "tenant-1",
        &["http://127.0.0.1:8080".into()],
    )
    .unwrap()
}

fn roles(r: &[&str]) -> Vec<String> {
    r.iter().map(|s| s.to_string()).collect()
}

fn read_token(issuer: &Issuer) -> String {
    issuer
        .issue(
            "app",
            &roles(&["Software.Read.All"]),
            Duration::from_secs(3600),
            DEFENDER_AUDIENCES[0],
        )
        .unwrap()
}

#[test]
fn issued_tokens_verify_with_their_roles() {
    let issuer = issuer();
    let principal = issuer.verify(&read_token(&issuer)).unwrap();
    assert!(principal.has_any(&["Software.Read.All", "Software.Read"]));
    assert!(!principal.has_any(&["Machine.Read.All"]));
    let own = issuer
        .issue(
            "app",
            &roles(&["Machine.ReadWrite.All"]),
            Duration::from_secs(60),
            "http://127.0.0.1:8080",
        )
        .unwrap();
    assert!(issuer.verify(&own).unwrap().has_any(&["Machine.Read.All"]));
}

#[test]
fn rejects_forged_expired_and_foreign_tokens() {
    let issuer = issuer();
    let other = Issuer::from_pem(&generate_key_pem(), "tenant-1", &[]).unwrap();
    assert!(
        matches!(
            issuer.verify(&read_token(&other)),
            Err(AuthError::UnknownKey(_))
        ),
        "another key's token"
    );
    let wrong_audience = issuer
        .issue(
            "app",
            &roles(&["Software.Read.All"]),
            Duration::from_secs(3600),
            "https://evil.example",
        )
        .unwrap();
    assert!(issuer.verify(&wrong_audience).is_err(), "wrong audience");
    let good = read_token(&issuer);
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    parts[1] = parts[1].chars().rev().collect();
    assert!(issuer.verify(&parts.join(".")).is_err(), "tampered payload");
    let claims: Claims = jsonwebtoken::dangerous::insecure_decode::<Claims>(&good)
        .unwrap()
        .claims;
    // alg=none and HS256 with a guessable secret are refused whatever the payload.
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some(issuer.kid());
    let forged = jsonwebtoken::encode(&hs, &claims, &EncodingKey::from_secret(b"public")).unwrap();
    assert!(issuer.verify(&forged).is_err(), "HS256");
    let none = format!("eyJhbGciOiJub25lIn0.{}.", good.split('.').nth(1).unwrap());
    assert!(issuer.verify(&none).is_err(), "alg none");
    let expired = Claims {
        exp: 1,
        nbf: 0,
        iat: 0,
        ..claims.clone()
    };
    assert!(
        issuer.verify(&issuer.sign(&expired).unwrap()).is_err(),
        "expired"
    );
    let future = Claims {
        nbf: claims.nbf + 3600,
        ..claims.clone()
    };
    assert!(
        issuer.verify(&issuer.sign(&future).unwrap()).is_err(),
        "not yet valid"
    );
    let foreign_issuer = Claims {
        iss: "https://sts.windows.net/tenant-1/".into(),
        ..claims.clone()
    };
    assert!(
        issuer
            .verify(&issuer.sign(&foreign_issuer).unwrap())
            .is_err(),
        "issuer"
    );
    let foreign_tenant = Claims {
        tid: "tenant-2".into(),
        ..claims
    };
    assert!(
        issuer
            .verify(&issuer.sign(&foreign_tenant).unwrap())
            .is_err(),
        "tenant"
    );
}

#[test]
fn rotation_keeps_the_previous_key_verifying_and_publishes_both() {
    let old_pem = generate_key_pem();
    let issuer = Issuer::from_pem(&old_pem, "tenant-1", &[]).unwrap();
    let before = read_token(&issuer);
    let old_kid = issuer.kid();
    let new_pem = generate_key_pem();
    issuer
        .set_keys(&[new_pem.as_str(), old_pem.as_str()])
        .unwrap();
    assert_ne!(issuer.kid(), old_kid, "the new key signs");
    assert_eq!(issuer.kids(), [issuer.kid(), old_kid.clone()]);
    assert!(
        issuer.verify(&before).is_ok(),
        "the previous key still verifies"
    );
    let after = read_token(&issuer);
    assert!(issuer.verify(&after).is_ok());
    let jwks = issuer.jwks();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [issuer.kid().as_str(), old_kid.as_str()]);
    // Once pruned, the old key's tokens are unknown.
    issuer.set_keys(&[new_pem]).unwrap();
    assert!(matches!(
        issuer.verify(&before),
        Err(AuthError::UnknownKey(_))
    ));
}

#[test]
fn the_jwks_verifies_tokens_independently() {
    let issuer = issuer();
    let token = read_token(&issuer);
    let jwk: jsonwebtoken::jwk::Jwk =
        serde_json::from_value(issuer.jwks()["keys"][0].clone()).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(Algorithm::ES256);
    validation.set_audience(&[DEFENDER_AUDIENCES[0]]);
    let data = jsonwebtoken::decode::<Claims>(&token, &key, &validation).unwrap();
    assert_eq!(data.claims.iss, "https://sts.kbgap.local/tenant-1/");
    assert_eq!(jwk.common.key_id.as_deref(), Some(issuer.kid().as_str()));
}

#[test]
fn audiences_are_defenders_and_our_own() {
    let issuer = issuer();
    assert_eq!(
        issuer.audience_for("https://API.securitycenter.microsoft.com/"),
        Some(DEFENDER_AUDIENCES[0])
    );
    assert_eq!(
        issuer.audience_for("http://127.0.0.1:8080"),
        Some("http://127.0.0.1:8080")
    );
    assert_eq!(issuer.audience_for("https://graph.microsoft.com"), None);
}

#[test]
fn secrets_verify_only_against_their_hash() {
    let secret = secrets::generate();
    assert_eq!(secret.len(), 43);
    assert_ne!(secret, secrets::generate());
    let stored = secrets::hash(&secret);
    assert!(stored.starts_with("$argon2id$"));
    assert!(!stored.contains(&secret));
    assert!(secrets::verify(&secret, &stored));
    assert!(!secrets::verify(&secrets::generate(), &stored));
    assert!(!secrets::verify(&secret, "not a hash"));
}

#[test]
fn role_names_are_canonicalized() {
    assert_eq!(
        application_role(" software.read.all"),
        Some("Software.Read.All")
    );
    assert_eq!(application_role("Software.Read"), None, "delegated");
    assert_eq!(application_role("Sofware.Read.All"), None);
    let guid = generate_guid();
    assert_eq!(guid.len(), 36);
    assert_eq!(&guid[14..15], "4");
}
