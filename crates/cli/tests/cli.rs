//! The `kbgap` binary, run as a user runs it: a real SQLite file, real files in, exit codes
//! and messages out. Bad input gets one clear line naming the file and the problem, a
//! non-zero exit code, and leaves the database exactly as it was.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::{KBGAP, Sandbox};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// Everything a user can see of the store.
fn state(sandbox: &Sandbox) -> String {
    [
        sandbox.ok(&["machines", "--json"]),
        sandbox.ok(&["missing", "--software", "microsoft-_-edge", "--json"]),
        sandbox.ok(&["missing", "--software", "microsoft-_-windows_7", "--json"]),
        sandbox.ok(&["missing", "--machine", "WS-1909-01", "--json"]),
    ]
    .join("\n")
}

fn loaded(name: &str) -> Sandbox {
    let sandbox = Sandbox::new(name);
    sandbox.ok(&[
        "catalog",
        "import",
        repo("crates/catalog/tests/data/wesng-2020-03-11.zip")
            .to_str()
            .unwrap(),
    ]);
    sandbox.ok(&["ingest", repo("demo").to_str().unwrap()]);
    sandbox
}

/// Runs a command that must fail: one line on stderr naming `file`, exit code not 0, and
/// the store unchanged.
fn refused(sandbox: &Sandbox, args: &[&str], file: &str, problem: &str) {
    let before = state(sandbox);
    let out = sandbox.run(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(file), "names {file}: {stderr}");
    assert!(
        stderr.to_lowercase().contains(problem),
        "says {problem:?}: {stderr}"
    );
    assert_eq!(state(sandbox), before, "the store changed after {args:?}");
}

#[test]
fn bad_catalog_files_are_refused_and_change_nothing() {
    let sandbox = loaded("bad-catalog");
    let good = repo("crates/catalog/tests/data/cvrf-2019-Mar.p0w3rsh3ll.xml.zst");
    let good = good.to_str().unwrap();
    let not_cvrf = sandbox.file(
        "not-cvrf.xml",
        b"<?xml version=\"1.0\"?><html><body>hello</body></html>",
    );
    refused(
        &sandbox,
        &["catalog", "import", good, &not_cvrf],
        &not_cvrf,
        "cvrf",
    );
    let header = sandbox.file(
        "CVEs_20200101.csv",
        b"\"Date\",\"CVE\",\"KB\"\n\"20200101\",\"CVE-2020-0001\",\"4540673\"\n",
    );
    refused(
        &sandbox,
        &["catalog", "import", good, &header],
        &header,
        "header",
    );
    let empty = sandbox.file("empty.xml", b"");
    refused(
        &sandbox,
        &["catalog", "import", good, &empty],
        &empty,
        "empty",
    );
    let xml = std::fs::read_to_string(repo("../shared/data/catalog/msrc/cvrf-xml-p0w3rsh3ll/cvrfDocument-2019-Mar.xml"))
        .unwrap_or_else(|_| "<?xml version=\"1.0\"?><cvrfdoc xmlns=\"http://www.icasi.org/CVRF/schema/cvrf/1.1\"><DocumentTitle>March 2019 Security Updates</DocumentTitle><vuln:Vulnerability xmlns:vuln=\"x\"><vuln:CVE>CVE-2019-0001".to_string());
    let truncated = sandbox.file("2019-Mar.xml", &xml.as_bytes()[..xml.len() / 2]);
    refused(
        &sandbox,
        &["catalog", "import", good, &truncated],
        &truncated,
        "truncated",
    );
    let unknown = sandbox.file("notes.bin", b"\x00\x01\x02 this is not a catalog \xff\xfe");
    refused(
        &sandbox,
        &["catalog", "import", good, &unknown],
        &unknown,
        "",
    );
}

#[test]
fn bad_inventories_are_refused_and_change_nothing() {
    let sandbox = loaded("bad-inventory");
    let good = repo("demo/7_sp1_x64_enterprise_en-us_A_systeminfo.txt");
    let good = good.to_str().unwrap();
    let empty = sandbox.file("empty.txt", b"");
    refused(&sandbox, &["ingest", good, &empty], &empty, "empty");
    let text = std::fs::read_to_string(good).unwrap();
    let cut = text.find("OS Version").unwrap();
    let truncated = sandbox.file("truncated_systeminfo.txt", &text.as_bytes()[..cut]);
    refused(
        &sandbox,
        &["ingest", good, &truncated],
        &truncated,
        "truncated",
    );
    let unknown = sandbox.file(
        "photo.jpg",
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00 not an inventory",
    );
    refused(
        &sandbox,
        &["ingest", good, &unknown],
        &unknown,
        "not a systeminfo",
    );
    let json = sandbox.file("bad.json", br#"[{"host": "PC1", "os": {"name": "Microsoft Windows 10 Pro", "build": "eighteen", "architecture": "x64"}, "installedKbs": []}]"#);
    refused(&sandbox, &["ingest", good, &json], &json, "build");
    let qfe =
        repo("crates/cli/tests/data/ground-truth/7_sp1_x64_enterprise_en-us_20190305_qfe.txt");
    let qfe = qfe.to_str().unwrap();
    refused(&sandbox, &["ingest", good, qfe], qfe, "--one-machine");
}

#[test]
fn reimports_are_idempotent_and_the_summary_is_printed() {
    let sandbox = loaded("idempotent");
    let before = state(&sandbox);
    let out = sandbox.ok(&[
        "catalog",
        "import",
        repo("crates/catalog/tests/data/wesng-2020-03-11.zip")
            .to_str()
            .unwrap(),
    ]);
    assert!(
        out.contains("updates") && out.contains("CVEs") && out.contains(" s"),
        "{out}"
    );
    assert!(out.contains("6 machines reassessed"), "{out}");
    sandbox.ok(&["ingest", repo("demo").to_str().unwrap()]);
    assert_eq!(state(&sandbox), before);
}

#[test]
fn ingest_prints_one_line_per_machine_and_json_with_defenders_fields() {
    let sandbox = Sandbox::new("ingest-json");
    let out = sandbox.ok(&[
        "ingest",
        "--json",
        "--one-machine",
        repo(
            "crates/cli/tests/data/ground-truth/7_sp1_x64_enterprise_en-us_20190305_systeminfo.txt",
        )
        .to_str()
        .unwrap(),
        repo("crates/cli/tests/data/ground-truth/7_sp1_x64_enterprise_en-us_20190305_qfe.txt")
            .to_str()
            .unwrap(),
    ]);
    let line: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(line["computerDnsName"], "WIN7SP1X64");
    assert_eq!(line["osPlatform"], "Windows7");
    assert_eq!(line["osBuild"], 7601);
    assert_eq!(line["osArchitecture"], "64-bit");
    assert_eq!(line["id"].as_str().unwrap().len(), 40);
    // systeminfo lists 245 of its 273 hotfixes; the qfe table has them all.
    assert_eq!(line["installedKbs"].as_array().unwrap().len(), 276);
    let plain = sandbox.ok(&["ingest", repo("demo/fleet-2020-03.json").to_str().unwrap()]);
    assert_eq!(plain.lines().count(), 5);
    assert!(
        plain.lines().all(|l| l.split_whitespace().count() >= 3),
        "{plain}"
    );
}

#[test]
fn missing_prints_a_table_and_the_apis_json() {
    let sandbox = loaded("missing");
    let table = sandbox.ok(&["missing", "--software", "microsoft-_-edge"]);
    assert!(table.lines().next().unwrap().starts_with("KB"), "{table}");
    assert!(
        table.contains("KB4540673") && table.contains("March 2020 Security Updates"),
        "{table}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&sandbox.ok(&["missing", "--software", "microsoft-_-edge", "--json"]))
            .unwrap();
    assert_eq!(json["value"][0]["id"], "4540673");
    assert_eq!(json["value"][0]["machineMissedOn"], 4);
    let out = sandbox.run(&["missing", "--software", "microsoft-_-nothing"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Software microsoft-_-nothing was not found")
    );
}

#[test]
fn a_token_from_the_cli_opens_the_served_api() {
    use std::io::{BufRead, BufReader, Read, Write};
    let sandbox = loaded("token");
    let token = sandbox.ok(&["token", "--roles", "Software.Read.All", "--ttl", "5m"]);
    let token = token.trim();
    assert_eq!(token.split('.').count(), 3, "{token}");
    let out = sandbox.run(&["token", "--roles", "Software.Read.All", "--ttl", "5 years"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--ttl"));

    let mut server = Command::new(KBGAP)
        .arg("--db")
        .arg(format!(
            "sqlite://{}",
            sandbox.dir.join("kbgap.db").display()
        ))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(server.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let address = line.trim().rsplit("http://").next().unwrap().to_string();
    let get = |auth: &str| {
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        write!(stream, "GET /api/Software/microsoft-_-edge/getmissingkbs HTTP/1.1\r\nHost: {address}\r\n{auth}Connection: close\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    };
    let ok = get(&format!("Authorization: Bearer {token}\r\n"));
    let denied = get("");
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(ok.contains("\"id\":\"4540673\""), "{ok}");
    assert!(denied.starts_with("HTTP/1.1 401"), "{denied}");
}

#[test]
fn check_answers_without_storing_and_agrees_with_missing() {
    let sandbox = loaded("check");
    let fleet = repo("demo/fleet-2020-03.json");
    let fleet = fleet.to_str().unwrap();
    let out = sandbox.ok(&["check", "--json", fleet]);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    let stored: serde_json::Value =
        serde_json::from_str(&sandbox.ok(&["missing", "--machine", "WS-1909-01", "--json"]))
            .unwrap();
    let checked = lines
        .iter()
        .find(|l| l["computerDnsName"] == "WS-1909-01")
        .unwrap();
    assert_eq!(checked["value"], stored["value"]);
    // As of the day before March's release, February's update was the newest.
    let before = sandbox.ok(&["check", "--json", "--as-of", "2020-03-09", fleet]);
    assert!(before.lines().all(
        |l| serde_json::from_str::<serde_json::Value>(l).unwrap()["value"] == serde_json::json!([])
    ));
    // A catalog given on the command line, and an empty database: nothing is stored.
    let empty = Sandbox::new("check-empty");
    let catalog = repo("crates/catalog/tests/data/wesng-2020-03-11.zip");
    let table = empty.ok(&["check", "--catalog", catalog.to_str().unwrap(), fleet]);
    assert!(
        table.contains("WS-1909-01 (Windows10 1909, build 18363): 1 missing"),
        "{table}"
    );
    assert_eq!(empty.ok(&["machines"]), "");
}

#[test]
fn explain_says_why_in_words_and_json() {
    let sandbox = loaded("explain");
    let words = sandbox.ok(&["explain", "--machine", "WS-1909-01", "--kb", "KB4540673"]);
    assert!(words.starts_with("KB4540673 is missing"), "{words}");
    assert!(
        words.contains("Windows 10 Version 1909 for x64-based Systems"),
        "{words}"
    );
    let json: serde_json::Value = serde_json::from_str(&sandbox.ok(&[
        "explain",
        "--machine",
        "WS-1909-01",
        "--kb",
        "4528760",
        "--json",
    ]))
    .unwrap();
    assert_eq!(json["verdict"]["status"], "coveredByInstalled", "{json}");
    assert_eq!(json["verdict"]["installed"], "4532693");
    assert!(!json["chain"].as_array().unwrap().is_empty());
    let patched = sandbox.ok(&["explain", "--machine", "WS-1909-03", "--kb", "4540673"]);
    assert!(patched.starts_with("KB4540673 is installed"), "{patched}");
}

/// The collector's inventory of the Windows 7 ground-truth machine (Office 2016 64-bit among
/// its programs) against the ground-truth catalog: Office's updates are missed under Office's
/// software ids, next to the OS's, on the machine call and the software call alike.
#[test]
fn applications_in_an_inventory_bring_their_updates() {
    let sandbox = Sandbox::new("applications");
    sandbox.ok(&[
        "catalog",
        "import",
        repo("crates/cli/tests/data/ground-truth/wesng-2019-03-05.zip")
            .to_str()
            .unwrap(),
    ]);
    sandbox.ok(&[
        "ingest",
        repo("crates/inventory/tests/agents/collector-7_sp1_x64_enterprise_en-us_20190305.json")
            .to_str()
            .unwrap(),
    ]);
    let out = sandbox.ok(&["missing", "--machine", "WIN7SP1X64", "--json"]);
    let body: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = body["value"].as_array().unwrap();
    let products_of = |kb: &str| -> Vec<String> {
        let row = rows
            .iter()
            .find(|r| r["id"] == kb)
            .unwrap_or_else(|| panic!("KB{kb} not reported: {out}"));
        row["productsNames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(products_of("4486563"), ["windows_7", "internet_explorer"]);
    for (kb, product) in [
        ("4461543", "word"),
        ("4461532", "powerpoint"),
        ("4461601", "outlook"),
        ("4462115", "excel"),
        ("4022162", "office"),
        ("4462146", "office"),
    ] {
        assert_eq!(products_of(kb), [product], "KB{kb}");
    }
    let word = sandbox.ok(&["missing", "--software", "microsoft-_-word", "--json"]);
    let word: serde_json::Value = serde_json::from_str(&word).unwrap();
    let row = word["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "4461543")
        .expect("KB4461543 for Word");
    assert_eq!(row["machineMissedOn"], 1);
    assert_eq!(row["productsNames"], serde_json::json!(["word"]));
}

/// Edge and Visual Studio 2022 are serviced by version: `check` lists them as out of date,
/// with the version to update to, next to the missing KBs (real MSRC January 2024 document).
#[test]
fn check_lists_applications_older_than_their_fixed_version() {
    let sandbox = Sandbox::new("check-versions");
    let catalog = repo("crates/catalog/tests/data/cvrf-2024-Jan.p0w3rsh3ll.xml.zst");
    let inventory = sandbox.file(
        "workstation.json",
        br#"{"host": "DEV-01",
            "os": {"name": "Microsoft Windows 11 Enterprise", "version": "10.0.22631.3007",
                   "release": "23H2", "architecture": "x64"},
            "installedKbs": ["KB5034123"],
            "applications": [
              {"name": "Microsoft Edge", "version": "120.0.2210.121", "publisher": "Microsoft Corporation"},
              {"name": "Visual Studio Enterprise 2022", "version": "17.8.3", "publisher": "Microsoft Corporation"},
              {"name": "Microsoft Visual Studio Code", "version": "1.85.1", "publisher": "Microsoft Corporation"}
            ]}"#,
    );
    let catalog = catalog.to_str().unwrap();
    let out = sandbox.ok(&["check", "--json", "--catalog", catalog, &inventory]);
    let line: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let outdated = line["outdatedApplications"].as_array().unwrap();
    let products: Vec<&str> = outdated
        .iter()
        .map(|o| o["productName"].as_str().unwrap())
        .collect();
    assert_eq!(
        products,
        [
            "Microsoft Edge (Chromium-based)",
            "Microsoft Visual Studio 2022 version 17.8"
        ],
        "{line}"
    );
    let edge = &outdated[0];
    assert_eq!(edge["installedVersion"], "120.0.2210.121");
    assert_eq!(edge["fixedVersion"], "121.0.2277.83");
    assert_eq!(edge["softwareId"], "microsoft-_-edge_chromium-based");
    let cves = edge["cveIds"].as_array().unwrap();
    assert!(
        cves.contains(&serde_json::json!("CVE-2024-21326")),
        "{edge}"
    );
    assert!(
        !cves.contains(&serde_json::json!("CVE-2024-0222")),
        "fixed in .121: {edge}"
    );
    assert_eq!(outdated[1]["fixedVersion"], "17.8.4");
    // Version fixes are no KBs: the getmissingkbs value names none for them.
    assert!(
        line["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|kb| !kb["productsNames"].to_string().contains("edge")),
        "{line}"
    );
    // As of 2024-01-20, the 121 release and its fixes were not published yet.
    let before = sandbox.ok(&[
        "check",
        "--json",
        "--as-of",
        "2024-01-20",
        "--catalog",
        catalog,
        &inventory,
    ]);
    let before: serde_json::Value = serde_json::from_str(before.trim()).unwrap();
    assert_eq!(
        before["outdatedApplications"][0]["fixedVersion"], "120.0.2210.144",
        "{before}"
    );
    // The same from osquery's `programs` table (its `version` column).
    let osquery = repo("crates/inventory/tests/agents/osquery-tables-10_22H2_x64_enterprise.json");
    let out = sandbox.ok(&[
        "check",
        "--json",
        "--catalog",
        catalog,
        osquery.to_str().unwrap(),
    ]);
    let line: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let edge = &line["outdatedApplications"][0];
    assert_eq!(
        edge["productName"], "Microsoft Edge (Chromium-based)",
        "{line}"
    );
    assert_eq!(edge["installedVersion"], "120.0.2210.121");
    let table = sandbox.ok(&["check", "--catalog", catalog, &inventory]);
    assert!(table.contains("2 out-of-date applications"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.contains("Microsoft Edge (Chromium-based)")
                && l.contains("120.0.2210.121")
                && l.contains("121.0.2277.83")),
        "{table}"
    );
}
