//! The token service as Entra clients see it: both token endpoints, the discovery documents
//! and the JWKS they name, Entra's error bodies, and key rotation while the server runs.
//! Real SQLite files, real argon2 hashes, the whole router in-process.

mod idp;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use idp::{DEFENDER, EDGE_MISSING, claims, header, idp, register};
use kbgap_store::{SigningKeyRecord, Store};
use serde_json::Value;

#[tokio::test]
async fn v2_client_credentials_token_opens_the_api() {
    let idp = idp("v2", true).await;
    let (client, secret) = register(&idp.store, "reader", &["Software.Read.All"]).await;
    let answer = idp.request_token(&client, &secret).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.headers["cache-control"], "no-store, no-cache");
    assert_eq!(answer.body["token_type"], "Bearer");
    assert_eq!(answer.body["expires_in"], 3599);
    let token = answer.body["access_token"].as_str().unwrap();
    let c = claims(token);
    assert_eq!(c["aud"], DEFENDER);
    assert_eq!(c["roles"], serde_json::json!(["Software.Read.All"]));
    assert_eq!(c["tid"], idp.tenant());
    assert_eq!(c["appid"], client);
    assert_eq!(
        c["iss"],
        format!("https://sts.kbgap.local/{}/", idp.tenant())
    );
    assert_eq!(c["ver"], "1.0");
    assert_eq!(
        c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(),
        3599
    );
    assert_eq!(c["nbf"], c["iat"]);
    assert_eq!(header(token)["alg"], "ES256");
    assert_eq!(header(token)["kid"], idp.state.issuer.kid());
    let api = idp.get(EDGE_MISSING, Some(token)).await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    assert_eq!(api.body["value"][0]["id"], "4540673");
}

#[tokio::test]
async fn v1_resource_token_and_basic_client_authentication() {
    let idp = idp("v1", true).await;
    let (client, secret) = register(&idp.store, "legacy", &["Software.Read.All"]).await;
    let answer = idp
        .post_form(
            &format!("/{}/oauth2/token", idp.tenant()),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &client),
                ("client_secret", &secret),
                ("resource", "https://api.securitycenter.windows.com/"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    // v1 answers numbers as strings, and echoes the resource.
    assert_eq!(answer.body["expires_in"], "3599");
    assert_eq!(
        answer.body["resource"],
        "https://api.securitycenter.windows.com/"
    );
    let token = answer.body["access_token"].as_str().unwrap();
    assert_eq!(
        claims(token)["aud"],
        "https://api.securitycenter.windows.com"
    );
    assert_eq!(
        idp.get(EDGE_MISSING, Some(token)).await.status,
        StatusCode::OK
    );

    // client_secret_basic: the credentials in the Authorization header instead of the form.
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{client}:{secret}"));
    let request = Request::post(format!("/{}/oauth2/v2.0/token", idp.tenant()))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", format!("Basic {basic}"))
        .body(Body::from(
            "grant_type=client_credentials&scope=https%3A%2F%2Fapi.security.microsoft.com%2F.default",
        ))
        .unwrap();
    let answer = idp.send(request).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

/// Entra's error body: error, an AADSTS description with trace and correlation ids, the
/// numeric code, timestamps.
fn assert_entra_error(body: &Value, error: &str, code: u64) {
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"], serde_json::json!([code]), "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.starts_with(&format!("AADSTS{code}: ")),
        "{description}"
    );
    assert!(description.contains("\r\nTrace ID: "), "{description}");
    assert_eq!(
        body["correlation_id"], "6b3e2a4c-0000-4000-8000-000000000001",
        "the client's request id is echoed"
    );
    assert!(body["trace_id"].as_str().is_some_and(|t| !t.is_empty()));
    let ts = body["timestamp"].as_str().unwrap();
    assert!(
        ts.len() == 20 && ts.ends_with('Z') && &ts[10..11] == " ",
        "{ts}"
    );
}

/// A token request (path, form) and the status, `error` and AADSTS code it must get.
type ErrorCase<'a> = (&'a str, Vec<(&'a str, &'a str)>, StatusCode, &'a str, u64);

#[tokio::test]
async fn bad_clients_and_bad_requests_get_entras_errors() {
    let idp = idp("errors", false).await;
    let (client, secret) = register(&idp.store, "reader", &["Software.Read.All"]).await;
    let v2 = format!("/{}/oauth2/v2.0/token", idp.tenant());
    let v1 = format!("/{}/oauth2/token", idp.tenant());
    let scope = format!("{DEFENDER}/.default");
    let cases: Vec<ErrorCase> = vec![
        (
            v2.as_str(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &client),
                ("client_secret", "not-the-secret"),
                ("scope", &scope),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
        ),
        (
            v2.as_str(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &client),
                ("scope", &scope),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
        ),
        (
            v2.as_str(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "00000000-0000-4000-8000-000000000000"),
                ("client_secret", &secret),
                ("scope", &scope),
            ],
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
        ),
        (
            v2.as_str(),
            vec![
                ("grant_type", "password"),
                ("client_id", &client),
                ("client_secret", &secret),
                ("scope", &scope),
            ],
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
        ),
        (
            v2.as_str(),
            vec![("client_id", &client), ("client_secret", &secret)],
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
        ),
        (
            v2.as_str(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &client),
                ("client_secret", &secret),
                ("scope", DEFENDER),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
        ),
        (
            v2.as_str(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &client),
                ("client_secret", &secret),
                ("scope", "https://graph.microsoft.com/.default"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            500011,
        ),
        (
            v1.as_str(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &client),
                ("client_secret", &secret),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
        ),
        (
            "/11111111-2222-4333-8444-555555555555/oauth2/v2.0/token",
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &client),
                ("client_secret", &secret),
                ("scope", &scope),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
        ),
    ];
    for (path, form, status, error, code) in cases {
        let answer = idp.post_form(path, &form).await;
        assert_eq!(answer.status, status, "{path} {form:?}: {}", answer.body);
        assert_entra_error(&answer.body, error, code);
        assert!(answer.body.get("access_token").is_none());
    }
}

#[tokio::test]
async fn discovery_documents_name_the_endpoints_and_the_jwks_verifies() {
    let idp = idp("discovery", false).await;
    let tenant = idp.tenant();
    let v2 = idp
        .get(
            &format!("/{tenant}/v2.0/.well-known/openid-configuration"),
            None,
        )
        .await;
    assert_eq!(v2.status, StatusCode::OK);
    let base = "http://kbgap.test";
    assert_eq!(
        v2.body["token_endpoint"],
        format!("{base}/{tenant}/oauth2/v2.0/token")
    );
    assert_eq!(v2.body["issuer"], format!("{base}/{tenant}/v2.0"));
    let v1 = idp
        .get(&format!("/{tenant}/.well-known/openid-configuration"), None)
        .await;
    assert_eq!(
        v1.body["token_endpoint"],
        format!("{base}/{tenant}/oauth2/token")
    );
    assert_eq!(
        v1.body["issuer"],
        format!("https://sts.kbgap.local/{tenant}/")
    );
    // The JWKS each document names is served, and its key verifies issued tokens.
    let jwks_path = v2.body["jwks_uri"]
        .as_str()
        .unwrap()
        .strip_prefix(base)
        .unwrap()
        .to_string();
    let jwks = idp.get(&jwks_path, None).await;
    assert_eq!(jwks.status, StatusCode::OK);
    let v1_jwks_path = v1.body["jwks_uri"]
        .as_str()
        .unwrap()
        .strip_prefix(base)
        .unwrap();
    assert_eq!(idp.get(v1_jwks_path, None).await.body, jwks.body);
    let (client, secret) = register(&idp.store, "reader", &["Software.Read.All"]).await;
    let token = idp.token(&client, &secret).await;
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwks.body["keys"][0].clone()).unwrap();
    assert_eq!(jwk.common.key_id.as_deref(), header(&token)["kid"].as_str());
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[DEFENDER]);
    validation.set_issuer(&[v1.body["issuer"].as_str().unwrap()]);
    jsonwebtoken::decode::<Value>(
        &token,
        &jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap(),
        &validation,
    )
    .unwrap();
    // Unknown tenants are Entra's AADSTS90002.
    let unknown = idp
        .get("/not-a-tenant/v2.0/.well-known/openid-configuration", None)
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.body["error"], "invalid_tenant");
    assert_eq!(unknown.body["error_codes"], serde_json::json!([90002]));
}

#[tokio::test]
async fn a_key_rotated_by_another_process_is_picked_up_and_the_previous_key_still_verifies() {
    let idp = idp("rotation", true).await;
    let (client, secret) = register(&idp.store, "reader", &["Software.Read.All"]).await;
    let before = idp.token(&client, &secret).await;
    let old_kid = idp.state.issuer.kid();
    // Another process (`kbgap keys rotate`) rotates the key in the database, then a client
    // presents a token signed with the new key (issued by that process).
    idp.store
        .rotate_signing_key(
            &SigningKeyRecord {
                private_pem: kbgap_auth::generate_key_pem(),
                created_at: kbgap_auth::now() as i64,
            },
            kbgap_auth::KEYS_KEPT,
        )
        .await
        .unwrap();
    let other = idp::issuer(&idp.store).await;
    assert_ne!(other.kid(), old_kid);
    let after = other
        .issue(
            &client,
            &["Software.Read.All".to_string()],
            Duration::from_secs(600),
            DEFENDER,
        )
        .unwrap();
    // Reloads are rate-limited to one every few seconds.
    tokio::time::sleep(Duration::from_millis(5100)).await;
    assert_eq!(
        idp.get(EDGE_MISSING, Some(&after)).await.status,
        StatusCode::OK,
        "the new key is loaded on first sight"
    );
    assert_eq!(idp.state.issuer.kid(), other.kid(), "and signs from now on");
    assert_eq!(
        idp.get(EDGE_MISSING, Some(&before)).await.status,
        StatusCode::OK,
        "tokens of the previous key still verify"
    );
    let jwks = idp
        .get(&format!("/{}/discovery/v2.0/keys", idp.tenant()), None)
        .await;
    let kids: Vec<&str> = jwks.body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [other.kid().as_str(), old_kid.as_str()]);
    let fresh = idp.token(&client, &secret).await;
    assert_eq!(header(&fresh)["kid"], other.kid());
}
