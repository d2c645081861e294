//! The product classifier against real MSRC product names.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::PathBuf;

use kbgap_catalog::classify_product;
use kbgap_domain::{Arch, OsFamily, OsTarget, ProductKind};

/// (name, software id, kind, versions, platform: family, release, arch, service pack, core).
type Expected = (
    &'static str,
    &'static str,
    ProductKind,
    &'static [&'static str],
    Option<(
        OsFamily,
        Option<&'static str>,
        Option<Arch>,
        Option<u8>,
        bool,
    )>,
);

use Arch::*;
use OsFamily::*;
use ProductKind::*;

const EXPECTED: &[Expected] = &[
    (
        "Windows 10 Version 1909 for x64-based Systems",
        "microsoft-_-windows_10",
        OperatingSystem,
        &[],
        Some((Windows10, Some("1909"), Some(X64), None, false)),
    ),
    (
        "Windows 10 for 32-bit Systems",
        "microsoft-_-windows_10",
        OperatingSystem,
        &[],
        Some((Windows10, Some("1507"), Some(X86), None, false)),
    ),
    (
        "Windows 11 for x64-based Systems",
        "microsoft-_-windows_11",
        OperatingSystem,
        &[],
        Some((Windows11, Some("21H2"), Some(X64), None, false)),
    ),
    (
        "Windows 11 Version 24H2 for ARM64-based Systems",
        "microsoft-_-windows_11",
        OperatingSystem,
        &[],
        Some((Windows11, Some("24H2"), Some(Arm64), None, false)),
    ),
    (
        "Windows 7 for x64-based Systems Service Pack 1",
        "microsoft-_-windows_7",
        OperatingSystem,
        &[],
        Some((Windows7, None, Some(X64), Some(1), false)),
    ),
    (
        "Windows 8.1 for x64-based systems",
        "microsoft-_-windows_8.1",
        OperatingSystem,
        &[],
        Some((Windows81, None, Some(X64), None, false)),
    ),
    (
        "Windows RT 8.1",
        "microsoft-_-windows_rt_8.1",
        OperatingSystem,
        &[],
        Some((WindowsRt81, None, None, None, false)),
    ),
    (
        "Windows Server 2012 R2 (Server Core installation)",
        "microsoft-_-windows_server_2012_r2",
        OperatingSystem,
        &[],
        Some((WindowsServer2012R2, None, None, None, true)),
    ),
    (
        "Windows Server 2008 for 32-bit Systems Service Pack 2",
        "microsoft-_-windows_server_2008",
        OperatingSystem,
        &[],
        Some((WindowsServer2008, None, Some(X86), Some(2), false)),
    ),
    (
        "Windows Server 2008 R2 for Itanium-Based Systems Service Pack 1",
        "microsoft-_-windows_server_2008_r2",
        OperatingSystem,
        &[],
        Some((WindowsServer2008R2, None, Some(Itanium), Some(1), false)),
    ),
    (
        "Windows Server, version 1909 (Server Core installation)",
        "microsoft-_-windows_server",
        OperatingSystem,
        &[],
        Some((WindowsServerSac, Some("1909"), None, None, true)),
    ),
    (
        "Windows Server 2022, 23H2 Edition (Server Core installation)",
        "microsoft-_-windows_server_2022",
        OperatingSystem,
        &[],
        Some((WindowsServer2022, Some("23H2"), None, None, true)),
    ),
    (
        "Windows Server 2025",
        "microsoft-_-windows_server_2025",
        OperatingSystem,
        &[],
        Some((WindowsServer2025, Some("24H2"), None, None, false)),
    ),
    (
        "Windows Server 2019  (Server Core installation)",
        "microsoft-_-windows_server_2019",
        OperatingSystem,
        &[],
        Some((WindowsServer2019, Some("1809"), None, None, true)),
    ),
    (
        "Windows Vista x64 Edition Service Pack 2",
        "microsoft-_-windows_vista",
        OperatingSystem,
        &[],
        Some((WindowsVista, None, Some(X64), Some(2), false)),
    ),
    (
        "Windows Vista Service Pack 2",
        "microsoft-_-windows_vista",
        OperatingSystem,
        &[],
        Some((WindowsVista, None, Some(X86), Some(2), false)),
    ),
    (
        "Microsoft Windows XP Service Pack 3",
        "microsoft-_-windows_xp",
        OperatingSystem,
        &[],
        Some((WindowsXp, None, Some(X86), Some(3), false)),
    ),
    (
        "Microsoft Windows Server 2003 for Itanium-based Systems Service Pack 2",
        "microsoft-_-windows_server_2003",
        OperatingSystem,
        &[],
        Some((WindowsServer2003, None, Some(Itanium), Some(2), false)),
    ),
    (
        "Microsoft Windows 2000 Service Pack 4",
        "microsoft-_-windows_2000",
        OperatingSystem,
        &[],
        None,
    ),
    (
        "Internet Explorer 11 on Windows 10 Version 1909 for x64-based Systems",
        "microsoft-_-internet_explorer",
        Component,
        &["11"],
        Some((Windows10, Some("1909"), Some(X64), None, false)),
    ),
    (
        "Internet Explorer 9 on Windows Server 2008 for 32-bit Systems Service Pack 2",
        "microsoft-_-internet_explorer",
        Component,
        &["9"],
        Some((WindowsServer2008, None, Some(X86), Some(2), false)),
    ),
    (
        "Microsoft Edge (EdgeHTML-based) on Windows 10 Version 1903 for x64-based Systems",
        "microsoft-_-edge",
        Component,
        &[],
        Some((Windows10, Some("1903"), Some(X64), None, false)),
    ),
    (
        "Microsoft Edge on Windows 10 Version 1809 for x64-based Systems",
        "microsoft-_-edge",
        Component,
        &[],
        Some((Windows10, Some("1809"), Some(X64), None, false)),
    ),
    (
        "Microsoft .NET Framework 3.5 AND 4.7.2 on Windows Server 2016",
        "microsoft-_-.net_framework",
        Component,
        &["3.5", "4.7.2"],
        Some((WindowsServer2016, Some("1607"), None, None, false)),
    ),
    (
        "Microsoft .NET Framework 4.8 on Windows 10 Version 1903 for x64-based Systems",
        "microsoft-_-.net_framework",
        Component,
        &["4.8"],
        Some((Windows10, Some("1903"), Some(X64), None, false)),
    ),
    (
        ".NET Framework 3.5.1 on Windows 7 for x64-based Systems Service Pack 1",
        "microsoft-_-.net_framework",
        Component,
        &["3.5.1"],
        Some((Windows7, None, Some(X64), Some(1), false)),
    ),
    (
        "Microsoft .NET Framework 4.6/4.6.1/4.6.2/4.7/4.7.1/4.7.2 on Windows 7 for x64-based Systems Service Pack 1",
        "microsoft-_-.net_framework",
        Component,
        &["4.6", "4.6.1", "4.6.2", "4.7", "4.7.1", "4.7.2"],
        Some((Windows7, None, Some(X64), Some(1), false)),
    ),
    (
        "Adobe Flash Player on Windows 10 Version 1903 for x64-based Systems",
        "adobe-_-flash_player",
        Component,
        &[],
        Some((Windows10, Some("1903"), Some(X64), None, false)),
    ),
    (
        "Microsoft XML Core Services 3.0 on Windows 7 for x64-based Systems Service Pack 1",
        "microsoft-_-xml_core_services",
        Component,
        &["3.0"],
        Some((Windows7, None, Some(X64), Some(1), false)),
    ),
    (
        "Microsoft Edge (Chromium-based) in IE Mode on Windows 11 Version 22H2 for x64-based Systems",
        "microsoft-_-internet_explorer",
        Component,
        &[],
        Some((Windows11, Some("22H2"), Some(X64), None, false)),
    ),
    (
        "Microsoft Silverlight 5 when installed on Microsoft Windows (32-bit)",
        "microsoft-_-silverlight",
        Application,
        &["5"],
        None,
    ),
    (
        "Raw Image Extension on Windows 10 Version 1809 for x64-based Systems",
        "microsoft-_-raw_image_extension",
        Component,
        &[],
        Some((Windows10, Some("1809"), Some(X64), None, false)),
    ),
    (
        "Microsoft Office 2016 (64-bit edition)",
        "microsoft-_-office",
        Application,
        &["2016"],
        None,
    ),
    (
        "Microsoft Office LTSC 2021 for 32-bit editions",
        "microsoft-_-office",
        Application,
        &["2021"],
        None,
    ),
    (
        "Microsoft 365 Apps for Enterprise for 64-bit Systems",
        "microsoft-_-365_apps",
        Application,
        &[],
        None,
    ),
    (
        "Office 365 ProPlus for 32-bit Systems",
        "microsoft-_-365_apps",
        Application,
        &[],
        None,
    ),
    (
        "Microsoft Edge (Chromium-based)",
        "microsoft-_-edge_chromium-based",
        Application,
        &[],
        None,
    ),
    (
        "Microsoft SQL Server 2019 for x64-based Systems (CU 18)",
        "microsoft-_-sql_server",
        Application,
        &["2019"],
        None,
    ),
    (
        "Microsoft Exchange Server 2019 Cumulative Update 12",
        "microsoft-_-exchange_server",
        Application,
        &["2019"],
        None,
    ),
    (
        "Microsoft SharePoint Enterprise Server 2016",
        "microsoft-_-sharepoint_server",
        Application,
        &["2016"],
        None,
    ),
    (
        "Microsoft Visual Studio 2019 version 16.11 (includes 16.0 - 16.10)",
        "microsoft-_-visual_studio",
        Application,
        &["2019", "16.11"],
        None,
    ),
    (
        "Visual Studio Code",
        "microsoft-_-visual_studio_code",
        Application,
        &[],
        None,
    ),
    (
        "Internet Explorer 11",
        "microsoft-_-internet_explorer",
        Component,
        &["11"],
        None,
    ),
    (
        "Windows 10 Version 1607 for HoloLens",
        "microsoft-_-hololens",
        Application,
        &["10", "1607"],
        None,
    ),
    (
        "Windows 10 HLK Version 22H2",
        "microsoft-_-windows_hlk",
        Application,
        &["10", "22H2"],
        None,
    ),
    (
        "Nuance PowerScribe One version 2019.1",
        "nuance-_-powerscribe_one",
        Application,
        &["2019.1"],
        None,
    ),
    (
        "cbl2 kernel 5.15.0.1",
        "microsoft-_-cbl-mariner",
        Application,
        &["5.15.0.1"],
        None,
    ),
    (
        "OneDrive for Windows",
        "microsoft-_-onedrive",
        Application,
        &[],
        None,
    ),
];

#[test]
fn representative_names() {
    for &(name, software, kind, versions, platform) in EXPECTED {
        let info = classify_product(name);
        assert_eq!(info.software.to_string(), software, "{name}");
        assert_eq!(info.kind, kind, "{name}");
        assert_eq!(info.versions, versions, "{name}");
        let want = platform.map(
            |(family, release, arch, service_pack, server_core)| OsTarget {
                family,
                release: release.map(str::to_string),
                arch,
                service_pack,
                server_core,
            },
        );
        assert_eq!(info.platform, want, "{name}");
        assert_eq!(
            info.name,
            name.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }
}

/// Whether a name is shaped like a Windows release ("Windows 10 ...", "Microsoft Windows Server
/// 2003 ...", "Windows Server, version 1909 ..."), as opposed to a tool named after one
/// ("Windows 10 HLK", "Windows 10 Version 1607 for HoloLens").
fn os_shaped(name: &str) -> bool {
    let rest = name.strip_prefix("Microsoft ").unwrap_or(name);
    let Some(rest) = rest.strip_prefix("Windows ") else {
        return false;
    };
    let family = [
        "XP ",
        "XP",
        "Vista",
        "7 ",
        "8 ",
        "8.1 ",
        "RT 8.1",
        "10 ",
        "11 ",
        "Server 20",
        "Server, version",
    ]
    .iter()
    .any(|f| rest.starts_with(f));
    let tool = ["HLK", "HoloLens", "ADK", "Terminal", "SDK"]
        .iter()
        .any(|t| rest.contains(t));
    family && !tool
}

/// Windows 2000 and Windows RT (8.0): operating systems the domain has no family for.
fn family_less_os(name: &str) -> bool {
    ["Microsoft Windows 2000", "Windows RT"]
        .iter()
        .any(|p| name.starts_with(p))
        && !name.starts_with("Windows RT 8.1")
}

/// The OS part of "<component> on <OS>", when there is one.
fn os_part(name: &str) -> &str {
    name.rfind(" on ")
        .map(|i| &name[i + 4..])
        .filter(|os| os_shaped(os))
        .unwrap_or(name)
}

#[test]
fn every_real_wesng_product_name_classifies() {
    let zip = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/catalog/wesng/definitions.zip");
    let Ok(file) = std::fs::File::open(&zip) else {
        println!(
            "note: {} not found; skipping the test over all real product names",
            zip.display()
        );
        return;
    };
    let mut archive = zip::ZipArchive::new(file).unwrap();
    let mut names = BTreeSet::new();
    for i in 0..archive.len() {
        let mut member = archive.by_index(i).unwrap();
        if !member.name().is_ok_and(|n| n.ends_with(".csv")) {
            continue;
        }
        let mut bytes = Vec::new();
        member.read_to_end(&mut bytes).unwrap();
        let mut csv = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .from_reader(bytes.as_slice());
        let mut record = csv::ByteRecord::new();
        while csv.read_byte_record(&mut record).unwrap() {
            names.insert(String::from_utf8(record[4].to_vec()).unwrap());
            names.insert(String::from_utf8(record[5].to_vec()).unwrap());
        }
    }
    assert!(names.len() > 6000, "{}", names.len());

    let mut os_names = 0;
    for name in &names {
        let info = classify_product(name);
        let id = info.software.to_string();
        assert_eq!(
            kbgap_domain::SoftwareId::parse(&id).as_ref(),
            Some(&info.software),
            "{name}: {id}"
        );
        let normalized = name.split_whitespace().collect::<Vec<_>>().join(" ");
        let os = os_part(&normalized);
        if os_shaped(os) {
            os_names += 1;
            let platform = info
                .platform
                .as_ref()
                .unwrap_or_else(|| panic!("no platform for {name:?}"));
            let expected = if os.contains("Server") { "Server" } else { "" };
            assert!(
                format!("{:?}", platform.family).contains(expected),
                "{name}: {platform:?}"
            );
            if os == normalized {
                assert_eq!(info.kind, ProductKind::OperatingSystem, "{name}");
            } else {
                assert_ne!(info.kind, ProductKind::OperatingSystem, "{name}");
            }
        } else if !family_less_os(&normalized) {
            assert_ne!(info.kind, ProductKind::OperatingSystem, "{name}");
        }
    }
    assert!(os_names > 700, "{os_names}");
}
