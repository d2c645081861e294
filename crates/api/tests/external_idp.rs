//! Tokens of an external OpenID Connect provider, over real HTTP: a provider on a loopback
//! socket (discovery document and key set, with an RSA key of the test's, counting how often
//! its keys are fetched) and kbgap's API on another, with a fresh SQLite file holding the
//! acceptance catalog and the demo fleet, machines placed in device groups by their JSON
//! inventories' `deviceGroup`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use kbgap_api::{AppState, router, with_external_issuers};
use kbgap_auth::external::{DEFAULT_GROUP_CLAIM, ExternalIssuers, OidcConfig};
use kbgap_auth::{DEFENDER_AUDIENCES, Issuer, generate_key_pem, now};
use kbgap_store::Store;
use kbgap_store_sqlite::SqliteStore;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const KEY_1: &str = include_str!("../../auth/tests/data/oidc-rsa-1.pem");
const KEY_2: &str = include_str!("../../auth/tests/data/oidc-rsa-2.pem");
const FLEET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo/fleet-2020-03.json");
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const MACHINES: &str = "/api/machines";

fn rsa_jwk(pem: &str, kid: &str) -> Value {
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem).unwrap();
    json!({
        "kty": "RSA", "use": "sig", "kid": kid,
        "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    })
}

/// What the provider serves, and how often its key set was asked for.
struct Published {
    issuer: String,
    /// The `issuer` its discovery document states (a misconfigured provider lies).
    stated_issuer: String,
    jwks: Mutex<Value>,
    jwks_hits: AtomicUsize,
}

async fn discovery(State(p): State<Arc<Published>>) -> Json<Value> {
    Json(json!({
        "issuer": p.stated_issuer,
        "jwks_uri": format!("{}/discovery/keys", p.issuer),
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

async fn keys(State(p): State<Arc<Published>>) -> Json<Value> {
    p.jwks_hits.fetch_add(1, Ordering::SeqCst);
    Json(p.jwks.lock().unwrap().clone())
}

/// A provider on `127.0.0.1:0` at path `/<tenant>/v2.0`, as Entra's v2 issuers read.
async fn provider(lie_about_issuer: bool) -> Arc<Published> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}/{TENANT}/v2.0", listener.local_addr().unwrap());
    let published = Arc::new(Published {
        stated_issuer: match lie_about_issuer {
            true => "https://login.microsoftonline.com/common/v2.0".into(),
            false => issuer.clone(),
        },
        issuer,
        jwks: Mutex::new(json!({ "keys": [rsa_jwk(KEY_1, "key-1")] })),
        jwks_hits: AtomicUsize::new(0),
    });
    let app = axum::Router::new()
        .route(
            &format!("/{TENANT}/v2.0/.well-known/openid-configuration"),
            get(discovery),
        )
        .route(&format!("/{TENANT}/v2.0/discovery/keys"), get(keys))
        .with_state(published.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    published
}

struct Kbgap {
    addr: std::net::SocketAddr,
    store: SqliteStore,
    dir: std::path::PathBuf,
}

impl Drop for Kbgap {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// kbgap with the acceptance catalog and the demo fleet, its Windows 10 machines placed in
/// device groups by their inventories, trusting `issuers` (keys fetched at start-up, as
/// `kbgap serve` does).
async fn kbgap(name: &str, issuers: &[&str], refresh_interval: Duration) -> Kbgap {
    let dir = std::env::temp_dir().join(format!("kbgap-oidc-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteStore::connect(&format!("sqlite://{}", dir.join("kbgap.db").display()))
        .await
        .unwrap();
    store
        .import_catalog(kbgap_store::conformance::catalog(), &|_| {})
        .await
        .unwrap();
    let mut fleet: Value = serde_json::from_slice(&std::fs::read(FLEET).unwrap()).unwrap();
    for machine in fleet.as_array_mut().unwrap() {
        let group = match machine["host"].as_str().unwrap() {
            "WS-1909-01" | "WS-1903-01" => "Servers",
            "WS-1909-02" => "Kiosks",
            _ => continue,
        };
        machine["deviceGroup"] = json!(group);
    }
    let kbgap_inventory::Parsed::Machines(machines) =
        kbgap_inventory::parse(fleet.to_string().as_bytes()).unwrap()
    else {
        panic!("the fleet is machines")
    };
    store
        .ingest(machines.into_iter().map(|m| (m, "fleet".into())).collect())
        .await
        .unwrap();

    let mut config = OidcConfig::new(
        issuers.iter().map(|s| s.to_string()).collect(),
        DEFENDER_AUDIENCES.iter().map(|s| s.to_string()).collect(),
        vec![Algorithm::RS256],
        DEFAULT_GROUP_CLAIM,
    )
    .unwrap();
    config.refresh_interval = refresh_interval;
    let external = Arc::new(ExternalIssuers::new(config));
    let prefetch = external.clone();
    tokio::task::spawn_blocking(move || prefetch.refresh_all())
        .await
        .unwrap();
    let state = AppState {
        store: store.clone(),
        issuer: Arc::new(Issuer::from_pem(&generate_key_pem(), "tenant", &[]).unwrap()),
        public_url: None,
    };
    let app = with_external_issuers(router(state), external);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(kbgap_api::serve(listener, app, std::future::pending()));
    Kbgap { addr, store, dir }
}

struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

impl Kbgap {
    /// `GET path` with a bearer token, over the socket (HTTP/1.0: no chunking).
    async fn get(&self, path: &str, token: &str) -> Answer {
        self.send("GET", path, token, b"").await
    }

    /// `method path` with a bearer token and a body.
    async fn send(&self, method: &str, path: &str, token: &str, body: &[u8]) -> Answer {
        let mut stream = TcpStream::connect(self.addr).await.unwrap();
        let request = format!(
            "{method} {path} HTTP/1.0\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        stream.write_all(body).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8(raw).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        Answer {
            status,
            head: head.to_ascii_lowercase(),
            body: body.to_string(),
        }
    }

    async fn status(&self, path: &str, token: &str) -> u16 {
        self.get(path, token).await.status
    }
}

/// Claims as Entra writes them, with `extra` on top.
fn claims(issuer: &str, extra: Value) -> Value {
    let now = now();
    let mut claims = json!({
        "iss": issuer, "aud": DEFENDER_AUDIENCES[0], "tid": TENANT, "sub": "subject",
        "iat": now, "nbf": now, "exp": now + 3600,
    });
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    claims
}

fn rs256(pem: &str, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap()
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

fn application(issuer: &str) -> Value {
    claims(
        issuer,
        json!({ "appid": "reporting-app", "ver": "1.0",
                "roles": ["Software.Read.All", "Machine.Read.All", "Vulnerability.Read.All"] }),
    )
}

#[tokio::test]
async fn provider_tokens_are_accepted_and_forgeries_refused() {
    let idp = provider(false).await;
    let liar = provider(true).await;
    let server = kbgap(
        "accept",
        &[&idp.issuer, &liar.issuer],
        Duration::from_secs(60),
    )
    .await;

    let good = rs256(KEY_1, "key-1", &application(&idp.issuer));
    let answer = server.get(MACHINES, &good).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["value"].as_array().unwrap().len(), 5);
    let edge = server
        .get("/api/Software/microsoft-_-edge/getmissingkbs", &good)
        .await;
    assert_eq!(edge.status, 200);
    assert_eq!(edge.json()["value"][0]["machineMissedOn"], 4);
    // A v2 token names its client in `azp`, and a trailing slash on the audience is the
    // same audience.
    let v2 = claims(
        &idp.issuer,
        json!({ "azp": "v2-app", "ver": "2.0", "roles": ["Machine.Read.All"],
                "aud": format!("{}/", DEFENDER_AUDIENCES[1]) }),
    );
    assert_eq!(
        server.status(MACHINES, &rs256(KEY_1, "key-1", &v2)).await,
        200
    );
    // Without the permission: authenticated, but forbidden.
    let no_role = claims(
        &idp.issuer,
        json!({ "appid": "a", "roles": ["Alert.Read.All"] }),
    );
    assert_eq!(
        server
            .status(MACHINES, &rs256(KEY_1, "key-1", &no_role))
            .await,
        403
    );

    let body = application(&idp.issuer);
    let mut refused = vec![
        (
            "an issuer not configured",
            rs256(
                KEY_1,
                "key-1",
                &application("https://login.microsoftonline.com/other-tenant/v2.0"),
            ),
        ),
        (
            "an issuer whose discovery document names another",
            rs256(KEY_1, "key-1", &application(&liar.issuer)),
        ),
        (
            "another audience",
            rs256(
                KEY_1,
                "key-1",
                &claims(
                    &idp.issuer,
                    json!({ "aud": "https://graph.microsoft.com",
                                              "roles": ["Machine.Read.All"] }),
                ),
            ),
        ),
        (
            "expired",
            rs256(
                KEY_1,
                "key-1",
                &claims(
                    &idp.issuer,
                    json!({ "exp": now() - 600,
                                              "roles": ["Machine.Read.All"] }),
                ),
            ),
        ),
        (
            "alg none",
            forged(json!({ "alg": "none", "kid": "key-1" }), &body, b""),
        ),
    ];
    // HS256 keyed with the provider's public key.
    let public = rsa::RsaPrivateKey::from_pkcs8_pem(KEY_1)
        .unwrap()
        .to_public_key();
    let public_pem =
        rsa::pkcs8::EncodePublicKey::to_public_key_pem(&public, rsa::pkcs8::LineEnding::LF)
            .unwrap();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("key-1".into());
    refused.push((
        "HS256 with the public key as secret",
        jsonwebtoken::encode(
            &header,
            &body,
            &EncodingKey::from_secret(public_pem.as_bytes()),
        )
        .unwrap(),
    ));
    // ES256, by an EC key the provider publishes, while only RS256 is configured.
    let ec = p256::SecretKey::random(&mut rand_core::OsRng);
    let ec_pem =
        p256::pkcs8::EncodePrivateKey::to_pkcs8_pem(&ec, p256::pkcs8::LineEnding::LF).unwrap();
    {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        let point = ec.public_key().to_encoded_point(false);
        let mut jwks = idp.jwks.lock().unwrap();
        jwks["keys"].as_array_mut().unwrap().push(json!({
            "kty": "EC", "crv": "P-256", "kid": "ec-1", "use": "sig",
            "x": URL_SAFE_NO_PAD.encode(point.x().unwrap()),
            "y": URL_SAFE_NO_PAD.encode(point.y().unwrap()),
        }));
    }
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("ec-1".into());
    refused.push((
        "ES256 where RS256 is configured",
        jsonwebtoken::encode(
            &header,
            &body,
            &EncodingKey::from_ec_pem(ec_pem.as_bytes()).unwrap(),
        )
        .unwrap(),
    ));
    // A valid signature over other claims.
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    parts[1] = URL_SAFE_NO_PAD.encode(
        claims(
            &idp.issuer,
            json!({ "appid": "x", "roles": ["Machine.ReadWrite.All"] }),
        )
        .to_string(),
    );
    refused.push(("a tampered payload", parts.join(".")));

    for (what, token) in refused {
        let answer = server.get(MACHINES, &token).await;
        assert_eq!(answer.status, 401, "{what}: {}", answer.body);
        assert_eq!(answer.json()["error"]["code"], "Unauthorized", "{what}");
        assert!(answer.head.contains("www-authenticate: bearer"), "{what}");
    }
    // The one legitimate fetch at start-up: nothing above made kbgap ask again.
    assert_eq!(idp.jwks_hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn rotated_keys_are_fetched_and_unknown_key_floods_are_rate_limited() {
    let idp = provider(false).await;
    let interval = Duration::from_millis(1500);
    let server = kbgap("rotate", &[&idp.issuer], interval).await;
    let hits = || idp.jwks_hits.load(Ordering::SeqCst);
    assert_eq!(hits(), 1, "keys fetched at start-up");
    let body = application(&idp.issuer);
    let old = rs256(KEY_1, "key-1", &body);
    assert_eq!(server.status(MACHINES, &old).await, 200);

    // The provider rotates: the new key signs, the old one is withdrawn.
    *idp.jwks.lock().unwrap() = json!({ "keys": [rsa_jwk(KEY_2, "key-2")] });
    let new = rs256(KEY_2, "key-2", &body);
    tokio::time::sleep(interval).await;
    assert_eq!(server.status(MACHINES, &new).await, 200);
    assert_eq!(hits(), 2, "one fetch for the new key id");
    assert_eq!(server.status(MACHINES, &old).await, 401, "withdrawn key");
    assert_eq!(hits(), 2);

    // A flood of made-up key ids within the interval costs the provider nothing more...
    let started = std::time::Instant::now();
    for i in 0..50 {
        let token = forged(
            json!({ "alg": "RS256", "kid": format!("made-up-{i}") }),
            &body,
            b"signature",
        );
        assert_eq!(server.status(MACHINES, &token).await, 401);
    }
    assert!(
        started.elapsed() < interval,
        "the flood outlasted the interval"
    );
    assert_eq!(hits(), 2);
    // ... and after it, at most one fetch per interval.
    tokio::time::sleep(interval).await;
    for i in 0..10 {
        let token = forged(
            json!({ "alg": "RS256", "kid": format!("later-{i}") }),
            &body,
            b"signature",
        );
        assert_eq!(server.status(MACHINES, &token).await, 401);
    }
    assert_eq!(hits(), 3);
    assert_eq!(server.status(MACHINES, &new).await, 200);
}

/// The `id`s of a collection answer, in order.
fn ids(list: &Value) -> Vec<String> {
    list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

/// The hosts of a machine list answer, sorted.
fn hosts(list: &Value) -> Vec<String> {
    let mut hosts: Vec<String> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["computerDnsName"].as_str().unwrap().to_string())
        .collect();
    hosts.sort();
    hosts
}

#[tokio::test]
async fn delegated_tokens_see_only_the_machines_of_their_groups() {
    let idp = provider(false).await;
    let server = kbgap("scope", &[&idp.issuer], Duration::from_secs(60)).await;
    let user = |groups: Value| {
        rs256(
            KEY_1,
            "key-1",
            &claims(
                &idp.issuer,
                json!({ "azp": "portal", "ver": "2.0", "groups": groups,
                        "scp": "Machine.Read Software.Read Vulnerability.Read" }),
            ),
        )
    };
    let servers = user(json!(["servers", "Nobody"]));
    let app = rs256(KEY_1, "key-1", &application(&idp.issuer));
    let id = |host: &'static str| {
        let store = server.store.clone();
        async move { store.machine(host).await.unwrap().unwrap().id.to_string() }
    };
    let (inside, outside) = (id("WS-1909-01").await, id("WS-1909-02").await);

    // Lists: the scope is one more conjunct, so $count and $filter agree with it.
    let list = server.get("/api/machines?$count=true", &servers).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(hosts(&list.json()), ["WS-1903-01", "WS-1909-01"]);
    assert_eq!(list.json()["@odata.count"], 2);
    assert_eq!(list.json()["value"][0]["rbacGroupName"], "Servers");
    let filtered = server
        .get(
            "/api/machines?$filter=startswith(computerDnsName,'ws-1909')",
            &servers,
        )
        .await;
    assert_eq!(hosts(&filtered.json()), ["WS-1909-01"]);
    assert_eq!(hosts(&server.get(MACHINES, &app).await.json()).len(), 5);

    // One machine: inside the scope as for anyone, outside it as if absent.
    for path in ["", "/getmissingkbs", "/software", "/vulnerabilities"] {
        let answer = server
            .get(&format!("/api/machines/{outside}{path}"), &servers)
            .await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.body);
        assert_eq!(answer.json()["error"]["code"], "ResourceNotFound");
        let mine = server
            .get(&format!("/api/machines/{inside}{path}"), &servers)
            .await;
        let everyone = server
            .get(&format!("/api/machines/{inside}{path}"), &app)
            .await;
        assert_eq!(mine.status, 200, "{path}: {}", mine.body);
        // The same rows; the fleet counts in them (a software's machines, a vulnerability's
        // exposure) are those of the scope, checked below.
        if path.is_empty() || path == "/getmissingkbs" {
            assert_eq!(mine.json(), everyone.json(), "{path}");
        } else {
            assert_eq!(ids(&mine.json()), ids(&everyone.json()), "{path}");
        }
    }
    assert_eq!(
        server.status("/api/machines/ws-1909-02", &servers).await,
        404
    );
    assert_eq!(
        server.status("/api/machines/ws-1909-01", &servers).await,
        200
    );
    assert_eq!(
        server
            .status(
                &format!("/api/machines/{outside}/getmissingkbs/4540673/explain"),
                &servers
            )
            .await,
        404
    );

    // The fleet answer counts the machines of the scope: the per-machine answers of exactly
    // those machines, asked with an application token.
    let edge = "/api/Software/microsoft-_-edge/getmissingkbs";
    let scoped = server.get(edge, &servers).await.json();
    let mut expected = BTreeMap::<String, u64>::new();
    for host in ["WS-1903-01", "WS-1909-01"] {
        let answer = server
            .get(
                &format!("/api/machines/{}/getmissingkbs", id(host).await),
                &app,
            )
            .await
            .json();
        for kb in answer["value"].as_array().unwrap() {
            if kb["productsNames"]
                .as_array()
                .unwrap()
                .contains(&json!("edge"))
            {
                *expected
                    .entry(kb["id"].as_str().unwrap().into())
                    .or_default() += 1;
            }
        }
    }
    let found: BTreeMap<String, u64> = scoped["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kb| {
            (
                kb["id"].as_str().unwrap().into(),
                kb["machineMissedOn"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(found, expected);
    let whole = server.get(edge, &app).await.json();
    assert_eq!(whole["value"][0]["machineMissedOn"], 4);
    // As of the catalog's cut-off, the live assessment of the scope gives the same answer.
    let as_of = server
        .get(&format!("{edge}?asOf=2020-03-11"), &servers)
        .await;
    assert_eq!(as_of.status, 200, "{}", as_of.body);
    assert_eq!(as_of.json()["value"], scoped["value"]);

    // Machine references of a software: only machines of the scope.
    let references = server
        .get("/api/Software/microsoft-_-edge/machineReferences", &servers)
        .await
        .json();
    assert_eq!(hosts(&references), ["WS-1903-01", "WS-1909-01"]);

    // Every fleet count is what the machines of the scope add up to, from their own answers
    // (asked with an application token).
    let mut installed = BTreeMap::<String, (u64, u64)>::new();
    let mut open_on = BTreeMap::<String, u64>::new();
    for host in ["WS-1903-01", "WS-1909-01"] {
        let machine = format!("/api/machines/{}", id(host).await);
        let missing = server
            .get(&format!("{machine}/getmissingkbs"), &app)
            .await
            .json();
        let products: Vec<&Value> = missing["value"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|kb| kb["productsNames"].as_array().unwrap())
            .collect();
        let runs = server
            .get(&format!("{machine}/software"), &app)
            .await
            .json();
        for software in ids(&runs) {
            let product = software.split_once("-_-").unwrap().1;
            let entry = installed.entry(software.clone()).or_default();
            entry.0 += 1;
            entry.1 += u64::from(products.contains(&&json!(product)));
        }
        let open = server
            .get(&format!("{machine}/vulnerabilities"), &app)
            .await
            .json();
        for cve in ids(&open) {
            *open_on.entry(cve).or_default() += 1;
        }
    }
    let counts = |list: &Value| -> BTreeMap<String, (u64, u64)> {
        list["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let n = |key: &str| s[key].as_u64().unwrap();
                (
                    s["id"].as_str().unwrap().to_string(),
                    (n("installedMachines"), n("exposedMachines")),
                )
            })
            .collect()
    };
    let software = server
        .get("/api/Software?$count=true", &servers)
        .await
        .json();
    assert_eq!(counts(&software), installed);
    assert_eq!(software["@odata.count"], installed.len());
    let everyone = server.get("/api/Software", &app).await.json();
    assert_ne!(
        counts(&everyone),
        installed,
        "the fleet is larger than the scope"
    );
    let mine = server
        .get(&format!("/api/machines/{inside}/software"), &servers)
        .await
        .json();
    for (id, found) in counts(&mine) {
        assert_eq!(installed[&id], found, "{id}");
    }
    let edge_entity = server
        .get("/api/Software/microsoft-_-edge", &servers)
        .await
        .json();
    assert_eq!(
        counts(&json!({ "value": [edge_entity] })),
        BTreeMap::from([(
            "microsoft-_-edge".to_string(),
            installed["microsoft-_-edge"]
        )])
    );
    let versions = server
        .get("/api/Software/microsoft-_-edge/distributions", &servers)
        .await
        .json();
    let on_versions: u64 = versions["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["installations"].as_u64().unwrap())
        .sum();
    assert_eq!(on_versions, installed["microsoft-_-edge"].0);
    let weaknesses = server
        .get("/api/Software/microsoft-_-edge/vulnerabilities", &servers)
        .await
        .json();
    let weaknesses = weaknesses["value"].as_array().unwrap();
    assert_eq!(edge_entity["weaknesses"], weaknesses.len());
    assert!(!weaknesses.is_empty());
    for cve in weaknesses {
        let name = cve["id"].as_str().unwrap();
        assert_eq!(cve["exposedMachines"], open_on[name], "{name}");
        let one = server
            .get(&format!("/api/vulnerabilities/{name}"), &servers)
            .await
            .json();
        assert_eq!(one["exposedMachines"], open_on[name], "{name}");
    }
    let catalog = server.get("/api/vulnerabilities", &servers).await.json();
    for cve in catalog["value"].as_array().unwrap() {
        let name = cve["id"].as_str().unwrap();
        let expected = open_on.get(name).copied().unwrap_or(0);
        assert_eq!(cve["exposedMachines"], expected, "{name}");
    }

    // Writing: a delegated caller stores machines of its own groups only, all or nothing.
    let writer = rs256(
        KEY_1,
        "key-1",
        &claims(
            &idp.issuer,
            json!({ "azp": "agent", "ver": "2.0", "groups": ["servers"], "scp": "Machine.ReadWrite" }),
        ),
    );
    let machine = |host: &str, group: &str| {
        json!({ "host": host, "deviceGroup": group, "installedKbs": [],
                "os": { "name": "Microsoft Windows 10 Enterprise", "build": 18363,
                        "release": "1909", "architecture": "x64" } })
    };
    let before = server
        .store
        .machines(&Default::default())
        .await
        .unwrap()
        .len();
    let mixed = json!([
        machine("SRV-NEW-1", "Servers"),
        machine("WS-NEW-2", "Workstations")
    ]);
    let refused = server
        .send(
            "POST",
            "/api/inventory",
            &writer,
            mixed.to_string().as_bytes(),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("WS-NEW-2"), "{}", refused.body);
    let own = json!([machine("SRV-NEW-1", "Servers")]);
    let stored = server
        .send(
            "POST",
            "/api/inventory",
            &writer,
            own.to_string().as_bytes(),
        )
        .await;
    assert_eq!(stored.status, 200, "{}", stored.body);
    assert_eq!(
        server
            .store
            .machines(&Default::default())
            .await
            .unwrap()
            .len(),
        before + 1
    );

    // A user in no group sees no machine; the answer is empty, not an error.
    let nobody = user(json!([]));
    assert_eq!(hosts(&server.get(MACHINES, &nobody).await.json()).len(), 0);
    assert_eq!(server.get(edge, &nobody).await.json()["value"], json!([]));
    let none = server
        .get("/api/Software?$count=true", &nobody)
        .await
        .json();
    assert_eq!(
        (&none["value"], &none["@odata.count"]),
        (&json!([]), &json!(0))
    );
    assert_eq!(
        server
            .status(&format!("/api/machines/{inside}"), &nobody)
            .await,
        404
    );
}
