//! A real server for the TVM tests: a fresh SQLite file holding the demo catalog (WES-NG as
//! of 2020-03-11) and the demo fleet (the conformance suite's `catalog()` and `fleet()`), the API served on a loopback socket, and a minimal
//! HTTP/1.1 client, so that requests go through the same listener, middleware and bytes a
//! client sees.

#![allow(dead_code)] // Each test file uses a different part of this module.

use std::sync::Arc;
use std::time::Duration;

use kbgap_api::{AppState, router};
use kbgap_auth::{Claims, DEFENDER_AUDIENCES, Issuer, generate_key_pem, now};
use kbgap_store::Store;
use kbgap_store::conformance::{catalog, fleet};
use kbgap_store_sqlite::SqliteStore;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const EDGE: &str = "microsoft-_-edge";
/// March 2020's cumulative update, the one KB the demo's 1909 machines miss.
pub const MARCH_2020: &str = "4540673";

/// A fresh folder per test (`kbgap-<name>-<pid>` in the system's temporary folder),
/// removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("kbgap-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// The URL of a SQLite database file in it.
    pub fn sqlite_url(&self) -> String {
        format!("sqlite://{}", self.0.join("kbgap.db").display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct TestServer {
    pub store: SqliteStore,
    pub issuer: Arc<Issuer>,
    pub addr: std::net::SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    // Dropped after the server is told to stop.
    _dir: TempDir,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
    }
}

/// An HTTP answer.
pub struct Answer {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl TestServer {
    pub async fn start(name: &str) -> TestServer {
        let dir = TempDir::new(&format!("tvm-{name}"));
        let store = SqliteStore::connect(&dir.sqlite_url()).await.unwrap();
        store.import_catalog(catalog(), &|_| {}).await.unwrap();
        store.ingest(fleet()).await.unwrap();
        let issuer = Arc::new(Issuer::from_pem(&generate_key_pem(), "tenant", &[]).unwrap());
        let app = router(AppState {
            store: store.clone(),
            issuer: issuer.clone(),
            public_url: None,
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(kbgap_api::serve(listener, app, async move {
            let _ = stopped.await;
        }));
        TestServer {
            store,
            issuer,
            addr,
            _dir: dir,
            shutdown: Some(stop),
        }
    }

    /// An application token with these roles.
    pub fn token(&self, roles: &[&str]) -> String {
        let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
        self.issuer
            .issue(
                "test-app",
                &roles,
                Duration::from_secs(3600),
                DEFENDER_AUDIENCES[0],
            )
            .unwrap()
    }

    /// A delegated (user) token with these scopes.
    pub fn delegated_token(&self, scopes: &[&str]) -> String {
        let iat = now();
        self.issuer
            .sign(&Claims {
                iss: self.issuer.issuer().to_string(),
                aud: DEFENDER_AUDIENCES[0].to_string(),
                sub: "user".into(),
                tid: self.issuer.tenant().to_string(),
                appid: "test-app".into(),
                roles: Vec::new(),
                scp: Some(scopes.join(" ")),
                ver: Some("1.0".into()),
                iat,
                nbf: iat,
                exp: iat + 3600,
            })
            .unwrap()
    }

    /// A token with every read permission kbgap checks.
    pub fn reader(&self) -> String {
        self.token(&[
            "Software.Read.All",
            "Machine.Read.All",
            "Vulnerability.Read.All",
        ])
    }

    /// `GET path_and_query` over the socket, with a bearer token if given.
    pub async fn get(&self, path_and_query: &str, token: Option<&str>) -> Answer {
        self.send("GET", path_and_query, token, b"").await
    }

    /// `method path_and_query` with `body`, over the socket, with a bearer token if given.
    pub async fn send(
        &self,
        method: &str,
        path_and_query: &str,
        token: Option<&str>,
        body: &[u8],
    ) -> Answer {
        request(self.addr, method, path_and_query, token, body).await
    }

    /// The demo's Windows 10 1909 machine `WS-1909-01`.
    pub async fn machine_id(&self) -> String {
        self.store
            .machine("ws-1909-01")
            .await
            .unwrap()
            .expect("the demo fleet has it")
            .id
            .to_string()
    }

    /// A path of the route table with its parameters filled with real data: the software
    /// Edge, the machine `WS-1909-01`, one of Edge's open vulnerabilities, March 2020's KB.
    pub async fn fill(&self, template: &str) -> String {
        let machine = self.machine_id().await;
        let edge_open = self
            .store
            .software_vulnerabilities(
                &kbgap_domain::SoftwareId::parse(EDGE).unwrap(),
                kbgap_store::DeviceGroups::All,
            )
            .await
            .unwrap()
            .unwrap();
        let cve = &edge_open[0].id;
        let mut out = Vec::new();
        let mut previous = "";
        for segment in template.split('/') {
            let value = match segment {
                "{id}" => match previous.to_ascii_lowercase().as_str() {
                    "software" => EDGE.to_string(),
                    "machines" => machine.clone(),
                    "vulnerabilities" => cve.clone(),
                    other => panic!("no test value for an id under {other}"),
                },
                "{kb}" => MARCH_2020.to_string(),
                s if s.starts_with('{') => panic!("no test value for {s}"),
                s => s.to_string(),
            };
            previous = segment;
            out.push(value);
        }
        out.join("/")
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`) to `addr`, read to the
/// end.
pub async fn request(
    addr: std::net::SocketAddr,
    method: &str,
    path_and_query: &str,
    token: Option<&str>,
    body: &[u8],
) -> Answer {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "{method} {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    // A server may answer (413) before the whole body is sent, and close: the answer counts.
    let _ = stream.write_all(body).await;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let text = String::from_utf8(raw).expect("UTF-8 answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("a header block");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("a chunk size");
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}
