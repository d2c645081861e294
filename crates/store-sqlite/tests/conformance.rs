//! The storage conformance suite on the SQLite backend: a real database file per case, in a
//! folder removed when the case ends.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use kbgap_store_sqlite::SqliteStore;

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn new_store() -> (SqliteStore, RemoveOnDrop) {
    static CASES: AtomicU64 = AtomicU64::new(0);
    let n = CASES.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("kbgap-conformance-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteStore::connect(&format!("sqlite://{}", dir.join("kbgap.db").display()))
        .await
        .unwrap();
    (store, RemoveOnDrop(dir))
}

kbgap_store::conformance_tests!(new_store());
