//! The application table ([`APPLICATION_RULES`]), row by row, and the product selection it
//! drives, on real program names (as Windows' `Uninstall` keys and osquery's `programs`
//! table give them) and real MSRC product names (from WES-NG's definitions.zip).

use kbgap_catalog::applications::{
    APPLICATION_RULES, InstalledSoftware, RuleKind, installed_software, is_application_product,
    product_group, rule_for,
};
use kbgap_catalog::classify_product;
use kbgap_domain::{
    Application, Arch, MachineInventory, OsFamily, OsInfo, ProductInfo, ProductKind,
};
use proptest::prelude::*;

/// One case per row at least: a program name and what it gives on a 64-bit Windows with no
/// other evidence: the product stems (with the bitness they take), `dotnet 4.8` for a .NET
/// Framework release, or nothing (evidence, installed updates, ignored entries). A version
/// follows ` @` where the row reads it.
const CASES: &[(&str, &[&str])] = &[
    (
        "Security Update for Microsoft Word 2016 (KB4461543) 64-Bit Edition",
        &[],
    ),
    ("Security Update for Microsoft Visio 2010 (KB4462223)", &[]),
    ("Hotfix 4322 for SQL Server 2019 (KB5029378) (64-bit)", &[]),
    ("GDR 2120 for SQL Server 2019 (KB5021125) (64-bit)", &[]),
    (
        "Security Update for SQL Server 2014 Service Pack 3 GDR (KB4583463)",
        &[],
    ),
    (
        "Security Update for SQL Server 2014 Service Pack 3 CU4 (KB4583462)",
        &[],
    ),
    (
        "Security Update for SQL Server 2012 Service Pack 4 QFE (KB4583465)",
        &[],
    ),
    (
        "Microsoft Office 64-bit Components 2016",
        &["Microsoft Office 2016 x64"],
    ),
    (
        "Microsoft Office Office 32-bit Components 2010",
        &["Microsoft Office 2010 x86"],
    ),
    (
        "Microsoft Office Shared 64-bit MUI (English) 2016",
        &["Microsoft Office 2016 x64"],
    ),
    (
        "Microsoft Office Shared MUI (English) 2013",
        &["Microsoft Office 2013 x64"],
    ),
    (
        "Microsoft PowerPoint MUI (English) 2016",
        &["Microsoft PowerPoint 2016 x64", "Microsoft Office 2016 x64"],
    ),
    (
        "Microsoft Office Word MUI (English) 2010",
        &["Microsoft Word 2010 x64", "Microsoft Office 2010 x64"],
    ),
    ("Microsoft Office OSM MUI (English) 2016", &[]),
    ("Microsoft Office Proofing (English) 2016", &[]),
    ("Microsoft Access database engine 2016 (English)", &[]),
    ("Microsoft Office Language Pack 2010 - Français", &[]),
    ("Microsoft Office Live Meeting 2007", &[]),
    ("Microsoft Office Communicator 2007 R2", &[]),
    ("Microsoft Office Groove 2007", &[]),
    (
        "Microsoft Office LTSC Professional Plus 2021 - en-us",
        &["Microsoft Office LTSC 2021 x64"],
    ),
    (
        "Microsoft Office Home 2024 - en-us",
        &["Microsoft Office LTSC 2024 x64"],
    ),
    (
        "Microsoft Office Home and Business 2021 - de-de",
        &["Microsoft Office LTSC 2021 x64"],
    ),
    (
        "Microsoft Office Professional Plus 2019 - en-us",
        &["Microsoft Office 2019 x64"],
    ),
    (
        "Microsoft Office Professional Plus 2016 - en-us",
        &[
            "Microsoft Office 2016 Click-to-Run (C2R) x64",
            "Microsoft Excel 2016 Click-to-Run (C2R) x64",
            "Microsoft Outlook 2016 Click-to-Run (C2R) x64",
        ],
    ),
    (
        "Microsoft Visio Professional 2016 - en-us",
        &[
            "Microsoft Visio 2016 Click-to-Run (C2R) x64",
            "Microsoft Office 2016 Click-to-Run (C2R) x64",
        ],
    ),
    (
        "Microsoft Word 2016 - en-us",
        &[
            "Microsoft Word 2016 Click-to-Run (C2R) x64",
            "Microsoft Office 2016 Click-to-Run (C2R) x64",
        ],
    ),
    (
        "Microsoft Office Professional Plus 2013 - en-us",
        &["Microsoft Office 2013 Click-to-Run (C2R) x64"],
    ),
    (
        "Microsoft 365 Apps for enterprise - en-us",
        &[
            "Microsoft 365 Apps for Enterprise x64",
            "Office 365 ProPlus x64",
        ],
    ),
    (
        "Microsoft Office 365 ProPlus - pt-br",
        &[
            "Microsoft 365 Apps for Enterprise x64",
            "Office 365 ProPlus x64",
        ],
    ),
    (
        "Microsoft Office - en-us",
        &[
            "Microsoft 365 Apps for Enterprise x64",
            "Office 365 ProPlus x64",
        ],
    ),
    (
        "Microsoft Office Online Server",
        &[
            "Office Online Server x64",
            "Microsoft Office Online Server x64",
        ],
    ),
    (
        "Microsoft Office Web Apps Server 2013",
        &["Microsoft Office Web Apps Server 2013 x64"],
    ),
    (
        "Microsoft SharePoint Server Subscription Edition",
        &["Microsoft SharePoint Server Subscription Edition x64"],
    ),
    (
        "Microsoft SharePoint Server 2016",
        &[
            "Microsoft SharePoint Server 2016 x64",
            "Microsoft SharePoint Enterprise Server 2016 x64",
            "Microsoft SharePoint Foundation 2016 x64",
        ],
    ),
    (
        "Microsoft SharePoint Foundation 2013",
        &["Microsoft SharePoint Foundation 2013 x64"],
    ),
    (
        "Microsoft Project Server 2013",
        &["Microsoft Project Server 2013 x64"],
    ),
    (
        "Microsoft Visio Viewer 2010",
        &["Microsoft Visio Viewer 2010 x64"],
    ),
    (
        "Microsoft Office Visio Viewer 2007",
        &["Microsoft Visio Viewer 2007 x64"],
    ),
    (
        "Microsoft Office Excel Viewer",
        &[
            "Microsoft Excel Viewer x64",
            "Microsoft Excel Viewer 2007 x64",
        ],
    ),
    (
        "Microsoft Excel Viewer",
        &[
            "Microsoft Excel Viewer x64",
            "Microsoft Excel Viewer 2007 x64",
        ],
    ),
    (
        "Microsoft Office Word Viewer 2003",
        &[
            "Microsoft Office Word Viewer x64",
            "Microsoft Word Viewer x64",
        ],
    ),
    (
        "Microsoft Word Viewer",
        &[
            "Microsoft Office Word Viewer x64",
            "Microsoft Word Viewer x64",
        ],
    ),
    (
        "Microsoft PowerPoint Viewer",
        &[
            "Microsoft PowerPoint Viewer x64",
            "Microsoft PowerPoint Viewer 2007 x64",
            "PowerPoint Viewer 2010 x64",
        ],
    ),
    (
        "Compatibility Pack for the 2007 Office system",
        &["Microsoft Office Compatibility Pack x64"],
    ),
    (
        "Microsoft Office Compatibility Pack for Word, Excel, and PowerPoint File Formats",
        &["Microsoft Office Compatibility Pack x64"],
    ),
    (
        "Microsoft Skype for Business Basic 2016",
        &[
            "Skype for Business Basic 2016 x64",
            "Skype for Business 2016 Basic x64",
        ],
    ),
    (
        "Microsoft Skype for Business 2016",
        &["Skype for Business 2016 x64", "Microsoft Office 2016 x64"],
    ),
    (
        "Microsoft Lync Basic 2013",
        &["Microsoft Lync Basic 2013 x64"],
    ),
    ("Microsoft Lync 2010", &["Microsoft Lync 2010 x64"]),
    (
        "Microsoft Word 2016",
        &["Microsoft Word 2016 x64", "Microsoft Office 2016 x64"],
    ),
    (
        "Microsoft Visio Professional 2016",
        &["Microsoft Visio 2016 x64", "Microsoft Office 2016 x64"],
    ),
    (
        "Microsoft Office Visio 2007",
        &["Microsoft Visio 2007 x64", "Microsoft Office 2007 x64"],
    ),
    (
        "Microsoft Office Project Professional 2007",
        &["Microsoft Project 2007 x64", "Microsoft Office 2007 x64"],
    ),
    (
        "Microsoft Access Runtime 2016",
        &["Microsoft Access 2016 x64", "Microsoft Office 2016 x64"],
    ),
    (
        "Microsoft Office Access Runtime 2007 (English)",
        &["Microsoft Access 2007 x64", "Microsoft Office 2007 x64"],
    ),
    (
        "Microsoft Office Professional Plus 2010",
        &[
            "Microsoft Office 2010 x64",
            "Microsoft Word 2010 x64",
            "Microsoft Excel 2010 x64",
            "Microsoft PowerPoint 2010 x64",
            "Microsoft Outlook 2010 x64",
            "Microsoft OneNote 2010 x64",
            "Microsoft Access 2010 x64",
            "Microsoft Publisher 2010 x64",
            "Microsoft InfoPath 2010 x64",
            "Microsoft SharePoint Workspace 2010 x64",
        ],
    ),
    (
        "Microsoft Office Professional Plus 2016",
        &[
            "Microsoft Office 2016 x64",
            "Microsoft Word 2016 x64",
            "Microsoft Excel 2016 x64",
            "Microsoft PowerPoint 2016 x64",
            "Microsoft Outlook 2016 x64",
            "Microsoft OneNote 2016 x64",
            "Microsoft Access 2016 x64",
            "Microsoft Publisher 2016 x64",
            "Microsoft InfoPath 2016 x64",
            "Skype for Business 2016 x64",
            "Microsoft Lync 2016 x64",
        ],
    ),
    (
        "Microsoft Office Enterprise 2007",
        &[
            "Microsoft Office 2007 x64",
            "Microsoft Word 2007 x64",
            "Microsoft Excel 2007 x64",
            "Microsoft PowerPoint 2007 x64",
            "Microsoft Outlook 2007 x64",
            "Microsoft OneNote 2007 x64",
            "Microsoft Access 2007 x64",
            "Microsoft Publisher 2007 x64",
            "Microsoft InfoPath 2007 x64",
            "Skype for Business 2007 x64",
            "Microsoft Lync 2007 x64",
        ],
    ),
    (
        "Microsoft Office Ultimate 2007",
        &[
            "Microsoft Office 2007 x64",
            "Microsoft Word 2007 x64",
            "Microsoft Excel 2007 x64",
            "Microsoft PowerPoint 2007 x64",
            "Microsoft Outlook 2007 x64",
            "Microsoft OneNote 2007 x64",
            "Microsoft Access 2007 x64",
            "Microsoft Publisher 2007 x64",
            "Microsoft InfoPath 2007 x64",
            "Skype for Business 2007 x64",
            "Microsoft Lync 2007 x64",
        ],
    ),
    (
        "Microsoft Office Professional 2013",
        &[
            "Microsoft Office 2013 x64",
            "Microsoft Word 2013 x64",
            "Microsoft Excel 2013 x64",
            "Microsoft PowerPoint 2013 x64",
            "Microsoft Outlook 2013 x64",
            "Microsoft OneNote 2013 x64",
            "Microsoft Access 2013 x64",
            "Microsoft Publisher 2013 x64",
        ],
    ),
    (
        "Microsoft Office Standard 2010",
        &[
            "Microsoft Office 2010 x64",
            "Microsoft Word 2010 x64",
            "Microsoft Excel 2010 x64",
            "Microsoft PowerPoint 2010 x64",
            "Microsoft Outlook 2010 x64",
            "Microsoft OneNote 2010 x64",
            "Microsoft Publisher 2010 x64",
        ],
    ),
    (
        "Microsoft Office Home and Business 2016",
        &[
            "Microsoft Office 2016 x64",
            "Microsoft Word 2016 x64",
            "Microsoft Excel 2016 x64",
            "Microsoft PowerPoint 2016 x64",
            "Microsoft Outlook 2016 x64",
            "Microsoft OneNote 2016 x64",
        ],
    ),
    (
        "Microsoft Office Home and Student 2010",
        &[
            "Microsoft Office 2010 x64",
            "Microsoft Word 2010 x64",
            "Microsoft Excel 2010 x64",
            "Microsoft PowerPoint 2010 x64",
            "Microsoft OneNote 2010 x64",
        ],
    ),
    (
        "Microsoft Office Professionnel Plus 2016",
        &[
            "Microsoft Office 2016 x64",
            "Microsoft Word 2016 x64",
            "Microsoft Excel 2016 x64",
            "Microsoft PowerPoint 2016 x64",
            "Microsoft Outlook 2016 x64",
        ],
    ),
    (
        "Microsoft SQL Server 2008 R2 (64-bit)",
        &["Microsoft SQL Server 2008 R2 x64"],
    ),
    (
        "Microsoft SQL Server 2019 (64-bit)",
        &["Microsoft SQL Server 2019 x64"],
    ),
    (
        "Microsoft SQL Server 2008 R2",
        &["Microsoft SQL Server 2008 R2 x64"],
    ),
    (
        "Microsoft SQL Server 2012",
        &["Microsoft SQL Server 2012 x64"],
    ),
    (
        "Microsoft Exchange Server 2016 Cumulative Update 23",
        &["Microsoft Exchange Server 2016 x64 CU23"],
    ),
    (
        "Microsoft Exchange Server 2010 Service Pack 3",
        &["Microsoft Exchange Server 2010 x64 SP3"],
    ),
    (
        "Microsoft Exchange Server 2010",
        &["Microsoft Exchange Server 2010 x64"],
    ),
    (
        "Microsoft Exchange Server Subscription Edition RTM",
        &["Microsoft Exchange Server Subscription Edition x64"],
    ),
    (
        "Microsoft Visual Studio Ultimate 2013 with Update 5",
        &["Microsoft Visual Studio 2013 x64 CU5"],
    ),
    (
        "Visual Studio Enterprise 2019",
        &["Microsoft Visual Studio 2019 x64"],
    ),
    (
        "Microsoft Visual Studio Enterprise 2019 @16.11.34114.132",
        &["Microsoft Visual Studio 2019 x64"],
    ),
    (
        "Microsoft Edge @120.0.2210.91",
        &["Microsoft Edge (Chromium-based) x64"],
    ),
    ("Microsoft Visual Studio Code", &["Visual Studio Code x64"]),
    ("PowerShell 7-x64 @7.4.6.0", &["PowerShell 7.4 x64"]),
    ("PowerShell 7.4.1.0-x64 @7.4.1.0", &["PowerShell 7.4 x64"]),
    ("PowerShell 7-x86 @7.2.24.0", &["PowerShell 7.2 x64"]),
    (
        "Remote Desktop @1.2.5807.0",
        &["Remote Desktop client for Windows Desktop x64"],
    ),
    ("Microsoft Edge", &["Microsoft Edge (Chromium-based) x64"]),
    (
        "Microsoft Silverlight @5.1.50918.0",
        &["Microsoft Silverlight 5 x64"],
    ),
    ("Microsoft .NET Framework 4.8", &["dotnet 4.8"]),
    ("Microsoft .NET Framework 4 Client Profile", &["dotnet 4"]),
    ("Microsoft .NET Framework 4 Extended", &["dotnet 4"]),
    ("Microsoft .NET Framework 3.5 SP1", &["dotnet 3.5"]),
    (
        "Microsoft .NET Framework 2.0 Service Pack 2",
        &["dotnet 2.0"],
    ),
];

/// Programs no rule claims: tools, runtimes and components that are not (or not mapped as)
/// catalog products, and names that only resemble one.
const NOT_PRODUCTS: &[&str] = &[
    "Microsoft Edge Update",
    "Microsoft Edge WebView2 Runtime",
    "PowerShell 7-preview-x64",
    "Remote Desktop Connection Manager",
    "Microsoft SQL Server 2012 Native Client",
    "Microsoft SQL Server 2019 Setup (English)",
    "SQL Server 2019 Database Engine Services",
    "Microsoft .NET Framework 4.8 Targeting Pack",
    "Microsoft .NET Framework 4.5.2 Multi-Targeting Pack",
    "Microsoft .NET Runtime - 6.0.25 (x64)",
    "Microsoft Visual Studio 2010 Tools for Office Runtime (x64)",
    "Microsoft Visual C++ 2015-2019 Redistributable (x64) - 14.29.30133",
    "Microsoft Office Proofing Tools 2016 - English",
    "Microsoft Skype for Business MUI (English) 2016",
    "Google Chrome",
];

fn machine(arch: Arch, apps: Vec<Application>) -> MachineInventory {
    let (family, name, build, sp) = if arch == Arch::X86 {
        (
            OsFamily::Windows7,
            "Microsoft Windows 7 Enterprise",
            7601,
            Some(1),
        )
    } else {
        (OsFamily::Windows10, "Microsoft Windows 10 Pro", 19045, None)
    };
    MachineInventory {
        host: "HOST".into(),
        identity: "HOST".into(),
        os: OsInfo {
            name: name.into(),
            family,
            release: None,
            build,
            revision: None,
            arch,
            service_pack: sp,
        },
        installed_kbs: Default::default(),
        applications: apps,
        device_group: None,
    }
}

fn app(name: &str) -> Application {
    match name.split_once(" @") {
        Some((name, version)) => Application {
            version: Some(version.into()),
            ..Application::named(name)
        },
        None => Application::named(name),
    }
}

fn describe(installed: &InstalledSoftware) -> Vec<String> {
    let mut out: Vec<String> = installed
        .products
        .iter()
        .map(|p| {
            let mut s = format!("{} {}", p.stem, p.arch);
            if let Some(sp) = p.service_pack {
                s.push_str(&format!(" SP{sp}"));
            }
            if let Some(cu) = p.update {
                s.push_str(&format!(" CU{cu}"));
            }
            s
        })
        .collect();
    out.extend(
        installed
            .dotnet_framework
            .iter()
            .map(|v| format!("dotnet {v}")),
    );
    out
}

#[test]
fn every_case_gives_what_its_row_says() {
    for (program, expected) in CASES {
        let name = program.split(" @").next().unwrap_or_default();
        assert!(rule_for(name).is_some(), "{program}: no rule");
        let installed = installed_software(&machine(Arch::X64, vec![app(program)]));
        assert_eq!(describe(&installed), *expected, "{program}");
    }
}

#[test]
fn every_row_has_a_case() {
    let hit: Vec<usize> = CASES
        .iter()
        .filter_map(|(p, _)| rule_for(p.split(" @").next().unwrap_or_default()))
        .collect();
    for (i, rule) in APPLICATION_RULES.iter().enumerate() {
        assert!(
            hit.contains(&i),
            "row {i} ({:?}) has no test case",
            rule.program
        );
    }
}

#[test]
fn other_programs_are_not_products() {
    for program in NOT_PRODUCTS {
        let installed = installed_software(&machine(Arch::X64, vec![app(program)]));
        assert!(
            installed.is_empty(),
            "{program}: {:?}",
            describe(&installed)
        );
        if let Some(i) = rule_for(program) {
            assert!(
                matches!(APPLICATION_RULES[i].kind, RuleKind::Ignore),
                "{program}"
            );
        }
    }
}

/// Real MSRC product names around the programs above (WES-NG definitions.zip, 2026-06-28).
const CATALOG: &[&str] = &[
    "PowerShell 7.2",
    "PowerShell 7.4",
    "Remote Desktop client for Windows Desktop",
    "Microsoft Office 2016 (32-bit edition)",
    "Microsoft Office 2016 (64-bit edition)",
    "Microsoft Office 2016",
    "Microsoft Office 2016 for Mac",
    "Microsoft Office 2016 Click-to-Run (C2R) for 64-bit editions",
    "Microsoft Word 2016 (32-bit edition)",
    "Microsoft Word 2016 (64-bit edition)",
    "Microsoft Word 2016 for Mac",
    "Microsoft Excel 2016 (32-bit edition)",
    "Microsoft Excel 2016 (64-bit edition)",
    "Microsoft Excel 2016 Click-to-Run (C2R) for 64-bit editions",
    "Microsoft PowerPoint 2016 (32-bit edition)",
    "Microsoft PowerPoint 2016 (64-bit edition)",
    "Microsoft Outlook 2016 (32-bit edition)",
    "Microsoft Outlook 2016 (64-bit edition)",
    "Microsoft OneNote 2016 (64-bit edition)",
    "Microsoft Access 2016 (64-bit edition)",
    "Microsoft Publisher 2016 (64-bit edition)",
    "Microsoft Visio 2016 (64-bit edition)",
    "Microsoft Project 2016 (64-bit edition)",
    "Skype for Business 2016 (32-bit)",
    "Skype for Business 2016 (64-bit)",
    "Skype for Business 2016 Basic (64-bit)",
    "Microsoft Office 2010 (32-bit editions)",
    "Microsoft Office 2010 Service Pack 1 (32-bit editions)",
    "Microsoft Office 2010 Service Pack 2 (32-bit editions)",
    "Microsoft Office 2010 Service Pack 2 (64-bit editions)",
    "Microsoft Office 2010 Filter Pack Service Pack 1 (32-bit version)",
    "Microsoft Word 2010 Service Pack 2 (32-bit editions)",
    "Microsoft Excel 2010 Service Pack 2 (32-bit editions)",
    "Microsoft PowerPoint 2010 Service Pack 2 (32-bit editions)",
    "Microsoft Outlook 2010 Service Pack 2 (32-bit editions)",
    "Microsoft OneNote 2010 Service Pack 1 (32-bit editions)",
    "Microsoft OneNote 2010 Service Pack 2 (32-bit editions)",
    "Microsoft Publisher 2010 Service Pack 2 (32-bit editions)",
    "Microsoft Office 2013 RT Service Pack 1",
    "Microsoft 365 Apps for Enterprise for 32-bit Systems",
    "Microsoft 365 Apps for Enterprise for 64-bit Systems",
    "Microsoft SQL Server 2019 for x64-based Systems (GDR)",
    "Microsoft SQL Server 2019 for x64-based Systems (CU 22)",
    "Microsoft SQL Server 2019 for x64-based Systems (CU 32)",
    "Microsoft SQL Server 2014 Service Pack 2 for x64-based Systems (GDR)",
    "Microsoft SQL Server 2014 Service Pack 3 for x64-based Systems (GDR)",
    "Microsoft SQL Server 2014 Service Pack 3 for x64-based Systems (CU 4)",
    "Microsoft SQL Server 2014 Service Pack 3 for 32-bit Systems (GDR)",
    "Microsoft SQL Server 2016 for x64-based Systems Service Pack 3 Azure Connect Feature Pack",
    "Microsoft Exchange Server 2016",
    "Microsoft Exchange Server 2016 Cumulative Update 22",
    "Microsoft Exchange Server 2016 Cumulative Update 23",
    "Microsoft Exchange Server 2013",
    "Microsoft Exchange Server 2013 Service Pack 1",
    "Microsoft Exchange Server 2013 Cumulative Update 23",
    "Microsoft Visual Studio 2019 version 16.10 (includes 16.0 - 16.9)",
    "Microsoft Visual Studio 2019 version 16.11 (includes 16.0 - 16.10)",
    "Microsoft Visual Studio 2019 version 16.7 (includes 16.0 ? 16.6)",
    "Microsoft Visual Studio 2015 Update 3",
    "Microsoft Edge (Chromium-based)",
    "Microsoft Edge (Chromium-based) Extended Stable",
    "Microsoft Edge (Chromium-based) Updater",
    "Microsoft Silverlight 5 when installed on Microsoft Windows (32-bit)",
    "Microsoft Silverlight 5 when installed on Microsoft Windows (x64-based)",
    "Windows 10 Version 1909 for x64-based Systems",
];

fn catalog() -> Vec<ProductInfo> {
    CATALOG.iter().map(|n| classify_product(n)).collect()
}

fn selected(machine: &MachineInventory) -> Vec<&'static str> {
    let products = catalog();
    installed_software(machine)
        .select(&products)
        .into_iter()
        .map(|i| CATALOG[i])
        .collect()
}

const OFFICE_2016_X64: &[&str] = &[
    "Microsoft Office 2016 (64-bit edition)",
    "Microsoft Word 2016 (64-bit edition)",
    "Microsoft Excel 2016 (64-bit edition)",
    "Microsoft PowerPoint 2016 (64-bit edition)",
    "Microsoft Outlook 2016 (64-bit edition)",
    "Microsoft OneNote 2016 (64-bit edition)",
    "Microsoft Access 2016 (64-bit edition)",
    "Microsoft Publisher 2016 (64-bit edition)",
    "Skype for Business 2016 (64-bit)",
];

fn sorted(mut v: Vec<&str>) -> Vec<&str> {
    v.sort_unstable();
    v
}

#[test]
fn office_professional_plus_2016_runs_its_applications_of_its_bitness() {
    // The Windows 7 ground-truth machine's Office: 64-bit, said by its component entry.
    let m = machine(
        Arch::X64,
        vec![
            app("Microsoft Office Professional Plus 2016"),
            app("Microsoft Office 64-bit Components 2016"),
        ],
    );
    let mut want = OFFICE_2016_X64.to_vec();
    want.push("Microsoft Office 2016");
    assert_eq!(sorted(selected(&m)), sorted(want));
    // No Visio, no Project, no Mac, no Click-to-Run, no Basic edition.
    assert!(selected(&m).iter().all(|n| !n.contains("Visio")));
}

#[test]
fn office_bitness_evidence_in_order() {
    let x86_names = |m: &MachineInventory| {
        selected(m)
            .into_iter()
            .filter(|n| n.contains("32-bit"))
            .count()
    };
    // Nothing says: the machine's architecture.
    let plain = machine(Arch::X64, vec![app("Microsoft Office Standard 2016")]);
    assert_eq!(x86_names(&plain), 0);
    // The registry view the collector read it from.
    let mut from_view = app("Microsoft Office Standard 2016");
    from_view.arch = Some(Arch::X86);
    assert!(x86_names(&machine(Arch::X64, vec![from_view])) > 0);
    // The product code.
    let mut from_code = app("Microsoft Office Standard 2016");
    from_code.product_code = Some("{90160000-0012-0000-0000-0000000FF1CE}".into());
    assert!(x86_names(&machine(Arch::X64, vec![from_code.clone()])) > 0);
    from_code.product_code = Some("{90160000-0012-0000-1000-0000000FF1CE}".into());
    assert_eq!(x86_names(&machine(Arch::X64, vec![from_code])), 0);
    // An installed update of the same generation.
    let sibling = machine(
        Arch::X64,
        vec![
            app("Microsoft Office Standard 2016"),
            app("Security Update for Microsoft Office 2016 (KB4022162) 32-Bit Edition"),
        ],
    );
    assert!(x86_names(&sibling) > 0);
    assert!(
        selected(&sibling)
            .iter()
            .all(|n| !n.contains("64-bit") || !n.contains("2016"))
    );
}

#[test]
fn office_2010_is_at_its_newest_service_pack() {
    let m = machine(Arch::X86, vec![app("Microsoft Office Standard 2010")]);
    assert_eq!(
        sorted(selected(&m)),
        sorted(vec![
            "Microsoft Office 2010 Service Pack 2 (32-bit editions)",
            "Microsoft Word 2010 Service Pack 2 (32-bit editions)",
            "Microsoft Excel 2010 Service Pack 2 (32-bit editions)",
            "Microsoft PowerPoint 2010 Service Pack 2 (32-bit editions)",
            "Microsoft Outlook 2010 Service Pack 2 (32-bit editions)",
            "Microsoft OneNote 2010 Service Pack 2 (32-bit editions)",
            "Microsoft Publisher 2010 Service Pack 2 (32-bit editions)",
        ])
    );
}

#[test]
fn sql_server_tracks_and_levels() {
    let sql = app("Microsoft SQL Server 2019 (64-bit)");
    assert_eq!(
        selected(&machine(Arch::X64, vec![sql.clone()])),
        [
            "Microsoft SQL Server 2019 for x64-based Systems (GDR)",
            "Microsoft SQL Server 2019 for x64-based Systems (CU 32)",
        ]
    );
    let on_cu = machine(
        Arch::X64,
        vec![
            sql.clone(),
            app("Hotfix 4322 for SQL Server 2019 (KB5029378) (64-bit)"),
        ],
    );
    assert_eq!(
        selected(&on_cu),
        ["Microsoft SQL Server 2019 for x64-based Systems (CU 32)"]
    );
    let on_gdr = machine(
        Arch::X64,
        vec![
            sql,
            app("GDR 2120 for SQL Server 2019 (KB5021125) (64-bit)"),
        ],
    );
    assert_eq!(
        selected(&on_gdr),
        ["Microsoft SQL Server 2019 for x64-based Systems (GDR)"]
    );
    let sql2014 = machine(Arch::X64, vec![app("Microsoft SQL Server 2014 (64-bit)")]);
    assert_eq!(
        selected(&sql2014),
        [
            "Microsoft SQL Server 2014 Service Pack 3 for x64-based Systems (GDR)",
            "Microsoft SQL Server 2014 Service Pack 3 for x64-based Systems (CU 4)",
        ]
    );
}

#[test]
fn exchange_at_its_cumulative_update() {
    let m = machine(
        Arch::X64,
        vec![app("Microsoft Exchange Server 2016 Cumulative Update 23")],
    );
    assert_eq!(
        selected(&m),
        [
            "Microsoft Exchange Server 2016",
            "Microsoft Exchange Server 2016 Cumulative Update 23",
        ]
    );
    let m = machine(
        Arch::X64,
        vec![app("Microsoft Exchange Server 2013 Cumulative Update 23")],
    );
    assert_eq!(
        selected(&m),
        [
            "Microsoft Exchange Server 2013",
            "Microsoft Exchange Server 2013 Service Pack 1",
            "Microsoft Exchange Server 2013 Cumulative Update 23",
        ]
    );
}

#[test]
fn visual_studio_by_version() {
    let mut vs = app("Visual Studio Enterprise 2019");
    vs.version = Some("16.11.34114.132".into());
    assert_eq!(
        selected(&machine(Arch::X64, vec![vs.clone()])),
        ["Microsoft Visual Studio 2019 version 16.11 (includes 16.0 - 16.10)"]
    );
    vs.version = Some("16.7.3".into());
    assert_eq!(
        selected(&machine(Arch::X64, vec![vs])),
        [
            "Microsoft Visual Studio 2019 version 16.10 (includes 16.0 - 16.9)",
            "Microsoft Visual Studio 2019 version 16.11 (includes 16.0 - 16.10)",
            "Microsoft Visual Studio 2019 version 16.7 (includes 16.0 ? 16.6)",
        ]
    );
    let vs2015 = app("Microsoft Visual Studio Enterprise 2015 with Updates");
    assert_eq!(
        selected(&machine(Arch::X64, vec![vs2015])),
        ["Microsoft Visual Studio 2015 Update 3"]
    );
}

#[test]
fn evergreen_and_click_to_run() {
    let mut edge = app("Microsoft Edge");
    edge.version = Some("120.0.2210.91".into());
    assert_eq!(
        selected(&machine(Arch::X64, vec![edge])),
        ["Microsoft Edge (Chromium-based)"]
    );
    let m365 = app("Microsoft 365 Apps for enterprise - en-us");
    assert_eq!(
        selected(&machine(Arch::X64, vec![m365])),
        ["Microsoft 365 Apps for Enterprise for 64-bit Systems"]
    );
    let mut silverlight = app("Microsoft Silverlight");
    silverlight.version = Some("5.1.50918.0".into());
    silverlight.arch = Some(Arch::X86);
    assert_eq!(
        selected(&machine(Arch::X64, vec![silverlight])),
        ["Microsoft Silverlight 5 when installed on Microsoft Windows (x64-based)"]
    );
}

#[test]
fn dotnet_framework_versions() {
    let m = machine(
        Arch::X64,
        vec![
            app("Microsoft .NET Framework 4.8"),
            app("Microsoft .NET Framework 4.8 Targeting Pack"),
        ],
    );
    let installed = installed_software(&m);
    assert_eq!(installed.dotnet_framework, ["4.8"]);
    assert!(installed.products.is_empty());
}

#[test]
fn the_store_keeps_exactly_the_mappable_products() {
    let products = catalog();
    for (name, info) in CATALOG.iter().zip(&products) {
        let unmappable = name.contains("for Mac")
            || name.contains("Filter Pack")
            || name.contains(" RT ")
            || name.contains("Azure Connect")
            || name.contains("Extended Stable")
            || name.contains("Updater")
            || info.kind != ProductKind::Application;
        assert_eq!(is_application_product(name), !unmappable, "{name}");
    }
    assert!(!is_application_product("Microsoft Word 2016 for Mac"));
}

/// A store keeps application products by group and reads a machine's groups only: every
/// product a program selects must be in a group the program's stems name.
#[test]
fn selected_products_are_in_the_groups_of_their_programs() {
    let products = catalog();
    let programs: Vec<Application> = CASES
        .iter()
        .map(|(p, _)| app(p))
        .chain([
            app("Microsoft SQL Server 2014 (64-bit)"),
            app("Microsoft Exchange Server 2013 Cumulative Update 23"),
            app("Microsoft Visual Studio Enterprise 2015 with Updates"),
            app("Visual Studio Enterprise 2019 @16.7.3"),
        ])
        .collect();
    let mut seen = 0;
    for program in programs {
        let installed = installed_software(&machine(Arch::X64, vec![program.clone()]));
        let groups = installed.groups();
        for i in installed.select(&products) {
            assert!(
                groups.contains(&product_group(&products[i])),
                "{}: {} is in group {:?}, not in {groups:?}",
                program.name,
                CATALOG[i],
                product_group(&products[i])
            );
            seen += 1;
        }
    }
    assert!(seen > 40, "{seen}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any program name, and any catalog name, gives an answer: the patterns and the
    /// qualifier grammar meet vendor text on one side and MSRC text on the other.
    #[test]
    fn mapping_never_panics(
        names in proptest::collection::vec(
            prop_oneof![
                "\\PC{0,80}",
                "(Microsoft |Security Update for |Hotfix 4 for )?(Office|Word|SQL Server|Exchange Server|Visual Studio|Skype for Business|Edge)( [0-9.]{1,6}| \\(| -| \\{|[A-Za-z]{1,8}| KB[0-9]{1,8}|\\)|-bit){0,8}",
            ],
            1..6,
        ),
        version in proptest::option::of("[0-9.]{0,12}"),
    ) {
        let apps: Vec<Application> = names
            .iter()
            .map(|n| Application { version: version.clone(), ..Application::named(n) })
            .collect();
        let products: Vec<ProductInfo> = names.iter().map(|n| classify_product(n)).collect();
        for arch in [Arch::X64, Arch::X86] {
            let installed = installed_software(&machine(arch, apps.clone()));
            for i in installed.select(&products) {
                prop_assert!(i < products.len());
            }
            let _ = installed.groups();
        }
        for n in &names {
            let _ = is_application_product(n);
            let _ = rule_for(n);
        }
    }
}

#[test]
fn long_names_are_answered_quickly() {
    // Every literal of the update rows is there, so their `*`s backtrack through it all.
    let name = format!(
        "Update for {}33-Bit Edition x",
        "Microsoft 2016 (KB1) ".repeat(10)
    );
    assert!(name.len() < 256, "{}", name.len());
    let started = std::time::Instant::now();
    let installed = installed_software(&machine(Arch::X64, vec![app(&name)]));
    assert!(installed.is_empty());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}
