//! MSRC product names → Defender software ids, kinds and platforms.
//!
//! Defender reports products by software id (`microsoft-_-windows_10`,
//! `microsoft-_-internet_explorer`); MSRC names them by full product name ("Internet Explorer
//! 11 on Windows 10 Version 1909 for x64-based Systems"). No public table maps one to the
//! other, so kbgap keeps its own, here, in one place:
//!
//! 1. An operating-system name ("Windows 10 Version 1909 for x64-based Systems", "Windows
//!    Server, version 1909 (Server Core installation)", "Microsoft Windows XP Service Pack 3")
//!    is parsed into an [`OsTarget`] (family, release, architecture, service pack, Server
//!    Core) by a small grammar: the family spellings in [`OS_FAMILIES`], then qualifiers
//!    (`Version X`, `, version X`, `, 23H2 Edition`, `for <arch> Systems`, `x64 Edition`,
//!    `Service Pack N`, `(Server Core installation)`, edition words such as "Media Center
//!    Edition 2005" or "Datacenter: Azure Edition", which do not change the target). A name with any
//!    other word ("Windows 10 HLK Version 22H2", "Windows 10 Version 1607 for HoloLens",
//!    "Windows Terminal") is not an operating system.
//! 2. `<X> on <OS>` (also `<X> when installed on <OS>`, `<X> installed on <OS>`) is X running
//!    on that OS: its platform is the OS, X is looked up in [`PRODUCT_RULES`] and is a
//!    [`ProductKind::Component`] unless its rule says otherwise (Silverlight is installed
//!    separately, so an application).
//! 3. Any other name is looked up in [`PRODUCT_RULES`]; without a rule it is an application
//!    named by a slug of its words before the first version, qualifier or parenthesis
//!    ("Microsoft Exchange Server 2019 Cumulative Update 12" → `microsoft-_-exchange_server`,
//!    versions `["2019"]`), vendor Microsoft.
//!
//! Decisions worth knowing:
//! - Names without an architecture: Windows XP, Vista and Server 2003 name their 64-bit
//!   editions ("x64 Edition"), so a bare name is x86; servers from 2012 on are x64 only and
//!   stay `arch: None`.
//! - The release a name leaves implicit is made explicit: "Windows 10 for 32-bit Systems" is
//!   1507, "Windows 11 for x64-based Systems" 21H2, "Windows Server 2019" 1809.
//! - "Windows Server 2022, 23H2 Edition" is family Server 2022 with release 23H2.
//! - Windows 2000 and Windows RT (8.0) have no [`OsFamily`]: they are operating systems
//!   (`windows_2000`, `windows_rt`) without a platform, so no machine matches them.
//! - `Microsoft Edge (Chromium-based) in IE Mode on <OS>` is the IE engine (MSHTML) hosted by
//!   Edge and serviced by the OS update: `internet_explorer`, a component.
//! - "Microsoft 365 Apps for Enterprise" and its former name "Office 365 ProPlus" are
//!   `365_apps` (the NVD CPE product), distinct from the MSI-based `office` 2010–2021.
//! - HoloLens, HLK, ADK and Windows PE add-on are applications, never an OS of a machine.

use kbgap_domain::{Arch, OsFamily, OsTarget, ProductInfo, ProductKind, SoftwareId};

use crate::names::normalize_product_name;

/// One line of the product table: names matching `pattern` are `vendor`-`_`-`product`.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Matched case-insensitively against the start of the name; `*` matches any text; the
    /// match must end at the end of the name or before a non-alphanumeric character, and at
    /// the end of the name exactly when the pattern ends with `$`.
    pub pattern: &'static str,
    pub vendor: &'static str,
    /// The product part of the software id; empty to derive it from the words after the
    /// pattern (vendor-only rules such as `Nuance`).
    pub product: &'static str,
    /// `None`: a component when named `on <OS>`, else an application.
    pub kind: Option<ProductKind>,
}

const fn component(pattern: &'static str, vendor: &'static str, product: &'static str) -> Rule {
    Rule {
        pattern,
        vendor,
        product,
        kind: Some(ProductKind::Component),
    }
}

const fn app(pattern: &'static str, vendor: &'static str, product: &'static str) -> Rule {
    Rule {
        pattern,
        vendor,
        product,
        kind: Some(ProductKind::Application),
    }
}

/// A rule that names the product but lets the context decide its kind.
const fn named(pattern: &'static str, vendor: &'static str, product: &'static str) -> Rule {
    Rule {
        pattern,
        vendor,
        product,
        kind: None,
    }
}

/// The product table, first match wins. Names that match no rule get a slug of their words
/// (see the module docs).
pub static PRODUCT_RULES: &[Rule] = &[
    // Components: shipped with Windows or serviced through it, named "<X> on <OS>".
    component("Internet Explorer", "microsoft", "internet_explorer"),
    component(
        "Microsoft Internet Explorer",
        "microsoft",
        "internet_explorer",
    ),
    component(
        "Windows Internet Explorer",
        "microsoft",
        "internet_explorer",
    ),
    component("Microsoft Edge (EdgeHTML-based)", "microsoft", "edge"),
    component("Microsoft Edge (HTML-based)", "microsoft", "edge"),
    component(
        "Microsoft Edge (Chromium-based) in IE Mode",
        "microsoft",
        "internet_explorer",
    ),
    component("Microsoft Edge$", "microsoft", "edge"),
    component("Microsoft .NET Framework", "microsoft", ".net_framework"),
    component(".NET Framework", "microsoft", ".net_framework"),
    component("Adobe Flash Player", "adobe", "flash_player"),
    component(
        "Microsoft XML Core Services",
        "microsoft",
        "xml_core_services",
    ),
    component("VBScript", "microsoft", "vbscript"),
    component("JScript", "microsoft", "jscript"),
    named(
        "Microsoft Defender for Endpoint",
        "microsoft",
        "defender_for_endpoint",
    ),
    // Applications: installed separately, products of a machine only when listed.
    app(
        "Microsoft Edge (Chromium-based)",
        "microsoft",
        "edge_chromium-based",
    ),
    app(
        "Microsoft Edge for Android",
        "microsoft",
        "edge_for_android",
    ),
    app("Microsoft Edge for iOS", "microsoft", "edge_for_ios"),
    app("Microsoft 365 Apps", "microsoft", "365_apps"),
    app("Office 365 ProPlus", "microsoft", "365_apps"),
    app("Microsoft Office *for Mac", "microsoft", "office_for_mac"),
    app("Microsoft Office Web Apps", "microsoft", "office_web_apps"),
    app(
        "Microsoft Office Online Server",
        "microsoft",
        "office_online_server",
    ),
    app("Office Online Server", "microsoft", "office_online_server"),
    app(
        "Microsoft Office Compatibility Pack",
        "microsoft",
        "office_compatibility_pack",
    ),
    app("Microsoft Office", "microsoft", "office"),
    app(
        "Microsoft SharePoint Enterprise Server",
        "microsoft",
        "sharepoint_server",
    ),
    app(
        "Microsoft SharePoint Server",
        "microsoft",
        "sharepoint_server",
    ),
    app("SharePoint Server", "microsoft", "sharepoint_server"),
    app(
        "Microsoft SQL Server Management Studio",
        "microsoft",
        "sql_server_management_studio",
    ),
    app(
        "SQL Server Management Studio",
        "microsoft",
        "sql_server_management_studio",
    ),
    app("Microsoft SQL Server", "microsoft", "sql_server"),
    app("SQL Server", "microsoft", "sql_server"),
    app("Microsoft Exchange Server", "microsoft", "exchange_server"),
    app(
        "Microsoft Visual Studio Code",
        "microsoft",
        "visual_studio_code",
    ),
    app("Visual Studio Code", "microsoft", "visual_studio_code"),
    app("Microsoft Visual Studio", "microsoft", "visual_studio"),
    app("Visual Studio", "microsoft", "visual_studio"),
    app("Skype for Business", "microsoft", "skype_for_business"),
    app("Microsoft Dynamics 365", "microsoft", "dynamics_365"),
    app("Dynamics 365", "microsoft", "dynamics_365"),
    app("Microsoft Silverlight", "microsoft", "silverlight"),
    app("Windows *for HoloLens", "microsoft", "hololens"),
    app("Windows *HLK", "microsoft", "windows_hlk"),
    app("Windows ADK", "microsoft", "windows_adk"),
    app("Windows PE add-on", "microsoft", "windows_pe_add-on"),
    app(
        "Windows Malicious Software Removal Tool",
        "microsoft",
        "malicious_software_removal_tool",
    ),
    app(
        "Windows Subsystem for Linux",
        "microsoft",
        "windows_subsystem_for_linux",
    ),
    app("CBL Mariner", "microsoft", "cbl-mariner"),
    app("CBL-Mariner", "microsoft", "cbl-mariner"),
    app("cm1", "microsoft", "cbl-mariner"),
    app("cm2", "microsoft", "cbl-mariner"),
    app("cbl2", "microsoft", "cbl-mariner"),
    app("*on CBL Mariner", "microsoft", "cbl-mariner"),
    app("Azure Linux", "microsoft", "azure_linux"),
    app("azl3", "microsoft", "azure_linux"),
    app("*on Azure Linux", "microsoft", "azure_linux"),
    named("Nuance", "nuance", ""),
    named("GitHub", "github", ""),
];

/// How an operating system's family is spelled after "Windows " (or "Microsoft Windows "),
/// longest first; the software name for families the domain has no [`OsFamily`] for.
pub static OS_FAMILIES: &[(&str, Option<OsFamily>, &str)] = &[
    ("Server 2003 R2", Some(OsFamily::WindowsServer2003), ""),
    ("Server 2003", Some(OsFamily::WindowsServer2003), ""),
    ("Server 2008 R2", Some(OsFamily::WindowsServer2008R2), ""),
    ("Server 2008", Some(OsFamily::WindowsServer2008), ""),
    ("Server 2012 R2", Some(OsFamily::WindowsServer2012R2), ""),
    ("Server 2012", Some(OsFamily::WindowsServer2012), ""),
    ("Server 2016", Some(OsFamily::WindowsServer2016), ""),
    ("Server 2019", Some(OsFamily::WindowsServer2019), ""),
    ("Server 2022", Some(OsFamily::WindowsServer2022), ""),
    ("Server 2025", Some(OsFamily::WindowsServer2025), ""),
    ("Server", Some(OsFamily::WindowsServerSac), ""),
    ("XP", Some(OsFamily::WindowsXp), ""),
    ("Vista", Some(OsFamily::WindowsVista), ""),
    ("7", Some(OsFamily::Windows7), ""),
    ("8.1", Some(OsFamily::Windows81), ""),
    ("8", Some(OsFamily::Windows8), ""),
    ("RT 8.1", Some(OsFamily::WindowsRt81), ""),
    ("RT", None, "windows_rt"),
    ("10", Some(OsFamily::Windows10), ""),
    ("11", Some(OsFamily::Windows11), ""),
    ("2000", None, "windows_2000"),
];

/// Classifies an MSRC full product name. Total: any text gives an answer.
pub fn classify_product(name: &str) -> ProductInfo {
    let name = normalize_product_name(name).into_owned();
    if let Some(os) = parse_os(&name) {
        return ProductInfo {
            software: SoftwareId::microsoft(os.software),
            kind: ProductKind::OperatingSystem,
            platform: os.target,
            versions: Vec::new(),
            name,
        };
    }
    if let Some((left, os)) = split_on_os(&name) {
        let (software, kind, versions) = lookup(left, ProductKind::Component);
        return ProductInfo {
            software,
            kind,
            platform: os.target,
            versions,
            name,
        };
    }
    let (software, kind, versions) = lookup(&name, ProductKind::Application);
    ProductInfo {
        software,
        kind,
        platform: None,
        versions,
        name,
    }
}

/// The operating system an MSRC product name denotes, if it is one.
pub fn parse_os_target(name: &str) -> Option<OsTarget> {
    parse_os(&normalize_product_name(name))?.target
}

struct OsName {
    software: &'static str,
    target: Option<OsTarget>,
}

fn lookup(name: &str, default_kind: ProductKind) -> (SoftwareId, ProductKind, Vec<String>) {
    for rule in PRODUCT_RULES {
        if glob(rule.pattern, name).is_some() {
            let literal = rule
                .pattern
                .split(['*', '$'])
                .next()
                .unwrap_or_default()
                .len()
                .min(name.len());
            let rest = name.get(literal..).unwrap_or_default();
            let kind = rule.kind.unwrap_or(default_kind);
            if rule.product.is_empty() {
                let (product, versions) = slug(rest);
                return (software_id(rule.vendor, &product), kind, versions);
            }
            return (software_id(rule.vendor, rule.product), kind, versions(rest));
        }
    }
    let rest = strip_prefix_ci(name, "Microsoft ").unwrap_or(name);
    let (product, versions) = slug(rest);
    (software_id("microsoft", &product), default_kind, versions)
}

/// A software id that survives `Display` and `SoftwareId::parse`: lower case, words joined by
/// `_`, no `-_-` inside a part, never an empty part.
fn software_id(vendor: &str, product: &str) -> SoftwareId {
    let norm = |s: &str, default: &str| {
        let mut s = s
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("_")
            .to_lowercase();
        while s.contains("-_-") {
            s = s.replace("-_-", "_");
        }
        if s.is_empty() { default.to_string() } else { s }
    };
    SoftwareId::new(&norm(vendor, "microsoft"), &norm(product, "unknown"))
}

/// Words that end the product part of a name and, except "version", its versions
/// (`next` is the word after `word`: "Service" ends it only in "Service Pack").
fn is_qualifier(word: &str, next: Option<&str>) -> bool {
    word.eq_ignore_ascii_case("version") || ends_versions(word, next)
}

fn ends_versions(word: &str, next: Option<&str>) -> bool {
    const WORDS: [&str; 7] = ["for", "on", "when", "installed", "cumulative", "-", "?"];
    WORDS.iter().any(|w| word.eq_ignore_ascii_case(w))
        || word == "–"
        || (word.eq_ignore_ascii_case("service")
            && next.is_some_and(|n| n.eq_ignore_ascii_case("pack")))
}

fn starts_with_digit(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_digit())
}

/// The product words of a name (up to the first version, qualifier, comma or parenthesis),
/// as a slug, and the versions after them.
fn slug(text: &str) -> (String, Vec<String>) {
    let mut words: Vec<&str> = Vec::new();
    let mut consumed = 0;
    let mut iter = text.split(' ').peekable();
    while let Some(word) = iter.next() {
        if word.is_empty() {
            consumed += 1;
            continue;
        }
        let next = iter.peek().copied();
        if !words.is_empty()
            && (starts_with_digit(word) || word.starts_with('(') || is_qualifier(word, next))
        {
            break;
        }
        consumed += word.len() + 1;
        if let Some(w) = word.strip_suffix(',') {
            words.push(w);
            break;
        }
        words.push(word);
    }
    let product = words.join(" ").to_lowercase();
    let rest = text.get(consumed.min(text.len())..).unwrap_or_default();
    (product, versions(rest))
}

/// The version tokens of a name part: digit-led words up to the first qualifier other than
/// "version" (so "Visual Studio 2019 version 16.11" has 2019 and 16.11), skipping
/// parenthesized text, split on `/` ("3.5 AND 4.7.2" → 3.5, 4.7.2; "4.6/4.6.1" → 4.6, 4.6.1).
fn versions(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut depth: usize = 0;
    let mut iter = text.split(' ').filter(|w| !w.is_empty()).peekable();
    while let Some(word) = iter.next() {
        let opens = word.matches('(').count();
        let closes = word.matches(')').count();
        if depth > 0 || opens > 0 {
            depth = (depth + opens).saturating_sub(closes);
            continue;
        }
        if ends_versions(word, iter.peek().copied()) {
            break;
        }
        if starts_with_digit(word) {
            for piece in word.trim_end_matches([',', ';', ':']).split('/') {
                if starts_with_digit(piece) && !out.iter().any(|v| v == piece) {
                    out.push(piece.to_string());
                }
            }
        }
    }
    out
}

/// `<X> on <OS>`: X and the OS, when the text after some " on " is an operating system.
fn split_on_os(name: &str) -> Option<(&str, OsName)> {
    for (i, _) in name.match_indices(" on ") {
        if let Some(os) = parse_os(&name[i + 4..]) {
            let mut left = &name[..i];
            for suffix in [" when installed", " installed"] {
                if let Some(l) = strip_suffix_ci(left, suffix) {
                    left = l;
                    break;
                }
            }
            return Some((left, os));
        }
    }
    None
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn strip_suffix_ci<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let start = text.len().checked_sub(suffix.len())?;
    let tail = text.get(start..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &text[..start])
}

/// `prefix` as a whole word (or words) at the start of `text`.
fn strip_word_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = strip_prefix_ci(text, prefix)?;
    (rest.is_empty() || rest.starts_with([' ', ',', '('])).then_some(rest)
}

/// The next word of `text` and the text after it.
fn next_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    let end = text.find([' ', ',']).unwrap_or(text.len());
    (&text[..end], &text[end..])
}

fn parse_arch(word: &str) -> Option<Arch> {
    if word.eq_ignore_ascii_case("arm") {
        return Some(Arch::Arm64);
    }
    Arch::parse_loose(word)
}

fn parse_os(name: &str) -> Option<OsName> {
    let rest = strip_prefix_ci(name, "Microsoft ").unwrap_or(name);
    let rest = strip_prefix_ci(rest, "Windows ")?;
    let (mut t, family, software) =
        OS_FAMILIES
            .iter()
            .find_map(|(spelling, family, software)| {
                strip_word_ci(rest, spelling).map(|after| (after, *family, *software))
            })?;

    let mut release: Option<String> = None;
    let mut arch: Option<Arch> = None;
    let mut service_pack: Option<u8> = None;
    let mut server_core = false;
    loop {
        t = t.trim_start_matches([' ', ',']);
        if t.is_empty() || t.starts_with("- ") {
            break;
        }
        if let Some(r) = strip_prefix_ci(t, "version ") {
            let (word, after) = next_word(r);
            if word.is_empty() || !word.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return None;
            }
            release = Some(word.to_ascii_uppercase());
            t = after;
        } else if let Some(r) = strip_prefix_ci(t, "for ") {
            let (word, after) = next_word(r);
            arch = Some(parse_arch(word)?);
            let (next, after_next) = next_word(after);
            t = if next.eq_ignore_ascii_case("systems") || next.eq_ignore_ascii_case("editions") {
                after_next
            } else {
                after
            };
        } else if let Some(r) = strip_prefix_ci(t, "service pack ") {
            let (word, after) = next_word(r);
            service_pack = Some(word.parse().ok()?);
            t = after;
        } else if let Some(r) = strip_prefix_ci(t, "(server core installation)") {
            server_core = true;
            t = r;
        } else if let Some(r) = strip_prefix_ci(t, "professional x64 edition")
            .or_else(|| strip_prefix_ci(t, "x64 edition"))
        {
            arch = Some(Arch::X64);
            t = r;
        } else if let Some(r) = strip_prefix_ci(t, "media center edition 2005")
            .or_else(|| strip_prefix_ci(t, "tablet pc edition 2005"))
            .or_else(|| strip_prefix_ci(t, "datacenter: azure edition"))
            .or_else(|| strip_prefix_ci(t, "professional"))
        {
            t = r;
        } else {
            // ", 23H2 Edition"
            let (word, after) = next_word(t);
            let (next, after_next) = next_word(after);
            if next.eq_ignore_ascii_case("edition")
                && word.bytes().all(|b| b.is_ascii_alphanumeric())
                && starts_with_digit(word)
            {
                release = Some(word.to_ascii_uppercase());
                t = after_next;
            } else {
                return None;
            }
        }
        if !(t.is_empty() || t.starts_with([' ', ','])) {
            return None;
        }
    }

    let Some(family) = family else {
        return Some(OsName {
            software,
            target: None,
        });
    };
    if arch.is_none()
        && matches!(
            family,
            OsFamily::WindowsXp | OsFamily::WindowsVista | OsFamily::WindowsServer2003
        )
    {
        arch = Some(Arch::X86);
    }
    let release = release.or_else(|| family.implicit_release().map(str::to_string));
    Some(OsName {
        software: family.software_name(),
        target: Some(OsTarget {
            family,
            release,
            arch,
            service_pack,
            server_core,
        }),
    })
}

/// Whether `pattern` matches the start of `text` (see [`Rule::pattern`]); the end of the
/// match.
fn glob(pattern: &str, text: &str) -> Option<usize> {
    fn go(p: &[u8], t: &[u8], at: usize) -> Option<usize> {
        match p.split_first() {
            None => {
                let boundary = at == t.len() || !t[at].is_ascii_alphanumeric();
                boundary.then_some(at)
            }
            Some((b'$', [])) => (at == t.len()).then_some(at),
            Some((b'*', rest)) => (at..=t.len()).find_map(|i| go(rest, t, i)),
            Some((c, rest)) => {
                if at < t.len() && t[at].eq_ignore_ascii_case(c) {
                    go(rest, t, at + 1)
                } else {
                    None
                }
            }
        }
    }
    go(pattern.as_bytes(), text.as_bytes(), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(name: &str) -> OsTarget {
        let info = classify_product(name);
        assert_eq!(info.kind, ProductKind::OperatingSystem, "{name}");
        info.platform
            .unwrap_or_else(|| panic!("no platform for {name}"))
    }

    #[test]
    fn glob_patterns() {
        assert_eq!(glob("Microsoft Office", "Microsoft Office 2016"), Some(16));
        assert_eq!(glob("Microsoft Office", "Microsoft Officer"), None);
        assert_eq!(glob("microsoft edge$", "Microsoft Edge"), Some(14));
        assert_eq!(glob("Microsoft Edge$", "Microsoft Edge for iOS"), None);
        assert!(glob("Microsoft Office *for Mac", "Microsoft Office for Mac").is_some());
        assert!(glob("Microsoft Office *for Mac", "Microsoft Office 2016 for Mac").is_some());
        assert!(glob("Windows *HLK", "Windows 10 HLK Version 22H2").is_some());
        assert!(
            glob(
                "*on Azure Linux",
                "zip-3.0-6.azl3.x86_64.rpm on Azure Linux 3.0 x64"
            )
            .is_some()
        );
    }

    #[test]
    fn os_qualifiers() {
        let t = os("Windows 11 Version 25H2 for ARM systems");
        assert_eq!(
            (t.release.as_deref(), t.arch),
            (Some("25H2"), Some(Arch::Arm64))
        );
        let t = os("Windows 11 Version 26H1 for x64-based Systems - extra");
        assert_eq!(
            (t.release.as_deref(), t.arch),
            (Some("26H1"), Some(Arch::X64))
        );
        let t = os("Windows 11 version 21H2 for x64-based Systems");
        assert_eq!(t.release.as_deref(), Some("21H2"));
        let t = os("Microsoft Windows XP Professional x64 Edition Service Pack 2");
        assert_eq!(
            (t.family, t.arch, t.service_pack),
            (OsFamily::WindowsXp, Some(Arch::X64), Some(2))
        );
        let t = os("Microsoft Windows XP Tablet PC Edition 2005 Service Pack 3");
        assert_eq!((t.arch, t.service_pack), (Some(Arch::X86), Some(3)));
        let t = os("Windows Server 2008 R2 for Itanium-based Systems Service Pack 2");
        assert_eq!(
            (t.family, t.arch, t.service_pack),
            (OsFamily::WindowsServer2008R2, Some(Arch::Itanium), Some(2))
        );
        let t = os("Windows Server 2012 R2 (server core installation)");
        assert!(t.server_core);
        let t = os("Microsoft Windows Server 2003 R2 x64 Edition Service Pack 2");
        assert_eq!(
            (t.family, t.arch),
            (OsFamily::WindowsServer2003, Some(Arch::X64))
        );
    }

    #[test]
    fn not_operating_systems() {
        for name in [
            "Windows 10 HLK Version 22H2",
            "Windows 10 Version 1607 for HoloLens",
            "Windows ADK for Windows 10, version 1607",
            "Windows Terminal for Windows 10",
            "Microsoft Windows SharePoint Services 3.0 Service Pack 2 (64-bit version)",
            "Windows Server 2019 Datacenter Foo",
            "Windows Embedded CE 6.0",
        ] {
            assert_ne!(
                classify_product(name).kind,
                ProductKind::OperatingSystem,
                "{name}"
            );
        }
    }

    #[test]
    fn slugs_and_versions() {
        assert_eq!(
            slug("Exchange Server 2019 Cumulative Update 12"),
            ("exchange server".into(), vec!["2019".into()])
        );
        assert_eq!(
            slug("PowerScribe One version 2019.1"),
            ("powerscribe one".into(), vec!["2019.1".into()])
        );
        assert_eq!(versions(" 3.5 AND 4.7.2"), ["3.5", "4.7.2"]);
        assert_eq!(
            versions(" 4.6/4.6.1/4.6.2/4.7"),
            ["4.6", "4.6.1", "4.6.2", "4.7"]
        );
        assert_eq!(versions(" 2016 (64-bit edition)"), ["2016"]);
        assert_eq!(versions(" (on-premises) version 9.1"), ["9.1"]);
        assert_eq!(versions(" 3.0 Service Pack 2"), ["3.0"]);
        assert_eq!(
            slug("Azure Service Fabric 9.1 for Windows"),
            ("azure service fabric".into(), vec!["9.1".into()])
        );
    }

    #[test]
    fn odd_input_is_classified() {
        for name in [
            "",
            " ",
            "-_-",
            "on Windows 10",
            "Windows",
            "Windows 10 on Windows 10",
            "(((",
            "Microsoft",
        ] {
            let info = classify_product(name);
            let id = info.software.to_string();
            assert_eq!(
                SoftwareId::parse(&id).as_ref(),
                Some(&info.software),
                "{name:?} → {id}"
            );
        }
    }
}
