//! Parses real catalogs and reports how long it took and what was read.
//!
//! ```text
//! cargo run --release -p kbgap-catalog --example measure -- [PATH ...]
//! ```
//! Without arguments it reads the shared data beside the repository: WES-NG's full
//! `definitions.zip` and the complete CVRF feed of 2026-07-06 (190 documents).

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/catalog");
        paths.push(shared.join("wesng/definitions.zip"));
        paths.push(shared.join("msrc/cvrf-xml-2026-07-06"));
    }
    for path in paths {
        let start = Instant::now();
        let batches = match kbgap_catalog::read_path(&path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        let elapsed = start.elapsed();
        let mut skipped = kbgap_catalog::SkipCounts::default();
        let (mut fixes, mut updates, mut records) = (0, 0, 0);
        for b in &batches {
            skipped.add(&b.skipped);
            fixes += b.fixes.len();
            updates += b.updates.len();
            records += b.records;
        }
        println!(
            "{}: {:.2} s, {} batches, {records} records, {updates} KB entries, {fixes} (KB, product) fixes; skipped: {skipped}",
            path.display(),
            elapsed.as_secs_f64(),
            batches.len(),
        );
    }
}
