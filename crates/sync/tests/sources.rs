//! Two sources, one truth: the same real machines evaluated against a catalog built from real
//! MSRC CVRF documents and one built from real WES-NG rows give the same missing KBs, except
//! where the two catalogs' data differ; every difference must be classified by a cause found
//! in the data (`kbgap_sync::compare`), none left unexplained.
//!
//! Data (all in the repository): WES-NG's rows for Windows 7 x64 SP1 and Windows 10
//! 1903/1909 known on 2020-03-11 (`crates/catalog/tests/data/wesng-2020-03-11.zip`), the
//! CVRF documents of 2019-Nov to 2020-Mar from the 2026-07-06 feed
//! (`tests/data/sources/`), the real Windows 7 systeminfo captures of
//! `crates/inventory/tests/data`, and the demo fleet's Windows 10 1903/1909 machines.

use std::path::{Path, PathBuf};

use kbgap_domain::{Date, MachineInventory};
use kbgap_store::Store;
use kbgap_store_sqlite::SqliteStore;
use kbgap_sync::compare::{Cause, Side, SourceFacts, compare};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn machines() -> Vec<MachineInventory> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo("crates/inventory/tests/data"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("7_sp1_x64") && name.contains("systeminfo")
        })
        .collect();
    files.sort();
    files.push(repo("demo/fleet-2020-03.json"));
    let mut out = Vec::new();
    for file in files {
        if let kbgap_inventory::Parsed::Machines(found) =
            kbgap_inventory::parse(&std::fs::read(&file).unwrap()).unwrap()
        {
            out.extend(found);
        }
    }
    out
}

#[tokio::test]
async fn every_difference_between_the_sources_has_a_cause_in_the_data() {
    let wesng =
        kbgap_catalog::read_path(repo("crates/catalog/tests/data/wesng-2020-03-11.zip")).unwrap();
    let cvrf = kbgap_catalog::read_path(repo("crates/sync/tests/data/sources")).unwrap();
    let facts = SourceFacts::new(&wesng, &cvrf);
    assert_eq!(
        facts.first_cvrf_document,
        Some("2019-11-12".parse::<Date>().unwrap())
    );
    let wesng_store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    wesng_store.import_catalog(wesng, &|_| {}).await.unwrap();
    let cvrf_store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    cvrf_store.import_catalog(cvrf, &|_| {}).await.unwrap();

    let machines = machines();
    assert!(machines.len() >= 8, "{}", machines.len());
    let as_of: Date = "2020-03-11".parse().unwrap();
    let results = compare(&wesng_store, &cvrf_store, &facts, &machines, as_of)
        .await
        .unwrap();

    let unexplained: Vec<_> = results
        .iter()
        .flat_map(|r| r.differences.iter().map(move |d| (&r.machine, d)))
        .filter(|(_, d)| matches!(d.cause, Cause::Unexplained { .. }))
        .collect();
    assert!(unexplained.is_empty(), "{unexplained:#?}");

    // The comparison is not vacuous: the sources agree on some KBs of these machines.
    assert!(results.iter().any(|r| !r.agreed.is_empty()), "{results:#?}");
    // The causes are checked against the data, not assumed: a "before CVRF" KB is one WES-NG
    // dates before the first document, and only WES-NG reports it.
    for d in results.iter().flat_map(|r| &r.differences) {
        if let Cause::BeforeCvrf { released } = d.cause {
            assert_eq!(d.only_in, Side::Wesng);
            assert!(Some(released) < facts.first_cvrf_document);
        }
    }
}
