//! The storage conformance suite on the SQLite backend: a real database file per case, in a
//! folder removed when the case ends.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};

use kbgap_store_sqlite::SqliteStore;
use support::TempDir;

async fn new_store() -> (SqliteStore, TempDir) {
    static CASES: AtomicU64 = AtomicU64::new(0);
    let dir = TempDir::new(&format!(
        "conformance-{}",
        CASES.fetch_add(1, Ordering::Relaxed)
    ));
    let store = SqliteStore::connect(&format!("sqlite://{}", dir.join("kbgap.db").display()))
        .await
        .unwrap();
    (store, dir)
}

kbgap_store::conformance_tests!(new_store());
