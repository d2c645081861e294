//! A database written by schema version 1 (before the machine property columns) opens with
//! those columns filled from the stored inventories, so `$filter` works on old machines.

use kbgap_store::{ListQuery, MACHINE_FIELDS, Store, odata};
use kbgap_store_sqlite::SqliteStore;
use sqlx::Connection;

const FLEET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo/fleet-2020-03.json");

#[tokio::test]
async fn version_1_databases_get_the_property_columns_filled() {
    let dir = std::env::temp_dir().join(format!("kbgap-migration-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("kbgap.db");
    let machines = match kbgap_inventory::parse(&std::fs::read(FLEET).unwrap()).unwrap() {
        kbgap_inventory::Parsed::Machines(list) => list,
        other => panic!("{other:?}"),
    };
    {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let mut conn = sqlx::SqliteConnection::connect_with(&options)
            .await
            .unwrap();
        sqlx::raw_sql(include_str!("../migrations/0001_initial.sql"))
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::raw_sql(
            "CREATE TABLE schema_version (version INTEGER NOT NULL);
             INSERT INTO schema_version (version) VALUES (1);",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        for m in &machines {
            sqlx::query(
                "INSERT INTO machines (id, host, host_lower, os_platform, inventory, source, last_seen)
                 VALUES (?, ?, ?, ?, ?, 'old', '2020-03-01T00:00:00Z')",
            )
            .bind(m.id().as_str())
            .bind(&m.host)
            .bind(m.host.to_lowercase())
            .bind(m.os.family.defender_platform())
            .bind(serde_json::to_string(m).unwrap())
            .execute(&mut conn)
            .await
            .unwrap();
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
    let _ = std::fs::remove_dir_all(&dir);
}
