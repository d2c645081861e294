//! A database from before the identity provider (schema version 3) keeps its signing key:
//! the key earlier versions stored in the settings table becomes the current signing key,
//! so the server signs with the same key after the upgrade.

mod support;

use kbgap_store::Store;
use kbgap_store_sqlite::SqliteStore;
use sqlx::Connection;
use support::{TempDir, schema_version};

#[tokio::test]
async fn the_settings_signing_key_becomes_the_current_key() {
    let dir = TempDir::new("identity-migration");
    let path = dir.join("kbgap.db");
    {
        let mut conn = schema_version(&path, 3).await;
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ('signing_key', 'PEM OF THE OLD KEY')",
        )
        .execute(&mut conn)
        .await
        .unwrap();
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
}
