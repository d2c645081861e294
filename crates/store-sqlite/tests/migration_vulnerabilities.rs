//! A database written by schema version 2 (before the vulnerability tables) opens with them
//! filled from its catalog, so the TVM vulnerability endpoints answer for it exactly as for a
//! database that imported the same catalog with this build.

mod support;

use kbgap_store::conformance::{catalog, fleet};
use kbgap_store::{DeviceGroups, ListQuery, Store};
use kbgap_store_sqlite::SqliteStore;
use sqlx::Connection;
use support::{TempDir, schema_version};

/// The tables of schema versions 1 and 2.
const VERSION_2_TABLES: &[&str] = &[
    "catalog_sources",
    "software",
    "products",
    "updates",
    "fixes",
    "kb_summary",
    "kb_software",
    "catalog_slices",
    "machines",
    "machine_software",
    "machine_missing",
    "settings",
];

#[tokio::test]
async fn version_2_databases_get_the_vulnerabilities_filled() {
    let dir = TempDir::new("migration-v3");
    let current = dir.join("current.db");
    let old = dir.join("old.db");

    let store = SqliteStore::connect(&format!("sqlite://{}", current.display()))
        .await
        .unwrap();
    store.import_catalog(catalog(), &|_| {}).await.unwrap();
    store.ingest(fleet()).await.unwrap();
    let expected = store
        .vulnerabilities(&ListQuery::default(), DeviceGroups::All)
        .await
        .unwrap();
    assert!(!expected.is_empty());
    store.close().await;

    // The same data in a version 2 file: its schema, and every version 2 table copied.
    {
        let mut conn = schema_version(&old, 2).await;
        sqlx::query("ATTACH DATABASE ? AS current")
            .bind(current.display().to_string())
            .execute(&mut conn)
            .await
            .unwrap();
        for table in VERSION_2_TABLES {
            // Later versions add columns: copy those version 2 has.
            let columns: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_table_info(?, 'main')")
                    .bind(table)
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
            let columns = columns.join(", ");
            let copy = format!(
                "INSERT INTO main.{table} ({columns}) SELECT {columns} FROM current.{table}"
            );
            sqlx::raw_sql(sqlx::AssertSqlSafe(copy))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        conn.close().await.unwrap();
    }

    let store = SqliteStore::connect(&format!("sqlite://{}", old.display()))
        .await
        .unwrap();
    assert_eq!(
        store
            .vulnerabilities(&ListQuery::default(), DeviceGroups::All)
            .await
            .unwrap(),
        expected
    );
    let edge = kbgap_domain::SoftwareId::parse("microsoft-_-edge").unwrap();
    let software = store
        .software(&edge, DeviceGroups::All)
        .await
        .unwrap()
        .unwrap();
    assert!(software.weaknesses > 0);
    store.close().await;
}
