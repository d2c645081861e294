//! The conformance suite every backend passes: the same cases, on real catalog data and real
//! inventories, run against SQLite always and against other backends when they exist.
//!
//! A backend's test file is one line: `kbgap_store::conformance_tests!(async { new_store() });`
//! which expands to one `#[tokio::test]` per case, each on a fresh store.

use std::collections::BTreeMap;
use std::path::PathBuf;

use kbgap_catalog::Batch;
use kbgap_domain::{MachineId, MachineInventory, SoftwareId};

use crate::{
    DeviceGroups, Filter, ListQuery, Literal, MACHINE_FIELDS, SOFTWARE_FIELDS, Store, odata,
};

/// Every machine.
const ALL: DeviceGroups<'static> = DeviceGroups::All;

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
        .missing_by_software(&edge(), ALL)
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
    // What ingest says of each machine is what its stored record says.
    for ingested in &again {
        let record = store.machine(ingested.id.as_str()).await.unwrap().unwrap();
        assert_eq!(record.last_seen, ingested.last_seen);
        assert_eq!(record.inventory.host, ingested.host);
    }
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
    let software = store.software(&edge(), ALL).await.unwrap().unwrap();
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

/// A machine whose inventory lists Office 2016 64-bit (the collector's inventory of the Windows
/// 7 ground-truth machine) against the ground-truth catalog, which holds Office 2016 rows:
/// the machine call and the materialized fleet rows agree on its Office updates, and a
/// catalog re-import (which reassesses every machine) keeps them.
pub async fn applications_are_assessed_alike_by_both_calls<S: Store>(store: S) {
    let catalog = kbgap_catalog::read_path(repo(
        "crates/cli/tests/data/ground-truth/wesng-2019-03-05.zip",
    ))
    .expect("fixture parses");
    store
        .import_catalog(catalog.clone(), &|_| {})
        .await
        .unwrap();
    let name = "crates/inventory/tests/agents/collector-7_sp1_x64_enterprise_en-us_20190305.json";
    let bytes = std::fs::read(repo(name)).expect("fixture exists");
    let kbgap_inventory::Parsed::Machines(machines) =
        kbgap_inventory::parse(&bytes).expect("fixture parses")
    else {
        panic!("{name} is not a machine");
    };
    let with_office = machines[0].clone();
    let mut without = with_office.clone();
    without.applications.clear();
    without.identity = "without applications".into();
    store
        .ingest(vec![
            (with_office.clone(), name.to_string()),
            (without.clone(), name.to_string()),
        ])
        .await
        .unwrap();
    let word = SoftwareId::parse("microsoft-_-word").expect("valid id");
    for _ in 0..2 {
        let on_machine = store
            .missing_by_machine(&with_office.id(), None)
            .await
            .unwrap()
            .unwrap();
        let kb4461543 = on_machine
            .iter()
            .find(|m| m.kb.number() == 4461543)
            .expect("the Word 2016 update is missed");
        assert_eq!(kb4461543.products_names, ["word"]);
        let plain = store
            .missing_by_machine(&without.id(), None)
            .await
            .unwrap()
            .unwrap();
        assert!(
            plain
                .iter()
                .all(|m| m.products_names.iter().all(|p| p != "word"))
        );
        let fleet = store
            .missing_by_software(&word, ALL)
            .await
            .unwrap()
            .unwrap();
        let row = fleet
            .iter()
            .find(|m| m.kb.number() == 4461543)
            .expect("the fleet rows have it");
        assert_eq!(row.machine_missed_on, 1);
        let word_kbs: Vec<u32> = on_machine
            .iter()
            .filter(|m| m.products_names.iter().any(|p| p == "word"))
            .map(|m| m.kb.number())
            .collect();
        let mut fleet_kbs: Vec<u32> = fleet.iter().map(|m| m.kb.number()).collect();
        fleet_kbs.sort_unstable();
        let mut sorted = word_kbs.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, fleet_kbs);
        let software = store
            .software(&word, ALL)
            .await
            .unwrap()
            .expect("Word is known");
        assert_eq!(software.installed_machines, 1);
        // Re-importing reassesses every machine: the answer must not change.
        store
            .import_catalog(catalog.clone(), &|_| {})
            .await
            .unwrap();
    }
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
    let by_name = ListQuery::filtered(Filter::eq(
        "computerDnsName",
        Literal::String("WS-1909-02".into()),
    ));
    assert_eq!(store.machines(&by_name).await.unwrap().len(), 1);
    let software = store
        .software_list(&ListQuery::default(), ALL)
        .await
        .unwrap();
    assert!(
        software
            .iter()
            .any(|s| s.id == edge() && s.installed_machines == 5)
    );
    assert!(software.iter().all(|s| s.installed_machines > 0));
    let unknown = SoftwareId::parse("microsoft-_-nothing").unwrap();
    assert_eq!(store.software(&unknown, ALL).await.unwrap(), None);
    assert_eq!(
        store.missing_by_software(&unknown, ALL).await.unwrap(),
        None
    );
}

async fn hosts<S: Store>(store: &S, filter: &str) -> Vec<String> {
    let filter = odata::parse_filter(filter, MACHINE_FIELDS).unwrap();
    let query = ListQuery::filtered(filter.clone());
    let mut hosts: Vec<String> = store
        .machines(&query)
        .await
        .unwrap_or_else(|e| panic!("{filter:?}: {e}"))
        .into_iter()
        .map(|m| m.inventory.host)
        .collect();
    let count = store.count_machines(Some(&filter)).await.unwrap();
    assert_eq!(count, hosts.len() as u64, "{filter:?}");
    hosts.sort();
    hosts
}

/// The typed filters every backend evaluates the same way: case-insensitive strings,
/// integers, instants, the text functions, `in`, `not`, and literals that look like SQL.
pub async fn lists_evaluate_typed_filters<S: Store>(store: S) {
    store.import_catalog(catalog(), &|_| {}).await.unwrap();
    store.ingest(fleet()).await.unwrap();
    let all = [
        "WIN7SP1X64",
        "WS-1903-01",
        "WS-1903-02",
        "WS-1909-01",
        "WS-1909-02",
        "WS-1909-03",
    ];
    assert_eq!(
        hosts(&store, "computerDnsName eq 'ws-1909-02'").await,
        ["WS-1909-02"]
    );
    assert_eq!(
        hosts(&store, "computerDnsName ne 'WS-1909-02'").await.len(),
        5
    );
    assert_eq!(
        hosts(&store, "startswith(computerDnsName,'ws-1903')").await,
        ["WS-1903-01", "WS-1903-02"]
    );
    assert_eq!(
        hosts(&store, "endswith(computerDnsName,'-03')").await,
        ["WS-1909-03"]
    );
    assert_eq!(
        hosts(&store, "contains(computerDnsName,'SP1')").await,
        ["WIN7SP1X64"]
    );
    assert_eq!(
        hosts(&store, "contains(computerDnsName,'%')").await,
        [] as [&str; 0]
    );
    assert_eq!(
        hosts(&store, "osBuild lt 18363 and osBuild ge 18362")
            .await
            .len(),
        2
    );
    assert_eq!(
        hosts(&store, "osPlatform eq 'windows7'").await,
        ["WIN7SP1X64"]
    );
    assert_eq!(hosts(&store, "version in ('1903', '7601')").await.len(), 3);
    assert_eq!(hosts(&store, "osArchitecture eq '64-bit'").await, all);
    assert_eq!(hosts(&store, "lastSeen gt 2020-01-01T00:00:00Z").await, all);
    assert_eq!(
        hosts(&store, "lastSeen lt 2020-01-01").await,
        [] as [&str; 0]
    );
    assert_eq!(
        hosts(&store, "not (osPlatform eq 'Windows10')").await,
        ["WIN7SP1X64"]
    );
    assert_eq!(hosts(&store, "id eq null").await, [] as [&str; 0]);
    assert_eq!(
        hosts(
            &store,
            "computerDnsName eq 'x'' or 1=1 --' or computerDnsName eq 'ws-1909-01'"
        )
        .await,
        ["WS-1909-01"]
    );
    let software = |text: &str| {
        let filter = odata::parse_filter(text, SOFTWARE_FIELDS).unwrap();
        let store = store.clone();
        async move {
            let list = store
                .software_list(&ListQuery::filtered(filter.clone()), ALL)
                .await
                .unwrap();
            let count = store.count_software(Some(&filter), ALL).await.unwrap();
            assert_eq!(count, list.len() as u64);
            list.into_iter()
                .map(|s| s.id.to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        software("name eq 'EDGE' and vendor eq 'microsoft'").await,
        ["microsoft-_-edge"]
    );
    assert!(software("startswith(name,'windows_')").await.len() >= 2);
    assert_eq!(
        store.count_software(None, ALL).await.unwrap(),
        store
            .software_list(&ListQuery::default(), ALL)
            .await
            .unwrap()
            .len() as u64
    );
}

/// Device groups are stored, filterable as `rbacGroupName` (ignoring case), and every fleet
/// answer for a scope counts only the machines of its groups: it agrees with the per-machine
/// answers of exactly those machines, and with the unscoped answers of a fleet reduced to them.
pub async fn device_groups_scope_the_fleet_answers<S: Store>(store: S) {
    store.import_catalog(catalog(), &|_| {}).await.unwrap();
    let groups = [
        ("WS-1909-01", "Servers"),
        ("WS-1903-01", "Servers"),
        ("WS-1909-02", "Kiosks"),
    ];
    let mut machines = fleet();
    for (inventory, _) in &mut machines {
        inventory.device_group = groups
            .iter()
            .find(|(host, _)| *host == inventory.host)
            .map(|(_, group)| group.to_string());
    }
    store.ingest(machines).await.unwrap();
    let stored = store.machine("ws-1909-02").await.unwrap().unwrap();
    assert_eq!(stored.inventory.device_group.as_deref(), Some("Kiosks"));
    assert_eq!(
        hosts(&store, "rbacGroupName eq 'servers'").await,
        ["WS-1903-01", "WS-1909-01"]
    );
    assert_eq!(
        hosts(&store, "rbacGroupName in ('SERVERS', 'kiosks')")
            .await
            .len(),
        3
    );
    assert_eq!(hosts(&store, "rbacGroupName eq null").await.len(), 3);

    // Expected: per KB, the machines of the scope whose own answer lists it.
    let scope = ["servers".to_string(), "Kiosks".to_string()];
    let mut expected: Vec<(u32, u64)> = Vec::new();
    for (host, _) in groups {
        let id = machine_id(&store, host).await;
        let missing = store.missing_by_machine(&id, None).await.unwrap().unwrap();
        for kb in missing
            .iter()
            .filter(|m| m.products_names.iter().any(|p| p == "edge"))
        {
            match expected.iter_mut().find(|(k, _)| *k == kb.kb.number()) {
                Some((_, n)) => *n += 1,
                None => expected.push((kb.kb.number(), 1)),
            }
        }
    }
    let only = DeviceGroups::Only(&scope);
    let scoped = store
        .missing_by_software(&edge(), only)
        .await
        .unwrap()
        .expect("edge is known");
    let mut found: Vec<(u32, u64)> = scoped
        .iter()
        .map(|r| (r.kb.number(), r.machine_missed_on))
        .collect();
    found.sort();
    expected.sort();
    assert_eq!(found, expected);
    assert!(!found.is_empty(), "the scope misses something");
    // As of a date after the catalog's cut-off, the live assessment of the scope's machines
    // gives the same answer; before March 2020's release, nothing.
    let later = store
        .missing_by_software_as_of(&edge(), "2030-01-01".parse().unwrap(), only)
        .await
        .unwrap()
        .expect("edge is known");
    let mut later: Vec<(u32, u64)> = later
        .iter()
        .map(|r| (r.kb.number(), r.machine_missed_on))
        .collect();
    later.sort();
    assert_eq!(later, expected);
    let before = store
        .missing_by_software_as_of(&edge(), "2020-03-09".parse().unwrap(), only)
        .await
        .unwrap();
    assert_eq!(before, Some(Vec::new()));
    // The same rows as the fleet answer otherwise: only the count differs.
    let fleet = store
        .missing_by_software(&edge(), ALL)
        .await
        .unwrap()
        .unwrap();
    for row in &scoped {
        let whole = fleet.iter().find(|f| f.kb == row.kb).unwrap();
        assert!(whole.machine_missed_on >= row.machine_missed_on);
        assert_eq!(
            (&whole.name, whole.cve_addressed),
            (&row.name, row.cve_addressed)
        );
    }
    let none = store
        .missing_by_software(&edge(), DeviceGroups::Only(&[]))
        .await
        .unwrap();
    assert_eq!(none, Some(Vec::new()));
    let nobody = ["Nobody".to_string()];
    let elsewhere = store
        .missing_by_software(&edge(), DeviceGroups::Only(&nobody))
        .await
        .unwrap();
    assert_eq!(elsewhere, Some(Vec::new()));
    let unknown = SoftwareId::parse("microsoft-_-nothing").unwrap();
    assert_eq!(
        store.missing_by_software(&unknown, only).await.unwrap(),
        None
    );

    // The software list and its counts: per software, the machines of the scope that run
    // it, and those of them whose own answer lists a KB for it.
    let mut inside = Vec::new();
    for (host, _) in groups {
        inside.push(machine_id(&store, host).await);
    }
    let mut expected: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut open_on: BTreeMap<String, u64> = BTreeMap::new();
    for id in &inside {
        let missing = store.missing_by_machine(id, None).await.unwrap().unwrap();
        for software in store.machine_software(id, ALL).await.unwrap().unwrap() {
            let product = software.id.product();
            let entry = expected.entry(software.id.to_string()).or_default();
            entry.0 += 1;
            if missing
                .iter()
                .any(|m| m.products_names.iter().any(|p| p == product))
            {
                entry.1 += 1;
            }
        }
        for cve in store
            .machine_vulnerabilities(id, ALL)
            .await
            .unwrap()
            .unwrap()
        {
            *open_on.entry(cve.id).or_default() += 1;
        }
    }
    let listed = store
        .software_list(&ListQuery::default(), only)
        .await
        .unwrap();
    let found: BTreeMap<String, (u64, u64)> = listed
        .iter()
        .map(|s| (s.id.to_string(), (s.installed_machines, s.exposed_machines)))
        .collect();
    assert_eq!(found, expected);
    assert_eq!(
        store.count_software(None, only).await.unwrap(),
        listed.len() as u64
    );
    let everywhere = store
        .software_list(&ListQuery::default(), ALL)
        .await
        .unwrap();
    assert!(
        everywhere.len() > listed.len(),
        "software run only outside the scope is not listed"
    );
    assert!(
        store
            .software_list(&ListQuery::default(), DeviceGroups::Only(&[]))
            .await
            .unwrap()
            .is_empty()
    );

    // A vulnerability's exposure: the machines of the scope it is open on.
    let vulnerabilities = store
        .vulnerabilities(&ListQuery::default(), only)
        .await
        .unwrap();
    assert_eq!(
        vulnerabilities.len() as u64,
        store.count_vulnerabilities(None).await.unwrap()
    );
    for cve in &vulnerabilities {
        let on = open_on.get(&cve.id).copied().unwrap_or(0);
        assert_eq!(cve.exposed_machines, on, "{}", cve.id);
    }
    assert!(open_on.values().any(|n| *n > 0));

    // Every scoped answer is the unscoped answer of the fleet without the machines outside
    // the scope.
    let software: Vec<SoftwareId> = everywhere.into_iter().map(|s| s.id).collect();
    let scoped = fleet_answers(&store, only, &software, &inside).await;
    for machine in store.machines(&ListQuery::default()).await.unwrap() {
        if !inside.contains(&machine.id) {
            assert!(store.remove_machine(&machine.id).await.unwrap());
        }
    }
    let reduced = fleet_answers(&store, ALL, &software, &inside).await;
    assert_eq!(scoped.len(), reduced.len());
    for (scoped, reduced) in scoped.iter().zip(&reduced) {
        assert_eq!(scoped, reduced);
    }
}

/// Every answer that counts machines, for `groups`: of each of `software` and of each of
/// `machines`, and the vulnerability list, one line each.
async fn fleet_answers<S: Store>(
    store: &S,
    groups: DeviceGroups<'_>,
    software: &[SoftwareId],
    machines: &[MachineId],
) -> Vec<String> {
    let mut lines = vec![
        format!(
            "software list {:?}",
            store
                .software_list(&ListQuery::default(), groups)
                .await
                .unwrap()
        ),
        format!(
            "software count {:?}",
            store.count_software(None, groups).await
        ),
    ];
    for id in software {
        lines.push(format!("{id} {:?}", store.software(id, groups).await));
        lines.push(format!(
            "{id} missing {:?}",
            store.missing_by_software(id, groups).await
        ));
        lines.push(format!(
            "{id} distributions {:?}",
            store.software_distributions(id, groups).await
        ));
        lines.push(format!(
            "{id} vulnerabilities {:?}",
            store.software_vulnerabilities(id, groups).await
        ));
    }
    for id in machines {
        lines.push(format!(
            "{id:?} software {:?}",
            store.machine_software(id, groups).await
        ));
        lines.push(format!(
            "{id:?} vulnerabilities {:?}",
            store.machine_vulnerabilities(id, groups).await
        ));
    }
    for cve in store
        .vulnerabilities(&ListQuery::default(), groups)
        .await
        .unwrap()
    {
        if cve.exposed_machines > 0 {
            let one = store.vulnerability(&cve.id, groups).await.unwrap();
            assert_eq!(one.as_ref(), Some(&cve));
        }
        lines.push(format!("{cve:?}"));
    }
    lines
}

/// A backend maps every filterable field of the tables: a comparison on each one runs.
pub async fn every_filterable_field_is_supported<S: Store>(store: S) {
    store.ingest(fleet()).await.unwrap();
    for (fields, is_machine) in [(MACHINE_FIELDS, true), (SOFTWARE_FIELDS, false)] {
        for field in fields.iter().filter(|f| f.filterable) {
            let literal = match field.ty {
                odata::FieldType::Int => "0".to_string(),
                odata::FieldType::DateTime => "2020-01-01T00:00:00Z".to_string(),
                odata::FieldType::Bool => "true".to_string(),
                odata::FieldType::Enum(values) => format!("'{}'", values[0]),
                _ => "'x'".to_string(),
            };
            let text = format!("{0} ne {literal} or {0} eq null", field.name);
            let filter = odata::parse_filter(&text, fields).unwrap();
            let query = ListQuery::filtered(filter.clone());
            let result = if is_machine {
                store.machines(&query).await.map(|_| ())
            } else {
                store.software_list(&query, ALL).await.map(|_| ())
            };
            assert!(result.is_ok(), "{text}: {result:?}");
        }
    }
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

fn application(client_id: &str, name: &str) -> crate::ApplicationRecord {
    crate::ApplicationRecord {
        client_id: client_id.to_string(),
        name: name.to_string(),
        roles: vec!["Software.Read.All".into(), "Machine.Read.All".into()],
        secret_hash: format!("$argon2id$hash-of-{name}"),
        created_at: "2026-01-01T00:00:00Z".into(),
        secret_updated_at: "2026-01-01T00:00:00Z".into(),
    }
}

/// Applications: names are unique, secrets rotate in place, removal is by client id.
pub async fn applications_register_rotate_and_remove<S: Store>(store: S) {
    let reader = application("11111111-1111-1111-1111-111111111111", "reader");
    let audit = application("22222222-2222-2222-2222-222222222222", "audit");
    assert!(store.add_application(&reader).await.unwrap());
    assert!(store.add_application(&audit).await.unwrap());
    let clash = application("33333333-3333-3333-3333-333333333333", "reader");
    assert!(!store.add_application(&clash).await.unwrap(), "name taken");
    assert_eq!(
        store.applications().await.unwrap(),
        [audit.clone(), reader.clone()],
        "by name"
    );
    assert_eq!(
        store.application(&reader.client_id).await.unwrap(),
        Some(reader.clone())
    );
    assert_eq!(store.application(&clash.client_id).await.unwrap(), None);
    assert!(
        store
            .set_application_secret(&reader.client_id, "$argon2id$new", "2026-02-01T00:00:00Z")
            .await
            .unwrap()
    );
    let rotated = store.application(&reader.client_id).await.unwrap().unwrap();
    assert_eq!(
        (
            rotated.secret_hash.as_str(),
            rotated.secret_updated_at.as_str()
        ),
        ("$argon2id$new", "2026-02-01T00:00:00Z")
    );
    assert_eq!(rotated.created_at, reader.created_at);
    assert!(
        !store
            .set_application_secret(&clash.client_id, "x", "2026-02-01T00:00:00Z")
            .await
            .unwrap()
    );
    assert!(store.remove_application(&reader.client_id).await.unwrap());
    assert!(!store.remove_application(&reader.client_id).await.unwrap());
    assert_eq!(store.applications().await.unwrap(), [audit]);
}

/// Signing keys: the first is created once; a rotation puts the new key first and keeps
/// only the `keep` newest.
pub async fn signing_keys_are_created_once_and_rotate<S: Store>(store: S) {
    let key = |pem: &str, at: i64| crate::SigningKeyRecord {
        private_pem: pem.to_string(),
        created_at: at,
    };
    assert!(store.signing_keys().await.unwrap().is_empty());
    let first = store.signing_keys_or_insert(&key("k1", 1)).await.unwrap();
    assert_eq!(first, [key("k1", 1)]);
    let again = store.signing_keys_or_insert(&key("k2", 2)).await.unwrap();
    assert_eq!(again, first, "an existing key is kept");
    assert_eq!(
        store.rotate_signing_key(&key("k2", 2), 2).await.unwrap(),
        [key("k2", 2), key("k1", 1)]
    );
    assert_eq!(
        store.rotate_signing_key(&key("k3", 3), 2).await.unwrap(),
        [key("k3", 3), key("k2", 2)]
    );
    assert_eq!(
        store.signing_keys().await.unwrap(),
        [key("k3", 3), key("k2", 2)]
    );
}

/// The TVM relations agree with the getmissingkbs answers they derive from: a machine's
/// open vulnerabilities are the CVEs its missing KBs address, a software's are those of its
/// missing KBs, and every count is the length of the list it counts.
pub async fn tvm_relations_agree_with_the_missing_kbs<S: Store>(store: S) {
    let summary = store.import_catalog(catalog(), &|_| {}).await.unwrap();
    store.ingest(fleet()).await.unwrap();
    assert_eq!(
        store.count_vulnerabilities(None).await.unwrap(),
        summary.cves
    );

    let id = machine_id(&store, "ws-1909-01").await;
    let missing = store.missing_by_machine(&id, None).await.unwrap().unwrap();
    let open = store
        .machine_vulnerabilities(&id, ALL)
        .await
        .unwrap()
        .unwrap();
    let addressed: u64 = missing.iter().map(|m| m.cve_addressed).sum();
    assert_eq!(missing.len(), 1, "one KB, so its CVEs are the machine's");
    assert_eq!(open.len() as u64, addressed);
    let running = store.machine_software(&id, ALL).await.unwrap().unwrap();
    let names: Vec<&str> = running.iter().map(|s| s.id.product()).collect();
    for product in &missing[0].products_names {
        assert!(names.contains(&product.as_str()), "{product} in {names:?}");
    }

    let edge_missing = store
        .missing_by_software(&edge(), ALL)
        .await
        .unwrap()
        .unwrap();
    let edge_open = store
        .software_vulnerabilities(&edge(), ALL)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(edge_open.len() as u64, edge_missing[0].cve_addressed);
    let software = store.software(&edge(), ALL).await.unwrap().unwrap();
    assert_eq!(software.weaknesses, edge_open.len() as u64);
    let machines = store.software_machines(&edge()).await.unwrap().unwrap();
    assert_eq!(machines.len() as u64, software.installed_machines);
    let versions = store
        .software_distributions(&edge(), ALL)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        versions.iter().map(|v| v.installations).sum::<u64>(),
        software.installed_machines
    );
    assert!(
        versions
            .iter()
            .all(|v| v.vulnerabilities <= software.weaknesses)
    );

    for cve in &edge_open {
        assert!(cve.id.starts_with("CVE-"), "{cve:?}");
        assert!(cve.published_on <= cve.updated_on, "{cve:?}");
        let on = store
            .vulnerability_machines(&cve.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(on.len() as u64, cve.exposed_machines, "{}", cve.id);
        assert!(cve.exposed_machines >= edge_missing[0].machine_missed_on);
        let lower = store
            .vulnerability(&cve.id.to_lowercase(), ALL)
            .await
            .unwrap()
            .expect("ids match case-insensitively");
        assert_eq!(&lower, cve);
    }
    let critical = odata::parse_filter(
        "severity eq 'critical' and publishedOn ge 2020-01-01",
        crate::VULNERABILITY_FIELDS,
    )
    .unwrap();
    let rows = store
        .vulnerabilities(&ListQuery::filtered(critical.clone()), ALL)
        .await
        .unwrap();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|v| v.severity.as_deref() == Some("Critical"))
    );
    assert_eq!(
        store.count_vulnerabilities(Some(&critical)).await.unwrap(),
        rows.len() as u64
    );

    let nothing = SoftwareId::parse("microsoft-_-no_such_thing").unwrap();
    assert_eq!(store.software_machines(&nothing).await.unwrap(), None);
    assert_eq!(
        store.software_vulnerabilities(&nothing, ALL).await.unwrap(),
        None
    );
    assert_eq!(
        store.vulnerability_machines("CVE-1999-0001").await.unwrap(),
        None
    );
    let unknown = MachineId::derive("no such machine");
    assert_eq!(
        store.machine_vulnerabilities(&unknown, ALL).await.unwrap(),
        None
    );

    // The counts follow a write: one Edge machine patched, each Edge CVE is open on one
    // machine fewer.
    let mut machines = fleet();
    let (mut patched, source) = machines.remove(0);
    patched.installed_kbs.insert(edge_missing[0].kb);
    store.ingest(vec![(patched, source)]).await.unwrap();
    for cve in &edge_open {
        let now = store.vulnerability(&cve.id, ALL).await.unwrap().unwrap();
        assert_eq!(now.exposed_machines, cve.exposed_machines - 1, "{}", cve.id);
        let on = store
            .vulnerability_machines(&cve.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(on.len() as u64, now.exposed_machines);
    }
}

/// Edge (Chromium) is serviced by version: a machine whose Edge is older than the version
/// that fixes a CVE has it open, in every TVM relation, and misses no KB for it. Real MSRC
/// data (January 2024) and the demo fleet's Windows 10 machines with Edge added: two on one
/// version (they share their open CVEs), one older, one current, one of unknown version.
pub async fn outdated_versions_open_vulnerabilities<S: Store>(store: S) {
    let catalog = kbgap_catalog::read_path(repo(
        "crates/catalog/tests/data/cvrf-2024-Jan.p0w3rsh3ll.xml.zst",
    ))
    .expect("fixture parses");
    // What the document says is open at a version, read from the parsed batch.
    let open_at = |version: &str| -> std::collections::BTreeSet<String> {
        let installed: kbgap_domain::Version = version.parse().unwrap();
        catalog
            .iter()
            .flat_map(|b| &b.version_fixes)
            .filter(|f| f.product == "Microsoft Edge (Chromium-based)")
            .filter(|f| f.fixed_versions.iter().all(|v| *v > installed))
            .map(|f| f.cve.clone())
            .collect()
    };
    let (at_121, at_100) = (open_at("120.0.2210.121"), open_at("120.0.2210.100"));
    assert!(at_121.len() > 10 && at_100.is_superset(&at_121) && at_100.len() > at_121.len());
    let summary = store
        .import_catalog(catalog.clone(), &|_| {})
        .await
        .unwrap();
    assert_eq!(
        store.count_vulnerabilities(None).await.unwrap(),
        summary.cves
    );

    let with_edge = |(mut machine, source): (MachineInventory, String), version: Option<&str>| {
        machine.applications.push(kbgap_domain::Application {
            version: version.map(str::to_string),
            ..kbgap_domain::Application::named("Microsoft Edge")
        });
        (machine, source)
    };
    let mut fleet = fleet().into_iter();
    let plain: Vec<(MachineInventory, String)> = (0..5).map(|_| fleet.next().unwrap()).collect();
    let old: Vec<(MachineInventory, String)> =
        ["120.0.2210.121", "120.0.2210.121", "120.0.2210.100"]
            .iter()
            .zip(&plain)
            .map(|(version, machine)| with_edge(machine.clone(), Some(version)))
            .collect();
    let ids: Vec<MachineId> = old.iter().map(|(m, _)| m.id()).collect();
    let mut all = old.clone();
    all.push(with_edge(plain[3].clone(), Some("121.0.2277.98")));
    all.push(with_edge(plain[4].clone(), None));
    store.ingest(all).await.unwrap();

    let chromium = SoftwareId::parse("microsoft-_-edge_chromium-based").unwrap();
    let cves = |rows: Vec<crate::VulnerabilityRecord>| -> std::collections::BTreeSet<String> {
        rows.into_iter().map(|v| v.id).collect()
    };
    for _ in 0..2 {
        let open = store
            .software_vulnerabilities(&chromium, ALL)
            .await
            .unwrap()
            .expect("Edge (Chromium) is known");
        assert_eq!(cves(open), at_100);
        for (id, want) in ids.iter().zip([&at_121, &at_121, &at_100]) {
            let on_machine = store
                .machine_vulnerabilities(id, ALL)
                .await
                .unwrap()
                .unwrap();
            assert!(cves(on_machine).is_superset(want));
        }
        let software = store.software(&chromium, ALL).await.unwrap().unwrap();
        assert_eq!(
            (
                software.installed_machines,
                software.exposed_machines,
                software.weaknesses
            ),
            (5, 3, at_100.len() as u64)
        );
        for cve in &at_100 {
            let machines = if at_121.contains(cve) { 3 } else { 1 };
            let record = store.vulnerability(cve, ALL).await.unwrap().unwrap();
            assert_eq!(record.exposed_machines, machines, "{cve}");
            let on = store.vulnerability_machines(cve).await.unwrap().unwrap();
            assert_eq!(on.len() as u64, machines, "{cve}");
            assert!(on.iter().all(|m| ids.contains(&m.id)), "{cve}");
        }
        // The software's versions are its programs' (the OS build where none is stated).
        let versions = store
            .software_distributions(&chromium, ALL)
            .await
            .unwrap()
            .unwrap();
        let by_version: Vec<(&str, u64, u64)> = versions
            .iter()
            .map(|v| (v.version.as_str(), v.installations, v.vulnerabilities))
            .collect();
        for row in [
            ("120.0.2210.121", 2, at_121.len() as u64),
            ("120.0.2210.100", 1, at_100.len() as u64),
            ("121.0.2277.98", 1, 0),
        ] {
            assert!(by_version.contains(&row), "{row:?} in {by_version:?}");
        }
        assert_eq!(by_version.len(), 4, "{by_version:?}");
        // No KB stands for a version: the machine call lists none for Edge.
        let missing = store
            .missing_by_machine(&ids[0], None)
            .await
            .unwrap()
            .unwrap();
        assert!(
            missing
                .iter()
                .all(|m| m.products_names.iter().all(|p| !p.starts_with("edge")))
        );
        // Re-importing reassesses every machine: the answers must not change.
        store
            .import_catalog(catalog.clone(), &|_| {})
            .await
            .unwrap();
    }

    // One of the two machines on 120.0.2210.121 updated: its CVEs are open on one machine
    // fewer. All three updated: none is open.
    let updated = |i: usize| with_edge(plain[i].clone(), Some("121.0.2277.98"));
    store.ingest(vec![updated(0)]).await.unwrap();
    for cve in &at_121 {
        let record = store.vulnerability(cve, ALL).await.unwrap().unwrap();
        assert_eq!(record.exposed_machines, 2, "{cve}");
    }
    store.ingest(vec![updated(1), updated(2)]).await.unwrap();
    let software = store.software(&chromium, ALL).await.unwrap().unwrap();
    assert_eq!((software.exposed_machines, software.weaknesses), (0, 0));
    for cve in &at_100 {
        let record = store.vulnerability(cve, ALL).await.unwrap().unwrap();
        assert_eq!(record.exposed_machines, 0, "{cve}");
        assert!(
            store
                .vulnerability_machines(cve)
                .await
                .unwrap()
                .unwrap()
                .is_empty()
        );
    }
}

/// The software call as of a date assesses every machine against the catalog of that day:
/// before March 2020's release nothing was missing, and a date after the catalog's cut-off
/// gives the materialized answer.
pub async fn software_answer_as_of_a_date<S: Store>(store: S) {
    store.import_catalog(catalog(), &|_| {}).await.unwrap();
    store.ingest(fleet()).await.unwrap();
    let before = store
        .missing_by_software_as_of(&edge(), "2020-03-09".parse().unwrap(), ALL)
        .await
        .unwrap()
        .unwrap();
    assert!(before.is_empty(), "{before:?}");
    for software in store
        .software_list(&ListQuery::default(), ALL)
        .await
        .unwrap()
    {
        let now = store.missing_by_software(&software.id, ALL).await.unwrap();
        let later = store
            .missing_by_software_as_of(&software.id, "2030-01-01".parse().unwrap(), ALL)
            .await
            .unwrap();
        assert_eq!(later, now, "{}", software.id);
    }
    let nothing = SoftwareId::parse("microsoft-_-no_such_thing").unwrap();
    assert_eq!(
        store
            .missing_by_software_as_of(&nothing, "2020-03-09".parse().unwrap(), ALL)
            .await
            .unwrap(),
        None
    );
}

/// Expands to one `#[tokio::test]` per conformance case; `$new_store` is a future that
/// returns a fresh store and a guard that cleans up after it (its files), dropped when the
/// case ends.
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
            applications_are_assessed_alike_by_both_calls,
            lists_filter_and_page,
            lists_evaluate_typed_filters,
            every_filterable_field_is_supported,
            device_groups_scope_the_fleet_answers,
            settings_are_written_once,
            tvm_relations_agree_with_the_missing_kbs,
            outdated_versions_open_vulnerabilities,
            software_answer_as_of_a_date,
            applications_register_rotate_and_remove,
            signing_keys_are_created_once_and_rotate,
        );
    };
    (@cases $new_store:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let (store, _cleanup) = $new_store.await;
                $crate::conformance::$case(store).await;
            }
        )*
    };
}
