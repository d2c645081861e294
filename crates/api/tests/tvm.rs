//! The TVM endpoint family over a real socket, on the demo catalog and fleet: Defender's
//! shapes (keys in Defender's order, `@odata.context` values), and answers that agree with
//! each other and with getmissingkbs (a machine's open vulnerabilities are the CVEs its
//! missing KBs address, a software's machine references are its installations, ...).
//! Also the software call as of a date, and the explain route against the engine.

mod support;

use kbgap_store::Store;
use serde_json::Value;
use support::{EDGE, MARCH_2020, TestServer};

/// Asserts that `item` has exactly `expected` keys, and that they appear in that order in
/// the raw body (`item` being its first object of that shape).
fn assert_keys(raw: &str, item: &Value, expected: &[&str]) {
    let mut found: Vec<&str> = item
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    found.sort_unstable();
    let mut sorted = expected.to_vec();
    sorted.sort_unstable();
    assert_eq!(found, sorted);
    let positions: Vec<usize> = expected
        .iter()
        .map(|k| {
            raw.find(&format!("\"{k}\":"))
                .expect("the key is in the body")
        })
        .collect();
    assert!(positions.is_sorted(), "{expected:?} out of order in {raw}");
}

fn value(body: &Value) -> &Vec<Value> {
    body["value"].as_array().expect("a value array")
}

fn context(server: &TestServer, what: &str) -> String {
    format!("http://{}/api/$metadata#{what}", server.addr)
}

#[tokio::test]
async fn tvm_endpoints_answer_in_defender_shapes_and_agree() {
    let server = TestServer::start("shapes").await;
    let token = server.reader();
    let get_raw = async |path: &str| {
        let answer = server.get(path, Some(&token)).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        let json = answer.json();
        (answer.body, json)
    };
    let get = async |path: &str| get_raw(path).await.1;

    // Software: Defender's keys in Defender's order.
    let software = get("/api/Software").await;
    assert_eq!(software["@odata.context"], context(&server, "Software"));
    let (raw, edge) = get_raw(&format!("/api/Software/{EDGE}")).await;
    assert_eq!(edge["@odata.context"], context(&server, "Software/$entity"));
    assert_keys(
        &raw,
        &edge,
        &[
            "@odata.context",
            "id",
            "name",
            "vendor",
            "weaknesses",
            "publicExploit",
            "activeAlert",
            "exposedMachines",
            "installedMachines",
            "impactScore",
        ],
    );
    let installed = edge["installedMachines"].as_u64().unwrap();
    let fixes = get(&format!("/api/Software/{EDGE}/getmissingkbs")).await;
    let fix = &value(&fixes)[0];
    assert_eq!(fix["id"], MARCH_2020);

    let (raw, references) = get_raw(&format!("/api/Software/{EDGE}/machineReferences")).await;
    assert_eq!(
        references["@odata.context"],
        context(&server, "MachineReferences")
    );
    assert_eq!(value(&references).len() as u64, installed);
    assert_keys(
        &raw,
        &value(&references)[0],
        &["id", "computerDnsName", "osPlatform", "rbacGroupName"],
    );

    let (raw, versions) = get_raw(&format!("/api/Software/{EDGE}/distributions")).await;
    assert_eq!(
        versions["@odata.context"],
        context(&server, "Distributions")
    );
    assert_eq!(
        value(&versions)
            .iter()
            .map(|v| v["installations"].as_u64().unwrap())
            .sum::<u64>(),
        installed
    );
    assert_keys(
        &raw,
        &value(&versions)[0],
        &["version", "installations", "vulnerabilities"],
    );

    // Edge's open vulnerabilities are the CVEs its one missing KB addresses for it.
    let (raw, open) = get_raw(&format!("/api/Software/{EDGE}/vulnerabilities")).await;
    assert_eq!(
        open["@odata.context"],
        context(
            &server,
            "Collection(Analytics.Contracts.PublicAPI.PublicVulnerabilityDto)"
        )
    );
    assert_eq!(value(&fixes).len(), 1);
    assert_eq!(
        value(&open).len() as u64,
        fix["cveAddressed"].as_u64().unwrap()
    );
    assert_eq!(
        value(&open).len() as u64,
        edge["weaknesses"].as_u64().unwrap()
    );
    let cve = &value(&open)[0];
    assert_keys(
        &raw,
        cve,
        &[
            "id",
            "name",
            "description",
            "severity",
            "cvssV3",
            "exposedMachines",
            "publishedOn",
            "updatedOn",
            "publicExploit",
            "exploitVerified",
            "exploitInKit",
            "exploitTypes",
            "exploitUris",
        ],
    );

    // One vulnerability, and the machines it is open on.
    let id = cve["id"].as_str().unwrap();
    let one = get(&format!("/api/vulnerabilities/{}", id.to_lowercase())).await;
    assert_eq!(
        one["@odata.context"],
        context(&server, "Vulnerabilities/$entity")
    );
    assert_eq!(one["id"], id);
    let on = get(&format!("/api/vulnerabilities/{id}/machineReferences")).await;
    assert_eq!(
        value(&on).len() as u64,
        one["exposedMachines"].as_u64().unwrap()
    );
    assert!(one["exposedMachines"].as_u64().unwrap() >= fix["machineMissedOn"].as_u64().unwrap());

    // The list takes OData options over the vulnerability fields.
    let critical =
        get("/api/vulnerabilities?$filter=severity%20eq%20%27Critical%27&$count=true&$top=2").await;
    assert_eq!(
        critical["@odata.context"],
        context(&server, "Vulnerabilities")
    );
    assert!(critical["@odata.count"].as_u64().unwrap() >= value(&critical).len() as u64);
    assert!(value(&critical).iter().all(|v| v["severity"] == "Critical"));
    let (raw, selected) = get_raw("/api/vulnerabilities?$select=id,severity&$top=1").await;
    assert_keys(&raw, &value(&selected)[0], &["id", "severity"]);

    // A machine: its software includes every product its missing KB names, and its open
    // vulnerabilities are the CVEs that KB addresses there.
    let machine = server.machine_id().await;
    let missing = get(&format!("/api/machines/{machine}/getmissingkbs")).await;
    let its_software = get(&format!("/api/machines/{machine}/software")).await;
    assert_eq!(its_software["@odata.context"], context(&server, "Software"));
    let names: Vec<&str> = value(&its_software)
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for product in value(&missing)[0]["productsNames"].as_array().unwrap() {
        assert!(
            names.contains(&product.as_str().unwrap()),
            "{product} in {names:?}"
        );
    }
    let its_open = get(&format!("/api/machines/{machine}/vulnerabilities")).await;
    let addressed: u64 = value(&missing)
        .iter()
        .map(|m| m["cveAddressed"].as_u64().unwrap())
        .sum();
    assert_eq!(value(&its_open).len() as u64, addressed);
}

#[tokio::test]
async fn paths_match_as_defender_matches_them_and_unknown_ids_are_404() {
    let server = TestServer::start("paths").await;
    let token = server.reader();
    let machine = server.machine_id().await;
    for path in [
        format!("/api/v1.0/software/{EDGE}/Distributions"),
        format!("/api/SOFTWARE/{EDGE}/microsoft.windowsDefenderATP.api.MachineReferences"),
        format!("/api/Machines/{machine}/microsoft.windowsDefenderATP.api.Vulnerabilities"),
        format!("/api/v1.0/machines/{machine}/GetMissingKbs/KB{MARCH_2020}/Explain"),
        "/api/Vulnerabilities?$top=1".to_string(),
    ] {
        let answer = server.get(&path, Some(&token)).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    }
    for (path, message) in [
        (
            "/api/Software/microsoft-_-nothing/vulnerabilities".to_string(),
            "Software microsoft-_-nothing was not found",
        ),
        (
            "/api/machines/0000000000000000000000000000000000000000/software".to_string(),
            "Machine 0000000000000000000000000000000000000000 was not found",
        ),
        (
            "/api/vulnerabilities/CVE-1999-0001".to_string(),
            "Vulnerability CVE-1999-0001 was not found",
        ),
        (
            "/api/vulnerabilities/CVE-1999-0001/machineReferences".to_string(),
            "Vulnerability CVE-1999-0001 was not found",
        ),
    ] {
        let answer = server.get(&path, Some(&token)).await;
        assert_eq!(answer.status, 404, "{path}");
        let body = answer.json();
        assert_eq!(body["error"]["code"], "ResourceNotFound");
        assert_eq!(body["error"]["message"], message);
        assert_eq!(
            body["error"]["target"].as_str(),
            answer.header("request-id")
        );
    }
    // Properties kbgap writes as constants are selectable, not filterable.
    let selected = server
        .get(
            "/api/vulnerabilities?$select=id,cvssV3&$top=1",
            Some(&token),
        )
        .await
        .json();
    assert_eq!(selected["value"][0]["cvssV3"], Value::Null);
    let answer = server
        .get("/api/vulnerabilities?$filter=cvssV3%20gt%207", Some(&token))
        .await;
    assert_eq!(answer.status, 400);
    assert!(
        answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'cvssV3' cannot be used in $filter"),
        "{}",
        answer.body
    );
    // Relations take no list options.
    let answer = server
        .get(
            &format!("/api/Software/{EDGE}/machineReferences?$top=1"),
            Some(&token),
        )
        .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["error"]["code"], "ODataError");
}

#[tokio::test]
async fn software_getmissingkbs_as_of_a_date() {
    let server = TestServer::start("asof").await;
    let token = server.reader();
    let path = format!("/api/Software/{EDGE}/getmissingkbs");
    let today = server.get(&path, Some(&token)).await;
    assert_eq!(today.status, 200);
    // After the catalog's cut-off the catalog is what it is today.
    let later = server
        .get(&format!("{path}?asOf=2030-01-01"), Some(&token))
        .await;
    assert_eq!(later.status, 200);
    assert_eq!(later.json(), today.json());
    // The day before March 2020's release February's update, which the fleet has, was the
    // newest.
    let before = server
        .get(&format!("{path}?asOf=2020-03-09"), Some(&token))
        .await;
    assert_eq!(before.status, 200);
    assert_eq!(before.json()["value"], serde_json::json!([]));
    let bad = server
        .get(&format!("{path}?asOf=March"), Some(&token))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
}

#[tokio::test]
async fn explain_serves_the_engines_explanation() {
    let server = TestServer::start("explain").await;
    let token = server.token(&["Software.Read.All"]);
    let record = server.store.machine("ws-1909-01").await.unwrap().unwrap();
    let slice = server.store.catalog_slice(&record.inventory).await.unwrap();
    for (kb, as_of, status) in [
        (MARCH_2020, None, "missing"),
        (MARCH_2020, Some("2020-03-09"), "notYetReleased"),
    ] {
        let mut path = format!("/api/machines/{}/getmissingkbs/KB{kb}/explain", record.id);
        if let Some(date) = as_of {
            path.push_str(&format!("?asOf={date}"));
        }
        let answer = server.get(&path, Some(&token)).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        let expected = kbgap_engine::explain(
            &record.inventory,
            &slice,
            kbgap_engine::AssessOptions {
                as_of: as_of.map(|d| d.parse().unwrap()),
            },
            kb.parse().unwrap(),
        );
        assert_eq!(answer.json(), serde_json::to_value(&expected).unwrap());
        assert_eq!(answer.json()["verdict"]["status"], status, "{path}");
    }
    // By computer name too, as `kbgap explain --machine` and Defender's machine call take.
    let by_name = server
        .get(
            &format!("/api/machines/WS-1909-01/getmissingkbs/{MARCH_2020}/explain"),
            Some(&token),
        )
        .await;
    assert_eq!(by_name.status, 200);
    let not_a_kb = server
        .get(
            &format!("/api/machines/{}/getmissingkbs/KBx/explain", record.id),
            Some(&token),
        )
        .await;
    assert_eq!(not_a_kb.status, 400);
    let nobody = server
        .get(
            &format!("/api/machines/nobody/getmissingkbs/{MARCH_2020}/explain"),
            Some(&token),
        )
        .await;
    assert_eq!(nobody.status, 404);
}
