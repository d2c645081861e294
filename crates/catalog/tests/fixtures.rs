//! Parses the real catalog slices in `tests/data/` (built by `scripts/build_catalog_fixtures.py`)
//! and checks facts that are known independently of this code (see
//! `shared/spec/msrc-peers.md` §1.5 and §1.7, and the data README).

use std::collections::BTreeSet;
use std::path::PathBuf;

use kbgap_catalog::{Batch, ProductFix, VersionFix, classify_product, read_path, release_dates};
use kbgap_domain::{Date, Kb, OsFamily, ProductKind};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn one(name: &str) -> Batch {
    let mut batches = read_path(data(name)).unwrap();
    assert_eq!(batches.len(), 1, "{name}");
    batches.remove(0)
}

fn kb(n: u32) -> Kb {
    Kb::new(n).unwrap()
}

fn fixes<'a>(
    batch: &'a Batch,
    n: u32,
    product: &'a str,
) -> impl Iterator<Item = &'a ProductFix> + 'a {
    batch
        .fixes
        .iter()
        .filter(move |f| f.kb == kb(n) && f.product.contains(product))
}

fn fix<'a>(batch: &'a Batch, n: u32, product: &str) -> &'a ProductFix {
    let found: Vec<_> = batch
        .fixes
        .iter()
        .filter(|f| f.kb == kb(n) && f.product == product)
        .collect();
    assert_eq!(found.len(), 1, "KB{n} for {product:?}");
    found[0]
}

fn cves<'a>(found: impl Iterator<Item = &'a ProductFix>) -> BTreeSet<&'a str> {
    found
        .flat_map(|f| f.cves.iter().map(String::as_str))
        .filter(|c| c.starts_with("CVE-"))
        .collect()
}

fn kbs(numbers: &[u32]) -> BTreeSet<Kb> {
    numbers.iter().map(|&n| kb(n)).collect()
}

#[test]
fn wesng_acceptance_catalog() {
    let batches = read_path(data("wesng-2020-03-11.zip")).unwrap();
    assert_eq!(batches.len(), 2);
    let cves_batch = &batches[0];
    assert_eq!(cves_batch.source, "wesng:CVEs");
    assert_eq!(cves_batch.revision, "2020-03-11");
    assert_eq!(cves_batch.records, 8959);
    assert!(cves_batch.document.is_none());
    assert_eq!(batches[1].source, "wesng:Custom");
    assert_eq!(batches[1].revision, "2019-03-21");

    // The Defender example: KB4540673 fixes 14 CVEs on Edge (EdgeHTML-based).
    assert_eq!(
        cves(fixes(
            cves_batch,
            4540673,
            "Microsoft Edge (EdgeHTML-based) on "
        ))
        .len(),
        14
    );
    let win10 = fix(
        cves_batch,
        4540673,
        "Windows 10 Version 1909 for x64-based Systems",
    );
    assert_eq!(win10.supersedes, kbs(&[4532693]));
    assert_eq!(win10.sub_type, None);
    assert!(win10.fixed_builds.is_empty());
    let update = cves_batch
        .updates
        .iter()
        .find(|u| u.kb == kb(4540673))
        .unwrap();
    assert_eq!(update.release_date, "2020-03-10".parse::<Date>().unwrap());
    assert_eq!(update.title, None);
    assert_eq!(
        update.release_date.release_title(),
        "March 2020 Security Updates"
    );

    // Every KB of the slice was released by the cut-off (that is how the slice was made).
    let cutoff: Date = "2020-03-11".parse().unwrap();
    assert!(cves_batch.updates.iter().all(|u| u.release_date <= cutoff));
    // KB-less rows are counted, not fixes.
    assert!(cves_batch.skipped.no_kb > 0);
    assert_eq!(cves_batch.skipped.non_numeric_kb, 0);

    // Windows 7: the March 2020 Monthly Rollup and Security-only update, alternatives.
    let rollup = fix(
        cves_batch,
        4540688,
        "Windows 7 for x64-based Systems Service Pack 1",
    );
    assert!(
        rollup.supersedes.contains(&kb(4537820)),
        "{:?}",
        rollup.supersedes
    );
    fix(
        cves_batch,
        4541500,
        "Windows 7 for x64-based Systems Service Pack 1",
    );

    // Every product of the slice classifies, with the platform the slice was cut for.
    for f in &cves_batch.fixes {
        let info = classify_product(&f.product);
        let platform = info
            .platform
            .as_ref()
            .unwrap_or_else(|| panic!("{}", f.product));
        assert!(
            matches!(platform.family, OsFamily::Windows10 | OsFamily::Windows7),
            "{}",
            f.product
        );
        assert_ne!(info.kind, ProductKind::Application, "{}", f.product);
    }
}

#[test]
fn wesng_slice_quirks() {
    let batches = read_path(data("wesng-slice.zip")).unwrap();
    let (cves_batch, custom) = (&batches[0], &batches[1]);
    assert_eq!(
        (cves_batch.source.as_str(), cves_batch.revision.as_str()),
        ("wesng:CVEs", "2026-06-28")
    );

    // Trailing spaces are not part of a product name.
    let names: BTreeSet<&str> = cves_batch
        .fixes
        .iter()
        .map(|f| f.product.as_str())
        .collect();
    // (Both products' rows are bulletin-era rows naming a component, see below.)
    assert!(
        names.contains("Microsoft Edge on Windows Server 2016"),
        "{names:#?}"
    );
    assert!(names.contains("Internet Explorer 11 on Windows 10 Version 1607 for 32-bit Systems"));
    assert!(names.iter().all(|n| n.trim() == *n && !n.contains("  ")));

    // "Click to Run" (Microsoft 365 Apps) is not a KB.
    assert!(
        cves_batch.skipped.non_numeric_kb >= 500,
        "{:?}",
        cves_batch.skipped
    );
    assert!(!names.iter().any(|n| n.starts_with("Microsoft 365 Apps")));
    // Old Edge rows carry the id "CVE": the fix is kept without it.
    assert!(cves_batch.skipped.non_cve_id > 0);
    assert!(names.contains("Microsoft Edge"));

    // Bulletin-era rows: the component named in AffectedComponent becomes the product.
    assert!(
        names.contains("Internet Explorer 8 on Microsoft Windows XP Service Pack 3"),
        "{names:#?}"
    );
    let ie8 = classify_product("Internet Explorer 8 on Microsoft Windows XP Service Pack 3");
    assert_eq!(ie8.software.to_string(), "microsoft-_-internet_explorer");
    assert_eq!(ie8.versions, ["8"]);
    let xp = ie8.platform.unwrap();
    assert_eq!((xp.family, xp.service_pack), (OsFamily::WindowsXp, Some(3)));
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("Microsoft .NET Framework")
                && n.ends_with(" on Microsoft Windows XP Service Pack 3"))
    );

    // The Custom CSV: service packs are fixes without CVEs; their pseudo ids are counted.
    assert_eq!(custom.source, "wesng:Custom");
    let sp = fix(custom, 2919355, "Windows 8.1 for 32-bit Systems");
    assert!(sp.cves.is_empty());
    assert_eq!(sp.supersedes, kbs(&[2883200]));
    assert!(
        custom.skipped.non_cve_id > 0
            && custom.skipped.non_numeric_kb > 0
            && custom.skipped.non_kb_supersedence > 0
    );
    // ... and the real CVEs of MS17-010 are there.
    assert!(
        fix(custom, 4012598, "Microsoft Windows XP")
            .cves
            .contains("CVE-2017-0143")
    );
}

#[test]
fn cvrf_2019_mar_xml() {
    let batch = one("cvrf-2019-Mar.p0w3rsh3ll.xml.zst");
    assert_eq!(batch.source, "cvrf:2019-Mar");
    assert_eq!(batch.revision, "2019-09-10T07:00:00Z");
    let doc = batch.document.as_ref().unwrap();
    assert_eq!(
        (doc.id.as_str(), doc.title.as_str()),
        ("2019-Mar", "March 2019 Security Updates")
    );
    assert_eq!(doc.initial_release_date.to_string(), "2019-03-12");
    assert_eq!(doc.current_release_date.unwrap().to_string(), "2019-09-10");

    // Counted independently with Python's ElementTree: 819 remediations, 512 of them vendor
    // fixes, 12 of those "Release Notes"; 209 (KB, product) pairs over 40 KBs.
    assert_eq!(batch.records, 819);
    assert_eq!(batch.skipped.not_vendor_fix, 303 + 2 + 2);
    assert_eq!(batch.skipped.non_numeric_kb, 12);
    assert_eq!(batch.fixes.len(), 209);
    assert_eq!(batch.updates.len(), 40);

    // msrc-peers.md §1.5: the Windows 10 1809 cumulative chain and Windows 7's alternatives.
    let win10 = fix(
        &batch,
        4489899,
        "Windows 10 Version 1809 for x64-based Systems",
    );
    assert_eq!(win10.supersedes, kbs(&[4487044]));
    assert_eq!(win10.sub_type.as_deref(), Some("Security Update"));
    assert_eq!(win10.cves.len(), 33);
    assert_eq!(win10.severity.as_deref(), Some("Critical"));
    let edge = fix(
        &batch,
        4489899,
        "Microsoft Edge (EdgeHTML-based) on Windows 10 Version 1809 for x64-based Systems",
    );
    assert_eq!(edge.cves.len(), 12);
    let rollup = fix(
        &batch,
        4489878,
        "Windows 7 for x64-based Systems Service Pack 1",
    );
    assert_eq!(
        (rollup.sub_type.as_deref(), &rollup.supersedes),
        (Some("Monthly Rollup"), &kbs(&[4486563]))
    );
    let security_only = fix(
        &batch,
        4489885,
        "Windows 7 for x64-based Systems Service Pack 1",
    );
    assert_eq!(security_only.sub_type.as_deref(), Some("Security Only"));
    assert!(security_only.supersedes.is_empty());

    let update = batch.updates.iter().find(|u| u.kb == kb(4489899)).unwrap();
    assert_eq!(update.release_date.to_string(), "2019-03-12");
    assert_eq!(update.title.as_deref(), Some("March 2019 Security Updates"));
}

#[test]
fn cvrf_2020_mar_2026_snapshot() {
    let batch = one("cvrf-2020-Mar.2026.xml.zst");
    assert_eq!(batch.source, "cvrf:2020-Mar");
    assert_eq!(batch.revision, "2026-02-18T03:08:15");
    let update = batch.updates.iter().find(|u| u.kb == kb(4540673)).unwrap();
    assert_eq!(update.title.as_deref(), Some("March 2020 Security Updates"));
    assert_eq!(update.release_date.to_string(), "2020-03-10");
    let win10 = fix(
        &batch,
        4540673,
        "Windows 10 Version 1909 for x64-based Systems",
    );
    assert_eq!(win10.supersedes, kbs(&[4532693]));
    assert_eq!(win10.cves.len(), 74);
    assert_eq!(
        cves(fixes(
            &batch,
            4540673,
            "Microsoft Edge (EdgeHTML-based) on "
        ))
        .len(),
        14
    );
    // A "Release Notes" remediation type, "CBL-Mariner Releases" and "Click to Run" vendor fixes.
    assert_eq!(batch.records, 965 + 617 + 15 + 3 + 1);
    assert_eq!(batch.skipped.not_vendor_fix, 617 + 15 + 3 + 1);
    assert_eq!(batch.skipped.non_numeric_kb, 28 + 15 + 5);
    assert_eq!(batch.fixes.len(), 183);
    // This revision's FixedBuilds ("2.28-12", "2,82", "https://aka.ms/OfficeSecurityReleases")
    // are all on vendor fixes without a KB (CBL-Mariner, RDCMan "Release Notes", Office
    // "Click to Run"): none survives.
    assert!(batch.fixes.iter().all(|f| f.fixed_builds.is_empty()));
}

#[test]
fn cvrf_2024_jan_fixed_builds() {
    let batch = one("cvrf-2024-Jan.p0w3rsh3ll.xml.zst");
    assert_eq!(batch.source, "cvrf:2024-Jan");
    // msrc-peers.md §1.4: one FixedBuild per build line.
    let w10_22h2 = fix(
        &batch,
        5034122,
        "Windows 10 Version 22H2 for x64-based Systems",
    );
    assert_eq!(w10_22h2.fixed_builds, ["10.0.19045.3930"]);
    let w10_21h2 = fix(
        &batch,
        5034122,
        "Windows 10 Version 21H2 for x64-based Systems",
    );
    assert_eq!(w10_21h2.fixed_builds, ["10.0.19044.3930"]);
    assert_eq!(
        fix(
            &batch,
            5034123,
            "Windows 11 Version 22H2 for x64-based Systems"
        )
        .fixed_builds,
        ["10.0.22621.3007"]
    );
    assert_eq!(
        fix(
            &batch,
            5034123,
            "Windows 11 Version 23H2 for x64-based Systems"
        )
        .fixed_builds,
        ["10.0.22631.3007"]
    );
    // .NET on Windows Server 2016 is fixed by the OS update (§1.4).
    fix(
        &batch,
        5034119,
        "Microsoft .NET Framework 3.5 AND 4.7.2 on Windows Server 2016",
    );
}

#[test]
fn cvrf_2024_jan_version_fixes() {
    let batch = one("cvrf-2024-Jan.p0w3rsh3ll.xml.zst");
    let version_fix = |product: &str, cve: &str| {
        let found: Vec<&VersionFix> = batch
            .version_fixes
            .iter()
            .filter(|f| f.product == product && f.cve == cve)
            .collect();
        assert_eq!(found.len(), 1, "{product:?} {cve}");
        found[0]
    };
    let versions = |f: &VersionFix| -> Vec<String> {
        f.fixed_versions.iter().map(ToString::to_string).collect()
    };
    // Edge's "Release Notes" fixes: the version that fixes each CVE, dated by the CVE's first
    // revision (Chromium fixes arrive all month), not by the document's 2024-01-09.
    let edge = version_fix("Microsoft Edge (Chromium-based)", "CVE-2024-0222");
    assert_eq!(versions(edge), ["120.0.2210.121"]);
    assert_eq!(edge.release_date.to_string(), "2024-01-05");
    let late = version_fix("Microsoft Edge (Chromium-based)", "CVE-2024-21388");
    assert_eq!(versions(late), ["121.0.2277.83"]);
    assert_eq!(late.release_date.to_string(), "2024-01-30");
    // The Extended Stable channel is its own product with its own version.
    let extended = version_fix(
        "Microsoft Edge (Chromium-based) Extended Stable",
        "CVE-2024-21337",
    );
    assert_eq!(versions(extended), ["120.0.2210.160"]);
    // Visual Studio 2017 and later: one version per servicing line (product).
    let vs = version_fix("Microsoft Visual Studio 2022 version 17.8", "CVE-2024-0057");
    assert_eq!(versions(vs), ["17.8.4"]);
    assert_eq!(vs.release_date.to_string(), "2024-01-09");
    assert_eq!(vs.severity.as_deref(), Some("Important"));
    assert_eq!(batch.version_fixes.len(), 67);
    // Version fixes are no KB fixes.
    assert!(
        batch
            .fixes
            .iter()
            .all(|f| !f.product.starts_with("Microsoft Edge (Chromium"))
    );
}

#[test]
fn cvrf_mariner_pseudo_month_is_skipped() {
    let batch = one("cvrf-1999-Sep.mariner.xml.zst");
    assert_eq!(batch.source, "cvrf:1999-Sep");
    assert_eq!(
        batch.document.as_ref().unwrap().title,
        "Mariner Release Notes"
    );
    assert_eq!(batch.skipped.pseudo_document, 1);
    assert!(batch.is_empty());
}

#[test]
fn cvrf_2020_dec_json() {
    let batch = one("cvrf-2020-Dec.json.zst");
    assert_eq!(batch.source, "cvrf:2020-Dec");
    assert_eq!(batch.revision, "2020-12-15T08:00:00Z");
    let doc = batch.document.as_ref().unwrap();
    assert_eq!(doc.title, "December 2020 Security Updates");
    assert_eq!(doc.initial_release_date.to_string(), "2020-12-08");
    // msrc-peers.md §1.3: 252 Vendor Fix, 132 Known Issue, 1 Workaround remediations; of the
    // vendor fixes, 16 "Release Notes" and 8 "Click to Run".
    assert_eq!(batch.records, 252 + 132 + 1);
    assert_eq!(batch.skipped.not_vendor_fix, 132 + 1);
    assert_eq!(batch.skipped.non_numeric_kb, 16 + 8);
    assert_eq!(
        batch.skipped.no_kb + batch.skipped.unknown_product + batch.skipped.no_product,
        0
    );
    let sharepoint = fix(
        &batch,
        4486753,
        "Microsoft SharePoint Enterprise Server 2016",
    );
    assert_eq!(sharepoint.supersedes, kbs(&[4486717]));
    assert_eq!(sharepoint.sub_type.as_deref(), Some("Security Update"));
    assert!(sharepoint.severity.is_some());
    assert!(
        batch
            .updates
            .iter()
            .all(|u| u.title.as_deref() == Some("December 2020 Security Updates"))
    );
}

#[test]
fn read_path_walks_a_folder() {
    let batches = read_path(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")).unwrap();
    let sources: BTreeSet<&str> = batches.iter().map(|b| b.source.as_str()).collect();
    for s in [
        "cvrf:1999-Sep",
        "cvrf:2019-Mar",
        "cvrf:2020-Mar",
        "cvrf:2020-Dec",
        "wesng:CVEs",
        "wesng:Custom",
    ] {
        assert!(sources.contains(s), "{s} in {sources:?}");
    }
    // Across sources a KB gets its CVRF document's date and title; WES-NG only fills gaps.
    let releases = release_dates(&batches);
    let march = &releases[&kb(4540673)];
    assert_eq!(march.release_date.to_string(), "2020-03-10");
    assert_eq!(march.title.as_deref(), Some("March 2020 Security Updates"));
    let sp1 = &releases[&kb(976932)]; // Windows 7 SP1: only in WES-NG's Custom CSV
    assert_eq!(sp1.release_date.to_string(), "2011-03-15");
    assert_eq!(sp1.title, None);
}
