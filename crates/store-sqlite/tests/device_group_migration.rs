//! A database written by schema version 4 (before the device-group column) opens with the
//! column filled from the stored inventories, so old machines keep their device group for
//! `$filter` and for delegated callers' scopes.

mod support;

use kbgap_store::{ListQuery, MACHINE_FIELDS, Store, odata};
use kbgap_store_sqlite::SqliteStore;
use sqlx::Connection;
use support::{TempDir, demo_fleet, schema_version};

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
            sqlx::query(
                "INSERT INTO machines (id, host, host_lower, os_platform, inventory, source, last_seen,
                                       version, os_build, os_architecture)
                 VALUES (?, ?, ?, ?, ?, 'old', '2020-03-01T00:00:00Z', ?, ?, ?)",
            )
            .bind(m.id().as_str())
            .bind(&m.host)
            .bind(m.host.to_lowercase())
            .bind(m.os.family.defender_platform())
            .bind(serde_json::to_string(m).unwrap())
            .bind(m.os.defender_version())
            .bind(i64::from(m.os.build))
            .bind(m.os.arch.defender_architecture())
            .execute(&mut conn)
            .await
            .unwrap();
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
