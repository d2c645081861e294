//! Fleet answers are served from memory until the data changes, including changes that
//! another process commits to the same file (`kbgap ingest` while `kbgap serve` runs): two
//! stores on one file stand for the two processes.

mod support;

use std::time::{Duration, Instant};

use kbgap_domain::SoftwareId;
use kbgap_store::Store;
use kbgap_store::conformance::{catalog, fleet};
use kbgap_store_sqlite::SqliteStore;
use support::TempDir;

async fn edge_missed_on(store: &SqliteStore) -> Vec<(u32, u64)> {
    let edge = SoftwareId::parse("microsoft-_-edge").unwrap();
    store
        .missing_by_software(&edge, kbgap_store::DeviceGroups::All)
        .await
        .unwrap()
        .unwrap()
        .iter()
        .map(|row| (row.kb.number(), row.machine_missed_on))
        .collect()
}

#[tokio::test]
async fn another_writers_commit_reaches_the_served_answers() {
    let dir = TempDir::new("other-writers");
    let url = format!("sqlite://{}", dir.join("kbgap.db").display());
    let server = SqliteStore::connect(&url).await.unwrap();
    let writer = SqliteStore::connect(&url).await.unwrap();
    writer.import_catalog(catalog(), &|_| {}).await.unwrap();
    writer.ingest(fleet()).await.unwrap();
    let before = edge_missed_on(&server).await;
    assert_eq!(before, [(4540673, 4)]);
    // Served again from memory: the same answer.
    assert_eq!(edge_missed_on(&server).await, before);

    let (mut patched, source) = fleet().remove(0);
    patched.installed_kbs.insert("KB4540673".parse().unwrap());
    writer.ingest(vec![(patched, source)]).await.unwrap();
    // The watcher looks every 250 ms; allow a generous bound on a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = edge_missed_on(&server).await;
        if now == [(4540673, 3)] {
            break;
        }
        assert_eq!(now, before, "only the old or the new answer");
        assert!(
            Instant::now() < deadline,
            "the other writer's commit was never seen"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The server's own writes are seen at once.
    let host = server.machine("WS-1903-01").await.unwrap().unwrap();
    assert!(server.remove_machine(&host.id).await.unwrap());
    assert_eq!(edge_missed_on(&server).await, [(4540673, 2)]);
    server.close().await;
    writer.close().await;
}
