//! Fleet answers kept in memory until the data changes.
//!
//! `GET /api/Software/{id}/getmissingkbs` aggregates the materialized `machine_missing` rows
//! of every machine that runs the software: with 100,000 machines that is a scan of hundreds
//! of thousands of rows, for an answer that only changes when a catalog is imported or a
//! machine is ingested or removed. So the answer is computed once per state of the data and
//! served from memory after that.
//!
//! "State of the data" is a generation number. Writes made through this store bump it as they
//! commit. Writes made by another process on the same file (`kbgap ingest` while `kbgap serve`
//! runs) are noticed by a watcher that polls SQLite's `PRAGMA data_version` on a connection of
//! its own, every [`WATCH_INTERVAL`]: another process's commit is seen within that interval.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use kbgap_domain::SoftwareId;
use kbgap_engine::CatalogSlice;
use kbgap_store::MissingKb;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};

/// How often the watcher looks for commits made by other processes.
pub(crate) const WATCH_INTERVAL: Duration = Duration::from_millis(250);

/// Answers that stay valid as long as the generation they were computed at.
#[derive(Debug, Default)]
pub(crate) struct Answers {
    generation: AtomicU64,
    by_software: Mutex<Cached<SoftwareId, Option<Arc<Vec<MissingKb>>>>>,
    /// Decoded catalog slices by slice key (OS family and application groups): decoding a
    /// stored slice costs as much as the assessment that reads it.
    slices: Mutex<Cached<String, Arc<CatalogSlice>>>,
}

#[derive(Debug)]
struct Cached<K, V> {
    generation: u64,
    entries: HashMap<K, V>,
}

impl<K, V> Default for Cached<K, V> {
    fn default() -> Self {
        Cached {
            generation: 0,
            entries: HashMap::new(),
        }
    }
}

/// At most this many software answers are kept; beyond, the map starts again (ids come from
/// requests, so the map must not grow with whatever clients ask for).
const MAX_ENTRIES: usize = 4096;

/// At most this many decoded slices (a few megabytes each with the full catalog; one per OS
/// family and combination of application groups in the fleet), as many as ingest keeps.
const MAX_SLICES: usize = 32;

impl<K: std::hash::Hash + Eq, V: Clone> Cached<K, V> {
    fn get<Q>(&self, generation: u64, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        if self.generation != generation {
            return None;
        }
        self.entries.get(key).cloned()
    }

    fn keep(&mut self, generation: u64, key: K, value: V, max: usize) {
        if self.generation != generation || self.entries.len() >= max {
            self.generation = generation;
            self.entries.clear();
        }
        self.entries.insert(key, value);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Answers {
    /// The data changed: every cached answer is stale.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The cached answer for `id`, if computed at the current generation.
    pub(crate) fn software(&self, id: &SoftwareId) -> Option<Option<Arc<Vec<MissingKb>>>> {
        lock(&self.by_software).get(self.generation(), id)
    }

    /// Keeps `answer`, computed when the generation was `generation`: an answer that a write
    /// overtook while it was being computed is not kept.
    pub(crate) fn keep_software(
        &self,
        generation: u64,
        id: SoftwareId,
        answer: Option<Arc<Vec<MissingKb>>>,
    ) {
        let mut cache = lock(&self.by_software);
        if generation == self.generation() {
            cache.keep(generation, id, answer, MAX_ENTRIES);
        }
    }

    /// The decoded slice of `key`, if loaded at the current generation.
    pub(crate) fn slice(&self, key: &str) -> Option<Arc<CatalogSlice>> {
        lock(&self.slices).get(self.generation(), key)
    }

    /// Keeps a slice loaded when the generation was `generation`.
    pub(crate) fn keep_slice(&self, generation: u64, key: String, slice: Arc<CatalogSlice>) {
        let mut cache = lock(&self.slices);
        if generation == self.generation() {
            cache.keep(generation, key, slice, MAX_SLICES);
        }
    }
}

/// The watcher of one database file, started by the second question asked of the store (the
/// first is computed from the database whatever happens, so a one-shot command, which asks
/// one, never opens the watcher's connection) and stopped by [`Watcher::stop`].
#[derive(Debug)]
pub(crate) struct Watcher {
    options: SqliteConnectOptions,
    /// Set by the first question: from the next one on, answers may come from memory.
    asked: AtomicBool,
    /// Set once the watcher was started (or could not be): the check on every request.
    started: AtomicBool,
    running: tokio::sync::Mutex<Option<Running>>,
}

#[derive(Debug)]
struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Watcher {
    pub(crate) fn new(options: SqliteConnectOptions) -> Watcher {
        Watcher {
            options,
            asked: AtomicBool::new(false),
            started: AtomicBool::new(false),
            running: tokio::sync::Mutex::new(None),
        }
    }

    /// Starts watching for `answers` before a question may be answered from memory, unless
    /// already started. Starting drops every answer kept so far.
    pub(crate) async fn ensure_started(&self, answers: &Arc<Answers>) {
        if self.started.load(Ordering::Acquire) || !self.asked.swap(true, Ordering::AcqRel) {
            return;
        }
        let mut running = self.running.lock().await;
        if self.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let started = async {
            let mut connection = self.options.connect().await?;
            let version: i64 = sqlx::query_scalar("PRAGMA data_version")
                .fetch_one(&mut connection)
                .await?;
            Ok::<_, sqlx::Error>((connection, version))
        };
        let (connection, version) = match started.await {
            Ok(started) => started,
            Err(e) => {
                // Without a watcher, only this process's writes refresh the answers; say so
                // once and do not retry on every request.
                tracing::warn!(error = %e, "cannot watch the database for other writers");
                return;
            }
        };
        let (stop, stopped) = tokio::sync::oneshot::channel();
        // Commits before the watcher's first look are not reported by it: start from a state
        // that no answer computed earlier belongs to.
        answers.invalidate();
        let task = tokio::spawn(poll(Arc::downgrade(answers), connection, version, stopped));
        *running = Some(Running { stop, task });
    }

    /// Stops the watcher and closes its connection (before the pool closes, so that the last
    /// connection to go checkpoints the WAL).
    pub(crate) async fn stop(&self) {
        if let Some(running) = self.running.lock().await.take() {
            let _ = running.stop.send(());
            let _ = running.task.await;
        }
    }
}

async fn poll(
    answers: Weak<Answers>,
    mut connection: SqliteConnection,
    mut last: i64,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(WATCH_INTERVAL) => {}
            _ = &mut stopped => break,
        }
        let version: Result<i64, _> = sqlx::query_scalar("PRAGMA data_version")
            .fetch_one(&mut connection)
            .await;
        let Some(answers) = answers.upgrade() else {
            break;
        };
        match version {
            Ok(version) if version == last => {}
            Ok(version) => {
                answers.invalidate();
                last = version;
            }
            // Unknown: assume it changed, and keep trying.
            Err(_) => answers.invalidate(),
        }
    }
    let _ = connection.close().await;
}
