//! Which catalog products a machine runs.
//!
//! The OS itself, the components that ship with its release (Internet Explorer, EdgeHTML,
//! Flash Player, the in-box .NET Framework), and applications only when the inventory lists
//! them (CONTRACT.md). Deciding this from structured [`OsTarget`](kbgap_domain::OsTarget)s
//! rather than product-name substrings is what keeps "Windows Server 2019" from pulling in
//! its Server Core twin and "Windows 10" from matching every release.
//!
//! Applications come from the inventory's program list through the catalog crate's table
//! (`kbgap_catalog::applications`): Office, SQL Server, Exchange and the like become
//! application products, and a .NET Framework release beyond the in-box one adds the
//! "`.NET Framework <version> on <OS>`" components of that version.

use kbgap_catalog::applications::InstalledSoftware;
use std::collections::{BTreeMap, BTreeSet, HashSet};

use kbgap_domain::{Kb, MachineInventory, OsFamily, OsInfo, ProductInfo, ProductKind, SoftwareId};

/// The .NET Framework versions a Windows release ships with and turns on by default.
pub fn inbox_dotnet_versions(os: &OsInfo) -> &'static [&'static str] {
    match (os.family, os.effective_release()) {
        (OsFamily::WindowsVista | OsFamily::WindowsServer2008, _) => &["2.0", "3.0"],
        (OsFamily::Windows7 | OsFamily::WindowsServer2008R2, _) => &["3.5.1"],
        (OsFamily::Windows8 | OsFamily::WindowsServer2012, _) => &["4.5"],
        (OsFamily::Windows81 | OsFamily::WindowsRt81 | OsFamily::WindowsServer2012R2, _) => {
            &["4.5.1"]
        }
        (OsFamily::Windows10, Some("1507")) => &["4.6"],
        (OsFamily::Windows10, Some("1511")) => &["4.6.1"],
        (OsFamily::Windows10 | OsFamily::WindowsServer2016, Some("1607")) => &["4.6.2"],
        (OsFamily::Windows10, Some("1703")) => &["4.7"],
        (OsFamily::Windows10 | OsFamily::WindowsServerSac, Some("1709")) => &["4.7.1"],
        (OsFamily::Windows10 | OsFamily::WindowsServerSac, Some("1803")) => &["4.7.2"],
        (OsFamily::Windows10 | OsFamily::WindowsServer2019, Some("1809")) => &["4.7.2"],
        (OsFamily::Windows10 | OsFamily::WindowsServerSac | OsFamily::WindowsServer2022, _) => {
            &["4.8"]
        }
        (OsFamily::Windows11, Some("21H2")) => &["4.8"],
        (OsFamily::Windows11 | OsFamily::WindowsServer2025, _) => &["4.8.1"],
        _ => &[],
    }
}

/// The .NET Framework versions a machine runs, from its release's in-box ones and the ones
/// its inventory lists. 2.0 to 3.5.1 install side by side, but each 4.x release replaces the
/// one before in place (4.8.1 over the in-box 4.8): only the newest 4.x counts, so the
/// updates of a 4.x the machine no longer has are not reported (Windows Update does not
/// offer them either).
pub(crate) fn dotnet_versions<'a>(inbox: &[&'a str], listed: &'a [String]) -> Vec<&'a str> {
    let all = inbox
        .iter()
        .copied()
        .chain(listed.iter().map(String::as_str));
    let numbers = |v: &str| -> Vec<u32> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    let newest_4x = all
        .clone()
        .filter(|v| v.starts_with("4."))
        .max_by_key(|v| numbers(v));
    let mut versions: Vec<&str> = all.filter(|v| !v.starts_with("4.")).collect();
    versions.extend(newest_4x);
    versions.sort_unstable();
    versions.dedup();
    versions
}

/// Orders software the way `productsNames` lists them: the OS, then EdgeHTML, Internet
/// Explorer, .NET, other components, then applications.
pub fn software_rank(kind: ProductKind, software: &SoftwareId) -> u8 {
    match (kind, software.product()) {
        (ProductKind::OperatingSystem, _) => 0,
        (_, "edge") => 1,
        (_, "internet_explorer") => 2,
        (_, ".net_framework") => 3,
        (ProductKind::Component, _) => 4,
        (ProductKind::Application, _) => 5,
    }
}

/// Indexes of `products` that a machine with this OS runs, leaving out what only an
/// application inventory reveals (see [`select_machine_products`]).
pub fn select_products(os: &OsInfo, products: &[ProductInfo]) -> Vec<usize> {
    select_os_products(os, products, &[])
}

/// Indexes of `products` that this machine runs: its OS and in-box components, the
/// applications its inventory lists (`installed`, from
/// [`kbgap_catalog::applications::installed_software`]), and the .NET
/// Framework releases it lists or its installed updates show (`dotnet_shown`, from
/// [`dotnet_shown_by_updates`]).
pub fn select_machine_products(
    machine: &MachineInventory,
    installed: &InstalledSoftware,
    products: &[ProductInfo],
    dotnet_shown: &[String],
) -> Vec<usize> {
    if installed.is_empty() {
        return select_os_products(&machine.os, products, dotnet_shown);
    }
    let mut dotnet = installed.dotnet_framework.clone();
    dotnet.extend(dotnet_shown.iter().cloned());
    let mut selected = select_os_products(&machine.os, products, &dotnet);
    selected.extend(installed.select(products));
    selected.sort_unstable();
    selected.dedup();
    selected
}

/// The .NET Framework 4.x releases the machine's installed updates show. On Windows 10 and
/// later, .NET 4.8 and 4.8.1 are OS features that no program list names, but each has its
/// own cumulative updates (".NET Framework 3.5 AND 4.8.1 on Windows 10 Version 22H2"): an
/// installed one says which release the machine runs. An update filed under several 4.x
/// releases of the OS (the umbrella rollups of Windows 7) shows none.
pub(crate) fn dotnet_shown_by_updates(
    os: &OsInfo,
    products: &[ProductInfo],
    fixes: impl IntoIterator<Item = (Kb, usize)>,
    installed: &HashSet<Kb>,
) -> Vec<String> {
    let mut lines: BTreeMap<Kb, BTreeSet<&str>> = BTreeMap::new();
    for (kb, product) in fixes {
        if !installed.contains(&kb) {
            continue;
        }
        let info = &products[product];
        let on_this_os = info.platform.as_ref().is_some_and(|t| t.matches(os));
        if info.kind == ProductKind::Component
            && info.software.product() == ".net_framework"
            && on_this_os
        {
            let entry = lines.entry(kb).or_default();
            entry.extend(
                info.versions
                    .iter()
                    .map(String::as_str)
                    .filter(|v| v.starts_with("4.")),
            );
        }
    }
    let mut shown: Vec<String> = lines
        .into_values()
        .filter(|versions| versions.len() == 1)
        .flat_map(|versions| versions.into_iter().map(str::to_string))
        .collect();
    shown.sort_unstable();
    shown.dedup();
    shown
}

fn select_os_products(os: &OsInfo, products: &[ProductInfo], dotnet: &[String]) -> Vec<usize> {
    // A release MSRC lists only as a Server Core installation (Windows Server, version 23H2)
    // is what such a machine runs; where a full installation is listed, its Server Core twin
    // is left out, as the same updates are filed under both.
    let full_installation = products.iter().any(|p| {
        p.kind == ProductKind::OperatingSystem && p.platform.as_ref().is_some_and(|t| t.matches(os))
    });
    let on_this_os = |p: &ProductInfo| {
        p.platform.as_ref().is_some_and(|t| {
            t.matches(os) || (!full_installation && t.matches_ignoring_installation(os))
        })
    };
    // Internet Explorer: the newest version the catalog lists for this OS is the one Windows
    // Update keeps a machine on (IE 11 on Windows 7 and later).
    let newest_ie = products
        .iter()
        .filter(|p| {
            p.kind == ProductKind::Component
                && p.software.product() == "internet_explorer"
                && on_this_os(p)
        })
        .filter_map(|p| p.versions.first().and_then(|v| v.parse::<u32>().ok()))
        .max();
    let dotnet = dotnet_versions(inbox_dotnet_versions(os), dotnet);
    products
        .iter()
        .enumerate()
        .filter(|(_, p)| match p.kind {
            ProductKind::OperatingSystem => on_this_os(p),
            ProductKind::Component if !on_this_os(p) => false,
            ProductKind::Component => match p.software.product() {
                "internet_explorer" => {
                    p.versions.first().and_then(|v| v.parse::<u32>().ok()) == newest_ie
                }
                ".net_framework" => p.versions.iter().any(|v| dotnet.contains(&v.as_str())),
                _ => true,
            },
            // Applications become products of a machine through its application inventory
            // (`select_machine_products`).
            ProductKind::Application => false,
        })
        .map(|(i, _)| i)
        .collect()
}
