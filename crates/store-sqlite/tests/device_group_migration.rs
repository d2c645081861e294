//! A database written by schema version 4 (before the device-group column) opens with the
//! column filled from the stored inventories, so old machines keep their device group for
//! `$filter` and for delegated callers' scopes.

mod support;

use kbgap_store::{ListQuery, MACHINE_FIELDS, Store, odata};
use kbgap_store_sqlite::SqliteStore;
use sqlx::Connection;
use support::{TempDir, demo_fleet, insert_machine, schema_version};

#[tokio::test]
async fn version_4_databases_get_the_device_group_column_filled() {
    let dir = TempDir::new("migration-5");
    let path = dir.join("kbgap.db");
    let mut machines = demo_fleet();
    machines[0].device_group = Some("Servers".into());
    machines[1].device_group = Some("servers".into());
    {
        let mut conn = schema_version(&path, 4).await;
        for m in &machines {
            insert_machine(&mut conn, m, 4).await;
        }
        conn.close().await.unwrap();
    }
    let store = SqliteStore::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let filter = odata::parse_filter("rbacGroupName eq 'SERVERS'", MACHINE_FIELDS).unwrap();
    let mut found: Vec<String> = store
        .machines(&ListQuery::filtered(filter))
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.inventory.host)
        .collect();
    found.sort();
    let mut expected = vec![machines[0].host.clone(), machines[1].host.clone()];
    expected.sort();
    assert_eq!(found, expected);
    store.close().await;
}
