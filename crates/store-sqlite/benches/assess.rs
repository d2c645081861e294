//! The assessment of one real machine, and the two store calls around it.
//!
//! The catalog is the in-repo ground-truth fixture (WES-NG cut at 2019-03-05), or the files
//! `KBGAP_BENCH_CATALOG` names (a path, or several joined with `:`) for the full-catalog
//! figures. The machine is the Windows 7 SP1 x64 of `crates/cli/tests/data/ground-truth/`
//! (systeminfo merged with its wmic qfe table, as `kbgap ingest --one-machine` does).
//!
//! Measured:
//! - `assess`: `kbgap_engine::assess` on the already loaded catalog slice (pure CPU);
//! - `catalog_slice`: `Store::catalog_slice`, reading and decoding the machine's slice;
//! - `missing_by_machine`: `Store::missing_by_machine`, what the machine call of the API and
//!   `kbgap missing --machine` run (load the inventory, the slice, assess, count CVEs).
//!
//! Run with `cargo bench -p kbgap-store-sqlite --bench assess`; results and the machine they
//! were taken on are in BENCHMARKS.md.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use kbgap_domain::MachineInventory;
use kbgap_engine::{AssessOptions, assess};
use kbgap_store::Store;
use kbgap_store_sqlite::SqliteStore;

const MACHINE: &str = "7_sp1_x64_enterprise_en-us_20190305";

fn ground_truth(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../cli/tests/data/ground-truth")
        .join(name)
}

fn catalog_paths() -> Vec<PathBuf> {
    match std::env::var_os("KBGAP_BENCH_CATALOG") {
        Some(paths) if !paths.is_empty() => std::env::split_paths(&paths).collect(),
        _ => vec![ground_truth("wesng-2019-03-05.zip")],
    }
}

fn machine() -> MachineInventory {
    let parts = ["systeminfo", "qfe"]
        .iter()
        .map(|kind| {
            let path = ground_truth(&format!("{MACHINE}_{kind}.txt"));
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            kbgap_inventory::parse(&bytes).unwrap_or_else(|e| panic!("{path:?}: {e}"))
        })
        .collect();
    kbgap_inventory::merge_one_machine(parts).expect("one machine")
}

/// A database in a fresh temporary folder, removed when dropped.
struct TempDb {
    dir: PathBuf,
}

impl TempDb {
    fn new() -> TempDb {
        let dir = std::env::temp_dir().join(format!("kbgap-bench-assess-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temporary folder");
        TempDb { dir }
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.dir.join("kbgap.db").display())
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let db = TempDb::new();
    let inventory = machine();
    let (store, id) = runtime.block_on(async {
        let store = SqliteStore::connect(&db.url()).await.expect("store");
        let started = Instant::now();
        let mut batches = Vec::new();
        for path in catalog_paths() {
            batches.extend(
                kbgap_catalog::read_path(&path).unwrap_or_else(|e| panic!("{path:?}: {e}")),
            );
        }
        let summary = store
            .import_catalog(batches, &|_| {})
            .await
            .expect("import");
        eprintln!(
            "setup: catalog {:?}: {} updates, {} products, {} CVEs, imported in {:.1} s",
            catalog_paths(),
            summary.updates,
            summary.products,
            summary.cves,
            started.elapsed().as_secs_f64()
        );
        let stored = store
            .ingest(vec![(inventory.clone(), MACHINE.to_string())])
            .await
            .expect("ingest");
        (store, stored[0].id.clone())
    });
    let slice = runtime
        .block_on(store.catalog_slice(&inventory))
        .expect("slice");
    let assessment = assess(&inventory, &slice, AssessOptions::default());
    eprintln!(
        "setup: machine {} ({} installed KBs); slice: {} products, {} fix rows, {} KBs; {} missing KBs",
        inventory.host,
        inventory.installed_kbs.len(),
        slice.products.len(),
        slice.fixes.len(),
        slice.updates.len(),
        assessment.missing.len()
    );

    // Separate names, so that criterion never compares figures of different catalogs.
    let mut group = c.benchmark_group(if std::env::var_os("KBGAP_BENCH_CATALOG").is_some() {
        "windows7-KBGAP_BENCH_CATALOG"
    } else {
        "windows7-fixture"
    });
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group.bench_function("assess", |b| {
        b.iter(|| {
            assess(
                std::hint::black_box(&inventory),
                std::hint::black_box(&slice),
                AssessOptions::default(),
            )
        })
    });
    group.bench_function("catalog_slice", |b| {
        b.to_async(&runtime)
            .iter(|| async { store.catalog_slice(&inventory).await.expect("slice") })
    });
    group.bench_function("missing_by_machine", |b| {
        b.to_async(&runtime).iter(|| async {
            store
                .missing_by_machine(&id, None)
                .await
                .expect("query")
                .expect("machine is stored")
        })
    });
    group.finish();
    runtime.block_on(store.close());
}

criterion_group!(benches, bench);
criterion_main!(benches);
