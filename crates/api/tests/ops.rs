//! The API as `kbgap serve` runs it, over real HTTP on loopback: throttling per application,
//! `POST /api/inventory` (permission, body limit, all-or-nothing), metrics on their own
//! listener, and the readiness check.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kbgap_api::{AppState, Limits, Metrics, ServerOptions, app, metrics_router, serve};
use kbgap_auth::{DEFENDER_AUDIENCES, Issuer, generate_key_pem, generate_tenant_id};
use kbgap_store::Store;
use kbgap_store::conformance::{catalog, fleet};
use kbgap_store_sqlite::SqliteStore;
use support::{Answer, TempDir, request};
use tokio::net::TcpListener;

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

struct Server {
    addr: SocketAddr,
    metrics_addr: SocketAddr,
    store: SqliteStore,
    issuer: Arc<Issuer>,
    _dir: TempDir,
}

impl Server {
    async fn start(name: &str, options: ServerOptions) -> Server {
        let dir = TempDir::new(&format!("ops-{name}"));
        let store = SqliteStore::connect(&dir.sqlite_url()).await.unwrap();
        store.import_catalog(catalog(), &|_| {}).await.unwrap();
        store.ingest(fleet()).await.unwrap();
        let issuer =
            Arc::new(Issuer::from_pem(&generate_key_pem(), &generate_tenant_id(), &[]).unwrap());
        let metrics = Arc::new(Metrics::default());
        let options = ServerOptions {
            metrics: Some(metrics.clone()),
            ..options
        };
        let state = AppState {
            store: store.clone(),
            issuer: issuer.clone(),
            public_url: None,
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(
            listener,
            app(state, &options),
            std::future::pending(),
        ));
        let metrics_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let metrics_addr = metrics_listener.local_addr().unwrap();
        tokio::spawn(serve(
            metrics_listener,
            metrics_router(metrics),
            std::future::pending(),
        ));
        Server {
            addr,
            metrics_addr,
            store,
            issuer,
            _dir: dir,
        }
    }

    fn token(&self, app: &str, roles: &[&str]) -> String {
        let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
        self.issuer
            .issue(app, &roles, Duration::from_secs(600), DEFENDER_AUDIENCES[0])
            .unwrap()
    }

    async fn get(&self, path: &str, token: &str) -> Answer {
        request(self.addr, "GET", path, Some(token), b"").await
    }

    async fn machine_count(&self) -> usize {
        self.store
            .machines(&Default::default())
            .await
            .unwrap()
            .len()
    }
}

const EDGE: &str = "/api/Software/microsoft-_-edge/getmissingkbs";

#[tokio::test]
async fn an_application_past_its_limit_gets_429_and_others_are_unaffected() {
    let limits = Limits {
        per_minute: 5,
        per_hour: 100,
    };
    let server = Server::start(
        "throttle",
        ServerOptions {
            throttle: Some(limits),
            ..Default::default()
        },
    )
    .await;
    let runaway = server.token("runaway-app", &["Software.Read.All"]);
    let bystander = server.token("bystander-app", &["Software.Read.All"]);
    for _ in 0..5 {
        assert_eq!(server.get(EDGE, &runaway).await.status, 200);
    }
    let refused = server.get(EDGE, &runaway).await;
    assert_eq!(refused.status, 429);
    let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let body = refused.json();
    assert_eq!(body["error"]["code"], "TooManyRequests");
    assert_eq!(
        body["error"]["target"].as_str(),
        refused.header("request-id")
    );
    assert_eq!(
        server.get(EDGE, &bystander).await.status,
        200,
        "another application is unaffected"
    );
    // A refused call is not an authenticated one: a bad token is still a 401, not a 429.
    assert_eq!(server.get(EDGE, "not-a-token").await.status, 401);
}

#[tokio::test]
async fn inventories_are_posted_with_the_write_permission_whole_or_not_at_all() {
    let options = ServerOptions {
        throttle: None,
        body_limit: 64 * 1024,
        ..Default::default()
    };
    let server = Server::start("inventory", options).await;
    let writer = server.token("agent", &["Machine.ReadWrite.All"]);
    let reader = server.token("reader", &["Machine.Read.All"]);
    let systeminfo = std::fs::read(repo(
        "crates/inventory/tests/data/10_1809_x64_pro_en-us_20190307_systeminfo.txt",
    ))
    .unwrap();
    let before = server.machine_count().await;

    let forbidden = request(
        server.addr,
        "POST",
        "/api/inventory",
        Some(&reader),
        &systeminfo,
    )
    .await;
    assert_eq!(forbidden.status, 403);
    assert!(
        forbidden.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Machine.ReadWrite.All")
    );

    let posted = request(
        server.addr,
        "POST",
        "/api/Inventory",
        Some(&writer),
        &systeminfo,
    )
    .await;
    assert_eq!(posted.status, 200, "{}", posted.body);
    let body = posted.json();
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/api/$metadata#Machines")
    );
    let machine = &body["value"][0];
    assert_eq!(machine["osPlatform"], "Windows10");
    assert_eq!(machine["version"], "1809");
    assert_eq!(server.machine_count().await, before + 1);
    let id = machine["id"].as_str().unwrap();
    let reader_view = server.get(&format!("/api/machines/{id}"), &reader).await;
    assert_eq!(reader_view.status, 200);
    // The answer is the stored machine, as the machine call shows it (less its own context).
    let mut shown = reader_view.json();
    shown.as_object_mut().unwrap().remove("@odata.context");
    assert_eq!(&shown, machine);

    // A JSON array whose second machine is broken: nothing of it is stored, and the message
    // says where.
    let good = br#"[{"host":"ok-1","os":{"name":"Microsoft Windows 10 Pro","build":18363,"release":"1909","architecture":"x64"},"installedKbs":[]}]"#;
    let broken = br#"[{"host":"ok-1","os":{"name":"Microsoft Windows 10 Pro","build":18363,"release":"1909","architecture":"x64"},"installedKbs":[]},
{"host":"bad-2","os":{"build":"not a build"}}]"#;
    let refused = request(server.addr, "POST", "/api/inventory", Some(&writer), broken).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.json()["error"]["code"], "BadRequest");
    assert!(
        refused.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("[1].os"),
        "{}",
        refused.body
    );
    assert_eq!(server.machine_count().await, before + 1);
    // The good machine alone is accepted: it was the second one that was refused.
    let accepted = request(server.addr, "POST", "/api/inventory", Some(&writer), good).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(server.machine_count().await, before + 2);

    let qfe = std::fs::read(repo(
        "crates/inventory/tests/data/10_1809_x64_pro_en-us_20190307_qfe.txt",
    ))
    .unwrap();
    let alone = request(server.addr, "POST", "/api/inventory", Some(&writer), &qfe).await;
    assert_eq!(alone.status, 400);
    assert!(
        alone.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("hotfix table")
    );

    let huge = systeminfo.repeat(20);
    assert!(huge.len() > 64 * 1024);
    let too_large = request(server.addr, "POST", "/api/inventory", Some(&writer), &huge).await;
    assert_eq!(too_large.status, 413);
    assert_eq!(too_large.json()["error"]["code"], "PayloadTooLarge");
    assert_eq!(server.machine_count().await, before + 2);

    let nowhere = request(
        server.addr,
        "POST",
        "/api/machines",
        Some(&writer),
        &systeminfo,
    )
    .await;
    assert_eq!(nowhere.status, 404);
}

#[tokio::test]
async fn metrics_count_routes_on_their_own_listener_and_readiness_follows_the_store() {
    let server = Server::start(
        "metrics",
        ServerOptions {
            throttle: None,
            ..Default::default()
        },
    )
    .await;
    let token = server.token("scraper-test", &["Software.Read.All"]);
    for _ in 0..3 {
        assert_eq!(server.get(EDGE, &token).await.status, 200);
    }
    assert_eq!(
        server
            .get("/api/Software/microsoft-_-nothing/getmissingkbs", &token)
            .await
            .status,
        404
    );
    assert_eq!(
        server.get("/api/no/such/route/here", &token).await.status,
        404
    );
    assert_eq!(
        request(server.addr, "GET", "/readyz", None, b"")
            .await
            .status,
        200
    );

    let scraped = request(server.metrics_addr, "GET", "/metrics", None, b"").await;
    assert_eq!(scraped.status, 200);
    assert!(
        scraped
            .header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = scraped.body;
    assert!(
        text.contains(r#"kbgap_http_requests_total{route="/api/Software/{id}/getmissingkbs",method="GET",status="200"} 3"#),
        "{text}"
    );
    // An unknown record is counted under its route; an unknown path under one label.
    assert!(
        text.contains(
            r#"kbgap_http_requests_total{route="/api/Software/{id}/getmissingkbs",method="GET",status="404"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"kbgap_http_requests_total{route="unmatched",method="GET",status="404"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"kbgap_http_request_duration_seconds_count{route="/api/Software/{id}/getmissingkbs",method="GET"} 4"#));
    // The API listener does not serve the metrics.
    assert_eq!(
        request(server.addr, "GET", "/metrics", None, b"")
            .await
            .status,
        404
    );

    server.store.close().await;
    assert_eq!(
        request(server.addr, "GET", "/readyz", None, b"")
            .await
            .status,
        503
    );
    assert_eq!(
        request(server.addr, "GET", "/healthz", None, b"")
            .await
            .status,
        200
    );
}
