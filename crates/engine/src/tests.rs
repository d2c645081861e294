//! Unit tests of the rules on small hand-made catalogs. The same rules are checked on real
//! MSRC and WES-NG data and real machines in the workspace's integration tests.

use std::collections::BTreeSet;

use kbgap_domain::{
    Application, Arch, Date, Kb, MachineInventory, OsFamily, OsInfo, OsTarget, ProductInfo,
    ProductKind, SoftwareId,
};

use crate::{AssessOptions, CatalogSlice, Fix, UpdateMeta, Verdict, assess, explain};

fn kb(n: u32) -> Kb {
    Kb::new(n).unwrap()
}

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

fn win7_target() -> OsTarget {
    OsTarget {
        family: OsFamily::Windows7,
        release: None,
        arch: Some(Arch::X64),
        service_pack: Some(1),
        server_core: false,
    }
}

/// The Windows 7 SP1 x64 OS product.
fn win7_os(b: &mut Builder) -> usize {
    b.product(
        "Windows 7 for x64-based Systems Service Pack 1",
        "windows_7",
        ProductKind::OperatingSystem,
        win7_target(),
        &[],
    )
}

fn win10_target() -> OsTarget {
    OsTarget {
        family: OsFamily::Windows10,
        release: Some("1909".into()),
        arch: Some(Arch::X64),
        service_pack: None,
        server_core: false,
    }
}

fn machine(
    os_family: OsFamily,
    build: u32,
    revision: Option<u32>,
    kbs: &[u32],
) -> MachineInventory {
    let (release, sp) = match os_family {
        OsFamily::Windows7 => (None, Some(1)),
        _ => (Some("1909".to_string()), None),
    };
    MachineInventory {
        host: "HOST".into(),
        identity: "HOST".into(),
        os: OsInfo {
            name: "Microsoft Windows".into(),
            family: os_family,
            release,
            build,
            revision,
            arch: Arch::X64,
            service_pack: sp,
        },
        installed_kbs: kbs.iter().map(|&n| kb(n)).collect(),
        applications: vec![],
        device_group: None,
    }
}

struct Builder(CatalogSlice);

impl Builder {
    fn new() -> Self {
        Builder(CatalogSlice::default())
    }

    fn product(
        &mut self,
        name: &str,
        software: &str,
        kind: ProductKind,
        target: OsTarget,
        versions: &[&str],
    ) -> usize {
        self.0.products.push(ProductInfo {
            name: name.into(),
            software: SoftwareId::microsoft(software),
            kind,
            platform: Some(target),
            versions: versions.iter().map(|v| v.to_string()).collect(),
        });
        self.0.products.len() - 1
    }

    fn fix(
        &mut self,
        n: u32,
        released: &str,
        product: usize,
        cves: &[&str],
        supersedes: &[u32],
        sub_type: Option<&str>,
    ) {
        self.0.updates.entry(kb(n)).or_insert(UpdateMeta {
            release_date: date(released),
            title: String::new(),
            os_build: None,
        });
        self.0.fixes.push(Fix {
            kb: kb(n),
            product,
            sub_type: sub_type.map(str::to_string),
            fixed_builds: vec![],
            supersedes: supersedes.iter().map(|&s| kb(s)).collect(),
            cves: cves.iter().map(|c| c.to_string()).collect(),
            severity: Some("Important".into()),
        });
    }
}

fn missing(slice: &CatalogSlice, m: &MachineInventory, as_of: Option<&str>) -> Vec<u32> {
    assess(
        m,
        slice,
        AssessOptions {
            as_of: as_of.map(date),
        },
    )
    .missing
    .iter()
    .map(|u| u.kb.number())
    .collect()
}

#[test]
fn an_installed_cumulative_update_covers_earlier_ones_without_supersedence_data() {
    let mut b = Builder::new();
    let os = b.product(
        "Windows 10 Version 1909 for x64-based Systems",
        "windows_10",
        ProductKind::OperatingSystem,
        win10_target(),
        &[],
    );
    b.fix(1001, "2020-01-14", os, &["CVE-1", "CVE-2"], &[], None);
    b.fix(1002, "2020-02-11", os, &["CVE-3", "CVE-4"], &[], None); // no Supersedes, as in real data
    b.fix(1003, "2020-03-10", os, &["CVE-5", "CVE-6"], &[1002], None);
    let m = machine(OsFamily::Windows10, 18363, None, &[1002]);
    assert_eq!(missing(&b.0, &m, None), vec![1003]);
    let unpatched = machine(OsFamily::Windows10, 18363, None, &[]);
    // Only the newest KB of the chain is reported, and it closes the older CVEs too.
    let result = assess(&unpatched, &b.0, AssessOptions::default());
    assert_eq!(result.missing.len(), 1);
    assert_eq!(result.missing[0].kb.number(), 1003);
    assert_eq!(result.missing[0].open_vulnerabilities.len(), 6);
}

#[test]
fn as_of_hides_later_updates() {
    let mut b = Builder::new();
    let os = b.product(
        "Windows 10 Version 1909 for x64-based Systems",
        "windows_10",
        ProductKind::OperatingSystem,
        win10_target(),
        &[],
    );
    b.fix(1001, "2020-01-14", os, &["CVE-1"], &[], None);
    b.fix(1002, "2020-02-11", os, &["CVE-2"], &[1001], None);
    let m = machine(OsFamily::Windows10, 18363, None, &[]);
    assert_eq!(missing(&b.0, &m, Some("2020-01-31")), vec![1001]);
    assert_eq!(missing(&b.0, &m, None), vec![1002]);
}

#[test]
fn security_only_and_monthly_rollup_are_alternatives() {
    let mut b = Builder::new();
    let os = win7_os(&mut b);
    // January: rollup 2001 (supersedes December's 2000) or security-only 2002; February likewise.
    b.fix(
        2000,
        "2018-12-11",
        os,
        &["CVE-0"],
        &[],
        Some("Monthly Rollup"),
    );
    b.fix(
        2001,
        "2019-01-08",
        os,
        &["CVE-1", "CVE-2"],
        &[2000],
        Some("Monthly Rollup"),
    );
    b.fix(
        2002,
        "2019-01-08",
        os,
        &["CVE-1", "CVE-2"],
        &[],
        Some("Security Only"),
    );
    b.fix(2011, "2019-02-12", os, &["CVE-3"], &[2001], None);
    b.fix(2012, "2019-02-12", os, &["CVE-3"], &[], None);
    // Security-only January installed: January's CVEs are closed, the February rollup is missing.
    let m = machine(OsFamily::Windows7, 7601, None, &[2002, 2000]);
    assert_eq!(missing(&b.0, &m, None), vec![2011]);
    // February security-only installed but not January's: January is still open and the
    // rollup (cumulative) is what closes it.
    let m = machine(OsFamily::Windows7, 7601, None, &[2012, 2000]);
    assert_eq!(missing(&b.0, &m, None), vec![2011]);
    // February rollup installed: nothing is missing, although no security-only is.
    let m = machine(OsFamily::Windows7, 7601, None, &[2011]);
    assert_eq!(missing(&b.0, &m, None), Vec::<u32>::new());
}

#[test]
fn security_only_updates_never_form_a_chain() {
    let mut b = Builder::new();
    let os = win7_os(&mut b);
    b.fix(2001, "2019-01-08", os, &["CVE-1"], &[1999], None);
    b.fix(2002, "2019-01-08", os, &["CVE-1"], &[], None);
    b.fix(2011, "2019-02-12", os, &["CVE-3"], &[2001], None);
    b.fix(2012, "2019-02-12", os, &["CVE-3"], &[], None);
    // February's security-only update does not cover January.
    let m = machine(OsFamily::Windows7, 7601, None, &[2012]);
    assert_eq!(missing(&b.0, &m, None), vec![2011]);
}

#[test]
fn build_revision_reaches_fixed_builds() {
    let mut b = Builder::new();
    let os = b.product(
        "Windows 10 Version 1909 for x64-based Systems",
        "windows_10",
        ProductKind::OperatingSystem,
        win10_target(),
        &[],
    );
    b.fix(3001, "2021-04-13", os, &["CVE-1"], &[], None);
    b.fix(3002, "2021-05-11", os, &["CVE-2"], &[3001], None);
    b.0.fixes[0].fixed_builds = vec!["10.0.18363.1500".into()];
    b.0.fixes[1].fixed_builds = vec![
        "10.0.18363.1556".into(),
        "https://aka.ms/not-a-build".into(),
    ];
    assert_eq!(
        missing(
            &b.0,
            &machine(OsFamily::Windows10, 18363, Some(1500), &[]),
            None
        ),
        vec![3002]
    );
    assert_eq!(
        missing(
            &b.0,
            &machine(OsFamily::Windows10, 18363, Some(1556), &[]),
            None
        ),
        Vec::<u32>::new()
    );
}

#[test]
fn components_follow_the_os_and_products_are_ordered() {
    let mut b = Builder::new();
    let os = b.product(
        "Windows 10 Version 1909 for x64-based Systems",
        "windows_10",
        ProductKind::OperatingSystem,
        win10_target(),
        &[],
    );
    let ie = b.product(
        "Internet Explorer 11 on Windows 10 Version 1909 for x64-based Systems",
        "internet_explorer",
        ProductKind::Component,
        win10_target(),
        &["11"],
    );
    let edge = b.product(
        "Microsoft Edge (EdgeHTML-based) on Windows 10 Version 1909 for x64-based Systems",
        "edge",
        ProductKind::Component,
        win10_target(),
        &[],
    );
    let dotnet_optional = b.product(
        "Microsoft .NET Framework 4.7.2 on Windows 10 Version 1909 for x64-based Systems",
        ".net_framework",
        ProductKind::Component,
        win10_target(),
        &["4.7.2"],
    );
    let other_arch = b.product(
        "Windows 10 Version 1909 for 32-bit Systems",
        "windows_10",
        ProductKind::OperatingSystem,
        OsTarget {
            arch: Some(Arch::X86),
            ..win10_target()
        },
        &[],
    );
    for p in [ie, edge, os] {
        b.fix(4001, "2020-03-10", p, &["CVE-1"], &[], None);
    }
    b.fix(4002, "2020-03-10", dotnet_optional, &["CVE-9"], &[], None);
    b.fix(4003, "2020-03-10", other_arch, &["CVE-8"], &[], None);
    let result = assess(
        &machine(OsFamily::Windows10, 18363, None, &[]),
        &b.0,
        AssessOptions::default(),
    );
    assert_eq!(result.missing.len(), 1);
    let names: Vec<&str> = result.missing[0]
        .software
        .iter()
        .map(|s| s.product())
        .collect();
    assert_eq!(names, ["windows_10", "edge", "internet_explorer"]);
    let _: BTreeSet<usize> = result.products.iter().copied().collect();
}

#[test]
fn an_out_of_band_fix_whose_vulnerability_a_later_rollup_fixes_goes_with_the_rollup() {
    // The January rollup names the out-of-band update's vulnerability: installing it closes
    // that vulnerability, so the rollup alone is reported. Its security-only twin is never
    // reported next to it.
    let mut b = Builder::new();
    let os = win7_os(&mut b);
    b.fix(2000, "2018-12-11", os, &["CVE-0", "CVE-00"], &[1999], None);
    b.fix(2005, "2018-12-19", os, &["CVE-OOB"], &[], None);
    b.fix(2001, "2019-01-08", os, &["CVE-1", "CVE-OOB"], &[2000], None);
    b.fix(2002, "2019-01-08", os, &["CVE-1", "CVE-OOB"], &[], None);
    let m = machine(OsFamily::Windows7, 7601, None, &[2000]);
    assert_eq!(missing(&b.0, &m, None), vec![2001]);
}

/// Windows 7 with Internet Explorer 11: each month a Monthly Rollup (OS and IE) and an IE
/// cumulative update (IE only), each naming its own predecessor, as MSRC's documents do; in
/// December an out-of-band IE update, replaced (per MSRC) by January's IE cumulative update
/// only.
fn rollups_and_an_out_of_band_ie_update() -> CatalogSlice {
    let mut b = Builder::new();
    let os = win7_os(&mut b);
    let ie = b.product(
        "Internet Explorer 11 on Windows 7 for x64-based Systems Service Pack 1",
        "internet_explorer",
        ProductKind::Component,
        win7_target(),
        &["11"],
    );
    let months = [
        ("2018-11-13", 5100, 5000),
        ("2018-12-11", 5110, 5010),
        ("2019-01-08", 5120, 5020),
        ("2019-02-12", 5130, 5030),
    ];
    for (i, &(day, rollup, ie_cumulative)) in months.iter().enumerate() {
        let os_cve = format!("CVE-OS-{i}");
        let ie_cves = [format!("CVE-IE-{i}a"), format!("CVE-IE-{i}b")];
        let ie_cves = [ie_cves[0].as_str(), ie_cves[1].as_str()];
        let (previous_rollup, previous_ie) = match i {
            0 => (5090, 4990),
            // January's IE cumulative update names the out-of-band update, not December's.
            2 => (5110, 5015),
            _ => (months[i - 1].1, months[i - 1].2),
        };
        b.fix(
            rollup,
            day,
            os,
            &[&os_cve],
            &[previous_rollup],
            Some("Monthly Rollup"),
        );
        b.fix(
            rollup,
            day,
            ie,
            &ie_cves,
            &[previous_rollup],
            Some("Monthly Rollup"),
        );
        b.fix(
            ie_cumulative,
            day,
            ie,
            &ie_cves,
            &[previous_ie],
            Some("IE Cumulative"),
        );
    }
    b.fix(
        5015,
        "2018-12-19",
        ie,
        &["CVE-IE-OOB"],
        &[5010],
        Some("IE Cumulative"),
    );
    b.0
}

#[test]
fn an_out_of_band_update_replaced_only_by_unoffered_updates_is_reported() {
    let catalog = rollups_and_an_out_of_band_ie_update();
    // Up to date in November: Windows Update offers February's rollup, and the out-of-band
    // update, whose only successors (the IE cumulative updates) it does not offer next to
    // the rollups.
    let m = machine(OsFamily::Windows7, 7601, None, &[5100]);
    assert_eq!(missing(&catalog, &m, None), vec![5130, 5015]);
    // January's rollup contains January's IE cumulative update, which replaced the
    // out-of-band one: only February's rollup is left.
    let m = machine(OsFamily::Windows7, 7601, None, &[5120]);
    assert_eq!(missing(&catalog, &m, None), vec![5130]);
    // An installed IE cumulative update closes the out-of-band one but not the OS's fixes.
    let m = machine(OsFamily::Windows7, 7601, None, &[5100, 5020]);
    assert_eq!(missing(&catalog, &m, None), vec![5130]);
    // Before February, the IE cumulative update of January is no better offered: the
    // out-of-band update is still listed next to January's rollup.
    let m = machine(OsFamily::Windows7, 7601, None, &[5100]);
    assert_eq!(missing(&catalog, &m, Some("2019-01-31")), vec![5120, 5015]);
    // Before it was released, only December's rollup.
    assert_eq!(missing(&catalog, &m, Some("2018-12-18")), vec![5110]);

    // The explanation shows the way to the IE cumulative updates that are not offered.
    let now = AssessOptions::default();
    let why = explain(&m, &catalog, now, kb(5015));
    assert_eq!(why.verdict, Verdict::Missing);
    let steps: Vec<(u32, u32)> = why
        .chain
        .iter()
        .map(|s| (s.newer.number(), s.older.number()))
        .collect();
    assert_eq!(steps, vec![(5030, 5020), (5020, 5015)]);
    assert!(why.summary.contains("reported itself"), "{}", why.summary);
    // January's IE cumulative update is replaced by February's rollup.
    let why = explain(&m, &catalog, now, kb(5020));
    assert_eq!(
        why.verdict,
        Verdict::SupersededByMissing { reported: kb(5130) }
    );
    // With January's rollup installed, the out-of-band update is covered through the IE
    // cumulative update the rollup contains.
    let m = machine(OsFamily::Windows7, 7601, None, &[5120]);
    let why = explain(&m, &catalog, now, kb(5015));
    assert_eq!(
        why.verdict,
        Verdict::CoveredByInstalled {
            installed: kb(5120)
        }
    );
    let sources: Vec<&str> = why.chain.iter().map(|s| s.source).collect();
    assert_eq!(sources, vec!["inferred", "msrc"]);
}

#[test]
fn a_stand_alone_update_named_by_a_later_rollup_is_replaced_by_the_newest_rollup() {
    // MSRC names the stand-alone update as superseded by January's rollup; the rollups
    // replace each other, so February's rollup alone is reported.
    let mut b = Builder::new();
    let os = win7_os(&mut b);
    b.fix(6110, "2018-12-11", os, &["CVE-1", "CVE-2"], &[6100], None);
    b.fix(6115, "2018-12-20", os, &["CVE-OOB"], &[], None);
    b.fix(
        6120,
        "2019-01-08",
        os,
        &["CVE-3", "CVE-4"],
        &[6110, 6115],
        None,
    );
    b.fix(6130, "2019-02-12", os, &["CVE-5", "CVE-6"], &[], None);
    let m = machine(OsFamily::Windows7, 7601, None, &[6100]);
    assert_eq!(missing(&b.0, &m, None), vec![6130]);
}

#[test]
fn a_stand_alone_update_goes_with_its_chain_when_no_rollup_contains_its_successor() {
    // March: stand-alone 7010 (one CVE) beside the month's update 7000; April: 7020, which MSRC
    // says supersedes 7010, and 7030, which fixes 7020's vulnerability too and is preferred.
    // No rollup contains 7020, so 7010 goes with its chain as before: 7020 is reported for it.
    let mut b = Builder::new();
    let os = win7_os(&mut b);
    b.fix(7000, "2017-03-14", os, &["CVE-1", "CVE-2"], &[6990], None);
    b.fix(7010, "2017-03-14", os, &["CVE-3"], &[], None);
    b.fix(7020, "2017-04-11", os, &["CVE-4"], &[7010], None);
    b.fix(
        7030,
        "2017-04-11",
        os,
        &["CVE-4", "CVE-5", "CVE-6"],
        &[7000],
        None,
    );
    let m = machine(OsFamily::Windows7, 7601, None, &[6990]);
    assert_eq!(missing(&b.0, &m, None), vec![7020, 7030]);
}

#[test]
fn a_security_only_update_is_contained_in_its_months_rollup() {
    // March: the rollup 8000 and its Security-only twin 8001, whose rows name one more
    // vulnerability (CVE-X) than the rollup's, as WES-NG's rows sometimes do; April's rollup
    // 8010 follows March's.
    let mut b = Builder::new();
    let os = win7_os(&mut b);
    b.fix(
        8000,
        "2017-03-14",
        os,
        &["CVE-1", "CVE-2"],
        &[7990],
        Some("Monthly Rollup"),
    );
    b.fix(
        8001,
        "2017-03-14",
        os,
        &["CVE-1", "CVE-2", "CVE-X"],
        &[],
        Some("Security Only"),
    );
    b.fix(
        8010,
        "2017-04-11",
        os,
        &["CVE-3"],
        &[8000],
        Some("Monthly Rollup"),
    );
    // Nothing since February: April's rollup closes everything, CVE-X included.
    let m = machine(OsFamily::Windows7, 7601, None, &[7990]);
    assert_eq!(missing(&b.0, &m, None), vec![8010]);
    // March's rollup installed: CVE-X is closed with it.
    let m = machine(OsFamily::Windows7, 7601, None, &[8000]);
    assert_eq!(missing(&b.0, &m, None), vec![8010]);
    // March's Security-only update installed: it does not stand for the rollup.
    let m = machine(OsFamily::Windows7, 7601, None, &[7990, 8001]);
    assert_eq!(missing(&b.0, &m, None), vec![8010]);
    let m = machine(OsFamily::Windows7, 7601, None, &[8001]);
    assert_eq!(missing(&b.0, &m, None), vec![8010]);
}

#[test]
fn stand_alone_fixes_of_a_vulnerability_a_rollup_fixes_are_not_reported() {
    // CVE-P is fixed by March's rollup 9000 and, per the catalog, also by the preview 9002
    // released a week later and April's preview 9012 (WES-NG's hand-kept MS17-010 rows name
    // such previews). The rollups' chain closes it: only April's rollup is reported.
    let mut b = Builder::new();
    let os = win7_os(&mut b);
    b.fix(
        9000,
        "2017-03-14",
        os,
        &["CVE-1", "CVE-2", "CVE-P"],
        &[8990],
        None,
    );
    b.fix(9002, "2017-03-21", os, &["CVE-P"], &[], None);
    b.fix(9010, "2017-04-11", os, &["CVE-3", "CVE-4"], &[9000], None);
    b.fix(9012, "2017-04-18", os, &["CVE-P"], &[], None);
    let m = machine(OsFamily::Windows7, 7601, None, &[8990]);
    assert_eq!(missing(&b.0, &m, None), vec![9010]);
}

#[test]
fn a_security_only_fix_of_a_vulnerability_a_later_rollup_fixes_is_not_reported() {
    // MSRC re-pointed CVE-S from July's Security-only update 9500 (July's rollup is not listed
    // for it) to October's rollup 9530: the rollup's chain closes it, and Windows Update never
    // offers a Security-only update.
    let mut b = Builder::new();
    let os = win7_os(&mut b);
    b.fix(
        9400,
        "2020-06-09",
        os,
        &["CVE-A", "CVE-B"],
        &[9390],
        Some("Monthly Rollup"),
    );
    b.fix(
        9500,
        "2020-07-14",
        os,
        &["CVE-S"],
        &[],
        Some("Security Only"),
    );
    b.fix(
        9530,
        "2020-10-13",
        os,
        &["CVE-S", "CVE-E"],
        &[9400],
        Some("Monthly Rollup"),
    );
    let m = machine(OsFamily::Windows7, 7601, None, &[9390]);
    assert_eq!(missing(&b.0, &m, None), vec![9530]);
    // Without a rollup that fixes it, the Security-only update is what closes CVE-S.
    let m = machine(OsFamily::Windows7, 7601, None, &[9390]);
    assert_eq!(missing(&b.0, &m, Some("2020-09-30")), vec![9500, 9400]);
}

#[test]
fn vista_updates_are_individual() {
    // Vista never had rollups: the update of a month that fixes the most is not cumulative, so
    // a later one installed leaves the earlier ones missing.
    let vista = OsTarget {
        family: OsFamily::WindowsVista,
        release: None,
        arch: Some(Arch::X64),
        service_pack: Some(2),
        server_core: false,
    };
    let mut b = Builder::new();
    let os = b.product(
        "Windows Vista x64 Edition Service Pack 2",
        "windows_vista",
        ProductKind::OperatingSystem,
        vista,
        &[],
    );
    b.fix(3100, "2015-12-08", os, &["CVE-1"], &[], None);
    b.fix(3190, "2016-10-11", os, &["CVE-2", "CVE-3"], &[], None);
    b.fix(
        3200,
        "2016-11-08",
        os,
        &["CVE-4", "CVE-5", "CVE-6"],
        &[],
        None,
    );
    let mut m = machine(OsFamily::Windows7, 6002, None, &[3200]);
    m.os.family = OsFamily::WindowsVista;
    m.os.service_pack = Some(2);
    assert_eq!(missing(&b.0, &m, None), vec![3190, 3100]);
}

#[test]
fn the_catalogs_two_names_of_one_os_form_one_chain() {
    // MSRC names the release "Windows 10 for x64-based Systems", WES-NG's hand-kept rows
    // "Windows 10 Version 1507 for x64-based Systems": one OS, one chain of cumulative updates.
    let mut b = Builder::new();
    let msrc = b.product(
        "Windows 10 for x64-based Systems",
        "windows_10",
        ProductKind::OperatingSystem,
        win10_target(),
        &[],
    );
    let custom = b.product(
        "Windows 10 Version 1507 for x64-based Systems",
        "windows_10",
        ProductKind::OperatingSystem,
        win10_target(),
        &[],
    );
    b.fix(4100, "2017-05-09", msrc, &["CVE-1", "CVE-2"], &[], None);
    b.fix(4105, "2017-06-13", custom, &["CVE-2017-0143"], &[], None);
    b.fix(4110, "2017-07-11", msrc, &["CVE-3", "CVE-4"], &[4100], None);
    let m = machine(OsFamily::Windows10, 18363, None, &[4110]);
    assert_eq!(missing(&b.0, &m, None), Vec::<u32>::new());
}

#[test]
fn rollups_absorb_the_individual_updates_of_the_years_before_them() {
    let mut b = Builder::new();
    let os = win7_os(&mut b);
    b.fix(3000, "2015-12-08", os, &["CVE-OLD"], &[], None);
    b.fix(3001, "2016-10-11", os, &["CVE-1", "CVE-2"], &[], None);
    b.fix(3010, "2018-11-13", os, &["CVE-6", "CVE-7"], &[3001], None);
    b.fix(3002, "2018-11-20", os, &["CVE-3"], &[], None); // a later stand-alone update
    b.fix(3003, "2018-12-11", os, &["CVE-4", "CVE-5"], &[3010], None);
    let m = machine(OsFamily::Windows7, 7601, None, &[3003]);
    assert_eq!(missing(&b.0, &m, None), vec![3002]);
}

#[test]
fn on_windows_10_a_cumulative_update_covers_earlier_stand_alone_updates() {
    let mut b = Builder::new();
    let os = b.product(
        "Windows 10 Version 1909 for x64-based Systems",
        "windows_10",
        ProductKind::OperatingSystem,
        win10_target(),
        &[],
    );
    b.fix(4000, "2019-11-12", os, &["CVE-SSU"], &[], None); // a servicing stack update
    b.fix(4001, "2019-11-12", os, &["CVE-1", "CVE-2"], &[], None);
    b.fix(4002, "2019-12-10", os, &["CVE-3", "CVE-4"], &[4001], None);
    let m = machine(OsFamily::Windows10, 18363, None, &[4002]);
    assert_eq!(missing(&b.0, &m, None), Vec::<u32>::new());
}

#[test]
fn advisories_without_a_severity_are_not_reported() {
    let mut b = Builder::new();
    let os = b.product(
        "Windows 10 Version 1909 for x64-based Systems",
        "windows_10",
        ProductKind::OperatingSystem,
        win10_target(),
        &[],
    );
    b.fix(5001, "2020-02-11", os, &["CVE-1", "CVE-2"], &[], None);
    b.fix(5002, "2020-02-20", os, &["ADV200001"], &[], None);
    b.0.fixes[1].severity = None;
    b.fix(5003, "2020-02-11", os, &["ADV200002"], &[], None); // a Flash-style advisory with a severity
    let m = machine(OsFamily::Windows10, 18363, None, &[5001]);
    assert_eq!(missing(&b.0, &m, None), vec![5003]);
}

#[test]
fn explanations_agree_with_the_answer() {
    let mut b = Builder::new();
    let os = win7_os(&mut b);
    b.fix(1999, "2018-11-13", os, &["CVE-9"], &[], None);
    b.fix(2000, "2018-12-11", os, &["CVE-0", "CVE-00"], &[1999], None);
    b.fix(2005, "2018-12-19", os, &["CVE-OOB"], &[], None);
    b.fix(2001, "2019-01-08", os, &["CVE-1", "CVE-OOB"], &[2000], None);
    b.fix(2002, "2019-01-08", os, &["CVE-1", "CVE-OOB"], &[], None);
    b.fix(2011, "2019-02-12", os, &["CVE-3"], &[2001], None);
    let m = machine(OsFamily::Windows7, 7601, None, &[2000]);
    let why = |n: u32| explain(&m, &b.0, AssessOptions::default(), kb(n));
    assert_eq!(why(2011).verdict, Verdict::Missing);
    // The out-of-band update's vulnerability is also fixed by January's rollup, whose chain
    // ends at KB2011.
    assert_eq!(
        why(2005).verdict,
        Verdict::AlternativeReported {
            reported: vec![kb(2011)]
        }
    );
    assert_eq!(why(2000).verdict, Verdict::Installed);
    let covered = why(1999);
    assert_eq!(
        covered.verdict,
        Verdict::CoveredByInstalled {
            installed: kb(2000)
        }
    );
    assert_eq!(covered.chain.len(), 1);
    assert_eq!(covered.chain[0].source, "msrc");
    let superseded = why(2001);
    assert_eq!(
        superseded.verdict,
        Verdict::SupersededByMissing { reported: kb(2011) }
    );
    assert!(
        superseded.summary.contains("KB2011"),
        "{}",
        superseded.summary
    );
    assert!(
        matches!(why(2002).verdict, Verdict::AlternativeReported { .. }),
        "{:?}",
        why(2002)
    );
    assert_eq!(why(9999).verdict, Verdict::Unknown);
    let early = explain(
        &m,
        &b.0,
        AssessOptions {
            as_of: Some(date("2019-01-31")),
        },
        kb(2011),
    );
    assert!(matches!(early.verdict, Verdict::NotYetReleased { .. }));
    let missing = why(2011);
    assert_eq!(missing.products.len(), 1);
    assert!(missing.products[0].vulnerabilities.iter().all(|v| v.open));
}

/// An application product as the catalog classifies it.
fn application(b: &mut Builder, name: &str) -> usize {
    b.0.products.push(kbgap_catalog::classify_product(name));
    b.0.products.len() - 1
}

#[test]
fn applications_are_products_only_when_listed() {
    let mut b = Builder::new();
    let os = win7_os(&mut b);
    let word64 = application(&mut b, "Microsoft Word 2016 (64-bit edition)");
    let word32 = application(&mut b, "Microsoft Word 2016 (32-bit edition)");
    let visio64 = application(&mut b, "Microsoft Visio 2016 (64-bit edition)");
    b.fix(3000, "2019-01-08", os, &["CVE-OS"], &[], None);
    b.fix(3001, "2019-01-08", word64, &["CVE-W1"], &[], None);
    b.fix(3001, "2019-01-08", word32, &["CVE-W1"], &[], None);
    b.fix(3002, "2019-02-12", visio64, &["CVE-V1"], &[], None);
    let mut m = machine(OsFamily::Windows7, 7601, None, &[3000]);
    assert_eq!(missing(&b.0, &m, None), Vec::<u32>::new());
    m.applications = vec![
        Application::named("Microsoft Office Professional Plus 2016"),
        Application::named("Microsoft Office 64-bit Components 2016"),
    ];
    let result = assess(&m, &b.0, AssessOptions::default());
    assert_eq!(result.products, vec![os, word64]);
    assert_eq!(
        result.software,
        vec![
            SoftwareId::microsoft("windows_7"),
            SoftwareId::microsoft("word")
        ]
    );
    assert_eq!(missing(&b.0, &m, None), vec![3001]);
    m.installed_kbs.insert(kb(3001));
    assert_eq!(missing(&b.0, &m, None), Vec::<u32>::new());
}

#[test]
fn an_update_in_the_program_list_counts_as_installed() {
    let mut b = Builder::new();
    let word = application(&mut b, "Microsoft Word 2016 (64-bit edition)");
    b.fix(4461543, "2019-02-12", word, &["CVE-W1"], &[], None);
    let mut m = machine(OsFamily::Windows7, 7601, None, &[]);
    m.applications = vec![Application::named("Microsoft Word 2016")];
    assert_eq!(missing(&b.0, &m, None), vec![4461543]);
    m.applications.push(Application::named(
        "Security Update for Microsoft Word 2016 (KB4461543) 64-Bit Edition",
    ));
    assert_eq!(missing(&b.0, &m, None), Vec::<u32>::new());
}

#[test]
fn application_updates_are_not_chained_by_inference() {
    // Two months of Office updates on different components of "Microsoft Office 2016": the
    // second fixes more, but does not replace the first (MSPs are per component), so both
    // stay missing unless MSRC says one supersedes the other.
    let mut b = Builder::new();
    let office = application(&mut b, "Microsoft Office 2016 (64-bit edition)");
    b.fix(4011001, "2018-12-11", office, &["CVE-A"], &[], None);
    b.fix(
        4011002,
        "2019-01-08",
        office,
        &["CVE-B", "CVE-C"],
        &[],
        None,
    );
    let mut m = machine(OsFamily::Windows7, 7601, None, &[4011002]);
    m.applications = vec![Application::named("Microsoft Office Standard 2016")];
    assert_eq!(missing(&b.0, &m, None), vec![4011001]);
    // Stated supersedence is followed.
    b.fix(4011003, "2019-02-12", office, &["CVE-A"], &[4011001], None);
    assert_eq!(missing(&b.0, &m, None), vec![4011003]);
}

#[test]
fn a_listed_dotnet_framework_adds_its_components() {
    let mut b = Builder::new();
    let inbox = b.product(
        "Microsoft .NET Framework 3.5.1 on Windows 7 for x64-based Systems Service Pack 1",
        ".net_framework",
        ProductKind::Component,
        win7_target(),
        &["3.5.1"],
    );
    let net48 = b.product(
        "Microsoft .NET Framework 4.8 on Windows 7 for x64-based Systems Service Pack 1",
        ".net_framework",
        ProductKind::Component,
        win7_target(),
        &["4.8"],
    );
    let net472 = b.product(
        "Microsoft .NET Framework 4.7.2 on Windows 7 for x64-based Systems Service Pack 1",
        ".net_framework",
        ProductKind::Component,
        win7_target(),
        &["4.7.2"],
    );
    b.fix(5001, "2019-05-14", net48, &["CVE-N"], &[], None);
    b.fix(5002, "2019-05-14", net472, &["CVE-N"], &[], None);
    let mut m = machine(OsFamily::Windows7, 7601, None, &[]);
    assert_eq!(
        assess(&m, &b.0, AssessOptions::default()).products,
        vec![inbox]
    );
    m.applications = vec![Application::named("Microsoft .NET Framework 4.8")];
    assert_eq!(
        assess(&m, &b.0, AssessOptions::default()).products,
        vec![inbox, net48]
    );
    assert_eq!(missing(&b.0, &m, None), vec![5001]);
}

/// The OS build table (kbgap_catalog::builds) on Windows 10 1809: a machine that lists only the
/// February 2019 preview KB4482887 (17763.348) has the February security update KB4487044
/// (17763.316) in it; one that states revision 292 (January's preview) does not.
#[test]
fn the_build_table_gives_a_machine_its_revision_and_what_it_contains() {
    let mut b = Builder::new();
    let target = OsTarget {
        release: Some("1809".into()),
        ..win10_target()
    };
    let os = b.product(
        "Windows 10 Version 1809 for x64-based Systems",
        "windows_10",
        ProductKind::OperatingSystem,
        target,
        &[],
    );
    b.fix(4480116, "2019-01-08", os, &["CVE-2019-0536"], &[], None);
    b.fix(4487044, "2019-02-12", os, &["CVE-2019-0630"], &[], None);
    let on_1809 = |revision: Option<u32>, kbs: &[u32]| {
        let mut m = machine(OsFamily::Windows10, 17763, revision, kbs);
        m.os.release = Some("1809".into());
        m
    };
    let preview_listed = on_1809(None, &[4482887]);
    assert_eq!(missing(&b.0, &preview_listed, None), Vec::<u32>::new());
    let why = explain(&preview_listed, &b.0, AssessOptions::default(), kb(4487044));
    assert!(
        matches!(&why.verdict, Verdict::CoveredByBuild { fixed_build, machine_build, .. }
            if fixed_build == "17763.316" && machine_build == "17763.348"),
        "{why:?}"
    );
    assert!(why.summary.contains("KB4482887"), "{}", why.summary);
    // A stated revision: January's preview contains January's security update only.
    assert_eq!(missing(&b.0, &on_1809(Some(292), &[]), None), vec![4487044]);
    // Nothing listed, no revision: both are missing (the February one heads the chain).
    assert_eq!(missing(&b.0, &on_1809(None, &[]), None), vec![4487044]);
}

#[test]
fn a_release_listed_only_as_server_core_is_the_machines_os() {
    let server = |release: &str, core: bool| OsTarget {
        family: OsFamily::WindowsServer2022,
        release: Some(release.into()),
        arch: Some(Arch::X64),
        service_pack: None,
        server_core: core,
    };
    let mut catalog = Builder::new();
    let full = catalog.product(
        "Windows Server 2022",
        "windows_server_2022",
        ProductKind::OperatingSystem,
        server("21H2", false),
        &[],
    );
    let full_core = catalog.product(
        "Windows Server 2022 (Server Core installation)",
        "windows_server_2022",
        ProductKind::OperatingSystem,
        server("21H2", true),
        &[],
    );
    let core_only = catalog.product(
        "Windows Server 2022, 23H2 Edition (Server Core installation)",
        "windows_server_2022",
        ProductKind::OperatingSystem,
        server("23H2", true),
        &[],
    );
    catalog.fix(5001, "2024-01-09", full, &["CVE-2024-0001"], &[], None);
    catalog.fix(5001, "2024-01-09", full_core, &["CVE-2024-0001"], &[], None);
    catalog.fix(5002, "2024-01-09", core_only, &["CVE-2024-0001"], &[], None);
    let host = |build: u32, release: &str| {
        let mut m = machine(OsFamily::WindowsServer2022, build, None, &[]);
        m.os.name = "Microsoft Windows Server Datacenter".into();
        m.os.release = Some(release.into());
        m
    };
    // Server 2022 (21H2): the full installation's product only, not its Server Core twin.
    let selected = crate::select_products(&host(20348, "21H2").os, &catalog.0.products);
    assert_eq!(selected, [full]);
    assert_eq!(missing(&catalog.0, &host(20348, "21H2"), None), [5001]);
    // Version 23H2 exists only as Server Core: that product is the machine's.
    let selected = crate::select_products(&host(25398, "23H2").os, &catalog.0.products);
    assert_eq!(selected, [core_only]);
    assert_eq!(missing(&catalog.0, &host(25398, "23H2"), None), [5002]);
}

fn win10_22h2_target() -> OsTarget {
    OsTarget {
        family: OsFamily::Windows10,
        release: Some("22H2".into()),
        arch: Some(Arch::X64),
        service_pack: None,
        server_core: false,
    }
}

/// The program entry of .NET Framework 4.8.1, as an application inventory lists it.
fn dotnet_481_program() -> Application {
    Application {
        name: "Microsoft .NET Framework 4.8.1".into(),
        version: Some("4.8.09032".into()),
        publisher: Some("Microsoft Corporation".into()),
        arch: None,
        product_code: None,
    }
}

#[test]
fn a_newer_dotnet_4x_replaces_the_inbox_one_and_older_frameworks_stay() {
    use crate::products::dotnet_versions;
    let listed = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let newer = listed(&["4.8.1"]);
    assert_eq!(dotnet_versions(&["4.8"], &newer), ["4.8.1"]);
    let older = listed(&["4.6.2", "3.5"]);
    assert_eq!(dotnet_versions(&["4.8"], &older), ["3.5", "4.8"]);
    let on_win7 = listed(&["4.5.2", "4.7.2"]);
    assert_eq!(dotnet_versions(&["3.5.1"], &on_win7), ["3.5.1", "4.7.2"]);
    assert_eq!(dotnet_versions(&["4.10"], &listed(&["4.9"])), ["4.10"]);
    assert_eq!(dotnet_versions(&[], &[]), Vec::<&str>::new());

    // On a Windows 10 22H2 machine whose inventory lists 4.8.1, the "3.5 AND 4.8.1" update
    // is missing and the in-box "3.5 AND 4.8" one is not.
    let target = win10_22h2_target();
    let mut catalog = Builder::new();
    let os = catalog.product(
        "Windows 10 Version 22H2 for x64-based Systems",
        "windows_10",
        ProductKind::OperatingSystem,
        target.clone(),
        &[],
    );
    let inbox = catalog.product(
        "Microsoft .NET Framework 3.5 AND 4.8 on Windows 10 Version 22H2 for x64-based Systems",
        ".net_framework",
        ProductKind::Component,
        target.clone(),
        &["3.5", "4.8"],
    );
    let upgraded = catalog.product(
        "Microsoft .NET Framework 3.5 AND 4.8.1 on Windows 10 Version 22H2 for x64-based Systems",
        ".net_framework",
        ProductKind::Component,
        target,
        &["3.5", "4.8.1"],
    );
    catalog.fix(6001, "2026-05-12", os, &["CVE-2026-0001"], &[], None);
    catalog.fix(6002, "2026-05-12", inbox, &["CVE-2026-0002"], &[], None);
    catalog.fix(6003, "2026-05-12", upgraded, &["CVE-2026-0002"], &[], None);
    let mut host = machine(OsFamily::Windows10, 19045, None, &[]);
    host.os.release = Some("22H2".into());
    assert_eq!(missing(&catalog.0, &host, None), [6001, 6002]);
    host.applications.push(dotnet_481_program());
    assert_eq!(missing(&catalog.0, &host, None), [6001, 6003]);

    // A hotfix list alone (systeminfo) names no program, but an installed 4.8.1 update shows
    // 4.8.1: June's 4.8.1 update is then missing, not the in-box line's.
    catalog.fix(6011, "2026-06-09", os, &["CVE-2026-0011"], &[6001], None);
    catalog.fix(6012, "2026-06-09", inbox, &["CVE-2026-0012"], &[6002], None);
    catalog.fix(
        6013,
        "2026-06-09",
        upgraded,
        &["CVE-2026-0012"],
        &[6003],
        None,
    );
    let mut host = machine(OsFamily::Windows10, 19045, None, &[6001, 6003]);
    host.os.release = Some("22H2".into());
    assert_eq!(missing(&catalog.0, &host, None), [6011, 6013]);
    // An update filed under both lines shows neither.
    catalog.fix(6003, "2026-05-12", inbox, &["CVE-2026-0002"], &[], None);
    assert_eq!(missing(&catalog.0, &host, None), [6011, 6012]);
}

#[test]
fn a_renamed_dotnet_product_stays_one_cumulative_chain() {
    let target = win10_22h2_target();
    let mut catalog = Builder::new();
    catalog.product(
        "Windows 10 Version 22H2 for x64-based Systems",
        "windows_10",
        ProductKind::OperatingSystem,
        target.clone(),
        &[],
    );
    // MSRC's name for the 4.8.1 line in 2022, and since 2023.
    let old_name = catalog.product(
        "Microsoft .NET Framework 4.8.1 on Windows 10 Version 22H2 for x64-based Systems",
        ".net_framework",
        ProductKind::Component,
        target.clone(),
        &["4.8.1"],
    );
    let new_name = catalog.product(
        "Microsoft .NET Framework 3.5 AND 4.8.1 on Windows 10 Version 22H2 for x64-based Systems",
        ".net_framework",
        ProductKind::Component,
        target,
        &["3.5", "4.8.1"],
    );
    catalog.fix(7001, "2022-11-08", old_name, &["CVE-2022-0001"], &[], None);
    catalog.fix(7002, "2023-02-14", new_name, &["CVE-2023-0001"], &[], None);
    let mut host = machine(OsFamily::Windows10, 19045, None, &[]);
    host.os.release = Some("22H2".into());
    host.applications.push(dotnet_481_program());
    assert_eq!(missing(&catalog.0, &host, None), [7002]);
    // As of a date before the rename, the old name's update is the one missing.
    assert_eq!(missing(&catalog.0, &host, Some("2022-12-31")), [7001]);
}

/// A program entry with a version, as an application inventory lists it.
fn program(name: &str, version: &str) -> Application {
    Application {
        version: Some(version.into()),
        ..Application::named(name)
    }
}

impl Builder {
    fn version_fix(&mut self, product: usize, cve: &str, versions: &[&str], published: &str) {
        self.0.version_fixes.push(crate::VersionFix {
            product,
            cve: cve.into(),
            fixed_versions: versions.iter().map(|v| v.parse().unwrap()).collect(),
            severity: None,
            release_date: date(published),
        });
    }
}

/// Edge Stable and Extended Stable with January 2024's fixes (MSRC 2024-Jan).
fn edge_january_2024() -> (CatalogSlice, usize) {
    let mut b = Builder::new();
    win7_os(&mut b);
    let edge = application(&mut b, "Microsoft Edge (Chromium-based)");
    let extended = application(&mut b, "Microsoft Edge (Chromium-based) Extended Stable");
    b.version_fix(edge, "CVE-2024-0222", &["120.0.2210.121"], "2024-01-05");
    b.version_fix(edge, "CVE-2024-0333", &["120.0.2210.133"], "2024-01-11");
    b.version_fix(edge, "CVE-2024-21326", &["121.0.2277.83"], "2024-01-25");
    b.version_fix(
        extended,
        "CVE-2024-21337",
        &["120.0.2210.160"],
        "2024-01-11",
    );
    (b.0, edge)
}

#[test]
fn a_product_serviced_by_version_is_out_of_date_below_the_fixed_version() {
    let (slice, edge) = edge_january_2024();
    let mut m = machine(OsFamily::Windows7, 7601, None, &[]);
    m.applications = vec![program("Microsoft Edge", "120.0.2210.121")];
    let result = assess(&m, &slice, AssessOptions::default());
    // No KB to report; the product runs and is out of date for two of its three CVEs.
    assert!(result.missing.is_empty());
    assert!(
        result
            .software
            .contains(&SoftwareId::microsoft("edge_chromium-based"))
    );
    assert_eq!(result.outdated.len(), 1);
    let outdated = &result.outdated[0];
    assert_eq!(outdated.product, edge);
    assert_eq!(outdated.installed.to_string(), "120.0.2210.121");
    assert_eq!(outdated.fixed_by.to_string(), "121.0.2277.83");
    assert_eq!(outdated.release_date, date("2024-01-25"));
    assert_eq!(
        outdated.open_vulnerabilities,
        BTreeSet::from(["CVE-2024-0333".to_string(), "CVE-2024-21326".to_string()])
    );
    // Extended Stable is another product: Edge's program entry does not make it run.
    assert!(!result.products.contains(&(edge + 1)));
    assert_eq!(
        result.versions,
        [(
            SoftwareId::microsoft("edge_chromium-based"),
            "120.0.2210.121".parse().unwrap()
        )]
    );

    // As of 2024-01-20 the 121 fix was not published yet.
    let before = assess(
        &m,
        &slice,
        AssessOptions {
            as_of: Some(date("2024-01-20")),
        },
    );
    assert_eq!(before.outdated[0].fixed_by.to_string(), "120.0.2210.133");

    // Up to date, newer, or of unknown version: nothing to report.
    for version in ["121.0.2277.83", "122.0.2365.52"] {
        m.applications = vec![program("Microsoft Edge", version)];
        assert!(
            assess(&m, &slice, AssessOptions::default())
                .outdated
                .is_empty(),
            "{version}"
        );
    }
    m.applications = vec![Application::named("Microsoft Edge")];
    let unknown = assess(&m, &slice, AssessOptions::default());
    assert!(unknown.outdated.is_empty());
    assert!(unknown.products.contains(&edge));
}

#[test]
fn a_fixed_version_on_the_installed_line_decides() {
    let mut b = Builder::new();
    win7_os(&mut b);
    let vs = application(&mut b, "Microsoft Visual Studio 2022 version 17.8");
    // One CVE fixed on two lines of one product.
    b.version_fix(vs, "CVE-LINES", &["16.11.33", "17.8.4"], "2024-01-09");
    let mut m = machine(OsFamily::Windows7, 7601, None, &[]);
    m.applications = vec![program("Visual Studio Enterprise 2022", "17.8.3")];
    let result = assess(&m, &b.0, AssessOptions::default());
    assert_eq!(result.outdated.len(), 1);
    assert_eq!(result.outdated[0].fixed_by.to_string(), "17.8.4");
    m.applications = vec![program("Visual Studio Enterprise 2022", "17.8.4")];
    assert!(
        assess(&m, &b.0, AssessOptions::default())
            .outdated
            .is_empty()
    );
}
