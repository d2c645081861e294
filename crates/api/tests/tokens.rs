//! Tokens the API must refuse, each answered with Defender's error body: 401 for a token
//! that is absent, malformed, forged or out of date, 403 for a good token without the
//! permission. The forgeries start from a real token of the token service and change one
//! thing each.

mod idp;

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idp::{DEFENDER, EDGE_MISSING, idp, register};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use kbgap_auth::Claims;
use kbgap_store::Store;
use p256::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn forged_stale_and_foreign_tokens_are_refused_with_defenders_body() {
    let idp = idp("tokens", true).await;
    let (client, secret) = register(&idp.store, "reader", &["Software.Read.All"]).await;
    let good = idp.token(&client, &secret).await;
    assert_eq!(
        idp.get(EDGE_MISSING, Some(&good)).await.status,
        StatusCode::OK
    );
    let claims: Claims = jsonwebtoken::dangerous::insecure_decode::<Claims>(&good)
        .unwrap()
        .claims;
    let issuer = &idp.state.issuer;
    let kid = issuer.kid();
    let now = kbgap_auth::now();
    let signed = |claims: Claims| issuer.sign(&claims).unwrap();
    let [head, payload, signature]: [&str; 3] =
        good.split('.').collect::<Vec<_>>().try_into().unwrap();

    // alg=none, with our kid and the genuine payload.
    let none_header = b64(format!(r#"{{"alg":"none","typ":"JWT","kid":"{kid}"}}"#).as_bytes());
    let alg_none = format!("{none_header}.{payload}.");
    // HS256 keyed with our public key (the algorithm-confusion attack).
    let private_pem = idp.store.signing_keys().await.unwrap()[0]
        .private_pem
        .clone();
    let public_pem = p256::SecretKey::from_pkcs8_pem(&private_pem)
        .unwrap()
        .public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some(kid.clone());
    let hs256 = jsonwebtoken::encode(
        &hs,
        &claims,
        &EncodingKey::from_secret(public_pem.as_bytes()),
    )
    .unwrap();
    // More roles in the payload, the original signature.
    let richer = Claims {
        roles: vec!["Software.Read.All".into(), "Machine.ReadWrite.All".into()],
        ..claims.clone()
    };
    let tampered = format!(
        "{head}.{}.{signature}",
        b64(&serde_json::to_vec(&richer).unwrap())
    );
    // A well-signed token of a key that is not ours.
    let stranger =
        kbgap_auth::Issuer::from_pem(&kbgap_auth::generate_key_pem(), issuer.tenant(), &[])
            .unwrap();
    let unknown_kid = stranger.sign(&claims).unwrap();

    let unauthorized = [
        ("no token", None),
        ("malformed", Some("not-a.jwt".to_string())),
        ("alg none", Some(alg_none)),
        ("HS256 with the public key", Some(hs256)),
        ("tampered payload", Some(tampered)),
        ("unknown kid", Some(unknown_kid)),
        (
            "expired",
            Some(signed(Claims {
                iat: now - 7200,
                nbf: now - 7200,
                exp: now - 3600,
                ..claims.clone()
            })),
        ),
        (
            "not yet valid",
            Some(signed(Claims {
                nbf: now + 3600,
                exp: now + 7200,
                ..claims.clone()
            })),
        ),
        (
            "wrong audience",
            Some(signed(Claims {
                aud: "https://graph.microsoft.com".into(),
                ..claims.clone()
            })),
        ),
        (
            "wrong issuer",
            Some(signed(Claims {
                iss: format!("https://sts.windows.net/{}/", issuer.tenant()),
                ..claims.clone()
            })),
        ),
    ];
    for (what, token) in unauthorized {
        let answer = idp.get(EDGE_MISSING, token.as_deref()).await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{what}: {}",
            answer.body
        );
        assert_eq!(answer.headers["www-authenticate"], "Bearer", "{what}");
        assert_eq!(answer.body["error"]["code"], "Unauthorized", "{what}");
        assert_eq!(
            answer.body["error"]["target"].as_str(),
            answer.headers["request-id"].to_str().ok(),
            "{what}: target is the request id"
        );
        assert!(answer.body.get("value").is_none());
    }

    let forbidden = [
        ("missing role", Vec::<String>::new()),
        (
            "a role for another endpoint",
            vec!["Machine.Read.All".to_string()],
        ),
    ];
    for (what, roles) in forbidden {
        let token = signed(Claims {
            roles,
            ..claims.clone()
        });
        let answer = idp.get(EDGE_MISSING, Some(&token)).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{what}: {}",
            answer.body
        );
        assert_eq!(answer.body["error"]["code"], "Forbidden", "{what}");
        let message = answer.body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("Missing application roles. API required roles: ")
                && message.contains("Software.Read.All"),
            "{what}: {message}"
        );
    }

    // The token service never issues for another resource, so such a token can only be
    // forged; and one issued for Defender's API works on any of its identifiers.
    assert_eq!(claims.aud, DEFENDER);
}

#[tokio::test]
async fn a_registered_application_without_the_role_gets_a_token_but_a_403() {
    let idp = idp("role", true).await;
    let (client, secret) = register(&idp.store, "machines-only", &["Machine.Read.All"]).await;
    let token = idp.token(&client, &secret).await;
    let answer = idp.get(EDGE_MISSING, Some(&token)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert_eq!(
        idp.get("/api/machines", Some(&token)).await.status,
        StatusCode::OK
    );
    // A removed application gets no more tokens.
    assert!(idp.store.remove_application(&client).await.unwrap());
    let refused = idp.request_token(&client, &secret).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.body["error"], "unauthorized_client");
}
