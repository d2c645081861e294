//! The conformance suite every backend passes: the same cases, on real catalog data and real
//! inventories, run against SQLite always and against other backends when they exist.
//!
//! A backend's test file is one line: `kbgap_store::conformance_tests!(async { new_store() });`
//! which expands to one `#[tokio::test]` per case, each on a fresh store.

use std::path::PathBuf;

use kbgap_catalog::Batch;
use kbgap_domain::{MachineId, MachineInventory, SoftwareId};

use crate::{ListQuery, Store};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// The acceptance catalog: WES-NG as known on 2020-03-11, Windows 10 1903/1909 and Windows 7.
pub fn catalog() -> Vec<Batch> {
    kbgap_catalog::read_path(repo("crates/catalog/tests/data/wesng-2020-03-11.zip"))
        .expect("fixture parses")
}

/// The demo fleet: five Windows 10 machines (JSON) and a real Windows 7 systeminfo.
pub fn fleet() -> Vec<(MachineInventory, String)> {
    let mut machines = Vec::new();
    for name in [
        "demo/fleet-2020-03.json",
        "demo/7_sp1_x64_enterprise_en-us_A_systeminfo.txt",
    ] {
        let bytes = std::fs::read(repo(name)).expect("fixture exists");
        match kbgap_inventory::parse(&bytes).expect("fixture parses") {
            kbgap_inventory::Parsed::Machines(list) => {
                machines.extend(list.into_iter().map(|m| (m, name.to_string())))
            }
            kbgap_inventory::Parsed::Hotfixes { .. } => panic!("{name} is not a machine"),
        }
    }
    machines
}

fn edge() -> SoftwareId {
    SoftwareId::parse("microsoft-_-edge").expect("valid id")
}

async fn machine_id<S: Store>(store: &S, host: &str) -> MachineId {
    store
        .machine(host)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{host} is stored"))
        .id
}

async fn edge_missed_on<S: Store>(store: &S) -> Vec<(u32, u64)> {
    let rows = store
        .missing_by_software(&edge())
        .await
        .unwrap()
        .expect("edge is known");
    rows.iter()
        .map(|r| (r.kb.number(), r.machine_missed_on))
        .collect()
}

pub async fn import_is_idempotent<S: Store>(store: S) {
    let first = store.import_catalog(catalog(), &|_| {}).await.unwrap();
    store.ingest(fleet()).await.unwrap();
    let before = edge_missed_on(&store).await;
    assert_eq!(before, [(4540673, 4)]);
    let second = store.import_catalog(catalog(), &|_| {}).await.unwrap();
    assert_eq!(
        (first.updates, first.products, first.cves),
        (second.updates, second.products, second.cves)
    );
    assert_eq!(second.machines_reassessed, 6);
    assert_eq!(edge_missed_on(&store).await, before);
}

pub async fn a_newer_copy_of_a_source_replaces_it<S: Store>(store: S) {
    store.import_catalog(catalog(), &|_| {}).await.unwrap();
    store.ingest(fleet()).await.unwrap();
    // A newer copy of the same CSV that no longer lists KB4540673: the machines are
    // reassessed against it in the same transaction.
    let mut newer = catalog();
    for batch in &mut newer {
        batch.fixes.retain(|f| f.kb.number() != 4540673);
        batch.updates.retain(|u| u.kb.number() != 4540673);
    }
    store.import_catalog(newer, &|_| {}).await.unwrap();
    // February's update, which the machines have, is the newest again: nothing is missing.
    assert_eq!(edge_missed_on(&store).await, []);
}

pub async fn an_empty_copy_never_replaces_a_stored_source<S: Store>(store: S) {
    store.import_catalog(catalog(), &|_| {}).await.unwrap();
    store.ingest(fleet()).await.unwrap();
    let before = edge_missed_on(&store).await;
    let mut emptied = catalog();
    for batch in &mut emptied {
        batch.fixes.clear();
        batch.updates.clear();
    }
    let summary = store.import_catalog(emptied, &|_| {}).await.unwrap();
    assert_eq!(summary.kept_previous, 2);
    assert_eq!(edge_missed_on(&store).await, before);
}

pub async fn a_failed_import_changes_nothing<S: Store>(store: S) {
    store.import_catalog(catalog(), &|_| {}).await.unwrap();
    store.ingest(fleet()).await.unwrap();
    let before = edge_missed_on(&store).await;
    // The same (KB, product) twice in one batch violates the store's key half way through.
    let mut broken = catalog();
    let mut newer = broken[0].clone();
    newer.fixes.retain(|f| f.kb.number() != 4540673);
    let twice = broken[0].fixes[0].clone();
    broken[0] = newer;
    broken[0].fixes.push(twice.clone());
    broken[0].fixes.push(twice);
    assert!(store.import_catalog(broken, &|_| {}).await.is_err());
    assert_eq!(edge_missed_on(&store).await, before);
}

pub async fn ingest_replaces_by_id_and_aggregates_follow<S: Store>(store: S) {
    store.import_catalog(catalog(), &|_| {}).await.unwrap();
    let stored = store.ingest(fleet()).await.unwrap();
    assert_eq!(stored.len(), 6);
    assert!(stored.iter().all(|m| !m.replaced));
    let again = store.ingest(fleet()).await.unwrap();
    assert!(again.iter().all(|m| m.replaced));
    assert_eq!(
        store.machines(&ListQuery::default()).await.unwrap().len(),
        6
    );
    let mut machines = fleet();
    let (mut patched, source) = machines.remove(0);
    patched.installed_kbs.insert("KB4540673".parse().unwrap());
    store.ingest(vec![(patched, source)]).await.unwrap();
    assert_eq!(edge_missed_on(&store).await, [(4540673, 3)]);
    let id = machine_id(&store, "WS-1903-01").await;
    assert!(store.remove_machine(&id).await.unwrap());
    assert!(!store.remove_machine(&id).await.unwrap());
    assert_eq!(edge_missed_on(&store).await, [(4540673, 2)]);
    let software = store.software(&edge()).await.unwrap().unwrap();
    assert_eq!(
        (software.installed_machines, software.exposed_machines),
        (4, 2)
    );
}

pub async fn machine_answers_match_the_fleet_rows<S: Store>(store: S) {
    store.import_catalog(catalog(), &|_| {}).await.unwrap();
    store.ingest(fleet()).await.unwrap();
    let id = machine_id(&store, "ws-1909-01").await;
    let missing = store.missing_by_machine(&id, None).await.unwrap().unwrap();
    let ids: Vec<u32> = missing.iter().map(|m| m.kb.number()).collect();
    assert_eq!(ids, [4540673]);
    assert_eq!(
        missing[0].products_names,
        ["windows_10", "edge", "internet_explorer"]
    );
    assert_eq!(missing[0].name, "March 2020 Security Updates");
    // As of the day before March's release, February's update was the newest there was.
    let as_of = "2020-03-09".parse().unwrap();
    let before = store
        .missing_by_machine(&id, Some(as_of))
        .await
        .unwrap()
        .unwrap();
    assert!(before.is_empty(), "{before:?}");
    let unknown = MachineId::derive("no such machine");
    assert_eq!(
        store.missing_by_machine(&unknown, None).await.unwrap(),
        None
    );
}

pub async fn lists_filter_and_page<S: Store>(store: S) {
    store.import_catalog(catalog(), &|_| {}).await.unwrap();
    store.ingest(fleet()).await.unwrap();
    let all = store.machines(&ListQuery::default()).await.unwrap();
    assert_eq!(all.len(), 6);
    let page = store
        .machines(&ListQuery {
            top: Some(2),
            skip: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|m| &m.id).collect::<Vec<_>>(),
        all[1..3].iter().map(|m| &m.id).collect::<Vec<_>>()
    );
    let by_name = ListQuery {
        equals: vec![("computerDnsName".into(), "WS-1909-02".into())],
        ..Default::default()
    };
    assert_eq!(store.machines(&by_name).await.unwrap().len(), 1);
    let software = store.software_list(&ListQuery::default()).await.unwrap();
    assert!(
        software
            .iter()
            .any(|s| s.id == edge() && s.installed_machines == 5)
    );
    assert!(software.iter().all(|s| s.installed_machines > 0));
    let unknown = SoftwareId::parse("microsoft-_-nothing").unwrap();
    assert_eq!(store.software(&unknown).await.unwrap(), None);
    assert_eq!(store.missing_by_software(&unknown).await.unwrap(), None);
}

pub async fn settings_are_written_once<S: Store>(store: S) {
    assert_eq!(store.setting("signing_key").await.unwrap(), None);
    assert_eq!(
        store
            .setting_or_insert("signing_key", "first")
            .await
            .unwrap(),
        "first"
    );
    assert_eq!(
        store
            .setting_or_insert("signing_key", "second")
            .await
            .unwrap(),
        "first"
    );
    assert_eq!(
        store.setting("signing_key").await.unwrap().as_deref(),
        Some("first")
    );
}

/// Expands to one `#[tokio::test]` per conformance case; `$new_store` is an async block
/// that returns a fresh store.
#[macro_export]
macro_rules! conformance_tests {
    ($new_store:expr) => {
        $crate::conformance_tests!(@cases $new_store;
            import_is_idempotent,
            a_newer_copy_of_a_source_replaces_it,
            an_empty_copy_never_replaces_a_stored_source,
            a_failed_import_changes_nothing,
            ingest_replaces_by_id_and_aggregates_follow,
            machine_answers_match_the_fleet_rows,
            lists_filter_and_page,
            settings_are_written_once,
        );
    };
    (@cases $new_store:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                $crate::conformance::$case($new_store.await).await;
            }
        )*
    };
}
