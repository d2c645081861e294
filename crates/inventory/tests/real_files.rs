//! Every real inventory in `tests/data` (copied byte for byte from the project's shared data:
//! WES-NG's validation files and two machines with Windows Update ground truth), with the
//! values read off each file by hand (UTF-16 ones through iconv): host, product id, OS,
//! hotfix counts and the first and last KB the file lists.

use std::collections::BTreeSet;

use kbgap_domain::{Arch, Kb, OsFamily};
use kbgap_inventory::{
    Format, InventoryError, Parsed, detect, merge_one_machine, parse, qfe, systeminfo,
};

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn kb(n: u32) -> Kb {
    Kb::new(n).unwrap()
}

/// What a systeminfo file says, as read by a person.
struct Expected {
    file: &'static str,
    host: &'static str,
    product_id: &'static str,
    name: &'static str,
    family: OsFamily,
    release: Option<&'static str>,
    build: u32,
    arch: Arch,
    service_pack: Option<u8>,
    /// Distinct KBs among the listed entries (a cut last entry excluded).
    kbs: usize,
    /// "N Hotfix(s) Installed." and the number of `[NN]` entries printed.
    announced: Option<usize>,
    listed: usize,
    /// The first and last KB in the file's order.
    first: Option<u32>,
    last: Option<u32>,
}

use Arch::{X64, X86};
use OsFamily::*;

#[rustfmt::skip]
const SYSTEMINFO: &[Expected] = &[
    Expected { file: "10_1803_x64_education_en-us_systeminfo.txt", host: "LAPTOP", product_id: "00328-00251-17473-AA323", name: "Microsoft Windows 10 Education", family: Windows10, release: Some("1803"), build: 17134, arch: X64, service_pack: None, kbs: 5, announced: Some(5), listed: 5, first: Some(4100347), last: Some(4343909) },
    Expected { file: "10_1803_x64_proforworkstations_en-us_A_20190305_systeminfo.txt", host: "DESKTOP-OOF6NB5", product_id: "00391-70000-00000-AA281", name: "Microsoft Windows 10 Pro for Workstations", family: Windows10, release: Some("1803"), build: 17134, arch: X64, service_pack: None, kbs: 4, announced: Some(4), listed: 4, first: Some(4462930), last: Some(4487017) },
    Expected { file: "10_1803_x64_proforworkstations_en-us_systeminfo.txt", host: "DESKTOP-OOF6NB5", product_id: "00391-70000-00000-AA281", name: "Microsoft Windows 10 Pro for Workstations", family: Windows10, release: Some("1803"), build: 17134, arch: X64, service_pack: None, kbs: 0, announced: None, listed: 0, first: None, last: None },
    Expected { file: "10_1803_x86_enterprise_nl_systeminfo.txt", host: "DESKTOP-LFQSJM4", product_id: "00329-00000-00003-AA191", name: "Microsoft Windows 10 Enterprise", family: Windows10, release: Some("1803"), build: 17134, arch: X86, service_pack: None, kbs: 4, announced: Some(4), listed: 4, first: Some(4230204), last: Some(4457128) },
    Expected { file: "10_1809_x64_education_en-us_systeminfo.txt", host: "LAPTOP", product_id: "00328-00251-17473-AA996", name: "Microsoft Windows 10 Education", family: Windows10, release: Some("1809"), build: 17763, arch: X64, service_pack: None, kbs: 6, announced: Some(6), listed: 6, first: Some(4465477), last: Some(4483235) },
    // Spanish, CP850; host name and product id were redacted to "..." before publication.
    Expected { file: "10_1809_x64_education_es_systeminfo.txt", host: "...", product_id: "...", name: "Microsoft Windows 10 Education", family: Windows10, release: Some("1809"), build: 17763, arch: X64, service_pack: None, kbs: 9, announced: Some(9), listed: 9, first: Some(4486553), last: Some(4482887) },
    // CP437 with a no-break space (0xFF) as thousands separator.
    // Host Name (and Domain, Logon Server) lines removed before publication: known by product id.
    Expected { file: "10_1803_x64_enterprise_es-ar_20190307_systeminfo.txt", host: "", product_id: "00329-10180-00000-AA626", name: "Microsoft Windows 10 Enterprise", family: Windows10, release: Some("1803"), build: 17134, arch: X64, service_pack: None, kbs: 6, announced: Some(6), listed: 6, first: Some(4456655), last: Some(4487029) },
    Expected { file: "10_1809_x64_pro_en-us_20190307_systeminfo.txt", host: "DESKTOP-LOQ9L09", product_id: "00330-50000-00000-AAOEM", name: "Microsoft Windows 10 Pro", family: Windows10, release: Some("1809"), build: 17763, arch: X64, service_pack: None, kbs: 5, announced: Some(5), listed: 5, first: Some(4486553), last: Some(4482887) },
    Expected { file: "10_21H1_x64_enterprise_systeminfo.txt", host: "DESKTOP-92B51CV", product_id: "00329-00000-00003-AA837", name: "Microsoft Windows 10 Enterprise", family: Windows10, release: Some("21H1"), build: 19043, arch: X64, service_pack: None, kbs: 4, announced: Some(4), listed: 4, first: Some(4601554), last: Some(5003742) },
    // LF line ends, trailing spaces stripped ("Registered Organization:" ends at the colon).
    Expected { file: "10_21H2_x64_pro_systeminfo.txt", host: "DESKTOP", product_id: "00000-00000-00000-AA000", name: "Microsoft Windows 10 Pro", family: Windows10, release: Some("21H2"), build: 19044, arch: X64, service_pack: None, kbs: 7, announced: Some(7), listed: 7, first: Some(5012117), last: Some(5005699) },
    Expected { file: "10_22H2_x64_enterprise_en-us_systeminfo.txt", host: "DESKTOP-92B51CV", product_id: "00329-00000-00003-AA837", name: "Microsoft Windows 10 Enterprise", family: Windows10, release: Some("22H2"), build: 19045, arch: X64, service_pack: None, kbs: 1, announced: Some(1), listed: 1, first: Some(5022502), last: Some(5022502) },
    Expected { file: "10_rtm_x64_pro_en-us_systeminfo.txt", host: "DESKTOP-J4ED1CA", product_id: "00330-80000-00000-AA603", name: "Microsoft Windows 10 Pro", family: Windows10, release: Some("1507"), build: 10240, arch: X64, service_pack: None, kbs: 2, announced: Some(2), listed: 2, first: Some(3074665), last: Some(4021701) },
    Expected { file: "11_21H2_x64_enterprise_systeminfo.txt", host: "WINXI21H2", product_id: "00329-00000-00003-AA654", name: "Microsoft Windows 11 Enterprise", family: Windows11, release: Some("21H2"), build: 22000, arch: X64, service_pack: None, kbs: 4, announced: Some(4), listed: 4, first: Some(5004342), last: Some(5005703) },
    Expected { file: "11_22H2_x64_home-single-language_systeminfo.txt", host: "test", product_id: "00327-35877-13349-AAOEM", name: "Microsoft Windows 11 Home Single Language", family: Windows11, release: Some("22H2"), build: 22621, arch: X64, service_pack: None, kbs: 1, announced: Some(1), listed: 1, first: Some(5008215), last: Some(5008215) },
    Expected { file: "11_23H2_x64_enterprise_systeminfo.txt", host: "DESKTOP-JNEKK9U", product_id: "00329-00000-00003-AA345", name: "Microsoft Windows 11 Enterprise", family: Windows11, release: Some("23H2"), build: 22631, arch: X64, service_pack: None, kbs: 4, announced: Some(4), listed: 4, first: Some(5029921), last: Some(5031592) },
    // "273 Hotfix(s) Installed." but 245 listed and a cut "[246]".
    Expected { file: "7_sp1_x64_enterprise_en-us_20190305_systeminfo.txt", host: "WIN7SP1X64", product_id: "00392-918-5000002-85041", name: "Microsoft Windows 7 Enterprise", family: Windows7, release: None, build: 7601, arch: X64, service_pack: Some(1), kbs: 245, announced: Some(273), listed: 246, first: Some(2849697), last: Some(3127220) },
    Expected { file: "7_sp1_x64_enterprise_en-us_A_systeminfo.txt", host: "WIN7SP1X64", product_id: "00392-918-5000002-85041", name: "Microsoft Windows 7 Enterprise", family: Windows7, release: None, build: 7601, arch: X64, service_pack: Some(1), kbs: 219, announced: Some(219), listed: 219, first: Some(2849697), last: Some(982018) },
    Expected { file: "7_sp1_x64_enterprise_en-us_B_systeminfo.txt", host: "WIN7SP1X64", product_id: "00392-918-5000002-85041", name: "Microsoft Windows 7 Enterprise", family: Windows7, release: None, build: 7601, arch: X64, service_pack: Some(1), kbs: 245, announced: Some(271), listed: 246, first: Some(2849697), last: Some(3127220) },
    // French, UTF-16LE with BOM, a no-break space inside the OS name, "version 7601".
    Expected { file: "7_sp1_x64_enterprise_fr_systeminfo_powershell.txt", host: "WIN-IDKKFN87EL8", product_id: "00403-940-2250005-85085", name: "Microsoft Windows 7 Entreprise N", family: Windows7, release: None, build: 7601, arch: X64, service_pack: Some(1), kbs: 93, announced: Some(93), listed: 93, first: Some(2491683), last: Some(4493472) },
    // German, UTF-8; every KB listed twice; cut at "[24".
    Expected { file: "7_sp1_x64_ultimaten_de_systeminfo.txt", host: "OLI7-PC", product_id: "00426-OEM-xxxxxxxxx", name: "Microsoft Windows 7 Ultimate N", family: Windows7, release: None, build: 7601, arch: X64, service_pack: Some(1), kbs: 242, announced: Some(263), listed: 246, first: Some(2849697), last: Some(3162835) },
    Expected { file: "7_sp1_x86_enterprise_en-us_systeminfo.txt", host: "WIN7SP1X86", product_id: "00392-918-5000002-85428", name: "Microsoft Windows 7 Enterprise", family: Windows7, release: None, build: 7601, arch: X86, service_pack: Some(1), kbs: 2, announced: Some(2), listed: 2, first: Some(2534111), last: Some(976902) },
    Expected { file: "8.1_u1_x64_enterprise_en-us_systeminfo.txt", host: "WIN81U1X64", product_id: "00261-30000-00000-AA825", name: "Microsoft Windows 8.1 Enterprise", family: Windows81, release: None, build: 9600, arch: X64, service_pack: None, kbs: 6, announced: Some(6), listed: 6, first: Some(2919355), last: Some(2949621) },
    // "[01]: File 1", "[02]: Q147222", "[03]: KB893803v2 - Update".
    Expected { file: "srv_2003_rtm_x86_standard_en-us_systeminfo.txt", host: "WINSRV2K3SP0X86", product_id: "69712-641-3792491-45378", name: "Microsoft(R) Windows(R) Server 2003, Standard Edition", family: WindowsServer2003, release: None, build: 3790, arch: X86, service_pack: None, kbs: 2, announced: Some(3), listed: 3, first: Some(147222), last: Some(893803) },
    Expected { file: "srv_2003_sp1_x64_standard_en-us_systeminfo.txt", host: "WINSRV2K3SP1X64", product_id: "76869-640-5826446-50010", name: "Microsoft(R) Windows(R) Server 2003 Standard x64 Edition", family: WindowsServer2003, release: None, build: 3790, arch: X64, service_pack: Some(1), kbs: 1, announced: Some(1), listed: 1, first: Some(147222), last: Some(147222) },
    Expected { file: "srv_2003r2_sp2_rtm_x64_standard_en-us_systeminfo.txt", host: "SRV2K3R2SP2X64", product_id: "76869-645-2050867-50087", name: "Microsoft(R) Windows(R) Server 2003 Standard x64 Edition", family: WindowsServer2003, release: None, build: 3790, arch: X64, service_pack: Some(2), kbs: 1, announced: Some(1), listed: 1, first: Some(147222), last: Some(147222) },
    // 352 announced, 240 listed, the last cut to "[240]: KB2862".
    Expected { file: "srv_2003r2_sp2_x86_standard_en-us_systeminfo.txt", host: "SRV2K3R2SP2X86", product_id: "69712-652-4256684-45431", name: "Microsoft(R) Windows(R) Server 2003, Standard Edition", family: WindowsServer2003, release: None, build: 3790, arch: X86, service_pack: Some(2), kbs: 68, announced: Some(352), listed: 240, first: Some(147222), last: Some(2862152) },
    // "Microsoft®" as cmd.exe best-fits it: "Microsoftr".
    Expected { file: "srv_2008_rtm_x64_standard_en-us_systeminfo.txt", host: "SRV2K8SP0X64", product_id: "92573-082-2500115-76417", name: "Microsoftr Windows Serverr 2008 Standard", family: WindowsServer2008, release: None, build: 6001, arch: X64, service_pack: Some(1), kbs: 1, announced: Some(1), listed: 1, first: Some(956250), last: Some(956250) },
    Expected { file: "srv_2008_rtm_x86_standard_en-us_systeminfo.txt", host: "SRV2K8SP0X86", product_id: "92573-082-2500115-76423", name: "Microsoftr Windows Serverr 2008 Standard", family: WindowsServer2008, release: None, build: 6001, arch: X86, service_pack: Some(1), kbs: 1, announced: Some(1), listed: 1, first: Some(956250), last: Some(956250) },
    Expected { file: "srv_2008r2_sp1_x64_standard_en-us_systeminfo.txt", host: "SRV2K8R2SP1X64", product_id: "00477-001-0000421-84164", name: "Microsoft Windows Server 2008 R2 Standard", family: WindowsServer2008R2, release: None, build: 7601, arch: X64, service_pack: Some(1), kbs: 2, announced: Some(2), listed: 2, first: Some(958488), last: Some(976902) },
    Expected { file: "srv_2016_1607_datacenter_en-us_systeminfo.txt", host: "MYSERVER", product_id: "00377-90931-50406-AA597", name: "Microsoft Windows Server 2016 Datacenter", family: WindowsServer2016, release: Some("1607"), build: 14393, arch: X64, service_pack: None, kbs: 5, announced: Some(5), listed: 5, first: Some(4049065), last: Some(4483229) },
    Expected { file: "srv_2019_rtm_datacenter_en-us_systeminfo.txt", host: "WIN-O863JARO7CM", product_id: "00430-70000-00001-AA890", name: "Microsoft Windows Server 2019 Datacenter", family: WindowsServer2019, release: Some("1809"), build: 17763, arch: X64, service_pack: None, kbs: 5, announced: Some(5), listed: 5, first: Some(4462930), last: Some(4480116) },
    Expected { file: "vista_x64_sp0_systeminfo.txt", host: "WINVISTASP0X64", product_id: "89586-236-0200203-71844", name: "Microsoftr Windows VistaT Enterprise", family: WindowsVista, release: None, build: 6000, arch: X64, service_pack: None, kbs: 103, announced: Some(105), listed: 105, first: Some(929399), last: Some(981349) },
    Expected { file: "vista_x64_sp1_systeminfo.txt", host: "WINVISTASP0X64", product_id: "89586-236-0200203-71844", name: "Microsoftr Windows VistaT Enterprise", family: WindowsVista, release: None, build: 6001, arch: X64, service_pack: Some(1), kbs: 171, announced: Some(174), listed: 174, first: Some(937286), last: Some(968930) },
    Expected { file: "vista_x64_sp2_systeminfo.txt", host: "WINVISTASP0X64", product_id: "89586-236-0200203-71844", name: "Microsoftr Windows VistaT Enterprise", family: WindowsVista, release: None, build: 6002, arch: X64, service_pack: Some(2), kbs: 172, announced: Some(175), listed: 175, first: Some(937286), last: Some(968930) },
    Expected { file: "xp_rtm_x86_professional_en-us_systeminfo.txt", host: "WINXPSP0", product_id: "55274-640-8935532-23337", name: "Microsoft Windows XP Professional", family: WindowsXp, release: None, build: 2600, arch: X86, service_pack: None, kbs: 2, announced: Some(3), listed: 3, first: Some(147222), last: Some(893803) },
    Expected { file: "xp_sp1_x86_systeminfo.txt", host: "WINXPSP1", product_id: "55274-640-8935532-23076", name: "Microsoft Windows XP Professional", family: WindowsXp, release: None, build: 2600, arch: X86, service_pack: Some(1), kbs: 2, announced: Some(3), listed: 3, first: Some(147222), last: Some(893803) },
    Expected { file: "xp_sp2_x86_systeminfo.txt", host: "WINXPSP2", product_id: "76487-011-3892913-22818", name: "Microsoft Windows XP Professional", family: WindowsXp, release: None, build: 2600, arch: X86, service_pack: Some(2), kbs: 1, announced: Some(1), listed: 1, first: Some(147222), last: Some(147222) },
    // 127 "File 1" entries; 262 announced, cut at "[221".
    Expected { file: "xp_sp3_x86_professional_en-us_systeminfo.txt", host: "WINXPSP3", product_id: "76487-640-8935532-23414", name: "Microsoft Windows XP Professional", family: WindowsXp, release: None, build: 2600, arch: X86, service_pack: Some(3), kbs: 93, announced: Some(262), listed: 221, first: Some(147222), last: Some(946648) },
];

#[test]
fn every_systeminfo_file_reads_as_written() {
    let mut failures = Vec::new();
    for e in SYSTEMINFO {
        let bytes = data(e.file);
        assert_eq!(detect(&bytes), Some(Format::Systeminfo), "{}", e.file);
        let parsed = match systeminfo::parse(&bytes) {
            Ok(mut p) if p.len() == 1 => p.remove(0),
            other => {
                failures.push(format!("{}: {other:?}", e.file));
                continue;
            }
        };
        let m = &parsed.machine;
        let actual = (
            m.host.as_str(),
            m.identity.clone(),
            m.os.name.as_str(),
            m.os.family,
            m.os.release.as_deref(),
            m.os.build,
            m.os.revision,
            m.os.arch,
            m.os.service_pack,
            m.installed_kbs.len(),
            parsed.hotfixes_announced,
            parsed.hotfixes_listed,
        );
        let expected = (
            e.host,
            format!("{}|{}", e.host, e.product_id),
            e.name,
            e.family,
            e.release,
            e.build,
            None,
            e.arch,
            e.service_pack,
            e.kbs,
            e.announced,
            e.listed,
        );
        if actual != expected {
            failures.push(format!(
                "{}:\n  actual   {actual:?}\n  expected {expected:?}",
                e.file
            ));
        }
        for n in [e.first, e.last].into_iter().flatten() {
            if !m.installed_kbs.contains(&kb(n)) {
                failures.push(format!("{}: KB{n} missing", e.file));
            }
        }
        assert_eq!(
            parsed.hotfix_list_truncated(),
            e.announced.is_some_and(|a| a > e.listed),
            "{}",
            e.file
        );
        assert!(m.applications.is_empty());
        // parse() gives the same machine.
        assert_eq!(
            parse(&bytes),
            Ok(Parsed::Machines(vec![m.clone()])),
            "{}",
            e.file
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} files differ:\n{}",
        failures.len(),
        SYSTEMINFO.len(),
        failures.join("\n")
    );
}

#[test]
fn every_data_file_is_in_a_table() {
    let dir = format!("{}/tests/data", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let known: BTreeSet<&str> = SYSTEMINFO
        .iter()
        .map(|e| e.file)
        .chain(QFE.iter().map(|q| q.0))
        .collect();
    let unknown: Vec<&String> = names
        .iter()
        .filter(|n| !known.contains(n.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "files without expectations: {unknown:?}"
    );
    assert_eq!(names.len(), 48);
}

/// A systeminfo with neither a Host Name nor a Product ID names no machine.
#[test]
fn a_systeminfo_without_host_name_or_product_id_is_refused_with_the_reason() {
    let text =
        String::from_utf8(data("10_1803_x64_enterprise_es-ar_20190307_systeminfo.txt")).unwrap();
    let without_product_id = text.replace("00329-10180-00000-AA626", "");
    let err = parse(without_product_id.as_bytes()).unwrap_err();
    assert!(
        matches!(
            err,
            InventoryError::MissingField {
                field: "Host Name",
                ..
            }
        ),
        "{err:?}"
    );
}

/// qfe files: host (CSName column), distinct KBs, smallest and largest KB, read by hand.
#[rustfmt::skip]
const QFE: &[(&str, Option<&str>, usize, u32, u32)] = &[
    ("10_1803_x64_proforworkstations_en-us_A_20190305_qfe.txt", None, 4, 4462930, 4487038),
    ("10_1809_x64_pro_en-us_20190307_qfe.txt", None, 5, 4470788, 4487038),
    ("7_sp1_x64_enterprise_en-us_20190305_qfe.txt", None, 276, 958488, 4467107),
    ("7_sp1_x64_enterprise_en-us_B_qfe.txt", Some("WIN7SP1X64"), 271, 958488, 4467107),
    // One {GUID} row; some ids without "KB" ("943729").
    ("vista_x64_sp1_qfe.txt", Some("WINVISTASP0X64"), 173, 925902, 2555917),
    ("vista_x64_sp2_qfe.txt", Some("WINVISTASP0X64"), 174, 925902, 2555917),
    // ASCII, "\r\r\n" line ends, the WMIC banner glued to the header.
    ("xp_rtm_x86_professional_en-us_qfe.txt", Some("WINXPSP0"), 2, 147222, 893803),
    ("xp_sp1_x86_qfe.txt", Some("WINXPSP1"), 2, 147222, 893803),
    // ASCII banner followed by UTF-16LE without BOM.
    ("xp_sp2_x86_qfe.txt", Some("WINXPSP2"), 1, 147222, 147222),
    // "File 1" rows carry their KB in ServicePackInEffect.
    ("xp_sp3_x86_professional_en-us_qfe.txt", Some("WINXPSP3"), 135, 147222, 2934207),
];

#[test]
fn every_qfe_file_reads_as_written() {
    for &(file, host, count, min, max) in QFE {
        let bytes = data(file);
        assert_eq!(detect(&bytes), Some(Format::Qfe), "{file}");
        let table = qfe::parse(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        let actual = (
            table.host.as_deref(),
            table.kbs.len(),
            table.kbs.first().map(|k| k.number()),
            table.kbs.last().map(|k| k.number()),
        );
        assert_eq!(actual, (host, count, Some(min), Some(max)), "{file}");
        assert_eq!(
            parse(&bytes),
            Ok(Parsed::Hotfixes {
                host: table.host.clone(),
                kbs: table.kbs.clone()
            }),
            "{file}"
        );
    }
    let vista = qfe::parse(&data("vista_x64_sp1_qfe.txt")).unwrap();
    assert!(vista.kbs.contains(&kb(943729)));
    let xp = qfe::parse(&data("xp_sp3_x86_professional_en-us_qfe.txt")).unwrap();
    assert!(
        xp.kbs.contains(&kb(2115168)),
        "the KB of the first File 1 row"
    );
}

fn one_machine(files: &[&str]) -> Result<kbgap_domain::MachineInventory, InventoryError> {
    merge_one_machine(files.iter().map(|f| parse(&data(f)).unwrap()).collect())
}

#[test]
fn merging_a_truncated_systeminfo_with_its_qfe_gives_the_union() {
    // 245 KBs listed of 273 announced; the qfe lists 276 (the 245 among them).
    let m = one_machine(&[
        "7_sp1_x64_enterprise_en-us_20190305_systeminfo.txt",
        "7_sp1_x64_enterprise_en-us_20190305_qfe.txt",
    ])
    .unwrap();
    assert_eq!(m.host, "WIN7SP1X64");
    assert_eq!(m.installed_kbs.len(), 276);
    assert!(m.installed_kbs.contains(&kb(3127220)) && m.installed_kbs.contains(&kb(4467107)));
    // The qfe with a CSName column names the same host.
    let m = one_machine(&[
        "7_sp1_x64_enterprise_en-us_B_qfe.txt",
        "7_sp1_x64_enterprise_en-us_B_systeminfo.txt",
    ])
    .unwrap();
    assert_eq!(m.installed_kbs.len(), 271);
    let m = one_machine(&[
        "10_1809_x64_pro_en-us_20190307_systeminfo.txt",
        "10_1809_x64_pro_en-us_20190307_qfe.txt",
    ])
    .unwrap();
    assert_eq!(m.installed_kbs.len(), 5);
}

#[test]
fn merging_refuses_other_hosts_and_other_counts() {
    let err = one_machine(&[
        "xp_sp2_x86_systeminfo.txt",
        "xp_sp3_x86_professional_en-us_qfe.txt",
    ])
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "part 2: the hotfix table is for host WINXPSP3, but the machine is WINXPSP2"
    );
    let err = one_machine(&["xp_sp2_x86_qfe.txt"]).unwrap_err();
    assert_eq!(err, InventoryError::NotOneMachine { found: 0 });
    let err = one_machine(&["xp_sp2_x86_systeminfo.txt", "xp_sp1_x86_systeminfo.txt"]).unwrap_err();
    assert_eq!(err, InventoryError::NotOneMachine { found: 2 });
    // XP's "Q147222" in both listings: the same KB.
    let m = one_machine(&["xp_sp2_x86_systeminfo.txt", "xp_sp2_x86_qfe.txt"]).unwrap();
    assert_eq!(
        m.installed_kbs
            .iter()
            .map(|k| k.number())
            .collect::<Vec<_>>(),
        vec![147222]
    );
}
