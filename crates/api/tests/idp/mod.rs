//! The identity-provider tests' harness: a fresh SQLite file per test, the issuer built from
//! the keys stored in it (as `kbgap serve` builds it), applications registered through the
//! store with real argon2 hashes, and in-process requests through the whole router.

#![allow(dead_code)] // Each test file uses a different part of this module.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use kbgap_api::{AppState, router};
use kbgap_auth::Issuer;
use kbgap_store::{ApplicationRecord, SigningKeyRecord, Store};
use kbgap_store_sqlite::SqliteStore;
use serde_json::Value;
use tower::ServiceExt;

pub const EDGE_MISSING: &str = "/api/Software/microsoft-_-edge/getmissingkbs";
pub const DEFENDER: &str = "https://api.securitycenter.microsoft.com";

pub struct Idp {
    pub store: SqliteStore,
    pub state: AppState<SqliteStore>,
    pub dir: std::path::PathBuf,
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A database with the demo catalog and fleet (so Edge's getmissingkbs answers 200), or an
/// empty one.
pub async fn idp(name: &str, with_fleet: bool) -> Idp {
    let dir = std::env::temp_dir().join(format!("kbgap-idp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteStore::connect(&format!("sqlite://{}", dir.join("kbgap.db").display()))
        .await
        .unwrap();
    if with_fleet {
        store
            .import_catalog(kbgap_store::conformance::catalog(), &|_| {})
            .await
            .unwrap();
        store
            .ingest(kbgap_store::conformance::fleet())
            .await
            .unwrap();
    }
    let issuer = Arc::new(issuer(&store).await);
    let state = AppState {
        store: store.clone(),
        issuer,
        public_url: None,
    };
    Idp { store, state, dir }
}

/// The issuer of a store, as `kbgap serve` builds it.
pub async fn issuer(store: &SqliteStore) -> Issuer {
    let keys = store
        .signing_keys_or_insert(&SigningKeyRecord {
            private_pem: kbgap_auth::generate_key_pem(),
            created_at: kbgap_auth::now() as i64,
        })
        .await
        .unwrap();
    let tenant = store
        .setting_or_insert("tenant_id", &kbgap_auth::generate_tenant_id())
        .await
        .unwrap();
    let pems: Vec<&str> = keys.iter().map(|k| k.private_pem.as_str()).collect();
    Issuer::from_pems(&pems, &tenant, &[]).unwrap()
}

/// Registers an application as `kbgap app add` does; returns its client id and secret.
pub async fn register(store: &SqliteStore, name: &str, roles: &[&str]) -> (String, String) {
    let secret = kbgap_auth::secrets::generate();
    let record = ApplicationRecord {
        client_id: kbgap_auth::generate_guid(),
        name: name.to_string(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        secret_hash: kbgap_auth::secrets::hash(&secret),
        created_at: "2026-01-01T00:00:00Z".into(),
        secret_updated_at: "2026-01-01T00:00:00Z".into(),
    };
    assert!(store.add_application(&record).await.unwrap());
    (record.client_id, secret)
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Idp {
    pub fn tenant(&self) -> String {
        self.state.issuer.tenant().to_string()
    }

    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = router(self.state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let mut request = Request::get(path).header("host", "kbgap.test");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    /// A form POST to a token endpoint (`path` relative to the tenant).
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let request = Request::post(path)
            .header("host", "kbgap.test")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("client-request-id", "6b3e2a4c-0000-4000-8000-000000000001")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// A token from the v2 endpoint for Defender's API.
    /// A v2.0 client-credentials token request for Defender's API, and the whole answer.
    pub async fn request_token(&self, client_id: &str, secret: &str) -> Answer {
        let scope = format!("{DEFENDER}/.default");
        self.post_form(
            &format!("/{}/oauth2/v2.0/token", self.tenant()),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", secret),
                ("scope", &scope),
            ],
        )
        .await
    }

    pub async fn token(&self, client_id: &str, secret: &str) -> String {
        let answer = self.request_token(client_id, secret).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.body["access_token"].as_str().unwrap().to_string()
    }
}

/// The payload of a JWT, unverified.
pub fn claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The header of a JWT, unverified.
pub fn header(token: &str) -> Value {
    use base64::Engine;
    let part = token.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}
