//! `catalog sync` against a real HTTP server on loopback serving real MSRC documents (the
//! shipped slice of the 2026-07-06 feed, and an older revision of 2019-Mar), into a real
//! SQLite file: first sync, conditional requests, a newer revision, and the copies MSRC has
//! been seen to serve (emptied, truncated, an HTTP error) rejected with the kept copy staying
//! in the cache and in the catalog.

#[path = "support/feed_server.rs"]
mod feed_server;
#[path = "support/pki.rs"]
mod pki;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use feed_server::{FeedServer, document, emptied, index_with_date, shortened, truncated};
use kbgap_catalog::Batch;
use kbgap_store::Store;
use kbgap_store_sqlite::SqliteStore;
use kbgap_sync::{Cache, MsrcClient, Rejection, Report, apply, plan, vulnerability_count};
use pki::test_pki;

const OLD_MARCH: &str = "2019-Mar.rev2019-09-10.xml.zst";
const OLD_MARCH_DATE: &str = "2019-09-10T07:00:00Z";
const MONTHS: [&str; 4] = ["2016-Jan", "2017-Feb", "2017-May-B", "2019-Mar"];

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn shipped_index() -> Vec<u8> {
    std::fs::read(data().join("updates.json")).unwrap()
}

fn batch_of(xml: &[u8]) -> Batch {
    kbgap_catalog::parse_bytes("doc.xml", xml)
        .unwrap()
        .pop()
        .unwrap()
}

/// Serves the shipped months, 2019-Mar in its 2019-09-10 revision.
fn serve_shipped(server: &FeedServer) {
    server.set_index(index_with_date(
        &shipped_index(),
        "2019-Mar",
        OLD_MARCH_DATE,
    ));
    for month in &MONTHS[..3] {
        server.set_document(month, document(&data(), &format!("{month}.xml.zst")));
    }
    server.set_document("2019-Mar", document(&data(), OLD_MARCH));
}

struct World {
    server: FeedServer,
    dir: PathBuf,
    store: SqliteStore,
}

impl World {
    /// A server serving the shipped months ([`serve_shipped`]); an empty cache and database.
    async fn new(name: &str) -> World {
        let dir = std::env::temp_dir().join(format!("kbgap-sync-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let server = FeedServer::start();
        serve_shipped(&server);
        let url = format!("sqlite://{}", dir.join("kbgap.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        World { server, dir, store }
    }

    async fn sync(&self) -> Report {
        let mut cache = Cache::open(self.dir.join("cache")).unwrap();
        let client = MsrcClient::new(self.server.base());
        let planned = plan(&client, &cache, &|_, _, _| {}).unwrap();
        apply(planned, &mut cache, &self.store, false, &|_| {})
            .await
            .unwrap()
    }

    fn cache(&self) -> Cache {
        Cache::open(self.dir.join("cache")).unwrap()
    }

    /// The store's fix rows, on a real Windows 7 SP1 machine's slice, of the KBs a document
    /// names: (KB, product, vulnerability ids).
    async fn fixes_of(&self, batch: &Batch) -> BTreeSet<(String, String, Vec<String>)> {
        let bytes = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../inventory/tests/data/7_sp1_x64_enterprise_en-us_20190305_systeminfo.txt"),
        )
        .unwrap();
        let kbgap_inventory::Parsed::Machines(machines) = kbgap_inventory::parse(&bytes).unwrap()
        else {
            panic!("a systeminfo is a machine")
        };
        let slice = self.store.catalog_slice(&machines[0]).await.unwrap();
        let kbs: BTreeSet<_> = batch.updates.iter().map(|u| u.kb).collect();
        slice
            .fixes
            .iter()
            .filter(|f| kbs.contains(&f.kb))
            .map(|f| {
                (
                    f.kb.to_string(),
                    slice.products[f.product].name.clone(),
                    f.cves.clone(),
                )
            })
            .collect()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn first_sync_imports_everything_then_conditional_requests_change_nothing() {
    let world = World::new("first").await;

    let report = world.sync().await;
    let new: Vec<_> = report.new.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(new, MONTHS);
    assert_eq!(report.not_security_updates, ["1999-Sep"]);
    assert!(report.changed.is_empty() && report.rejected.is_empty());
    for doc in &report.new {
        let file = if doc.id == "2019-Mar" {
            OLD_MARCH.to_string()
        } else {
            format!("{}.xml.zst", doc.id)
        };
        let batch = batch_of(&document(&data(), &file));
        assert_eq!(
            doc.vulnerabilities,
            vulnerability_count(&batch),
            "{}",
            doc.id
        );
        assert_eq!(doc.revision, batch.revision);
    }
    let summary = report.catalog.expect("imported");
    assert_eq!(summary.sources, 4);
    assert!(summary.updates > 0 && summary.cves > 0);
    // The real 2017-May-B lists no vulnerability; a first copy is taken all the same.
    assert_eq!(report.new[2].vulnerabilities, 0);
    let seen = world.server.take_requests();
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert!(seen.iter().all(|s| s.if_none_match.is_none()));
    assert!(
        seen[1..]
            .iter()
            .all(|s| s.accept.as_deref() == Some("application/xml"))
    );
    assert!(!seen.iter().any(|s| s.path.ends_with("1999-Sep")));
    for month in MONTHS {
        assert!(world.cache().document_path(month).is_file());
    }

    // Nothing changed upstream: one conditional request for the list, answered 304.
    let report = world.sync().await;
    assert!(report.index_not_modified);
    assert_eq!(report.unchanged, MONTHS);
    assert!(report.new.is_empty() && report.changed.is_empty() && report.catalog.is_none());
    let seen = world.server.take_requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].if_none_match.is_some());
    assert_eq!(seen[0].status, 304);

    // The list moves a date but the document is the same: conditional request, 304.
    world.server.set_index(index_with_date(
        &index_with_date(&shipped_index(), "2019-Mar", OLD_MARCH_DATE),
        "2017-Feb",
        "2026-07-01T00:00:00Z",
    ));
    let report = world.sync().await;
    assert!(!report.index_not_modified);
    assert_eq!(report.unchanged, MONTHS);
    assert!(report.catalog.is_none());
    let seen = world.server.take_requests();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[1].path.ends_with("/cvrf/2017-Feb"));
    assert!(seen[1].if_none_match.is_some());
    assert!(seen[1].if_modified_since.is_some());
    assert_eq!(seen[1].status, 304);
    // ... and the new date is remembered: the next sync asks for the list only.
    world.sync().await;
    assert_eq!(world.server.take_requests().len(), 1);
}

#[tokio::test]
async fn a_newer_revision_replaces_and_bad_copies_are_rejected_keeping_the_old() {
    let world = World::new("revisions").await;
    world.sync().await;
    world.server.take_requests();
    let january = document(&data(), "2016-Jan.xml.zst");
    let january_batch = batch_of(&january);
    let january_fixes = world.fixes_of(&january_batch).await;
    assert!(!january_fixes.is_empty());
    let kept = world.cache().state.documents.clone();

    // Upstream: 2019-Mar revised (the copy of 2026), 2016-Jan emptied, 2017-Feb truncated,
    // 2017-May-B an HTTP 500; each with a new date in the list.
    let mut index = shipped_index();
    for month in ["2016-Jan", "2017-Feb", "2017-May-B"] {
        index = index_with_date(&index, month, "2026-07-06T00:00:00Z");
    }
    world.server.set_index(index);
    let march = document(&data(), "2019-Mar.xml.zst");
    world.server.set_document("2019-Mar", march.clone());
    world.server.set_document("2016-Jan", emptied(&january));
    let february = document(&data(), "2017-Feb.xml.zst");
    world.server.set_document("2017-Feb", truncated(&february));
    world.server.set_status("2017-May-B", 500);

    let report = world.sync().await;
    assert_eq!(report.changed.len(), 1, "{report:?}");
    let changed = &report.changed[0];
    assert_eq!(changed.id, "2019-Mar");
    assert_eq!(changed.revision_before, kept["2019-Mar"].revision);
    assert_eq!(changed.revision_after, batch_of(&march).revision);
    assert_eq!(
        changed.vulnerabilities_before,
        kept["2019-Mar"].vulnerabilities
    );
    assert_eq!(
        changed.vulnerabilities_after,
        vulnerability_count(&batch_of(&march))
    );
    // The 2026 copy adds Azure Linux CVEs fixed by package versions, not KBs: the count of
    // vulnerabilities with a KB stays (63 then 63), which is no reason to refuse it.
    assert!(changed.vulnerabilities_after >= changed.vulnerabilities_before);
    assert_eq!(report.catalog.as_ref().map(|c| c.sources), Some(1));

    let rejected: Vec<_> = report
        .rejected
        .iter()
        .map(|r| (r.id.as_str(), &r.reason))
        .collect();
    assert_eq!(rejected.len(), 3, "{rejected:?}");
    assert_eq!(
        rejected[0],
        (
            "2016-Jan",
            &Rejection::Emptied {
                before: vulnerability_count(&january_batch)
            }
        )
    );
    assert!(matches!(
        rejected[1],
        ("2017-Feb", Rejection::Unparsable { .. })
    ));
    assert!(
        matches!(rejected[2], ("2017-May-B", Rejection::Fetch { message }) if message.contains("500"))
    );
    assert!(report.rejected.iter().all(|r| r.kept_revision.is_some()));

    // The kept copies stay, in the cache and in the catalog.
    let cache = world.cache();
    for month in ["2016-Jan", "2017-Feb", "2017-May-B"] {
        assert_eq!(cache.state.documents[month], kept[month], "{month}");
    }
    let stored = cache.read_document("2016-Jan").unwrap().unwrap();
    assert_eq!(batch_of(&stored), january_batch);
    assert_eq!(world.fixes_of(&january_batch).await, january_fixes);
    assert_eq!(
        cache.state.documents["2019-Mar"].revision,
        changed.revision_after
    );

    // They are tried again at the next sync, and still refused.
    let report = world.sync().await;
    assert_eq!(report.rejected.len(), 3);
    assert!(report.catalog.is_none());

    // A copy with one vulnerability less is refused, and so is an older revision (the 2019
    // copy of 2019-Mar after the 2026 one); the good copies served again are the kept ones.
    let mut index = shipped_index();
    for month in ["2016-Jan", "2017-Feb", "2017-May-B", "2019-Mar"] {
        index = index_with_date(&index, month, "2026-07-07T00:00:00Z");
    }
    world.server.set_index(index);
    world
        .server
        .set_document("2019-Mar", document(&data(), OLD_MARCH));
    let january_shorter = shortened(&january);
    world
        .server
        .set_document("2016-Jan", january_shorter.clone());
    world.server.set_document("2017-Feb", february.clone());
    world
        .server
        .set_document("2017-May-B", document(&data(), "2017-May-B.xml.zst"));
    let report = world.sync().await;
    let before = vulnerability_count(&january_batch);
    let after = vulnerability_count(&batch_of(&january_shorter));
    assert!(after < before);
    let rejected: Vec<_> = report
        .rejected
        .iter()
        .map(|r| (r.id.as_str(), &r.reason))
        .collect();
    assert_eq!(
        rejected,
        [
            ("2016-Jan", &Rejection::Shorter { before, after }),
            (
                "2019-Mar",
                &Rejection::Older {
                    kept: batch_of(&march).revision,
                    served: OLD_MARCH_DATE.to_string()
                }
            )
        ]
    );
    assert_eq!(report.unchanged, ["2017-Feb", "2017-May-B"]);
    assert!(report.catalog.is_none());
}

#[tokio::test]
async fn a_new_database_beside_a_kept_cache_is_filled_by_reimport() {
    let world = World::new("reimport").await;
    let first = world.sync().await;
    world.server.take_requests();
    let url = format!("sqlite://{}", world.dir.join("second.db").display());
    let fresh = SqliteStore::connect(&url).await.unwrap();
    let mut cache = world.cache();
    let client = MsrcClient::new(world.server.base());
    let planned = plan(&client, &cache, &|_, _, _| {}).unwrap();
    let report = apply(planned, &mut cache, &fresh, true, &|_| {})
        .await
        .unwrap();
    // Nothing changed upstream (one 304), yet every kept copy is imported.
    assert!(report.index_not_modified);
    assert_eq!(world.server.take_requests().len(), 1);
    let imported = report.catalog.expect("reimported");
    let original = first.catalog.unwrap();
    assert_eq!(imported.sources, original.sources);
    assert_eq!(
        (imported.updates, imported.products, imported.cves),
        (original.updates, original.products, original.cves)
    );
}

#[test]
fn an_unreachable_source_fails_the_sync_and_writes_nothing() {
    let dir = std::env::temp_dir().join(format!("kbgap-sync-down-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let server = FeedServer::start();
    let base = server.base().to_string();
    drop(server);
    let cache = Cache::open(&dir).unwrap();
    let err = plan(&MsrcClient::new(&base), &cache, &|_, _, _| {}).unwrap_err();
    assert!(err.to_string().contains("document list"), "{err}");
    assert!(!dir.join("state.json").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The API over HTTPS, as MSRC serves it: with the test CA given as the trusted authority
/// (`kbgap catalog sync --ca-file`), every document is fetched and imported; with the built-in
/// Mozilla roots, the unknown issuer is refused, the error names the URL, and nothing is
/// written.
#[tokio::test(flavor = "multi_thread")]
async fn https_with_a_trusted_ca_syncs_and_an_unknown_issuer_is_refused() {
    let pki = test_pki();
    let server = FeedServer::start_tls(&pki.cert_pem, &pki.key_pem);
    assert!(server.base().starts_with("https://127.0.0.1:"));
    serve_shipped(&server);
    let dir = std::env::temp_dir().join(format!("kbgap-sync-https-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    let untrusted = MsrcClient::new(server.base());
    let cache = Cache::open(dir.join("refused")).unwrap();
    let err = plan(&untrusted, &cache, &|_, _, _| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(server.base()) && err.contains("certificate"),
        "{err}"
    );
    assert!(!dir.join("refused/state.json").exists());

    let trusted = MsrcClient::with_ca_pem(server.base(), pki.ca_pem.as_bytes()).unwrap();
    let mut cache = Cache::open(dir.join("cache")).unwrap();
    let store = SqliteStore::connect(&format!("sqlite://{}", dir.join("kbgap.db").display()))
        .await
        .unwrap();
    let planned = plan(&trusted, &cache, &|_, _, _| {}).unwrap();
    let report = apply(planned, &mut cache, &store, false, &|_| {})
        .await
        .unwrap();
    let new: Vec<_> = report.new.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(new, MONTHS);
    assert!(
        report
            .catalog
            .is_some_and(|c| c.sources == MONTHS.len() as u64)
    );

    // A file that holds no certificate is refused before any request.
    assert!(MsrcClient::with_ca_pem(server.base(), b"not a certificate").is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
