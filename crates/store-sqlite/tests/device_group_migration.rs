//! A database written by schema version 4 (before the device-group column) opens with the
//! column filled from the stored inventories, so old machines keep their device group for
//! `$filter` and for delegated callers' scopes.

use kbgap_store::{ListQuery, MACHINE_FIELDS, Store, odata};
use kbgap_store_sqlite::SqliteStore;
use sqlx::Connection;

const FLEET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo/fleet-2020-03.json");

#[tokio::test]
async fn version_4_databases_get_the_device_group_column_filled() {
    let dir = std::env::temp_dir().join(format!("kbgap-migration-5-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("kbgap.db");
    let mut machines = match kbgap_inventory::parse(&std::fs::read(FLEET).unwrap()).unwrap() {
        kbgap_inventory::Parsed::Machines(list) => list,
        other => panic!("{other:?}"),
    };
    machines[0].device_group = Some("Servers".into());
    machines[1].device_group = Some("servers".into());
    {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let mut conn = sqlx::SqliteConnection::connect_with(&options)
            .await
            .unwrap();
        for migration in [
            include_str!("../migrations/0001_initial.sql"),
            include_str!("../migrations/0002_machine_properties.sql"),
            include_str!("../migrations/0003_vulnerabilities.sql"),
            include_str!("../migrations/0004_identity.sql"),
        ] {
            sqlx::raw_sql(migration).execute(&mut conn).await.unwrap();
        }
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
             DELETE FROM schema_version;
             INSERT INTO schema_version (version) VALUES (4);",
        )
        .execute(&mut conn)
        .await
        .unwrap();
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
    let _ = std::fs::remove_dir_all(&dir);
}
