//! Inventories written by agents: kbgap's PowerShell collector (`scripts/collect-inventory.ps1`)
//! and osquery (one host's tables, and `osqueryd`'s results log), from the files in
//! `tests/agents/`:
//!
//! - `collector-7_sp1_x64_enterprise_en-us_20190305.json`: what the collector writes, line for
//!   line in its layout, for the Windows 7 ground-truth machine (its host name and hotfix list
//!   from its systeminfo and qfe files, its Office 2016 64-bit from the updates Windows Update
//!   listed for it). Written by hand from the script's code; a test below checks that the
//!   file and the script name the same fields.
//! - `osquery-tables-10_22H2_x64_enterprise.json`: `os_version`, `system_info`, `patches`,
//!   `programs` and `registry` of one host, as `osqueryi --json` prints them, joined into one
//!   object by the wrapper docs/INVENTORY.md shows.
//! - `osquery-results.log`: a filesystem-logger results log of three hosts (Windows 7 with
//!   snapshot and differential events, Windows Server 2019 with batched `diffResults` and
//!   numerics, and an Ubuntu host that is left out).

use std::collections::BTreeSet;

use kbgap_domain::{Arch, MachineInventory, OsFamily};
use kbgap_inventory::{Format, InventoryError, Parsed};
use proptest::prelude::*;

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/agents/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn machines(bytes: &[u8]) -> Vec<MachineInventory> {
    match kbgap_inventory::parse(bytes).unwrap() {
        Parsed::Machines(m) => m,
        Parsed::Hotfixes { .. } => panic!("not machines"),
    }
}

const COLLECTOR: &str = "collector-7_sp1_x64_enterprise_en-us_20190305.json";
const TABLES: &str = "osquery-tables-10_22H2_x64_enterprise.json";
const LOG: &str = "osquery-results.log";

#[test]
fn the_collectors_file_reads_as_the_machine() {
    let bytes = read(COLLECTOR);
    assert_eq!(kbgap_inventory::detect(&bytes), Some(Format::KbgapJson));
    let m = &machines(&bytes)[0];
    assert_eq!(m.host, "WIN7SP1X64");
    assert_eq!(m.identity, "6f1c2d4e-8a3b-4c5d-9e0f-1a2b3c4d5e6f");
    assert_eq!(
        (
            m.os.family,
            m.os.build,
            m.os.revision,
            m.os.arch,
            m.os.service_pack
        ),
        (OsFamily::Windows7, 7601, None, Arch::X64, Some(1))
    );
    assert_eq!(m.os.release, None);
    // Every KB of the machine's qfe listing.
    let qfe = kbgap_inventory::parse(
        &std::fs::read(format!(
            "{}/../cli/tests/data/ground-truth/7_sp1_x64_enterprise_en-us_20190305_qfe.txt",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    let Parsed::Hotfixes { kbs, .. } = qfe else {
        panic!("a qfe table")
    };
    assert_eq!(m.installed_kbs, kbs);
    assert_eq!(m.applications.len(), 19);
    let office = &m.applications[1];
    assert_eq!(office.name, "Microsoft Office Professional Plus 2016");
    assert_eq!(office.arch, Some(Arch::X64));
    assert_eq!(
        office.product_code.as_deref(),
        Some("{90160000-0011-0000-1000-0000000FF1CE}")
    );
    assert_eq!(m.applications[0].product_code, None);
    let x86: Vec<&str> = m
        .applications
        .iter()
        .filter(|a| a.arch == Some(Arch::X86))
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(x86.len(), 2, "{x86:?}");
    assert_eq!(m.applications.last().unwrap().arch, None);
}

/// The JSON keys of an object, recursively, with the object's path.
fn keys(value: &serde_json::Value, path: &str, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                out.insert(format!("{path}{k}"));
                keys(v, &format!("{path}{k}."), out);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                keys(item, path, out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_collectors_file_has_exactly_the_fields_the_script_writes() {
    let script = std::fs::read_to_string(format!(
        "{}/../../scripts/collect-inventory.ps1",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    // The script writes each field as '"name": ' on its own $lines.Add(...) or inline.
    let written: BTreeSet<String> = script
        .lines()
        .filter(|l| {
            l.contains("$lines.Add")
                || l.trim_start().starts_with("', \"")
                || l.contains("{\"name\": ")
        })
        .flat_map(|l| {
            l.split('"')
                .collect::<Vec<_>>()
                .windows(2)
                .filter(|w| w[1] == ": " || w[1].starts_with(": "))
                .map(|w| w[0].to_string())
                .collect::<Vec<_>>()
        })
        .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric()))
        .collect();
    let file: serde_json::Value = serde_json::from_slice(&read(COLLECTOR)).unwrap();
    let mut in_file = BTreeSet::new();
    keys(&file, "", &mut in_file);
    let leaf_names: BTreeSet<String> = in_file
        .iter()
        .map(|k| k.rsplit('.').next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(leaf_names, written);
    assert_eq!(
        in_file,
        [
            "id",
            "host",
            "os",
            "os.name",
            "os.build",
            "os.revision",
            "os.release",
            "os.architecture",
            "os.servicePack",
            "installedKbs",
            "applications",
            "applications.name",
            "applications.version",
            "applications.publisher",
            "applications.architecture",
            "applications.productCode",
            "collector",
            "collector.name",
            "collector.version",
            "collector.collectedAt",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    );
}

#[test]
fn osquery_tables_of_one_host() {
    let bytes = read(TABLES);
    assert_eq!(kbgap_inventory::detect(&bytes), Some(Format::Osquery));
    let m = &machines(&bytes)[0];
    assert_eq!(m.host, "WS-0042");
    // The registry's MachineGuid is preferred to the hardware UUID.
    assert_eq!(m.identity, "b7e3f0d2-6a41-4c8e-9f15-2d7c3a9e1b40");
    assert_eq!(
        (
            m.os.family,
            m.os.build,
            m.os.revision,
            m.os.release.as_deref(),
            m.os.arch
        ),
        (
            OsFamily::Windows10,
            19045,
            Some(3930),
            Some("22H2"),
            Arch::X64
        )
    );
    assert_eq!(
        m.installed_kbs
            .iter()
            .map(|k| k.number())
            .collect::<Vec<_>>(),
        [5031988, 5032907, 5034122]
    );
    assert_eq!(m.applications.len(), 7);
    assert_eq!(
        m.applications[0].product_code.as_deref(),
        Some("{90160000-0012-0000-0000-0000000FF1CE}")
    );
    // Installed MSI updates are in the program list; the engine counts their KBs.
    let updates: Vec<u32> = m
        .applications
        .iter()
        .filter_map(|a| a.update_kb())
        .map(|k| k.number())
        .collect();
    assert_eq!(updates, [5002518, 5031908]);
    assert_eq!(m.all_installed_kbs().len(), 5);
}

#[test]
fn osquery_results_log_of_a_fleet() {
    let bytes = read(LOG);
    assert_eq!(kbgap_inventory::detect(&bytes), Some(Format::Osquery));
    let ms = machines(&bytes);
    let hosts: Vec<&str> = ms.iter().map(|m| m.host.as_str()).collect();
    assert_eq!(
        hosts,
        ["WS-0107", "SRV-SQL-01"],
        "the Ubuntu host is left out"
    );
    let ws = &ms[0];
    assert_eq!(ws.identity, "4C4C4544-0047-3510-8052-B4C04F4E4B32");
    assert_eq!(
        (ws.os.family, ws.os.service_pack, ws.os.arch),
        (OsFamily::Windows7, Some(1), Arch::X64)
    );
    assert_eq!(ws.installed_kbs.len(), 3);
    // The Word update was added, then removed.
    assert_eq!(
        ws.applications
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>(),
        ["Microsoft Office Professional Plus 2016"]
    );
    let srv = &ms[1];
    assert_eq!(
        (
            srv.os.family,
            srv.os.build,
            srv.os.revision,
            srv.os.release.as_deref()
        ),
        (OsFamily::WindowsServer2019, 17763, Some(316), Some("1809"))
    );
    assert_eq!(
        srv.installed_kbs
            .iter()
            .map(|k| k.number())
            .collect::<Vec<_>>(),
        [4489899]
    );
    assert_eq!(srv.applications.len(), 2);
}

#[test]
fn osquery_errors_name_line_row_and_column() {
    let text = String::from_utf8(read(LOG)).unwrap();
    let bad = text.replacen("\"build\":17763", "\"build\":\"seventeen\"", 1);
    let err = kbgap_inventory::parse(bad.as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 7: diffResults.added[0].build: expected a whole number from 0 to 4294967295, found \"seventeen\""
    );
    let cut = text.replacen("\"action\":\"removed\"}", "\"action\":\"removed\"", 1);
    let err = kbgap_inventory::parse(cut.as_bytes()).unwrap_err();
    assert!(
        matches!(err, InventoryError::JsonSyntax { line: 5, .. }),
        "{err}"
    );

    let tables = String::from_utf8(read(TABLES)).unwrap();
    let bad = tables.replace("\"arch\": \"64-bit\"", "\"arch\": \"sparc\"");
    let bad = bad.replace("\"cpu_type\": \"x86_64\"", "\"cpu_type\": \"\"");
    let err = kbgap_inventory::parse(bad.as_bytes()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("os_version[0].arch: expected \"64-bit\", \"32-bit\""),
        "{err}"
    );
    let bad = tables.replace("\"computer_name\": \"WS-0042\",", "");
    let m = &machines(bad.as_bytes())[0];
    assert_eq!(m.host, "WS-0042", "falls back to system_info.hostname");
}

#[test]
fn utf16_osquery_output_is_read() {
    // PowerShell 5's redirection writes UTF-16LE with a byte order mark.
    let text = String::from_utf8(read(TABLES)).unwrap();
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    assert_eq!(machines(&bytes), machines(text.as_bytes()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Whatever happens to an osquery file, reading it ends in machines or an error.
    #[test]
    fn osquery_parsing_never_panics(
        seed in 0..3usize,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0usize..3), 1..12),
    ) {
        let mut bytes = read([TABLES, LOG, COLLECTOR][seed]);
        for (at, byte, kind) in edits {
            let at = at % bytes.len().max(1);
            match kind {
                0 if !bytes.is_empty() => bytes[at] = byte,
                1 if at < bytes.len() => { bytes.remove(at); }
                _ => bytes.insert(at.min(bytes.len()), byte),
            }
        }
        let _ = kbgap_inventory::parse(&bytes);
        let _ = kbgap_inventory::osquery::parse(&bytes);
    }
}
