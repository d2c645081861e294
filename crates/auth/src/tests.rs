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

#[test]
fn issued_tokens_verify_with_their_roles() {
    let issuer = issuer();
    let token = issuer
        .issue(
            "app",
            &roles(&["Software.Read.All"]),
            Duration::from_secs(3600),
            DEFENDER_AUDIENCES[0],
        )
        .unwrap();
    let principal = issuer.verify(&token).unwrap();
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
    let foreign = other
        .issue(
            "app",
            &roles(&["Software.Read.All"]),
            Duration::from_secs(3600),
            DEFENDER_AUDIENCES[0],
        )
        .unwrap();
    assert!(issuer.verify(&foreign).is_err(), "another key's token");
    let wrong_audience = issuer
        .issue(
            "app",
            &roles(&["Software.Read.All"]),
            Duration::from_secs(3600),
            "https://evil.example",
        )
        .unwrap();
    assert!(issuer.verify(&wrong_audience).is_err(), "wrong audience");
    let good = issuer
        .issue(
            "app",
            &roles(&["Software.Read.All"]),
            Duration::from_secs(3600),
            DEFENDER_AUDIENCES[0],
        )
        .unwrap();
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    parts[1] = parts[1].chars().rev().collect();
    assert!(issuer.verify(&parts.join(".")).is_err(), "tampered payload");
    // alg=none and HS256 with a guessable secret are refused whatever the payload.
    let claims: Claims = serde_json::from_str(
        &String::from_utf8(
            jsonwebtoken::dangerous::insecure_decode::<serde_json::Value>(&good)
                .map(|d| serde_json::to_vec(&d.claims).unwrap())
                .unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some(issuer.kid().to_string());
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
    let mut es = Header::new(Algorithm::ES256);
    es.kid = Some(issuer.kid().to_string());
    let token = jsonwebtoken::encode(&es, &expired, &issuer.encoding).unwrap();
    assert!(issuer.verify(&token).is_err(), "expired");
    let future = Claims {
        nbf: claims.nbf + 3600,
        ..claims
    };
    let token = jsonwebtoken::encode(&es, &future, &issuer.encoding).unwrap();
    assert!(issuer.verify(&token).is_err(), "not yet valid");
}
