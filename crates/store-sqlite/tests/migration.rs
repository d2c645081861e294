//! A database written by schema version 1 (before the machine property columns) opens with
//! those columns filled from the stored inventories, so `$filter` works on old machines.

mod support;

use kbgap_store::{ListQuery, MACHINE_FIELDS, Store, odata};
use kbgap_store_sqlite::SqliteStore;
use sqlx::Connection;
use support::{TempDir, demo_fleet, insert_machine, schema_version};

#[tokio::test]
async fn version_1_databases_get_the_property_columns_filled() {
    let dir = TempDir::new("migration");
    let path = dir.join("kbgap.db");
    let machines = demo_fleet();
    {
        let mut conn = schema_version(&path, 1).await;
        for m in &machines {
            insert_machine(&mut conn, m, 1).await;
        }
        conn.close().await.unwrap();
    }
    let store = SqliteStore::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let filter = odata::parse_filter(
        "osBuild eq 18363 and version eq '1909' and osArchitecture eq '64-bit' \
         and lastSeen lt 2020-03-02",
        MACHINE_FIELDS,
    )
    .unwrap();
    let found = store.machines(&ListQuery::filtered(filter)).await.unwrap();
    assert_eq!(found.len(), 3);
    store.close().await;
}
