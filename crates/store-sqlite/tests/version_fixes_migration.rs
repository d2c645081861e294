//! A database written by schema version 5 (before version fixes) opens at version 6, and the
//! next import of CVRF documents assesses its machines' programs serviced by version: the
//! upgrade path docs/CATALOG.md describes (`catalog sync --reimport`).

mod support;

use kbgap_domain::Application;
use kbgap_store::{DeviceGroups, Store};
use kbgap_store_sqlite::SqliteStore;
use sqlx::Connection;
use support::{TempDir, demo_fleet, insert_machine, schema_version};

#[tokio::test]
async fn version_5_databases_gain_version_fixes_at_the_next_import() {
    let dir = TempDir::new("migration-6");
    let path = dir.join("kbgap.db");
    let mut machine = demo_fleet().remove(0);
    machine.applications.push(Application {
        version: Some("120.0.2210.121".into()),
        ..Application::named("Microsoft Edge")
    });
    {
        let mut conn = schema_version(&path, 5).await;
        insert_machine(&mut conn, &machine, 5).await;
        conn.close().await.unwrap();
    }
    let store = SqliteStore::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    assert_eq!(open_on(&store, &machine).await, 0);
    let catalog = kbgap_catalog::read_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../catalog/tests/data/cvrf-2024-Jan.p0w3rsh3ll.xml.zst"
    ))
    .unwrap();
    let summary = store.import_catalog(catalog, &|_| {}).await.unwrap();
    assert_eq!(summary.machines_reassessed, 1);
    // Edge 120.0.2210.121 against January 2024's Edge fixes.
    assert!(open_on(&store, &machine).await > 10);
    store.close().await;
}

async fn open_on(store: &SqliteStore, machine: &kbgap_domain::MachineInventory) -> usize {
    store
        .machine_vulnerabilities(&machine.id(), DeviceGroups::All)
        .await
        .unwrap()
        .expect("the machine is kept")
        .len()
}
