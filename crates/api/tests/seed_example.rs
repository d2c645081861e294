//! The seed's example, reproduced from real data: Defender's documented answer for
//! `GET /api/Software/microsoft-_-edge/getmissingkbs`, computed from the real WES-NG catalog
//! as known on 2020-03-11 and a small fleet, over real HTTP on loopback and in-process.

mod support;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use kbgap_api::{AppState, router};
use kbgap_auth::{DEFENDER_AUDIENCES, Issuer, generate_key_pem};
use kbgap_store::Store;
use kbgap_store_sqlite::SqliteStore;
use serde_json::{Value, json};
use support::TempDir;
use tower::ServiceExt;

const CATALOG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../catalog/tests/data/wesng-2020-03-11.zip"
);
const FLEET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo/fleet-2020-03.json");
const WINDOWS_7: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../demo/7_sp1_x64_enterprise_en-us_A_systeminfo.txt"
);

struct TestApp {
    store: SqliteStore,
    issuer: Arc<Issuer>,
    _dir: TempDir,
}

async fn inventories(paths: &[&str]) -> Vec<(kbgap_domain::MachineInventory, String)> {
    let mut machines = Vec::new();
    for path in paths {
        match kbgap_inventory::parse(&std::fs::read(path).unwrap()).unwrap() {
            kbgap_inventory::Parsed::Machines(list) => {
                machines.extend(list.into_iter().map(|m| (m, path.to_string())))
            }
            other => panic!("{path}: expected machines, got {other:?}"),
        }
    }
    machines
}

async fn app(name: &str) -> TestApp {
    let dir = TempDir::new(&format!("test-{name}"));
    let store = SqliteStore::connect(&dir.sqlite_url()).await.unwrap();
    let batches = kbgap_catalog::parse_bytes(CATALOG, &std::fs::read(CATALOG).unwrap()).unwrap();
    store.import_catalog(batches, &|_| {}).await.unwrap();
    store
        .ingest(inventories(&[FLEET, WINDOWS_7]).await)
        .await
        .unwrap();
    let issuer = Arc::new(Issuer::from_pem(&generate_key_pem(), "tenant", &[]).unwrap());
    TestApp {
        store,
        issuer,
        _dir: dir,
    }
}

impl TestApp {
    fn token(&self, roles: &[&str]) -> String {
        let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
        self.issuer
            .issue(
                "test-app",
                &roles,
                Duration::from_secs(600),
                DEFENDER_AUDIENCES[0],
            )
            .unwrap()
    }

    async fn get(
        &self,
        path: &str,
        token: Option<&str>,
    ) -> (StatusCode, axum::http::HeaderMap, Value) {
        let (status, headers, raw) = self.get_raw(path, token).await;
        (
            status,
            headers,
            serde_json::from_str(&raw).unwrap_or(Value::Null),
        )
    }

    async fn get_raw(
        &self,
        path: &str,
        token: Option<&str>,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let state = AppState {
            store: self.store.clone(),
            issuer: self.issuer.clone(),
            public_url: None,
        };
        let mut request = Request::get(path).header("host", "api.securitycenter.microsoft.com");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = router(state)
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
    }

    async fn machine_id(&self, host: &str) -> String {
        self.store
            .machine(host)
            .await
            .unwrap()
            .unwrap()
            .id
            .to_string()
    }
}

#[tokio::test]
async fn edge_answer_matches_defenders_documented_example() {
    let app = app("edge").await;
    let token = app.token(&["Software.Read.All"]);
    let (status, headers, body) = app
        .get("/api/Software/microsoft-_-edge/getmissingkbs", Some(&token))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        headers["content-type"],
        "application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8"
    );
    assert_eq!(headers["odata-version"], "4.0");
    assert_eq!(
        body["@odata.context"],
        "http://api.securitycenter.microsoft.com/api/$metadata#Collection(microsoft.windowsDefenderATP.api.PublicProductFixDto)"
    );
    let items = body["value"].as_array().unwrap();
    assert_eq!(items.len(), 1, "exactly one missing KB for Edge: {body}");
    let mut item = items[0].clone();
    let os_build = item.as_object_mut().unwrap().remove("osBuild").unwrap();
    assert_eq!(
        os_build,
        json!(18363),
        "KB4540673 is the 1903/1909 cumulative update"
    );
    assert_eq!(
        item,
        json!({"id":"4540673","name":"March 2020 Security Updates","productsNames":["edge"],
               "url":"https://catalog.update.microsoft.com/v7/site/Search.aspx?q=KB4540673",
               "machineMissedOn":4,"cveAddressed":14})
    );
    // Key order is Defender's.
    let (_, _, raw) = app
        .get_raw("/api/Software/microsoft-_-edge/getmissingkbs", Some(&token))
        .await;
    let keys = [
        "\"id\"",
        "\"name\"",
        "\"osBuild\"",
        "\"productsNames\"",
        "\"url\"",
        "\"machineMissedOn\"",
        "\"cveAddressed\"",
    ];
    let positions: Vec<usize> = keys.iter().map(|k| raw.find(k).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{raw}");
}

#[tokio::test]
async fn unpatched_1909_machine_misses_only_the_march_cumulative_update() {
    let app = app("machine").await;
    let token = app.token(&["Software.Read.All"]);
    let id = app.machine_id("WS-1909-01").await;
    let (status, _, body) = app
        .get(&format!("/api/machines/{id}/getmissingkbs"), Some(&token))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ids: Vec<&str> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["4540673"], "{body}");
    let item = &body["value"][0];
    assert_eq!(
        item["productsNames"],
        json!(["windows_10", "edge", "internet_explorer"])
    );
    assert_eq!(item["machineMissedOn"], 1);
    // The patched machine misses nothing; the Windows 7 machine misses no Edge update.
    let patched = app.machine_id("WS-1909-03").await;
    let (_, _, body) = app
        .get(
            &format!("/api/machines/{patched}/getmissingkbs"),
            Some(&token),
        )
        .await;
    assert_eq!(body["value"], json!([]), "{body}");
    // Case-insensitive segments, v1.0 and the namespace-qualified function name.
    let (status, _, again) = app
        .get(
            &format!("/api/v1.0/Machines/{id}/microsoft.windowsDefenderATP.api.GetMissingKbs"),
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["value"][0]["id"], "4540673");
}

#[tokio::test]
async fn fleet_aggregates_follow_reimports_and_removals() {
    let app = app("aggregates").await;
    let token = app.token(&["Software.Read.All"]);
    let missed_on = |body: &Value| body["value"][0]["machineMissedOn"].as_u64().unwrap();
    // Re-importing one unpatched machine as patched lowers the count.
    let mut machines = inventories(&[FLEET]).await;
    let (mut patched, source) = machines.remove(0);
    patched.installed_kbs.insert("KB4540673".parse().unwrap());
    app.store.ingest(vec![(patched, source)]).await.unwrap();
    let (_, _, body) = app
        .get("/api/Software/microsoft-_-edge/getmissingkbs", Some(&token))
        .await;
    assert_eq!(missed_on(&body), 3, "{body}");
    // Removing another one lowers it again; re-importing the same files changes nothing.
    let id = app.machine_id("WS-1903-01").await;
    assert!(
        app.store
            .remove_machine(&kbgap_domain::MachineId::parse(&id).unwrap())
            .await
            .unwrap()
    );
    let (_, _, body) = app
        .get("/api/Software/microsoft-_-edge/getmissingkbs", Some(&token))
        .await;
    assert_eq!(missed_on(&body), 2, "{body}");
    let ingested = app
        .store
        .ingest(inventories(&[WINDOWS_7]).await)
        .await
        .unwrap();
    assert!(ingested[0].replaced);
    let (_, _, body) = app
        .get("/api/Software/microsoft-_-edge/getmissingkbs", Some(&token))
        .await;
    assert_eq!(missed_on(&body), 2, "{body}");
}

#[tokio::test]
async fn errors_use_defenders_body() {
    let app = app("errors").await;
    let (status, headers, body) = app
        .get("/api/Software/microsoft-_-edge/getmissingkbs", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], "Bearer");
    assert_eq!(body["error"]["code"], "Unauthorized");
    assert_eq!(
        body["error"]["target"],
        headers["request-id"].to_str().unwrap()
    );
    let (status, _, body) = app
        .get(
            "/api/Software/microsoft-_-edge/getmissingkbs",
            Some("not.a.token"),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let machine_only = app.token(&["Machine.Read.All"]);
    let (status, _, body) = app
        .get(
            "/api/Software/microsoft-_-edge/getmissingkbs",
            Some(&machine_only),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["error"]["message"],
        "Missing application roles. API required roles: Software.Read.All, Software.Read"
    );
    let token = app.token(&["Software.Read.All"]);
    let (status, _, body) = app
        .get("/api/Software/microsoft-_-foo/getmissingkbs", Some(&token))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "ResourceNotFound");
    assert_eq!(
        body["error"]["message"],
        "Software microsoft-_-foo was not found"
    );
    let (status, _, _) = app
        .get(
            "/api/machines/0000000000000000000000000000000000000000/getmissingkbs",
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn lists_find_ids_with_filters_and_paging() {
    let app = app("lists").await;
    let token = app.token(&["Software.Read.All", "Machine.Read.All"]);
    let (status, _, body) = app
        .get(
            "/api/machines?$filter=computerDnsName%20eq%20'ws-1909-02'",
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["value"].as_array().unwrap().len(), 1);
    assert_eq!(body["value"][0]["computerDnsName"], "WS-1909-02");
    assert_eq!(body["value"][0]["osPlatform"], "Windows10");
    assert_eq!(body["value"][0]["version"], "1909");
    let (_, _, body) = app.get("/api/machines?$top=2&$skip=1", Some(&token)).await;
    assert_eq!(body["value"].as_array().unwrap().len(), 2);
    let (_, _, body) = app
        .get(
            "/api/Software?$filter=vendor%20eq%20'microsoft'%20and%20name%20eq%20'edge'",
            Some(&token),
        )
        .await;
    assert_eq!(body["value"][0]["id"], "microsoft-_-edge", "{body}");
    assert_eq!(body["value"][0]["installedMachines"], 5);
    let (status, _, body) = app.get("/api/machines?$top=10001", Some(&token)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _, _) = app
        .get("/api/machines?$filter=osPlatform%20eq%20'x'", Some(&token))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn serves_over_a_real_socket() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = app("socket").await;
    let token = app.token(&["Software.Read.All"]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState {
        store: app.store.clone(),
        issuer: app.issuer.clone(),
        public_url: None,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(kbgap_api::serve(listener, router(state), async {
        let _ = stopped.await;
    }));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /api/Software/microsoft-_-edge/getmissingkbs HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"id\":\"4540673\""), "{response}");
    assert!(
        response.contains(&format!("http://{addr}/api/$metadata#Collection")),
        "{response}"
    );
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
