//! `kbgap catalog sync` run as a user runs it: the binary, a real SQLite file, and a real HTTP
//! server on loopback serving real MSRC documents (the sync crate's shipped slice). An emptied
//! month is refused with exit code 1, named in the report, and every answer of the store stays
//! as it was.

#[path = "../../sync/tests/support/feed_server.rs"]
mod feed_server;
#[path = "../../sync/tests/support/pki.rs"]
mod pki;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use feed_server::{FeedServer, document, emptied, index_with_date};
use support::{KBGAP, Sandbox};

const MONTHS: [&str; 4] = ["2016-Jan", "2017-Feb", "2017-May-B", "2019-Mar"];

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sync/tests/data")
}

fn machine() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../inventory/tests/data/7_sp1_x64_enterprise_en-us_20190305_systeminfo.txt")
}

#[test]
fn sync_imports_then_refuses_an_emptied_month_and_keeps_the_answers() {
    let server = FeedServer::start();
    let index = std::fs::read(data().join("updates.json")).unwrap();
    server.set_index(index.clone());
    for month in MONTHS {
        server.set_document(month, document(&data(), &format!("{month}.xml.zst")));
    }
    let source = server.base();
    let sandbox = Sandbox::new("sync").with_env("KBGAP_MSRC_URL", source);

    // First sync, JSON report; the source comes from KBGAP_MSRC_URL and the cache defaults to
    // beside the database.
    let report: serde_json::Value =
        serde_json::from_str(&sandbox.ok(&["catalog", "sync", "--json"])).unwrap();
    let new: Vec<&str> = report["new"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(new, MONTHS);
    assert_eq!(report["catalog"]["sources"], 4);
    assert!(
        sandbox
            .dir
            .join("kbgap.db.cvrf/documents/2016-Jan.xml.zst")
            .is_file()
    );

    sandbox.ok(&["ingest", machine().to_str().unwrap()]);
    let answer = |s: &Sandbox| s.ok(&["missing", "--software", "microsoft-_-windows_7", "--json"]);
    let before = answer(&sandbox);
    assert!(before.contains("\"value\""), "{before}");

    // MSRC serves 2016-Jan emptied under a new date: refused, exit code 1, answers unchanged.
    server.set_index(index_with_date(&index, "2016-Jan", "2026-07-06T00:00:00Z"));
    let january = document(&data(), "2016-Jan.xml.zst");
    server.set_document("2016-Jan", emptied(&january));
    let out = sandbox.run(&["catalog", "sync"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let line = stdout
        .lines()
        .find(|l| l.starts_with("REJECTED"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        line.contains("2016-Jan") && line.contains("served empty"),
        "{line}"
    );
    assert!(line.contains("kept the copy of"), "{line}");
    assert!(
        stdout.contains("1 rejected") && stdout.contains("catalog unchanged"),
        "{stdout}"
    );
    assert!(stderr.contains("1 documents rejected"), "{stderr}");
    assert_eq!(answer(&sandbox), before);

    // The good copy comes back: nothing to import, exit code 0.
    server.set_document("2016-Jan", january);
    let stdout = sandbox.ok(&["catalog", "sync"]);
    assert!(
        stdout.contains("0 rejected") && stdout.contains("4 unchanged"),
        "{stdout}"
    );
    assert_eq!(answer(&sandbox), before);
}

#[test]
fn sync_refuses_a_memory_database_without_a_cache_folder() {
    let out = Command::new(KBGAP)
        .args(["--db", "sqlite::memory:", "catalog", "sync"])
        .env("KBGAP_MSRC_URL", "http://127.0.0.1:9/cvrf/v3.0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("--cache"), "{stderr}");
}

/// Over HTTPS with a private CA: `--ca-file` trusts it; without it the sync fails naming the
/// URL and the certificate; a CA file that cannot be read or holds no certificate is named.
#[test]
fn sync_over_https_trusts_the_ca_file() {
    let pki = pki::test_pki();
    let server = FeedServer::start_tls(&pki.cert_pem, &pki.key_pem);
    server.set_index(std::fs::read(data().join("updates.json")).unwrap());
    for month in MONTHS {
        server.set_document(month, document(&data(), &format!("{month}.xml.zst")));
    }
    let source = server.base();
    let sandbox = Sandbox::new("sync-https").with_env("KBGAP_MSRC_URL", source);

    let refused = sandbox.run(&["catalog", "sync"]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains(source) && stderr.contains("certificate"),
        "{stderr}"
    );

    let ca = sandbox.dir.join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let ca = ca.to_str().unwrap();
    let report: serde_json::Value =
        serde_json::from_str(&sandbox.ok(&["catalog", "sync", "--json", "--ca-file", ca])).unwrap();
    assert_eq!(report["new"].as_array().unwrap().len(), MONTHS.len());

    let missing = sandbox.dir.join("missing.pem");
    let out = sandbox.run(&["catalog", "sync", "--ca-file", missing.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.pem"));
    let not_pem = sandbox.dir.join("not.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let out = sandbox.run(&["catalog", "sync", "--ca-file", not_pem.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not.pem") && stderr.contains("no usable PEM certificate"),
        "{stderr}"
    );
}
