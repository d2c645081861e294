//! The storage conformance suite on the SQLite backend: a real database file per case.

use kbgap_store_sqlite::SqliteStore;

async fn new_store() -> SqliteStore {
    let unique = std::sync::atomic::AtomicU64::new(0);
    let n = unique.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "kbgap-conformance-{}-{:?}-{n}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    SqliteStore::connect(&format!("sqlite://{}", dir.join("kbgap.db").display()))
        .await
        .unwrap()
}

kbgap_store::conformance_tests!(new_store());
