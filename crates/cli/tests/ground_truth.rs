//! kbgap against Windows Update itself: the two machines of shared/data/windows-update/,
//! whose Windows Update Agent listed the applicable updates that were not installed, on the
//! capture date (2019-03-05). The catalog is the one of the capture date
//! (scripts/build_ground_truth_fixture.py): the MSRC CVRF documents released by then (with the
//! later documents that release KBs Microsoft added to them afterwards, so that those are
//! dated after the cut) and WES-NG's rows of the KBs released by then; the assessment is as
//! of the capture date, and the inventory is systeminfo merged with qfe.
//!
//! What must hold (issue 2 and 3): every security update Windows Update listed that the
//! catalog knows and the inventory can reveal is found; no reported update is already covered
//! by an installed one; on the Windows 7 machine nothing is reported that Windows Update did
//! not list. The figures, next to WES-NG's, are in docs/ACCURACY.md.
//!
//! Build awareness (issue 3) is checked here too, on the Windows 10 1809 sample of
//! shared/data/systeminfo/ (captured 2019-03-07), on a machine known by its revision alone, and
//! on Windows Server 2025 machines that take hotpatches (MSRC's May and June 2025 documents).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use kbgap_catalog::Batch;
use kbgap_domain::{Application, Kb, MachineInventory, ProductKind};
use kbgap_engine::{AssessOptions, CatalogSlice, Verdict, assess, explain};
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
}

async fn check(prefix: &str) -> Check {
    check_with(prefix, Vec::new()).await
}

/// The catalog as it stood on the capture date (`cvrf/`: the CVRF documents released by then,
/// and `wesng-2019-03-05.zip`: WES-NG's rows of the KBs released by then), imported into a
/// fresh SQLite file.
struct Catalog {
    store: SqliteStore,
    batches: Vec<Batch>,
    dir: PathBuf,
}

impl Catalog {
    async fn open(tag: &str) -> Catalog {
        Catalog::of(tag, &[data("wesng-2019-03-05.zip"), data("cvrf")]).await
    }

    /// The catalog of some files or folders, imported into a fresh SQLite file.
    async fn of(tag: &str, sources: &[PathBuf]) -> Catalog {
        // Tests run in parallel, some on the same machine: one database each.
        static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "kbgap-ground-truth-{tag}-{}-{run}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let store = SqliteStore::connect(&format!("sqlite://{}", dir.join("kbgap.db").display()))
            .await
            .unwrap();
        let batches: Vec<Batch> = sources
            .iter()
            .flat_map(|source| kbgap_catalog::read_path(source).unwrap())
            .collect();
        store
            .import_catalog(batches.clone(), &|_| {})
            .await
            .unwrap();
        Catalog {
            store,
            batches,
            dir,
        }
    }

    async fn slice(&self, machine: &MachineInventory) -> CatalogSlice {
        self.store.catalog_slice(machine).await.unwrap()
    }
}

impl Drop for Catalog {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn check_with(prefix: &str, applications: Vec<Application>) -> Check {
    let catalog = Catalog::open(prefix).await;
    let batches = &catalog.batches;
    let mut inventory = machine(prefix);
    inventory.applications = applications;
    let slice = catalog.slice(&inventory).await;
    // The catalog also holds documents released after the capture date (those that release
    // KBs the earlier documents name, as Microsoft revised them): evaluate as of the capture.
    let result = assess(&inventory, &slice, as_of("2019-03-05"));

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
        // Security fixes only: a CVE, or an advisory with a severity. The servicing stack
        // updates of ADV990001 ("Defense in Depth", no severity; Windows Update titles them
        // "Update") are prerequisites, not fixes of a vulnerability.
        let security = fix.severity.is_some() || fix.cves.iter().any(|c| c.starts_with("CVE-"));
        if security && machine_products.contains(fix.product.as_str()) {
            rows.entry(fix.kb)
                .or_default()
                .push((fix.product.as_str(), &fix.cves));
        }
    }
    assert_eq!(
        result
            .products
            .iter()
            .any(|&p| slice.products[p].kind == ProductKind::Application),
        !inventory.applications.is_empty()
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
    Check { reported, expected }
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
    // Windows Update listed the February 2019 Monthly Rollup, the February .NET rollup (known
    // because the catalog has MSRC's February document: WES-NG dates its rows 2019-12-19) and
    // December's out-of-band IE update.
    assert_eq!(check.expected, kbs(&[4483187, 4486563, 4487078]));
    // No false positive, no false negative. The out-of-band IE update is listed next to the
    // rollup although MSRC says January's IE cumulative update supersedes it: Windows Update
    // offers neither that update nor February's (the rollups replace them), so nothing it
    // offers replaces the out-of-band one.
    assert_eq!(check.reported, check.expected);
    // Nothing from before the rollup model is reported: the installed November rollup
    // absorbed it (WES-NG reports hundreds of such KBs here).
    assert!(
        check.reported.iter().all(|kb| kb.number() > 4_000_000),
        "{:?}",
        check.reported
    );
}

/// The same Windows 7 machine with the Office it runs: Windows Update listed security MSPs of
/// Office 2016 64-bit, so its inventory, taken with an application list, names "Microsoft
/// Office Professional Plus 2016" and its "64-bit Components" entry. The systeminfo and qfe
/// files cannot show which Office MSPs are installed (Win32_QuickFixEngineering omits them),
/// so every Office update whose vulnerabilities no listed update closes is reported; what
/// must hold is that each Office security update Windows Update listed is found.
#[tokio::test]
async fn windows_7_with_office_2016_finds_the_office_updates_windows_update_listed() {
    let office = vec![
        Application::named("Microsoft Office Professional Plus 2016"),
        Application::named("Microsoft Office 64-bit Components 2016"),
    ];
    let check = check_with("7_sp1_x64_enterprise_en-us_20190305", office).await;
    let office_security = kbs(&[
        4461532, // PowerPoint 2016
        4461543, // Word 2016
        4461601, // Outlook 2016
        4022162, // Office 2016
        4462146, // Office 2016
        4462115, // Excel 2016
        4018294, // Office 2016 (the Access Connectivity Engine): known from MSRC's documents
    ]);
    assert!(
        office_security.is_subset(&check.reported),
        "reported: {:?}",
        check.reported
    );
    // The OS findings are those of the machine without Office.
    let without_office = check_with("7_sp1_x64_enterprise_en-us_20190305", Vec::new()).await;
    let office_reported: BTreeSet<Kb> = check
        .reported
        .difference(&without_office.reported)
        .copied()
        .collect();
    assert_eq!(
        check.expected,
        kbs(&[4483187, 4486563, 4487078])
            .union(&office_security)
            .copied()
            .collect()
    );
    // 26 Office KBs: the 7 Windows Update listed and 19 older ones no stated supersedence
    // closes, which the machine most likely has (docs/ACCURACY.md); an inventory with the
    // machine's installed MSPs in its application list would rule them out.
    assert_eq!(office_reported.len(), 26, "{office_reported:?}");
    assert!(office_reported.is_superset(&office_security));
}

/// The KBs kbgap reports for a machine.
fn reported(
    machine: &MachineInventory,
    slice: &CatalogSlice,
    options: AssessOptions,
) -> BTreeSet<Kb> {
    assess(machine, slice, options)
        .missing
        .iter()
        .map(|u| u.kb)
        .collect()
}

fn kb(n: u32) -> Kb {
    Kb::new(n).unwrap()
}

fn as_of(date: &str) -> AssessOptions {
    AssessOptions {
        as_of: Some(date.parse().unwrap()),
    }
}

/// Build awareness on a real machine known only by its hotfix list: the Windows 10 1809
/// sample of 2019-03-07 lists the preview cumulative update KB4482887 (17763.348, released
/// 2019-03-01), and not the February security update KB4487044 (17763.316), which the preview
/// contains and which therefore dropped out of its qfe. Its effective revision is the
/// preview's, which reaches KB4487044.
#[tokio::test]
async fn windows_10_1809_preview_update_covers_the_security_update_it_contains() {
    let prefix = "10_1809_x64_pro_en-us_20190307";
    let catalog = Catalog::open(prefix).await;
    let sample = machine(prefix);
    assert_eq!((sample.os.build, sample.os.revision), (17763, None));
    assert!(sample.installed_kbs.contains(&kb(4482887)));
    assert!(!sample.installed_kbs.contains(&kb(4487044)));
    let slice = catalog.slice(&sample).await;
    let options = as_of("2019-03-07");
    let reported = |m: &MachineInventory| reported(m, &slice, options);

    let found = reported(&sample);
    assert!(!found.contains(&kb(4487044)), "{found:?}");
    let why = explain(&sample, &slice, options, kb(4487044));
    assert_eq!(
        why.verdict,
        Verdict::CoveredByBuild {
            fixed_build: "17763.316".into(),
            fixed_build_source: "OS build table: security update".into(),
            machine_build: "17763.348".into(),
            machine_build_source: "installed KB4482887, a preview cumulative update".into(),
        }
    );
    assert!(
        why.summary.contains("17763.348") && why.summary.contains("17763.316"),
        "{}",
        why.summary
    );

    // The same machine without the preview in its list: nothing gives it a revision that
    // reaches February's security update, which is then missing.
    let mut without_preview = sample.clone();
    without_preview.installed_kbs.remove(&kb(4482887));
    let found_without = reported(&without_preview);
    assert!(found_without.contains(&kb(4487044)), "{found_without:?}");
    assert!(
        found.is_subset(&found_without),
        "{found:?} / {found_without:?}"
    );
}

/// Build awareness on a machine known by its revision alone (a kbgap JSON inventory with
/// `os.revision` and no hotfix list, as an agent reading the registry's UBR sends it): it has
/// every cumulative update of its build line up to that revision.
#[tokio::test]
async fn a_machine_known_by_its_revision_has_the_cumulative_updates_up_to_it() {
    let catalog = Catalog::open("ubr").await;
    let inventory = |revision: u32| -> MachineInventory {
        let json = format!(
            r#"{{"host": "UBR-ONLY", "installedKbs": [],
                "os": {{"name": "Microsoft Windows 10 Pro", "build": 17763,
                        "revision": {revision}, "architecture": "x64"}}}}"#
        );
        match kbgap_inventory::parse(json.as_bytes()).unwrap() {
            kbgap_inventory::Parsed::Machines(mut machines) => machines.remove(0),
            other => panic!("{other:?}"),
        }
    };
    let options = as_of("2019-03-07");
    let at_348 = inventory(348);
    let slice = catalog.slice(&at_348).await;
    let reported = |m: &MachineInventory| reported(m, &slice, options);
    // 17763.348 contains January's (17763.253) and February's (17763.316) security updates.
    let found = reported(&at_348);
    for contained in [4480116, 4487044] {
        assert!(!found.contains(&kb(contained)), "{found:?}");
    }
    let why = explain(&at_348, &slice, options, kb(4487044));
    assert!(
        matches!(&why.verdict, Verdict::CoveredByBuild { machine_build, machine_build_source, .. }
            if machine_build == "17763.348" && machine_build_source == "the inventory"),
        "{why:?}"
    );
    // 17763.292 (January's preview) contains January's security update, not February's.
    let found = reported(&inventory(292));
    assert!(found.contains(&kb(4487044)), "{found:?}");
    assert!(!found.contains(&kb(4480116)), "{found:?}");
}

/// Windows Server 2025 with hotpatches: MSRC lists each month's hotpatch (SubType
/// "SecurityHotpatchUpdate") next to the cumulative update, on the same products, with its own
/// FixedBuild (June 2025: hotpatch KB5060841 brings 26100.4270, the cumulative update KB5060842
/// 26100.4349). A hotpatched machine stays below the cumulative update's revision; what it has
/// is known by the hotpatch's build, or by the hotpatch in its hotfix list.
#[tokio::test]
async fn a_hotpatched_server_has_what_its_hotpatch_brings() {
    let hotpatch = |name: &str| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/hotpatch")
            .join(name)
    };
    let catalog = Catalog::of(
        "hotpatch",
        &[
            hotpatch("cvrf-2025-May.xml.zst"),
            hotpatch("cvrf-2025-Jun.xml.zst"),
        ],
    )
    .await;
    let server = |revision: Option<u32>, kbs: &[u32]| -> MachineInventory {
        let revision = revision.map_or(String::new(), |r| format!(r#", "revision": {r}"#));
        let kbs: Vec<String> = kbs.iter().map(|k| format!("\"KB{k}\"")).collect();
        let json = format!(
            r#"{{"host": "HOTPATCHED", "installedKbs": [{}],
                "os": {{"name": "Microsoft Windows Server 2025 Datacenter", "build": 26100{revision},
                        "architecture": "x64"}}}}"#,
            kbs.join(", ")
        );
        match kbgap_inventory::parse(json.as_bytes()).unwrap() {
            kbgap_inventory::Parsed::Machines(mut machines) => machines.remove(0),
            other => panic!("{other:?}"),
        }
    };
    let at_4270 = server(Some(4270), &[]);
    let slice = catalog.slice(&at_4270).await;
    let options = AssessOptions::default();
    let reported = |m: &MachineInventory| reported(m, &slice, options);
    let june = [5060841, 5060842];
    let may = [5058497, 5058411];
    // Known by the June hotpatch's revision: neither June's nor May's fixes are missing.
    let found = reported(&at_4270);
    for kb_number in june.iter().chain(&may) {
        assert!(!found.contains(&kb(*kb_number)), "{found:?}");
    }
    let why = explain(&at_4270, &slice, options, kb(5060841));
    assert!(
        matches!(&why.verdict, Verdict::CoveredByBuild { fixed_build, fixed_build_source, .. }
            if fixed_build == "26100.4270" && fixed_build_source == "MSRC FixedBuild"),
        "{why:?}"
    );
    // Known by its hotfix list alone: the listed hotpatch gives the same.
    let found = reported(&server(None, &[5060841]));
    for kb_number in june.iter().chain(&may) {
        assert!(!found.contains(&kb(*kb_number)), "{found:?}");
    }
    // At May's cumulative update (26100.4061), June is missing: its cumulative update is named.
    let found = reported(&server(Some(4061), &[]));
    assert!(found.contains(&kb(5060842)), "{found:?}");
    assert!(!found.contains(&kb(5058411)), "{found:?}");
    // At May's hotpatch (26100.3981), below May's cumulative update, May's hotpatch is there
    // and June is missing.
    let found = reported(&server(Some(3981), &[]));
    assert!(found.contains(&kb(5060842)), "{found:?}");
    assert!(!found.contains(&kb(5058497)), "{found:?}");
    assert!(!found.contains(&kb(5058411)), "{found:?}");
}
