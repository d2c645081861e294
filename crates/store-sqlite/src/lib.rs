//! The embedded default store: one SQLite file, created on first use.
//!
//! Every write is one transaction (WAL journal), so an import that fails or is killed half
//! way leaves the file as it was. Queries are runtime-checked SQL (no database needed at
//! compile time); the schema is embedded and migrated on open.

mod answers;
mod apps;
mod catalog;
mod codec;
mod filter;
mod machines;
mod tvm;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use kbgap_catalog::Batch;
use kbgap_domain::{Date, MachineId, MachineInventory, SoftwareId};
use kbgap_engine::CatalogSlice;
use kbgap_store::{
    ApplicationRecord, CatalogSummary, DeviceGroups, Filter, IngestedMachine, ListQuery, Literal,
    MachineRecord, MissingKb, Progress, Result, SigningKeyRecord, SoftwareRecord, Store,
    StoreError,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// The schema migrations, in order; each runs once, in a transaction.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_initial.sql")),
    (2, include_str!("../migrations/0002_machine_properties.sql")),
    (3, include_str!("../migrations/0003_vulnerabilities.sql")),
    (4, include_str!("../migrations/0004_identity.sql")),
    (5, include_str!("../migrations/0005_device_groups.sql")),
    (6, include_str!("../migrations/0006_version_fixes.sql")),
];

pub(crate) fn db_error(e: sqlx::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

/// The SQLite backend.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    answers: Arc<answers::Answers>,
    /// Notices other processes' commits; none for an in-memory database, which no other
    /// process can open.
    watcher: Option<Arc<answers::Watcher>>,
    /// Each CVE's fleet exposure, kept per generation of `answers`.
    exposure: Arc<tvm::Exposure>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url`: `sqlite://kbgap.db` (relative to the
    /// working directory), `sqlite:///abs/path.db`, or `sqlite::memory:` for tests.
    pub async fn connect(url: &str) -> Result<Self> {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| StoreError::UnsupportedUrl(url.to_string()))?;
        let memory = path == ":memory:";
        let options = if memory {
            SqliteConnectOptions::from_str("sqlite::memory:").map_err(db_error)?
        } else {
            if path.is_empty() {
                return Err(StoreError::UnsupportedUrl(url.to_string()));
            }
            SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
        };
        let options = options
            .journal_mode(if memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            })
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            // Reads of the serialized catalog slices go through the page cache without a
            // syscall per page.
            .pragma("mmap_size", "268435456");
        // An in-memory database exists once per connection: keep exactly one.
        let pool = SqlitePoolOptions::new()
            .max_connections(if memory { 1 } else { 8 })
            .min_connections(if memory { 1 } else { 0 })
            .idle_timeout(if memory {
                None
            } else {
                Some(Duration::from_secs(600))
            })
            .max_lifetime(if memory {
                None
            } else {
                Some(Duration::from_secs(3600))
            })
            .connect_with(options.clone())
            .await
            .map_err(db_error)?;
        let store = SqliteStore {
            pool,
            answers: Arc::default(),
            exposure: Arc::default(),
            watcher: (!memory).then(|| Arc::new(answers::Watcher::new(options))),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        sqlx::query("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let current: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_version")
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
        let current = current.unwrap_or(0);
        let known = MIGRATIONS.last().map(|m| m.0).unwrap_or(0);
        if current > known {
            return Err(StoreError::SchemaTooNew {
                found: current,
                known,
            });
        }
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            sqlx::raw_sql(*sql)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            sqlx::query("INSERT INTO schema_version (version) VALUES (?)")
                .bind(version)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        if current < 2 {
            machines::fill_property_columns(&mut tx).await?;
        }
        if current < 3 {
            tvm::rebuild(&mut tx).await?;
        }
        tx.commit().await.map_err(db_error)
    }

    /// Each CVE's exposure on the machines of `groups` for the data as it is now: over every
    /// machine it is kept in memory (another process's writes are noticed as for the cached
    /// software answers), over a caller's device groups it is computed for the request.
    async fn exposure(&self, groups: DeviceGroups<'_>) -> Result<Arc<tvm::Exposed>> {
        match groups.only() {
            None => {
                self.watch().await;
                self.exposure.get(&self.pool, &self.answers).await
            }
            Some(groups) => Ok(Arc::new(tvm::exposure(&self.pool, Some(groups)).await?)),
        }
    }

    /// Starts watching for other processes' commits before an answer is served from memory.
    async fn watch(&self) {
        if let Some(watcher) = &self.watcher {
            watcher.ensure_started(&self.answers).await;
        }
    }

    /// Closes the pool, checkpointing the WAL into the main file.
    pub async fn close(&self) {
        if let Some(watcher) = &self.watcher {
            watcher.stop().await;
        }
        self.pool.close().await;
    }
}

impl Store for SqliteStore {
    async fn import_catalog(
        &self,
        batches: Vec<Batch>,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<CatalogSummary> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let mut summary = catalog::import(&mut tx, &batches, progress).await?;
        tvm::rebuild(&mut tx).await?;
        summary.machines_reassessed = machines::reassess_all(&mut tx, progress).await?;
        tx.commit().await.map_err(db_error)?;
        self.answers.invalidate();
        Ok(summary)
    }

    async fn ingest(
        &self,
        inventories: Vec<(MachineInventory, String)>,
    ) -> Result<Vec<IngestedMachine>> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let result = machines::ingest(&mut tx, inventories).await?;
        tx.commit().await.map_err(db_error)?;
        self.answers.invalidate();
        Ok(result)
    }

    async fn remove_machine(&self, id: &MachineId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM machines WHERE id = ?")
            .bind(id.as_str())
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        self.answers.invalidate();
        Ok(done.rows_affected() > 0)
    }

    async fn machine(&self, key: &str) -> Result<Option<MachineRecord>> {
        machines::find(&self.pool, key).await
    }

    async fn machines(&self, query: &ListQuery) -> Result<Vec<MachineRecord>> {
        machines::list(&self.pool, query).await
    }

    async fn count_machines(&self, filter: Option<&Filter>) -> Result<u64> {
        machines::count(&self.pool, filter).await
    }

    async fn software(
        &self,
        id: &SoftwareId,
        groups: DeviceGroups<'_>,
    ) -> Result<Option<SoftwareRecord>> {
        let query = ListQuery {
            filter: Some(Filter::eq("id", Literal::String(id.to_string()))),
            top: Some(1),
            skip: 0,
        };
        Ok(machines::software(&self.pool, &query, false, groups.only())
            .await?
            .into_iter()
            .next())
    }

    async fn software_list(
        &self,
        query: &ListQuery,
        groups: DeviceGroups<'_>,
    ) -> Result<Vec<SoftwareRecord>> {
        machines::software(&self.pool, query, true, groups.only()).await
    }

    async fn count_software(
        &self,
        filter: Option<&Filter>,
        groups: DeviceGroups<'_>,
    ) -> Result<u64> {
        machines::count_software(&self.pool, filter, groups.only()).await
    }

    /// Over every machine the answer is kept in memory per state of the data (the load-tested
    /// hot path); over a caller's device groups it is one query per request.
    async fn missing_by_software(
        &self,
        id: &SoftwareId,
        groups: DeviceGroups<'_>,
    ) -> Result<Option<Vec<MissingKb>>> {
        if let Some(groups) = groups.only() {
            return machines::missing_by_software(&self.pool, id, Some(groups)).await;
        }
        self.watch().await;
        if let Some(answer) = self.answers.software(id) {
            return Ok(answer.map(|kbs| kbs.as_ref().clone()));
        }
        let generation = self.answers.generation();
        let answer = machines::missing_by_software(&self.pool, id, None).await?;
        let answer = answer.map(Arc::new);
        self.answers
            .keep_software(generation, id.clone(), answer.clone());
        Ok(answer.map(|kbs| kbs.as_ref().clone()))
    }

    async fn missing_by_machine(
        &self,
        id: &MachineId,
        as_of: Option<Date>,
    ) -> Result<Option<Vec<MissingKb>>> {
        self.watch().await;
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        machines::missing_by_machine(&mut conn, id, as_of, &self.answers).await
    }

    async fn missing_for(
        &self,
        inventory: &MachineInventory,
        as_of: Option<Date>,
    ) -> Result<Vec<MissingKb>> {
        self.watch().await;
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        machines::missing_for(&mut conn, inventory, as_of, &self.answers).await
    }

    async fn catalog_slice(&self, machine: &MachineInventory) -> Result<CatalogSlice> {
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        catalog::slice_for(&mut conn, machine).await
    }

    async fn missing_by_software_as_of(
        &self,
        id: &SoftwareId,
        as_of: Date,
        groups: DeviceGroups<'_>,
    ) -> Result<Option<Vec<MissingKb>>> {
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        tvm::missing_by_software_as_of(&mut conn, id, as_of, groups.only()).await
    }

    async fn vulnerabilities(
        &self,
        query: &ListQuery,
        groups: DeviceGroups<'_>,
    ) -> Result<Vec<kbgap_store::VulnerabilityRecord>> {
        let exposed = self.exposure(groups).await?;
        tvm::vulnerabilities(&self.pool, query, &exposed).await
    }

    async fn count_vulnerabilities(&self, filter: Option<&Filter>) -> Result<u64> {
        tvm::count_vulnerabilities(&self.pool, filter).await
    }

    async fn vulnerability(
        &self,
        id: &str,
        groups: DeviceGroups<'_>,
    ) -> Result<Option<kbgap_store::VulnerabilityRecord>> {
        let exposed = self.exposure(groups).await?;
        tvm::vulnerability(&self.pool, id, &exposed).await
    }

    async fn vulnerability_machines(
        &self,
        id: &str,
    ) -> Result<Option<Vec<kbgap_store::MachineReference>>> {
        tvm::vulnerability_machines(&self.pool, id).await
    }

    async fn software_machines(
        &self,
        id: &SoftwareId,
    ) -> Result<Option<Vec<kbgap_store::MachineReference>>> {
        tvm::software_machines(&self.pool, id).await
    }

    async fn software_distributions(
        &self,
        id: &SoftwareId,
        groups: DeviceGroups<'_>,
    ) -> Result<Option<Vec<kbgap_store::VersionDistribution>>> {
        tvm::software_distributions(&self.pool, id, groups.only()).await
    }

    async fn software_vulnerabilities(
        &self,
        id: &SoftwareId,
        groups: DeviceGroups<'_>,
    ) -> Result<Option<Vec<kbgap_store::VulnerabilityRecord>>> {
        let exposed = self.exposure(groups).await?;
        tvm::software_vulnerabilities(&self.pool, id, groups.only(), &exposed).await
    }

    async fn machine_software(
        &self,
        id: &MachineId,
        groups: DeviceGroups<'_>,
    ) -> Result<Option<Vec<SoftwareRecord>>> {
        tvm::machine_software(&self.pool, id, groups.only()).await
    }

    async fn machine_vulnerabilities(
        &self,
        id: &MachineId,
        groups: DeviceGroups<'_>,
    ) -> Result<Option<Vec<kbgap_store::VulnerabilityRecord>>> {
        let exposed = self.exposure(groups).await?;
        tvm::machine_vulnerabilities(&self.pool, id, &exposed).await
    }

    async fn setting(&self, name: &str) -> Result<Option<String>> {
        sqlx::query_scalar("SELECT value FROM settings WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)
    }

    async fn setting_or_insert(&self, name: &str, value: &str) -> Result<String> {
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(value)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        sqlx::query_scalar("SELECT value FROM settings WHERE name = ?")
            .bind(name)
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)
    }

    async fn add_application(&self, app: &ApplicationRecord) -> Result<bool> {
        apps::add(&self.pool, app).await
    }

    async fn applications(&self) -> Result<Vec<ApplicationRecord>> {
        apps::list(&self.pool).await
    }

    async fn application(&self, client_id: &str) -> Result<Option<ApplicationRecord>> {
        apps::find(&self.pool, client_id).await
    }

    async fn remove_application(&self, client_id: &str) -> Result<bool> {
        apps::remove(&self.pool, client_id).await
    }

    async fn set_application_secret(
        &self,
        client_id: &str,
        secret_hash: &str,
        updated_at: &str,
    ) -> Result<bool> {
        apps::set_secret(&self.pool, client_id, secret_hash, updated_at).await
    }

    async fn signing_keys(&self) -> Result<Vec<SigningKeyRecord>> {
        apps::signing_keys(&self.pool).await
    }

    async fn signing_keys_or_insert(
        &self,
        first: &SigningKeyRecord,
    ) -> Result<Vec<SigningKeyRecord>> {
        apps::signing_keys_or_insert(&self.pool, first).await
    }

    async fn rotate_signing_key(
        &self,
        key: &SigningKeyRecord,
        keep: usize,
    ) -> Result<Vec<SigningKeyRecord>> {
        apps::rotate(&self.pool, key, keep).await
    }
}
