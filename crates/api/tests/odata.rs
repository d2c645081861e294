//! The OData query options over the real API (in-process, on the demo catalog and fleet):
//! a table of `$filter` expressions with the machines or software each one must return or
//! the error it must give, `$select` / `$count` / `$top` / `$skip` / `@odata.nextLink`,
//! injection attempts (400s, database unchanged), and random `$filter` text that must never
//! give a 500.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use kbgap_api::{AppState, router_with_page_size};
use kbgap_auth::{DEFENDER_AUDIENCES, Issuer, generate_key_pem};
use kbgap_store::conformance::{catalog, fleet};
use kbgap_store::{ListQuery, Store};
use kbgap_store_sqlite::SqliteStore;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use support::TempDir;
use tower::ServiceExt;

const HOST: &str = "api.securitycenter.microsoft.com";

const ALL: &[&str] = &[
    "WIN7SP1X64",
    "WS-1903-01",
    "WS-1903-02",
    "WS-1909-01",
    "WS-1909-02",
    "WS-1909-03",
];
const NONE: &[&str] = &[];

struct TestApp {
    store: SqliteStore,
    issuer: Arc<Issuer>,
    token: String,
    page_size: u64,
    _dir: TempDir,
}

async fn app(name: &str, page_size: u64) -> TestApp {
    let dir = TempDir::new(&format!("odata-{name}"));
    let store = SqliteStore::connect(&dir.sqlite_url()).await.unwrap();
    store.import_catalog(catalog(), &|_| {}).await.unwrap();
    store.ingest(fleet()).await.unwrap();
    let issuer = Arc::new(Issuer::from_pem(&generate_key_pem(), "tenant", &[]).unwrap());
    let token = issuer
        .issue(
            "test-app",
            &[
                "Software.Read.All".to_string(),
                "Machine.Read.All".to_string(),
            ],
            Duration::from_secs(3600),
            DEFENDER_AUDIENCES[0],
        )
        .unwrap();
    TestApp {
        store,
        issuer,
        token,
        page_size,
        _dir: dir,
    }
}

/// Percent-encodes everything but unreserved characters, as a careful client does.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl TestApp {
    /// GET `path_and_query`; the status, the raw body and the body as JSON (Null if none).
    async fn get(&self, path_and_query: &str) -> (StatusCode, String, Value) {
        let state = AppState {
            store: self.store.clone(),
            issuer: self.issuer.clone(),
            public_url: None,
        };
        let request = Request::get(path_and_query)
            .header("host", HOST)
            .header("authorization", format!("Bearer {}", self.token))
            .body(Body::empty())
            .unwrap();
        let response = router_with_page_size(state, self.page_size)
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let raw = String::from_utf8(bytes.to_vec()).unwrap();
        let json = serde_json::from_str(&raw).unwrap_or(Value::Null);
        (status, raw, json)
    }

    async fn filter(&self, entity: &str, filter: &str) -> (StatusCode, Value) {
        let (status, _, body) = self
            .get(&format!("/api/{entity}?$filter={}", encode(filter)))
            .await;
        (status, body)
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

    /// Everything a request could change, to compare before and after hostile ones.
    async fn snapshot(&self) -> String {
        let machines = self.store.machines(&ListQuery::default()).await.unwrap();
        let software = self
            .store
            .software_list(&ListQuery::default(), kbgap_store::DeviceGroups::All)
            .await
            .unwrap();
        let edge = kbgap_domain::SoftwareId::parse("microsoft-_-edge").unwrap();
        let missing = self
            .store
            .missing_by_software(&edge, kbgap_store::DeviceGroups::All)
            .await
            .unwrap();
        format!("{machines:?}\n{software:?}\n{missing:?}")
    }
}

fn column(body: &Value, key: &str) -> BTreeSet<String> {
    body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no value: {body}"))
        .iter()
        .map(|v| v[key].as_str().unwrap().to_string())
        .collect()
}

enum Expect {
    /// The machines (by computer name) or software (by id) that match.
    Match(&'static [&'static str]),
    /// A 400 `ODataError` whose message contains this.
    Error(&'static str),
}
use Expect::{Error, Match};

/// (`$filter`, expected) for `/api/machines`. `{HOST}` in a filter is replaced by the id of
/// that machine.
const MACHINE_TABLE: &[(&str, Expect)] = &[
    // eq / ne on strings: case-insensitive, names too.
    ("computerDnsName eq 'WS-1909-01'", Match(&["WS-1909-01"])),
    ("computerDnsName eq 'ws-1909-01'", Match(&["WS-1909-01"])),
    ("ComputerDnsName EQ 'Ws-1909-01'", Match(&["WS-1909-01"])),
    (
        "computerDnsName ne 'ws-1909-01'",
        Match(&[
            "WIN7SP1X64",
            "WS-1903-01",
            "WS-1903-02",
            "WS-1909-02",
            "WS-1909-03",
        ]),
    ),
    ("computerDnsName eq 'WS-1909'", Match(NONE)),
    ("id eq '{WS-1903-01}'", Match(&["WS-1903-01"])),
    (
        "id eq '{WS-1903-01}' or id eq '{WIN7SP1X64}'",
        Match(&["WIN7SP1X64", "WS-1903-01"]),
    ),
    (
        "id in ('{WS-1903-01}', '{WS-1909-03}')",
        Match(&["WS-1903-01", "WS-1909-03"]),
    ),
    (
        "id eq '0000000000000000000000000000000000000000'",
        Match(NONE),
    ),
    // Ordering on strings compares lower-cased text.
    (
        "computerDnsName gt 'ws-1909-01'",
        Match(&["WS-1909-02", "WS-1909-03"]),
    ),
    ("computerDnsName le 'WIN7SP1X64'", Match(&["WIN7SP1X64"])),
    (
        "version gt '1903'",
        Match(&["WIN7SP1X64", "WS-1909-01", "WS-1909-02", "WS-1909-03"]),
    ),
    ("version lt '1909'", Match(&["WS-1903-01", "WS-1903-02"])),
    (
        "version ge '1909' and version le '1909'",
        Match(&["WS-1909-01", "WS-1909-02", "WS-1909-03"]),
    ),
    // Text functions; % and _ are plain characters.
    (
        "startswith(computerDnsName,'ws-19')",
        Match(&[
            "WS-1903-01",
            "WS-1903-02",
            "WS-1909-01",
            "WS-1909-02",
            "WS-1909-03",
        ]),
    ),
    (
        "startswith(computerDnsName, 'WS-1903') eq true",
        Match(&["WS-1903-01", "WS-1903-02"]),
    ),
    (
        "startswith(computerDnsName,'ws-') eq false",
        Match(&["WIN7SP1X64"]),
    ),
    (
        "not startswith(computerDnsName,'ws-')",
        Match(&["WIN7SP1X64"]),
    ),
    (
        "endswith(computerDnsName,'-02')",
        Match(&["WS-1903-02", "WS-1909-02"]),
    ),
    ("endswith(computerDnsName,'x-ws-1909-02')", Match(NONE)),
    (
        "contains(computerDnsName,'1909')",
        Match(&["WS-1909-01", "WS-1909-02", "WS-1909-03"]),
    ),
    ("contains(computerDnsName,'sp1')", Match(&["WIN7SP1X64"])),
    ("contains(computerDnsName,'_')", Match(NONE)),
    ("contains(computerDnsName,'%')", Match(NONE)),
    ("startswith(computerDnsName,'')", Match(ALL)),
    (
        "startswith(osPlatform,'windows1')",
        Match(&[
            "WS-1903-01",
            "WS-1903-02",
            "WS-1909-01",
            "WS-1909-02",
            "WS-1909-03",
        ]),
    ),
    // Enumerations.
    (
        "osPlatform eq 'Windows10'",
        Match(&[
            "WS-1903-01",
            "WS-1903-02",
            "WS-1909-01",
            "WS-1909-02",
            "WS-1909-03",
        ]),
    ),
    ("osPlatform eq 'windows7'", Match(&["WIN7SP1X64"])),
    ("osPlatform ne 'Windows10'", Match(&["WIN7SP1X64"])),
    (
        "osPlatform in ('Windows7', 'Windows11')",
        Match(&["WIN7SP1X64"]),
    ),
    ("osPlatform eq 'WindowsServer2019'", Match(NONE)),
    ("osArchitecture eq '64-bit'", Match(ALL)),
    ("osArchitecture eq '32-bit'", Match(NONE)),
    // Integers.
    (
        "osBuild eq 18363",
        Match(&["WS-1909-01", "WS-1909-02", "WS-1909-03"]),
    ),
    (
        "osBuild ne 18363",
        Match(&["WIN7SP1X64", "WS-1903-01", "WS-1903-02"]),
    ),
    (
        "osBuild ge 18362 and osBuild lt 18363",
        Match(&["WS-1903-01", "WS-1903-02"]),
    ),
    (
        "osBuild gt 10000",
        Match(&[
            "WS-1903-01",
            "WS-1903-02",
            "WS-1909-01",
            "WS-1909-02",
            "WS-1909-03",
        ]),
    ),
    ("osBuild le 7601", Match(&["WIN7SP1X64"])),
    (
        "osBuild in (7601, 18362)",
        Match(&["WIN7SP1X64", "WS-1903-01", "WS-1903-02"]),
    ),
    ("osBuild eq -1", Match(NONE)),
    ("osBuild gt 9223372036854775807", Match(NONE)),
    (
        "version eq '1909'",
        Match(&["WS-1909-01", "WS-1909-02", "WS-1909-03"]),
    ),
    (
        "version in ('1903', '7601')",
        Match(&["WIN7SP1X64", "WS-1903-01", "WS-1903-02"]),
    ),
    // Instants (the machines were ingested just now).
    ("lastSeen gt 2020-01-01T00:00:00Z", Match(ALL)),
    ("lastSeen ge 2020-01-01", Match(ALL)),
    ("lastSeen lt 2020-01-01T00:00:00+01:00", Match(NONE)),
    ("lastSeen le 9999-12-31T23:59:59.999Z", Match(ALL)),
    (
        "lastSeen gt 2020-01-01T00:00:00Z and lastSeen lt 2020-01-02",
        Match(NONE),
    ),
    // null.
    ("lastSeen eq null", Match(NONE)),
    ("lastSeen ne null", Match(ALL)),
    ("not (version eq null)", Match(ALL)),
    // Logic and precedence.
    (
        "(osBuild eq 18362 or osBuild eq 7601) and not contains(computerDnsName,'02')",
        Match(&["WIN7SP1X64", "WS-1903-01"]),
    ),
    (
        "osBuild eq 18362 or osBuild eq 7601 and not contains(computerDnsName,'02')",
        Match(&["WIN7SP1X64", "WS-1903-01", "WS-1903-02"]),
    ),
    (
        "not (not (osPlatform eq 'Windows7'))",
        Match(&["WIN7SP1X64"]),
    ),
    (
        "osPlatform eq 'Windows10' and version eq '1909' and osBuild eq 18363 and computerDnsName ne 'ws-1909-02'",
        Match(&["WS-1909-01", "WS-1909-03"]),
    ),
    ("((((osBuild eq 7601))))", Match(&["WIN7SP1X64"])),
    // Literals that look like SQL are literals.
    ("computerDnsName eq 'x'' or 1=1 --'", Match(NONE)),
    (
        "computerDnsName eq 'x''); DROP TABLE machines; --'",
        Match(NONE),
    ),
    ("computerDnsName eq 'WS-1909-01'' --'", Match(NONE)),
    ("computerDnsName eq 'Ωμέγα 🚀'", Match(NONE)),
    // Errors say where and what.
    (
        "computerDnsName eq 5",
        Error("$filter: at column 20: expected a quoted string after 'eq'"),
    ),
    (
        "osBuild eq '18363'",
        Error("at column 12: expected an integer after 'eq'"),
    ),
    ("lastSeen gt '2020-01-01'", Error("unquoted DateTimeOffset")),
    (
        "lastSeen gt 2020-13-01T00:00:00Z",
        Error("at column 13: malformed literal"),
    ),
    (
        "osPlatform eq 'Windows95'",
        Error("'Windows95' is not a value of 'osPlatform'"),
    ),
    ("osPlatform gt 'Windows10'", Error("use eq, ne or in")),
    (
        "deviceValue eq 'High'",
        Error("at column 1: unknown property 'deviceValue'"),
    ),
    // Written as a constant (kbgap has no risk data): selectable, not filterable.
    (
        "riskScore eq 'High'",
        Error("'riskScore' cannot be used in $filter"),
    ),
    (
        "installedKbs eq 'KB4540673'",
        Error("'installedKbs' cannot be used in $filter"),
    ),
    (
        "computerDnsName like 'x'",
        Error("at column 17: expected an operator"),
    ),
    (
        "computerDnsName eq 'x",
        Error("at column 20: unterminated string literal"),
    ),
    ("computerDnsName eq \"x\"", Error("single quotes")),
    (
        "computerDnsName == 'x'",
        Error("comparisons are written eq"),
    ),
    (
        "startswith(osBuild,'1')",
        Error("applies to string properties"),
    ),
    (
        "substringof('x',computerDnsName)",
        Error("unknown function 'substringof'"),
    ),
    (
        "startswith(computerDnsName,'x') eq 1",
        Error("compared with true or false"),
    ),
    (
        "osBuild gt null",
        Error("null can only be compared with eq or ne"),
    ),
    ("osBuild in ()", Error("expected an integer")),
    ("osBuild in (1, null)", Error("null is not allowed")),
    (
        "(osBuild eq 1",
        Error("expected ')' to close the '(' at column 1"),
    ),
    ("osBuild eq 1)", Error("')' without a matching '('")),
    ("osBuild eq 1 osBuild eq 2", Error("expected 'and', 'or'")),
    ("osBuild eq 1 and", Error("found end of input")),
    ("", Error("at column 1: expected a property name")),
    ("and", Error("found the keyword 'and'")),
];

const SOFTWARE_TABLE: &[(&str, Expect)] = &[
    ("id eq 'microsoft-_-edge'", Match(&["microsoft-_-edge"])),
    ("ID eq 'Microsoft-_-Edge'", Match(&["microsoft-_-edge"])),
    ("name eq 'EDGE'", Match(&["microsoft-_-edge"])),
    (
        "name in ('edge', 'internet_explorer')",
        Match(&["microsoft-_-edge", "microsoft-_-internet_explorer"]),
    ),
    (
        "vendor eq 'microsoft' and startswith(name,'windows_')",
        Match(&["microsoft-_-windows_10", "microsoft-_-windows_7"]),
    ),
    ("endswith(id,'_10')", Match(&["microsoft-_-windows_10"])),
    ("vendor ne 'microsoft'", Match(&["adobe-_-flash_player"])),
    (
        "vendor eq 'Adobe' and not contains(name,'shockwave')",
        Match(&["adobe-_-flash_player"]),
    ),
    ("vendor eq 'oracle'", Match(NONE)),
    ("name eq 'x'' or ''1''=''1'", Match(NONE)),
    (
        "exposedMachines gt 0",
        Error("'exposedMachines' cannot be used in $filter"),
    ),
    (
        "computerDnsName eq 'x'",
        Error("unknown property 'computerDnsName' (filterable: id, name, vendor)"),
    ),
    ("name eq 1", Error("expected a quoted string")),
];

async fn check_table(app: &TestApp, entity: &str, key: &str, table: &[(&str, Expect)]) {
    let mut ids = Vec::new();
    for host in ALL {
        ids.push((format!("{{{host}}}"), app.machine_id(host).await));
    }
    for (filter, expect) in table {
        let mut text = filter.to_string();
        for (placeholder, id) in &ids {
            text = text.replace(placeholder.as_str(), id);
        }
        let (status, body) = app.filter(entity, &text).await;
        match expect {
            Match(expected) => {
                assert_eq!(status, StatusCode::OK, "{filter}: {body}");
                let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
                assert_eq!(column(&body, key), expected, "{filter}");
            }
            Error(fragment) => {
                assert_eq!(status, StatusCode::BAD_REQUEST, "{filter}: {body}");
                assert_eq!(body["error"]["code"], "ODataError", "{filter}");
                let message = body["error"]["message"].as_str().unwrap();
                assert!(
                    message.contains(fragment),
                    "{filter}: {message:?} lacks {fragment:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn filter_table_over_the_api() {
    let app = app("table", kbgap_api::SERVER_PAGE_SIZE).await;
    check_table(&app, "machines", "computerDnsName", MACHINE_TABLE).await;
    check_table(&app, "Software", "id", SOFTWARE_TABLE).await;
    // The installed software, as a sanity check of the software rows above.
    let (_, _, body) = app.get("/api/Software").await;
    let all = column(&body, "id");
    let (status, body) = app.filter("Software", "contains(id,'-_-')").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(column(&body, "id"), all);
}

#[tokio::test]
async fn select_count_top_and_skip() {
    let app = app("options", kbgap_api::SERVER_PAGE_SIZE).await;
    let base = format!("http://{HOST}/api/$metadata#");
    // $select: only the named properties, in the entity's order, named in the context.
    let (status, raw, body) = app
        .get("/api/machines?$select=osBuild,COMPUTERDNSNAME&$filter=osBuild%20eq%207601")
        .await;
    assert_eq!(status, StatusCode::OK, "{raw}");
    assert_eq!(
        body,
        json!({"@odata.context": format!("{base}Machines(computerDnsName,osBuild)"),
               "value": [{"computerDnsName": "WIN7SP1X64", "osBuild": 7601}]})
    );
    assert!(raw.find("computerDnsName").unwrap() < raw.find("osBuild").unwrap());
    // `*` and no $select give every property of the entity table.
    let (_, _, star) = app.get("/api/machines?$select=*&$top=1").await;
    let (_, _, plain) = app.get("/api/machines?$top=1").await;
    assert_eq!(star["value"], plain["value"]);
    let mut keys: Vec<&String> = plain["value"][0].as_object().unwrap().keys().collect();
    keys.sort();
    let mut table: Vec<&str> = kbgap_store::MACHINE_FIELDS.iter().map(|f| f.name).collect();
    table.sort();
    assert_eq!(keys, table, "the field table lists what the DTO writes");
    let (_, _, plain) = app.get("/api/Software?$top=1").await;
    let mut keys: Vec<&String> = plain["value"][0].as_object().unwrap().keys().collect();
    keys.sort();
    let mut table: Vec<&str> = kbgap_store::SOFTWARE_FIELDS
        .iter()
        .map(|f| f.name)
        .collect();
    table.sort();
    assert_eq!(keys, table);
    let (_, _, body) = app
        .get("/api/Software?$select=id,installedMachines&$filter=name%20eq%20'edge'")
        .await;
    assert_eq!(
        body["value"],
        json!([{"id": "microsoft-_-edge", "installedMachines": 5}])
    );
    let (status, _, body) = app.get("/api/machines?$select=id,nope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let names: Vec<&str> = kbgap_store::MACHINE_FIELDS.iter().map(|f| f.name).collect();
    assert_eq!(
        body["error"]["message"],
        format!(
            "$select: at column 4: unknown property 'nope' (one of: {})",
            names.join(", ")
        )
    );
    // $count counts every match; $top and $skip page.
    let (_, _, body) = app.get("/api/machines?$count=true&$top=1").await;
    assert_eq!(body["@odata.count"], 6);
    assert_eq!(body["value"].as_array().unwrap().len(), 1);
    assert!(
        body.get("@odata.nextLink").is_none(),
        "$top is a cap: {body}"
    );
    let (_, _, body) = app
        .get("/api/machines?$count=true&$filter=osBuild%20eq%2018363&$skip=1")
        .await;
    assert_eq!(body["@odata.count"], 3);
    assert_eq!(body["value"].as_array().unwrap().len(), 2);
    let (_, _, body) = app.get("/api/Software?$count=true&$top=0").await;
    assert_eq!(body["value"], json!([]));
    assert!(body["@odata.count"].as_u64().unwrap() >= 4, "{body}");
    let (_, _, body) = app.get("/api/machines?$count=false").await;
    assert!(body.get("@odata.count").is_none());
    let (_, _, all) = app.get("/api/machines").await;
    let (_, _, page) = app.get("/api/machines?$top=2&$skip=2").await;
    assert_eq!(
        page["value"].as_array().unwrap()[..],
        all["value"].as_array().unwrap()[2..4]
    );
    let (status, _, _) = app.get("/api/machines?$top=10000&$skip=99999999999").await;
    assert_eq!(status, StatusCode::OK);
    for bad in [
        "$top=10001",
        "$top=-1",
        "$top=1.5",
        "$skip=abc",
        "$count=yes",
        "$top=1&$top=2",
        "$orderby=id",
        "$expand=software",
        "asOf=2020-03-01",
    ] {
        let (status, _, body) = app.get(&format!("/api/machines?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "ODataError", "{bad}");
    }
    // Single entities and getmissingkbs take no list options.
    let id = app.machine_id("WS-1909-01").await;
    let (status, _, _) = app.get(&format!("/api/machines/{id}?$select=id")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = app
        .get(&format!("/api/machines/{id}/getmissingkbs?$count=true"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// Follows `@odata.nextLink` from `first`, returning every page.
async fn pages(app: &TestApp, first: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next = Some(first.to_string());
    while let Some(path) = next {
        let (status, _, body) = app.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        next = body["@odata.nextLink"].as_str().map(|link| {
            let prefix = format!("http://{HOST}");
            assert!(link.starts_with(&prefix), "absolute: {link}");
            link[prefix.len()..].to_string()
        });
        out.push(body);
        assert!(out.len() < 20, "next links loop");
    }
    out
}

#[tokio::test]
async fn the_server_pages_with_absolute_next_links() {
    // A page size of 2 stands for Defender's 10,000.
    let app = app("paging", 2).await;
    let pages_ = pages(&app, "/api/machines?$count=true").await;
    assert_eq!(pages_.len(), 3);
    assert_eq!(
        pages_[0]["@odata.nextLink"],
        format!("http://{HOST}/api/machines?$count=true&$skip=2")
    );
    let hosts: Vec<String> = pages_
        .iter()
        .flat_map(|p| p["value"].as_array().unwrap().clone())
        .map(|m| m["computerDnsName"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(hosts, ALL, "every machine once, in order");
    assert!(pages_.iter().all(|p| p["@odata.count"] == 6));
    assert!(pages_[2].get("@odata.nextLink").is_none());
    // The filter (and any other option) is carried as the client encoded it.
    let filter = encode("startswith(computerDnsName,'ws-') and osBuild ge 18362");
    let pages_ = pages(
        &app,
        &format!("/api/v1.0/Machines?$filter={filter}&$select=id"),
    )
    .await;
    assert_eq!(
        pages_
            .iter()
            .map(|p| p["value"].as_array().unwrap().len())
            .collect::<Vec<_>>(),
        [2, 2, 1]
    );
    assert_eq!(
        pages_[0]["@odata.nextLink"],
        format!("http://{HOST}/api/v1.0/Machines?$filter={filter}&$select=id&$skip=2")
    );
    // $top is a cap: no next link, as in Defender.
    let (_, _, body) = app.get("/api/machines?$top=3").await;
    assert_eq!(body["value"].as_array().unwrap().len(), 3);
    assert!(body.get("@odata.nextLink").is_none());
    // Exactly one page left: no link to an empty page.
    let (_, _, body) = app.get("/api/machines?$skip=4").await;
    assert_eq!(body["value"].as_array().unwrap().len(), 2);
    assert!(body.get("@odata.nextLink").is_none(), "{body}");
    let software = pages(&app, "/api/Software").await;
    assert!(software.len() >= 2);
}

/// Hostile `$filter` text: each is refused with a 400 that is an OData error, and nothing in
/// the database changes.
#[tokio::test]
async fn injection_attempts_are_400s_and_change_nothing() {
    let app = app("injection", kbgap_api::SERVER_PAGE_SIZE).await;
    let before = app.snapshot().await;
    let long = format!("computerDnsName eq '{}'", "a".repeat(20_000));
    let deep = format!("{}osBuild eq 1{}", "(".repeat(200), ")".repeat(200));
    let nots = format!("{}osBuild eq 1", "not ".repeat(200));
    let wide = vec!["osBuild eq 1"; 1_001].join(" or ");
    let hostile: Vec<String> = [
        "' or 1=1 --",
        "x'); DROP TABLE machines; --",
        "computerDnsName eq '' or 1=1 --'",
        "computerDnsName eq 'x'); DROP TABLE machines; --",
        "computerDnsName eq 'x' or 1 eq 1",
        "computerDnsName eq 'x'; DELETE FROM machines",
        "1 eq 1",
        "id eq id",
        "computerDnsName eq 'x' -- comment",
        "computerDnsName eq 'x' /* c */",
        "osBuild eq 1 union select * from settings",
        "host_lower eq 'x'",
        "computerDnsName eq 'x' or sqlite_version() eq '3'",
        "cömputerDnsName eq 'x'",
        "computerDnsName eq ‘x’",
        "computerDnsName eq 'x'\u{0}",
        "\u{202e}computerDnsName eq 'x'",
        "computerDnsName\u{00a0}eq\u{00a0}'x'\u{2028}or",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([long, deep, nots, wide])
    .collect();
    for filter in &hostile {
        for entity in ["machines", "Software"] {
            let (status, body) = app.filter(entity, filter).await;
            let shown: String = filter.chars().take(60).collect();
            assert_eq!(status, StatusCode::BAD_REQUEST, "{entity} {shown}: {body}");
            assert_eq!(body["error"]["code"], "ODataError", "{shown}");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.starts_with("$filter: at column "), "{message}");
            assert!(message.len() < 400, "short messages: {message}");
        }
    }
    // The deepest and widest filters accepted still run (no database limit is reached).
    let deepest = format!("{}osBuild eq 7601{}", "(".repeat(32), ")".repeat(32));
    let (status, body) = app.filter("machines", &deepest).await;
    assert_eq!(
        (status, column(&body, "computerDnsName").len()),
        (StatusCode::OK, 1)
    );
    let mut widest = vec!["osBuild eq 1"; 999];
    widest.push("osBuild eq 7601");
    let widest = widest.join(" or ");
    let (status, body) = app.filter("machines", &widest).await;
    assert_eq!(
        (status, column(&body, "computerDnsName").len()),
        (StatusCode::OK, 1)
    );
    let list: Vec<String> = (0..1_000).map(|n| n.to_string()).collect();
    let (status, _) = app
        .filter("machines", &format!("osBuild in ({})", list.join(",")))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.snapshot().await, before);
}

/// A machine condition that is valid: right operators and literal types for the field.
fn valid_atom() -> impl Strategy<Value = String> {
    let op = prop::sample::select(vec!["eq", "ne", "gt", "ge", "lt", "le"]);
    let text = "[a-zA-Z0-9 %_.-]{0,8}|[a-z]{0,3}''[a-z]{0,3}";
    let datetime = prop::sample::select(vec![
        "2020-03-01T00:00:00Z",
        "2020-03-01",
        "2099-01-01T12:30:00.5+02:00",
        "1970-01-01T00:00:00-05:00",
    ]);
    prop_oneof![
        (
            prop::sample::select(vec!["computerDnsName", "id", "version"]),
            op.clone(),
            text
        )
            .prop_map(|(f, o, t)| format!("{f} {o} '{t}'")),
        (op.clone(), any::<i64>()).prop_map(|(o, n)| format!("osBuild {o} {n}")),
        (op, datetime).prop_map(|(o, d)| format!("lastSeen {o} {d}")),
        (
            prop::sample::select(vec!["eq", "ne"]),
            prop::sample::select(vec!["Windows10", "windows7", "WindowsServer2019"])
        )
            .prop_map(|(o, v)| format!("osPlatform {o} '{v}'")),
        (
            prop::sample::select(vec!["startswith", "endswith", "contains"]),
            prop::sample::select(vec!["computerDnsName", "version", "osPlatform"]),
            text
        )
            .prop_map(|(f, a, t)| format!("{f}({a},'{t}')")),
        prop::collection::vec(any::<i16>(), 1..5).prop_map(|v| format!(
            "osBuild in ({})",
            v.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(",")
        )),
    ]
}

fn atom() -> impl Strategy<Value = String> {
    let field = prop::sample::select(vec![
        "id",
        "computerDnsName",
        "osBuild",
        "lastSeen",
        "osPlatform",
        "version",
        "osArchitecture",
        "installedKbs",
        "name",
        "vendor",
        "x",
    ]);
    let op = prop::sample::select(vec!["eq", "ne", "gt", "ge", "lt", "le", "in", "Eq", "=="]);
    let literal = prop_oneof![
        "'[^']{0,6}'",
        any::<i64>().prop_map(|n| n.to_string()),
        Just("18363".to_string()),
        Just("'Windows10'".to_string()),
        Just("'64-bit'".to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        Just("2020-03-01T00:00:00Z".to_string()),
        Just("('1909','1903')".to_string()),
        Just("(7601,18362)".to_string()),
        "[ -~]{0,5}",
    ];
    let function = (
        prop::sample::select(vec!["startswith", "endswith", "contains", "tolower"]),
        prop::sample::select(vec!["computerDnsName", "name", "osBuild", "id"]),
        "'[a-zA-Z0-9%_'-]{0,5}'",
    )
        .prop_map(|(f, a, t)| format!("{f}({a},{t})"));
    prop_oneof![
        8 => valid_atom(),
        2 => (field, op, literal).prop_map(|(f, o, l)| format!("{f} {o} {l}")),
        1 => function,
    ]
}

fn expression() -> impl Strategy<Value = String> {
    atom().prop_recursive(5, 32, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} or {b}")),
            inner.clone().prop_map(|a| format!("not {a}")),
            inner.clone().prop_map(|a| format!("({a})")),
            inner.prop_map(|a| format!("({a}")),
        ]
    })
}

/// Random `$filter` text over the real API: 200 or 400, never 500 (and never a panic).
#[test]
fn random_filters_never_give_a_500() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(app("random", kbgap_api::SERVER_PAGE_SIZE));
    let before = runtime.block_on(app.snapshot());
    let accepted = std::cell::Cell::new(0u32);
    let check = |filter: String| {
        for entity in ["machines", "Software"] {
            let (status, body) = runtime.block_on(app.filter(entity, &filter));
            prop_assert!(
                status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
                "{} {:?}: {} {}",
                entity,
                filter,
                status,
                body
            );
            if status == StatusCode::BAD_REQUEST {
                prop_assert_eq!(&body["error"]["code"], "ODataError");
            } else {
                accepted.set(accepted.get() + 1);
            }
        }
        Ok(())
    };
    let mut runner = TestRunner::new(Config {
        cases: 200,
        failure_persistence: None,
        ..Config::default()
    });
    runner.run(&any::<String>(), check).unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 500,
        failure_persistence: None,
        ..Config::default()
    });
    accepted.set(0);
    runner.run(&expression(), check).unwrap();
    // The grammar-shaped cases reach the database, not only the parser's errors.
    eprintln!(
        "{} of 1,000 grammar-shaped requests accepted",
        accepted.get()
    );
    assert!(
        accepted.get() >= 100,
        "{} of 1,000 accepted",
        accepted.get()
    );
    let mut runner = TestRunner::new(Config {
        cases: 200,
        failure_persistence: None,
        ..Config::default()
    });
    runner.run(&"[a-zA-Z0-9 '(),=:%_-]{0,60}", check).unwrap();
    assert_eq!(runtime.block_on(app.snapshot()), before);
}
