//! A database from before the identity provider (schema version 3) keeps its signing key:
//! the key earlier versions stored in the settings table becomes the current signing key,
//! so the server signs with the same key after the upgrade.

use kbgap_store::Store;
use kbgap_store_sqlite::SqliteStore;
use sqlx::Connection;

#[tokio::test]
async fn the_settings_signing_key_becomes_the_current_key() {
    let dir = std::env::temp_dir().join(format!("kbgap-identity-migration-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("kbgap.db");
    {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let mut conn = sqlx::SqliteConnection::connect_with(&options)
            .await
            .unwrap();
        for sql in [
            include_str!("../migrations/0001_initial.sql"),
            include_str!("../migrations/0002_machine_properties.sql"),
            include_str!("../migrations/0003_vulnerabilities.sql"),
            "CREATE TABLE schema_version (version INTEGER NOT NULL);
             INSERT INTO schema_version (version) VALUES (1), (2), (3);
             INSERT INTO settings (name, value) VALUES ('signing_key', 'PEM OF THE OLD KEY');",
        ] {
            sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
        }
        conn.close().await.unwrap();
    }
    let store = SqliteStore::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let keys = store.signing_keys().await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].private_pem, "PEM OF THE OLD KEY");
    assert!(store.applications().await.unwrap().is_empty());
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
