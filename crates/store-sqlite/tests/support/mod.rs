//! What the SQLite tests share: a folder removed when the test ends, and databases as older
//! kbgap versions left them (their migrations applied and recorded), for the migration tests.

#![allow(dead_code)] // Each test file uses a different part.

use std::path::{Path, PathBuf};

use kbgap_domain::MachineInventory;
use sqlx::{Connection, SqliteConnection};

/// The schema migrations, in order: version N is the first N.
const MIGRATIONS: [&str; 6] = [
    include_str!("../../migrations/0001_initial.sql"),
    include_str!("../../migrations/0002_machine_properties.sql"),
    include_str!("../../migrations/0003_vulnerabilities.sql"),
    include_str!("../../migrations/0004_identity.sql"),
    include_str!("../../migrations/0005_device_groups.sql"),
    include_str!("../../migrations/0006_version_fixes.sql"),
];

/// A fresh folder `kbgap-<name>-<pid>` in the system's temporary folder, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("kbgap-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A new database file at `path` with the schema of `version`, as that version of kbgap
/// created it, and an open connection to it.
pub async fn schema_version(path: &Path, version: usize) -> SqliteConnection {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
    for &migration in &MIGRATIONS[..version] {
        sqlx::raw_sql(migration).execute(&mut conn).await.unwrap();
    }
    sqlx::query("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("INSERT INTO schema_version (version) VALUES (?)")
        .bind(version as i64)
        .execute(&mut conn)
        .await
        .unwrap();
    conn
}

/// The demo fleet's machines (`demo/fleet-2020-03.json`).
pub fn demo_fleet() -> Vec<MachineInventory> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo/fleet-2020-03.json");
    match kbgap_inventory::parse(&std::fs::read(path).unwrap()).unwrap() {
        kbgap_inventory::Parsed::Machines(list) => list,
        other => panic!("{other:?}"),
    }
}

/// Stores `machine` as a kbgap of schema `version` did (1: no property columns; 2 and later:
/// `version`, `os_build`, `os_architecture`), last seen on 2020-03-01, with no assessment.
pub async fn insert_machine(
    conn: &mut SqliteConnection,
    machine: &MachineInventory,
    version: usize,
) {
    let sql = if version >= 2 {
        "INSERT INTO machines (id, host, host_lower, os_platform, inventory, source, last_seen,
                               version, os_build, os_architecture)
         VALUES (?, ?, ?, ?, ?, 'old', '2020-03-01T00:00:00Z', ?, ?, ?)"
    } else {
        "INSERT INTO machines (id, host, host_lower, os_platform, inventory, source, last_seen)
         VALUES (?, ?, ?, ?, ?, 'old', '2020-03-01T00:00:00Z')"
    };
    let mut query = sqlx::query(sql)
        .bind(machine.id().as_str().to_string())
        .bind(machine.host.clone())
        .bind(machine.host.to_lowercase())
        .bind(machine.os.family.defender_platform())
        .bind(serde_json::to_string(machine).unwrap());
    if version >= 2 {
        query = query
            .bind(machine.os.defender_version())
            .bind(i64::from(machine.os.build))
            .bind(machine.os.arch.defender_architecture());
    }
    query.execute(conn).await.unwrap();
}
