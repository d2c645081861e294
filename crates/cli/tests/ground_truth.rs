//! kbgap against Windows Update itself: the two machines of shared/data/windows-update/,
//! whose Windows Update Agent listed the applicable updates that were not installed, on the
//! capture date (2019-03-05). The catalog is WES-NG's, cut at that date
//! (scripts/build_ground_truth_fixture.py), and the inventory is systeminfo merged with qfe.
//!
//! What must hold (issue 2): every security update Windows Update listed that the catalog
//! knows and the inventory can reveal is found, either itself or through a reported update
//! that closes the same vulnerabilities; and no reported update is already covered by an
//! installed one. The figures, next to WES-NG's, are in docs/ACCURACY.md.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use kbgap_domain::{Kb, MachineInventory, ProductKind};
use kbgap_engine::{AssessOptions, assess};
use kbgap_store::Store;
use kbgap_store_sqlite::SqliteStore;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ground-truth")
        .join(name)
}

fn machine(prefix: &str) -> MachineInventory {
    let parts = ["systeminfo", "qfe"]
        .iter()
        .map(|kind| {
            kbgap_inventory::parse(&std::fs::read(data(&format!("{prefix}_{kind}.txt"))).unwrap())
                .unwrap()
        })
        .collect();
    kbgap_inventory::merge_one_machine(parts).unwrap()
}

/// The KBs a Windows Update listing names (`KB4486563: 2019-02 Security Monthly ...`).
fn truth(prefix: &str) -> BTreeSet<Kb> {
    let text =
        kbgap_inventory::decode(&std::fs::read(data(&format!("{prefix}_updates.txt"))).unwrap());
    text.lines()
        .filter_map(|line| line.split(':').next().and_then(|id| id.trim().parse().ok()))
        .collect()
}

struct Check {
    reported: BTreeSet<Kb>,
    /// Security updates Windows Update listed that the catalog knows for the machine's OS
    /// and its components, and that the inventory does not show installed.
    expected: BTreeSet<Kb>,
    /// Of those, the ones kbgap did not report by number but whose every vulnerability on
    /// the machine a reported update closes.
    closed_by_another: BTreeSet<Kb>,
}

async fn check(prefix: &str) -> Check {
    let dir = std::env::temp_dir().join(format!(
        "kbgap-ground-truth-{prefix}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteStore::connect(&format!("sqlite://{}", dir.join("kbgap.db").display()))
        .await
        .unwrap();
    let batches = kbgap_catalog::read_path(data("wesng-2019-03-05.zip")).unwrap();
    store
        .import_catalog(batches.clone(), &|_| {})
        .await
        .unwrap();
    let inventory = machine(prefix);
    let slice = store.catalog_slice(&inventory.os).await.unwrap();
    let result = assess(&inventory, &slice, AssessOptions::default());
    let _ = std::fs::remove_dir_all(&dir);

    // What the catalog says, read independently of the engine: fix rows per KB on the
    // machine's OS and in-box components, and the explicit supersedence.
    let machine_products: HashSet<&str> = result
        .products
        .iter()
        .map(|&p| slice.products[p].name.as_str())
        .collect();
    let mut rows: HashMap<Kb, Vec<(&str, &BTreeSet<String>)>> = HashMap::new();
    let mut supersedes: HashMap<Kb, BTreeSet<Kb>> = HashMap::new();
    for fix in batches.iter().flat_map(|b| &b.fixes) {
        supersedes
            .entry(fix.kb)
            .or_default()
            .extend(&fix.supersedes);
        if machine_products.contains(fix.product.as_str()) {
            rows.entry(fix.kb)
                .or_default()
                .push((fix.product.as_str(), &fix.cves));
        }
    }
    assert!(
        result
            .products
            .iter()
            .all(|&p| slice.products[p].kind != ProductKind::Application)
    );

    let installed = &inventory.installed_kbs;
    let mut covered: HashSet<Kb> = installed.iter().copied().collect();
    let mut stack: Vec<Kb> = covered.iter().copied().collect();
    while let Some(kb) = stack.pop() {
        for &old in supersedes.get(&kb).into_iter().flatten() {
            if covered.insert(old) {
                stack.push(old);
            }
        }
    }
    let reported: BTreeSet<Kb> = result.missing.iter().map(|m| m.kb).collect();
    for kb in &reported {
        assert!(
            !covered.contains(kb),
            "{prefix}: KB{kb} is reported but an installed update covers it"
        );
        // No vulnerability a reported KB is said to close is fixed by an installed KB.
        let update = result.missing.iter().find(|m| m.kb == *kb).unwrap();
        for vulnerability in &update.open_vulnerabilities {
            let fixed_by_installed = installed.iter().any(|i| {
                rows.get(i)
                    .into_iter()
                    .flatten()
                    .any(|(_, cves)| cves.contains(vulnerability))
            });
            assert!(
                !fixed_by_installed,
                "{prefix}: {vulnerability} (KB{kb}) is fixed by an installed update"
            );
        }
    }

    let expected: BTreeSet<Kb> = truth(prefix)
        .into_iter()
        .filter(|kb| rows.contains_key(kb) && !installed.contains(kb))
        .collect();
    let open: BTreeSet<&String> = result
        .missing
        .iter()
        .flat_map(|m| &m.open_vulnerabilities)
        .collect();
    let mut closed_by_another = BTreeSet::new();
    for kb in &expected {
        if reported.contains(kb) {
            continue;
        }
        let vulnerabilities: BTreeSet<&String> =
            rows[kb].iter().flat_map(|(_, cves)| cves.iter()).collect();
        assert!(
            !vulnerabilities.is_empty() && vulnerabilities.iter().all(|v| open.contains(v)),
            "{prefix}: Windows Update lists KB{kb}; kbgap neither reports it nor closes its vulnerabilities {vulnerabilities:?}"
        );
        closed_by_another.insert(*kb);
    }
    Check {
        reported,
        expected,
        closed_by_another,
    }
}

fn kbs(numbers: &[u32]) -> BTreeSet<Kb> {
    numbers.iter().map(|&n| Kb::new(n).unwrap()).collect()
}

#[tokio::test]
async fn windows_10_1803_misses_nothing_windows_update_would_install() {
    let check = check("10_1803_x64_proforworkstations_en-us_A_20190305").await;
    // Windows Update listed only non-security items (a microcode update, definitions).
    assert!(check.expected.is_empty());
    assert_eq!(
        check.reported,
        BTreeSet::new(),
        "the February cumulative update, SSU and Flash update are installed"
    );
}

#[tokio::test]
async fn windows_7_finds_what_windows_update_listed() {
    let check = check("7_sp1_x64_enterprise_en-us_20190305").await;
    // The February 2019 Monthly Rollup, by number; the December out-of-band IE update's one
    // vulnerability is closed by it (MSRC says January's IE update supersedes it).
    assert!(
        check.reported.contains(&Kb::new(4486563).unwrap()),
        "{:?}",
        check.reported
    );
    assert!(
        check.expected.is_subset(
            &check
                .reported
                .union(&check.closed_by_another)
                .copied()
                .collect()
        )
    );
    assert_eq!(check.expected, kbs(&[4483187, 4486563]));
    // Nothing from before the rollup model is reported: the installed November rollup
    // absorbed it (WES-NG reports hundreds of such KBs here).
    assert!(
        check.reported.iter().all(|kb| kb.number() > 4_000_000),
        "{:?}",
        check.reported
    );
}
