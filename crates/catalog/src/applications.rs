//! Installed programs → the catalog products they make a machine run.
//!
//! An inventory lists programs as the Windows `Uninstall` keys name them ("Microsoft Office
//! Professional Plus 2016", "Microsoft SQL Server 2019 (64-bit)", "Microsoft .NET Framework
//! 4.8"); MSRC lists updates per product under other names ("Microsoft Word 2016 (64-bit
//! edition)", "Microsoft SQL Server 2019 for x64-based Systems (GDR)"). Nothing public maps one
//! to the other, so this module keeps the map as data, in one table ([`APPLICATION_RULES`]),
//! each row tested against real names:
//!
//! 1. A program name is matched against the rules' `program` patterns, first match wins
//!    (installed updates and evidence first, then specific products, then suite fallbacks).
//! 2. A matching rule names catalog product *stems* ("Microsoft Word {year}"). A catalog
//!    product belongs to the stem when its name is the stem followed only by qualifiers this
//!    module understands: a service pack, a bitness ("(64-bit edition)", "for x64-based
//!    Systems"), a SQL Server track ("(GDR)", "(CU 22)"), a cumulative update or rollup, a
//!    Visual Studio version. Any other word ("Click-to-Run (C2R)", "RT", "Basic", "for Mac",
//!    "Viewer") makes it another product, so "Microsoft Word 2016" never picks up "Microsoft
//!    Word 2016 for Mac".
//!
//! Decisions worth knowing:
//! - **Office suites imply their applications.** MSRC lists Office MSPs per component
//!   ("Microsoft Excel 2016 (64-bit edition)", and "Microsoft Office 2016 (64-bit edition)"
//!   for the shared components), so an installed "Microsoft Office Professional Plus 2016"
//!   makes the machine run Office, Word, Excel, PowerPoint, Outlook, OneNote, Access,
//!   Publisher and Skype for Business 2016 (the suite contents per edition are the rows
//!   below). A standalone application (Visio, Project, Word) also runs "Microsoft Office
//!   <year>": it installs the shared components those updates patch. The per-language
//!   component entries a full inventory also carries ("Microsoft Word MUI (English) 2016")
//!   add their application.
//! - **Bitness**, for catalog names that carry one: the program's own name when it says
//!   ("Microsoft Office 64-bit Components 2016", "Microsoft SQL Server 2019 (64-bit)"), else
//!   the Office product code (`{90160000-0011-0000-1000-0000000FF1CE}`: the fourth group
//!   starts with 1 for x64, 0 for x86), else the registry view the collector read the entry
//!   from, else another entry of the same product family and year that says it (an installed
//!   update "... (KB4461543) 64-Bit Edition"), else **the machine's architecture** (x86 on a
//!   32-bit Windows, x64 on x64 and ARM64). The last one is a guess: 32-bit Office was the
//!   recommended install on 64-bit Windows until 2019, so inventories should carry the
//!   registry view (the kbgap collector does).
//! - **Service packs and cumulative updates.** When the program names its level (Exchange's
//!   "Cumulative Update 23"), only that level's products match (plus the product named
//!   without a level). Otherwise the machine is taken to be at the newest level the catalog
//!   lists: older service packs are out of support, Windows Update offers the service pack
//!   first, and matching every level would report updates for code the machine no longer
//!   runs. SQL Server's per-CU products ("(CU 22)") count as levels of the CU track.
//! - **SQL Server tracks.** An installed "GDR ... for SQL Server 2019" or "Hotfix ... for SQL
//!   Server 2019" update says which track the instance follows; without one both match.
//! - **Click-to-Run** (Microsoft 365 Apps, Office 2019 and later, Office 2013/2016 C2R) is
//!   serviced by builds, not KBs, and MSRC names no build for it ("Click to Run"): these rows
//!   make the machine run products that have nothing to miss. They are mapped anyway so that
//!   a catalog that gains fix rows for them is used without a code change.
//! - **Edge (Chromium), Visual Studio 2017 and later, Visual Studio Code, PowerShell 7, the
//!   Remote Desktop client** are serviced by version: MSRC names the version that fixes each
//!   CVE, and the program's version
//!   ([`ProductSpec::installed`], [`InstalledSoftware::installed_versions`]) is compared
//!   with it by the engine.
//! - **.NET Framework** releases beyond the in-box one are components serviced with the OS
//!   ("Microsoft .NET Framework 4.8 on Windows 7 for x64-based Systems Service Pack 1"); a
//!   rule of kind [`RuleKind::DotNetFramework`] only gives the version, and the assessment
//!   picks the products on the machine's OS that name it.
//! - Not mapped: .NET (Core) runtimes, ASP.NET Core and other products MSRC services by
//!   version with ever-changing KBs that no inventory lists as installed; every one of
//!   their KBs would be reported forever.

use std::collections::{BTreeSet, HashMap};

use kbgap_domain::{Application, Arch, MachineInventory, ProductInfo, ProductKind, Version};

/// What a rule says about the programs it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// The program is installed: the machine runs the products of the rule's stems.
    Products,
    /// A .NET Framework release: the machine runs the "Microsoft .NET Framework `{v}` on
    /// `<OS>`" components of its OS.
    DotNetFramework,
    /// An installed update (its KB counts as installed, see
    /// [`Application::update_kb`]): only its bitness, for the family and year, is read.
    Evidence,
    /// An installed SQL Server update, which also says the instance's servicing track.
    Track(Track),
    /// Known and deliberately not a product (language packs, proofing tools, runtimes).
    Ignore,
}

/// A SQL Server servicing track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Track {
    /// General Distribution Release: security fixes only ("(GDR)").
    Gdr,
    /// Cumulative updates ("(CU)", "(CU 22)", the older "(QFE)").
    Cu,
}

/// Where the bitness a catalog product names comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchFrom {
    /// The program (see the module docs for the order of evidence).
    Program,
    /// The machine: the catalog names the Windows it runs on, not its own build
    /// ("Microsoft Silverlight 5 when installed on Microsoft Windows (x64-based)").
    Machine,
}

/// One row of [`APPLICATION_RULES`].
#[derive(Debug, Clone, Copy)]
pub struct ApplicationRule {
    /// The program's name, whole, case-insensitive. `*` matches any text; `{year}` a year;
    /// `{bits}` 32 or 64; `{n}` a number; `{v}` a dotted version; `{sp}` a service-pack
    /// number; `{cu}` a cumulative-update number; `{lang}` a language tag (`en-us`);
    /// `{app}` an Office application ([`OFFICE_APPS`]); `{edition}` an Office edition
    /// ([`EDITIONS`]); `{vsedition}` a Visual Studio edition ([`VS_EDITIONS`]).
    pub program: &'static str,
    /// Rules of one family share bitness and track evidence per year.
    pub family: &'static str,
    pub kind: RuleKind,
    /// Catalog product stems, with `{year}`, `{app}` and `{v}` from the program's name, and
    /// `{major}` and `{minor}` the first and second numbers of its version.
    pub products: &'static [&'static str],
    pub arch: ArchFrom,
    /// Whether the program's version (`16.11.34114.132`) selects among "version 16.11"
    /// products (Visual Studio 2017 and later).
    pub versioned: bool,
}

const fn products(
    family: &'static str,
    program: &'static str,
    products: &'static [&'static str],
) -> ApplicationRule {
    ApplicationRule {
        program,
        family,
        kind: RuleKind::Products,
        products,
        arch: ArchFrom::Program,
        versioned: false,
    }
}

const fn evidence(family: &'static str, program: &'static str) -> ApplicationRule {
    ApplicationRule {
        program,
        family,
        kind: RuleKind::Evidence,
        products: &[],
        arch: ArchFrom::Program,
        versioned: false,
    }
}

const fn track(program: &'static str, track: Track) -> ApplicationRule {
    ApplicationRule {
        program,
        family: "sql_server",
        kind: RuleKind::Track(track),
        products: &[],
        arch: ArchFrom::Program,
        versioned: false,
    }
}

const fn ignore(family: &'static str, program: &'static str) -> ApplicationRule {
    ApplicationRule {
        program,
        family,
        kind: RuleKind::Ignore,
        products: &[],
        arch: ArchFrom::Program,
        versioned: false,
    }
}

const fn dotnet(program: &'static str) -> ApplicationRule {
    ApplicationRule {
        program,
        family: ".net_framework",
        kind: RuleKind::DotNetFramework,
        products: &[],
        arch: ArchFrom::Program,
        versioned: false,
    }
}

const fn machine_arch(rule: ApplicationRule) -> ApplicationRule {
    ApplicationRule {
        arch: ArchFrom::Machine,
        ..rule
    }
}

const fn versioned(rule: ApplicationRule) -> ApplicationRule {
    ApplicationRule {
        versioned: true,
        ..rule
    }
}

/// Office applications, as `{app}` (and in stems).
pub static OFFICE_APPS: &[&str] = &[
    "Word",
    "Excel",
    "PowerPoint",
    "Outlook",
    "Access",
    "Publisher",
    "OneNote",
    "InfoPath",
    "Visio",
    "Project",
    "SharePoint Designer",
    "SharePoint Workspace",
];

/// Office editions, as `{edition}`, longest first.
pub static EDITIONS: &[&str] = &[
    "Professional Plus",
    "Professional Academic",
    "Professional",
    "Standard",
    "Premium",
    "Enterprise",
    "Ultimate",
    "Home and Business",
    "Home and Student",
    "Home & Business",
    "Home & Student",
    "Small Business",
    "Basic",
    "Starter",
    "Personal",
];

/// Visual Studio editions, as `{vsedition}`.
pub static VS_EDITIONS: &[&str] = &[
    "Community",
    "Professional",
    "Enterprise",
    "Ultimate",
    "Premium",
    "Test Professional",
    "Express",
    "Build Tools",
];

const PROPLUS: &[&str] = &[
    "Microsoft Office {year}",
    "Microsoft Word {year}",
    "Microsoft Excel {year}",
    "Microsoft PowerPoint {year}",
    "Microsoft Outlook {year}",
    "Microsoft OneNote {year}",
    "Microsoft Access {year}",
    "Microsoft Publisher {year}",
    "Microsoft InfoPath {year}",
    "Skype for Business {year}",
    "Microsoft Lync {year}",
];
const PROPLUS_2010: &[&str] = &[
    "Microsoft Office 2010",
    "Microsoft Word 2010",
    "Microsoft Excel 2010",
    "Microsoft PowerPoint 2010",
    "Microsoft Outlook 2010",
    "Microsoft OneNote 2010",
    "Microsoft Access 2010",
    "Microsoft Publisher 2010",
    "Microsoft InfoPath 2010",
    "Microsoft SharePoint Workspace 2010",
];
const PROFESSIONAL: &[&str] = &[
    "Microsoft Office {year}",
    "Microsoft Word {year}",
    "Microsoft Excel {year}",
    "Microsoft PowerPoint {year}",
    "Microsoft Outlook {year}",
    "Microsoft OneNote {year}",
    "Microsoft Access {year}",
    "Microsoft Publisher {year}",
];
const STANDARD: &[&str] = &[
    "Microsoft Office {year}",
    "Microsoft Word {year}",
    "Microsoft Excel {year}",
    "Microsoft PowerPoint {year}",
    "Microsoft Outlook {year}",
    "Microsoft OneNote {year}",
    "Microsoft Publisher {year}",
];
const HOME_BUSINESS: &[&str] = &[
    "Microsoft Office {year}",
    "Microsoft Word {year}",
    "Microsoft Excel {year}",
    "Microsoft PowerPoint {year}",
    "Microsoft Outlook {year}",
    "Microsoft OneNote {year}",
];
const HOME_STUDENT: &[&str] = &[
    "Microsoft Office {year}",
    "Microsoft Word {year}",
    "Microsoft Excel {year}",
    "Microsoft PowerPoint {year}",
    "Microsoft OneNote {year}",
];
/// What any other (or a localized) edition of a suite holds at least.
const SUITE_CORE: &[&str] = &[
    "Microsoft Office {year}",
    "Microsoft Word {year}",
    "Microsoft Excel {year}",
    "Microsoft PowerPoint {year}",
    "Microsoft Outlook {year}",
];
const APP_AND_SHARED: &[&str] = &["Microsoft {app} {year}", "Microsoft Office {year}"];
const C2R_2016: &[&str] = &[
    "Microsoft Office 2016 Click-to-Run (C2R)",
    "Microsoft Excel 2016 Click-to-Run (C2R)",
    "Microsoft Outlook 2016 Click-to-Run (C2R)",
];
const M365: &[&str] = &["Microsoft 365 Apps for Enterprise", "Office 365 ProPlus"];

/// The table: installed program → catalog products. First match wins.
pub static APPLICATION_RULES: &[ApplicationRule] = &[
    // Installed updates: their KBs count as installed; their names say the bitness of the
    // Office generation they patch, and SQL Server's the servicing track.
    track("Hotfix {n} for SQL Server {year}*", Track::Cu),
    track("GDR {n} for SQL Server {year}*", Track::Gdr),
    track("Security Update for SQL Server {year}* GDR*", Track::Gdr),
    track("Security Update for SQL Server {year}* CU*", Track::Cu),
    track("Security Update for SQL Server {year}* QFE*", Track::Cu),
    evidence("office", "*Update for * {year}* (KB{n}) {bits}-Bit Edition"),
    evidence("office", "*Update for * {year}* (KB{n})*"),
    // Office 2007–2016 (MSI): per-language component entries of a full inventory.
    products(
        "office",
        "Microsoft Office {bits}-bit Components {year}",
        &["Microsoft Office {year}"],
    ),
    products(
        "office",
        "Microsoft Office Office {bits}-bit Components {year}",
        &["Microsoft Office {year}"],
    ),
    products(
        "office",
        "Microsoft Office Shared {bits}-bit MUI (*) {year}",
        &["Microsoft Office {year}"],
    ),
    products(
        "office",
        "Microsoft Office Shared MUI (*) {year}",
        &["Microsoft Office {year}"],
    ),
    products("office", "Microsoft {app} MUI (*) {year}", APP_AND_SHARED),
    products(
        "office",
        "Microsoft Office {app} MUI (*) {year}",
        APP_AND_SHARED,
    ),
    ignore("office", "Microsoft Office * MUI *"),
    ignore("office", "Microsoft Office Proof*"),
    ignore("office", "Microsoft * database engine*"),
    ignore("office", "Microsoft Office Language Pack*"),
    // Office-branded products that are not the suite ("Microsoft Office * {year}" below).
    ignore("office", "Microsoft Office Live Meeting*"),
    ignore("office", "Microsoft Office Communicator*"),
    ignore("office", "Microsoft Office Groove*"),
    // Click-to-Run (a language tag ends the name): build-serviced, no KBs in the catalog.
    products(
        "office",
        "Microsoft Office LTSC * {year} - {lang}",
        &["Microsoft Office LTSC {year}"],
    ),
    products(
        "office",
        "Microsoft Office * 2024 - {lang}",
        &["Microsoft Office LTSC 2024"],
    ),
    products(
        "office",
        "Microsoft Office * 2021 - {lang}",
        &["Microsoft Office LTSC 2021"],
    ),
    products(
        "office",
        "Microsoft Office * 2019 - {lang}",
        &["Microsoft Office 2019"],
    ),
    products("office", "Microsoft Office * 2016 - {lang}", C2R_2016),
    products(
        "office",
        "Microsoft {app} * 2016 - {lang}",
        &[
            "Microsoft {app} 2016 Click-to-Run (C2R)",
            "Microsoft Office 2016 Click-to-Run (C2R)",
        ],
    ),
    products(
        "office",
        "Microsoft {app} 2016 - {lang}",
        &[
            "Microsoft {app} 2016 Click-to-Run (C2R)",
            "Microsoft Office 2016 Click-to-Run (C2R)",
        ],
    ),
    products(
        "office",
        "Microsoft Office * 2013 - {lang}",
        &["Microsoft Office 2013 Click-to-Run (C2R)"],
    ),
    products("office", "Microsoft 365 *- {lang}", M365),
    products("office", "Microsoft Office 365 *- {lang}", M365),
    products("office", "Microsoft Office *- {lang}", M365),
    // Office servers and services (before the suite fallbacks, which they resemble).
    products(
        "office_online_server",
        "Microsoft Office Online Server",
        &["Office Online Server", "Microsoft Office Online Server"],
    ),
    products(
        "office_web_apps",
        "Microsoft Office Web Apps Server {year}",
        &["Microsoft Office Web Apps Server {year}"],
    ),
    products(
        "sharepoint",
        "Microsoft SharePoint Server Subscription Edition",
        &["Microsoft SharePoint Server Subscription Edition"],
    ),
    products(
        "sharepoint",
        "Microsoft SharePoint Server {year}",
        &[
            "Microsoft SharePoint Server {year}",
            "Microsoft SharePoint Enterprise Server {year}",
            "Microsoft SharePoint Foundation {year}",
        ],
    ),
    products(
        "sharepoint",
        "Microsoft SharePoint Foundation {year}",
        &["Microsoft SharePoint Foundation {year}"],
    ),
    products(
        "office",
        "Microsoft Project Server {year}",
        &["Microsoft Project Server {year}"],
    ),
    // Office viewers and converters.
    products(
        "office",
        "Microsoft Visio Viewer {year}",
        &["Microsoft Visio Viewer {year}"],
    ),
    products(
        "office",
        "Microsoft Office Visio Viewer {year}",
        &["Microsoft Visio Viewer {year}"],
    ),
    products(
        "office",
        "Microsoft * Excel Viewer*",
        &["Microsoft Excel Viewer", "Microsoft Excel Viewer 2007"],
    ),
    products(
        "office",
        "Microsoft Excel Viewer*",
        &["Microsoft Excel Viewer", "Microsoft Excel Viewer 2007"],
    ),
    products(
        "office",
        "Microsoft * Word Viewer*",
        &["Microsoft Office Word Viewer", "Microsoft Word Viewer"],
    ),
    products(
        "office",
        "Microsoft Word Viewer*",
        &["Microsoft Office Word Viewer", "Microsoft Word Viewer"],
    ),
    products(
        "office",
        "Microsoft PowerPoint Viewer*",
        &[
            "Microsoft PowerPoint Viewer",
            "Microsoft PowerPoint Viewer 2007",
            "PowerPoint Viewer 2010",
        ],
    ),
    products(
        "office",
        "Compatibility Pack for the 2007 Office system",
        &["Microsoft Office Compatibility Pack"],
    ),
    products(
        "office",
        "Microsoft Office Compatibility Pack*",
        &["Microsoft Office Compatibility Pack"],
    ),
    // Lync and Skype for Business clients.
    products(
        "office",
        "*Skype for Business Basic {year}*",
        &[
            "Skype for Business Basic {year}",
            "Skype for Business {year} Basic",
        ],
    ),
    products(
        "office",
        "*Skype for Business {year}*",
        &["Skype for Business {year}", "Microsoft Office {year}"],
    ),
    products(
        "office",
        "Microsoft Lync Basic {year}*",
        &["Microsoft Lync Basic {year}"],
    ),
    products(
        "office",
        "Microsoft Lync {year}*",
        &["Microsoft Lync {year}"],
    ),
    // Office applications installed on their own ("Microsoft Visio Professional 2016",
    // 2007's "Microsoft Office Visio Professional 2007").
    products("office", "Microsoft {app} {year}", APP_AND_SHARED),
    products("office", "Microsoft {app} {edition} {year}", APP_AND_SHARED),
    products("office", "Microsoft Office {app} {year}", APP_AND_SHARED),
    products(
        "office",
        "Microsoft Office {app} {edition} {year}",
        APP_AND_SHARED,
    ),
    products(
        "office",
        "Microsoft Access Runtime {year}",
        &["Microsoft Access {year}", "Microsoft Office {year}"],
    ),
    products(
        "office",
        "Microsoft Office Access Runtime {year}*",
        &["Microsoft Access {year}", "Microsoft Office {year}"],
    ),
    // Office suites, per edition; the fallback covers other and localized editions.
    products(
        "office",
        "Microsoft Office Professional Plus 2010",
        PROPLUS_2010,
    ),
    products(
        "office",
        "Microsoft Office Professional Plus {year}",
        PROPLUS,
    ),
    products("office", "Microsoft Office Enterprise {year}", PROPLUS),
    products("office", "Microsoft Office Ultimate {year}", PROPLUS),
    products(
        "office",
        "Microsoft Office Professional {year}",
        PROFESSIONAL,
    ),
    products("office", "Microsoft Office Standard {year}", STANDARD),
    products(
        "office",
        "Microsoft Office Home and Business {year}",
        HOME_BUSINESS,
    ),
    products(
        "office",
        "Microsoft Office Home and Student {year}",
        HOME_STUDENT,
    ),
    products("office", "Microsoft Office * {year}", SUITE_CORE),
    // SQL Server: the instance entry; its other entries (setup, tools, LocalDB) are not.
    products(
        "sql_server",
        "Microsoft SQL Server {year} R2 ({bits}-bit)",
        &["Microsoft SQL Server {year} R2"],
    ),
    products(
        "sql_server",
        "Microsoft SQL Server {year} ({bits}-bit)",
        &["Microsoft SQL Server {year}"],
    ),
    products(
        "sql_server",
        "Microsoft SQL Server {year} R2",
        &["Microsoft SQL Server {year} R2"],
    ),
    products(
        "sql_server",
        "Microsoft SQL Server {year}",
        &["Microsoft SQL Server {year}"],
    ),
    // Exchange Server names its cumulative update.
    products(
        "exchange_server",
        "Microsoft Exchange Server {year} Cumulative Update {cu}",
        &["Microsoft Exchange Server {year}"],
    ),
    products(
        "exchange_server",
        "Microsoft Exchange Server {year} Service Pack {sp}",
        &["Microsoft Exchange Server {year}"],
    ),
    products(
        "exchange_server",
        "Microsoft Exchange Server {year}",
        &["Microsoft Exchange Server {year}"],
    ),
    products(
        "exchange_server",
        "Microsoft Exchange Server Subscription Edition*",
        &["Microsoft Exchange Server Subscription Edition"],
    ),
    // Visual Studio: 2015 and older by update, 2017 and later by version (Release Notes).
    products(
        "visual_studio",
        "*Visual Studio {vsedition} {year} with Update {cu}",
        &["Microsoft Visual Studio {year}"],
    ),
    versioned(products(
        "visual_studio",
        "*Visual Studio {vsedition} {year}*",
        &["Microsoft Visual Studio {year}"],
    )),
    products(
        "visual_studio_code",
        "Microsoft Visual Studio Code*",
        &["Visual Studio Code"],
    ),
    // PowerShell 7 (the MSI's entry is "PowerShell 7-x64", older ones "PowerShell 7.4.1.0-x64"),
    // one product per minor release.
    products(
        "powershell",
        "PowerShell {v}-x64",
        &["PowerShell {major}.{minor}"],
    ),
    products(
        "powershell",
        "PowerShell {v}-x86",
        &["PowerShell {major}.{minor}"],
    ),
    // The Remote Desktop client (MSRDC, the MSI whose entry is "Remote Desktop").
    products(
        "remote_desktop_client",
        "Remote Desktop",
        &["Remote Desktop client for Windows Desktop"],
    ),
    // Browsers and runtimes.
    products(
        "edge_chromium",
        "Microsoft Edge",
        &["Microsoft Edge (Chromium-based)"],
    ),
    machine_arch(products(
        "silverlight",
        "Microsoft Silverlight",
        &["Microsoft Silverlight {major}"],
    )),
    dotnet("Microsoft .NET Framework {v}"),
    dotnet("Microsoft .NET Framework {v} Client Profile"),
    dotnet("Microsoft .NET Framework {v} Extended"),
    dotnet("Microsoft .NET Framework {v} SP{n}"),
    dotnet("Microsoft .NET Framework {v} Service Pack {n}"),
];

/// What the inventory's applications make a machine run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstalledSoftware {
    /// Catalog product stems with what the inventory says about them.
    pub products: Vec<ProductSpec>,
    /// .NET Framework versions the inventory lists ("4.8", "4.5.2").
    pub dotnet_framework: Vec<String>,
}

/// The catalog products one installed program stands for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProductSpec {
    /// Catalog product names start with this ("Microsoft Word 2016").
    pub stem: String,
    pub arch: Arch,
    /// The service pack the program names, if it does.
    pub service_pack: Option<u32>,
    /// The cumulative update (or rollup, or Visual Studio 2015 update) it names.
    pub update: Option<u32>,
    /// Its version, when it selects among "version X.Y" products.
    pub version: Option<Vec<u32>>,
    pub track: Option<Track>,
    /// The program's version as installed, when it is a dotted version: what a product
    /// serviced by version (Edge, Visual Studio 2017 and later) is compared with.
    pub installed: Option<Version>,
}

impl ProductSpec {
    /// Indexes of the application products (kind [`ProductKind::Application`]) this
    /// program stands for.
    fn selects(&self, products: &[ProductInfo]) -> Vec<usize> {
        let mut candidates: Vec<(usize, Qualifiers)> = products
            .iter()
            .enumerate()
            .filter(|(_, p)| p.kind == ProductKind::Application)
            .filter_map(|(i, p)| {
                let rest = strip_stem(&p.name, &self.stem)?;
                let q = qualifiers(rest)?;
                let arch_ok = q.arch.is_none_or(|a| a == self.arch);
                let track_ok = match (q.track, self.track) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                };
                (arch_ok && track_ok).then_some((i, q))
            })
            .collect();
        pick_level(self, &mut candidates);
        candidates.into_iter().map(|(i, _)| i).collect()
    }
}

/// What a catalog product name says after its stem.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Qualifiers {
    arch: Option<Arch>,
    service_pack: Option<u32>,
    update: Option<u32>,
    track: Option<Track>,
    version: Option<Vec<u32>>,
    /// "(includes 16.0 - 16.10)": the versions a Visual Studio product also covers.
    includes: Option<(Vec<u32>, Vec<u32>)>,
}

/// The index in [`APPLICATION_RULES`] of the rule a program name matches, if any.
pub fn rule_for(program: &str) -> Option<usize> {
    first_rule(program).map(|(i, _)| i)
}

/// The patterns of [`APPLICATION_RULES`], tokenized once, with the literal text each needs
/// (lower case), which rejects most names before any backtracking.
struct Compiled {
    tokens: Vec<Token<'static>>,
    literals: Vec<String>,
}

fn compiled() -> &'static [Compiled] {
    static COMPILED: std::sync::OnceLock<Vec<Compiled>> = std::sync::OnceLock::new();
    COMPILED.get_or_init(|| {
        APPLICATION_RULES
            .iter()
            .map(|rule| {
                let tokens = tokens(rule.program);
                let mut literals = Vec::new();
                let mut run = String::new();
                for token in tokens.iter().chain(std::iter::once(&Token::Any)) {
                    if let Token::Literal(c) = token {
                        run.extend(c.to_lowercase());
                    } else if !run.is_empty() {
                        literals.push(std::mem::take(&mut run));
                    }
                }
                Compiled { tokens, literals }
            })
            .collect()
    })
}

/// Program names longer than this match no rule: real `DisplayName`s are far shorter, and the
/// patterns' `*`s backtrack in time polynomial in the length.
const LONGEST_NAME: usize = 256;

fn first_rule(program: &str) -> Option<(usize, Captures)> {
    let name = normalize(program);
    if name.len() > LONGEST_NAME {
        return None;
    }
    let lower = name.to_lowercase();
    compiled().iter().enumerate().find_map(|(i, rule)| {
        if !rule.literals.iter().all(|l| lower.contains(l.as_str())) {
            return None;
        }
        let mut captures = Captures::default();
        go(&rule.tokens, &name, 0, &mut captures, &mut |end| {
            end == name.len()
        })
        .then_some((i, captures))
    })
}

/// Maps a machine's application list (see the module docs).
pub fn installed_software(machine: &MachineInventory) -> InstalledSoftware {
    let machine_arch = match machine.os.arch {
        Arch::X86 => Arch::X86,
        Arch::Itanium => Arch::Itanium,
        Arch::X64 | Arch::Arm64 => Arch::X64,
    };
    let matched: Vec<(&Application, &ApplicationRule, Captures)> = machine
        .applications
        .iter()
        .filter_map(|app| {
            let (i, captures) = first_rule(&app.name)?;
            Some((app, &APPLICATION_RULES[i], captures))
        })
        .collect();

    // Evidence per (family, year): bitness and SQL Server track.
    let mut bits: Vec<(&str, String, Arch)> = Vec::new();
    let mut tracks: Vec<(String, Track)> = Vec::new();
    for (app, rule, captures) in &matched {
        let Some(year) = captures.year.clone() else {
            continue;
        };
        if let Some(arch) = captures.arch().or_else(|| office_code_arch(app)) {
            bits.push((rule.family, year.clone(), arch));
        }
        if let RuleKind::Track(track) = rule.kind {
            tracks.push((year, track));
        }
    }
    let sibling_arch = |family: &str, year: &str| {
        let mut seen = bits
            .iter()
            .filter(|(f, y, _)| *f == family && y == year)
            .map(|(_, _, a)| *a);
        let first = seen.next()?;
        seen.all(|a| a == first).then_some(first)
    };
    let track_of = |year: &str| {
        let mut seen = tracks.iter().filter(|(y, _)| y == year).map(|(_, t)| *t);
        let first = seen.next()?;
        seen.all(|t| t == first).then_some(first)
    };

    let mut result = InstalledSoftware::default();
    for (app, rule, captures) in &matched {
        match rule.kind {
            RuleKind::Products => {}
            RuleKind::DotNetFramework => {
                if let Some(v) = &captures.version
                    && !result.dotnet_framework.contains(v)
                {
                    result.dotnet_framework.push(v.clone());
                }
                continue;
            }
            RuleKind::Evidence | RuleKind::Track(_) | RuleKind::Ignore => continue,
        }
        let year = captures.year.as_deref().unwrap_or_default();
        let arch = match rule.arch {
            ArchFrom::Machine => machine_arch,
            ArchFrom::Program => captures
                .arch()
                .or_else(|| office_code_arch(app))
                .or(app.arch)
                .or_else(|| sibling_arch(rule.family, year))
                .unwrap_or(machine_arch),
        };
        let version = if rule.versioned {
            app.version.as_deref().and_then(numbers)
        } else {
            None
        };
        let program_version = app.version.as_deref().and_then(numbers);
        for stem in rule.products {
            let Some(stem) = substitute(stem, captures, program_version.as_deref()) else {
                continue;
            };
            let spec = ProductSpec {
                stem,
                arch,
                service_pack: captures.service_pack,
                update: captures.update,
                version: version.clone(),
                track: if rule.family == "sql_server" {
                    track_of(year)
                } else {
                    None
                },
                installed: app.version.as_deref().and_then(|v| v.parse().ok()),
            };
            if !result.products.contains(&spec) {
                result.products.push(spec);
            }
        }
    }
    result
}

impl InstalledSoftware {
    /// Indexes of the application products (kind [`ProductKind::Application`]) that these
    /// programs make the machine run.
    pub fn select(&self, products: &[ProductInfo]) -> Vec<usize> {
        let mut selected: Vec<usize> = self
            .products
            .iter()
            .flat_map(|spec| spec.selects(products))
            .collect();
        selected.sort_unstable();
        selected.dedup();
        selected
    }

    /// The installed version of each product these programs select, for the programs that
    /// state one. When several programs select one product, the lowest version is the one
    /// still exposed.
    pub fn installed_versions(&self, products: &[ProductInfo]) -> HashMap<usize, Version> {
        let mut versions: HashMap<usize, Version> = HashMap::new();
        for spec in &self.products {
            let Some(installed) = &spec.installed else {
                continue;
            };
            for i in spec.selects(products) {
                versions
                    .entry(i)
                    .and_modify(|v| {
                        if installed < v {
                            *v = installed.clone();
                        }
                    })
                    .or_insert_with(|| installed.clone());
            }
        }
        versions
    }

    pub fn is_empty(&self) -> bool {
        self.products.is_empty() && self.dotnet_framework.is_empty()
    }

    /// The [`product_group`]s of every product these programs can select: a store that keeps
    /// application products by group reads only these.
    pub fn groups(&self) -> BTreeSet<String> {
        self.products
            .iter()
            .map(|spec| product_group(&crate::classify_product(&spec.stem)))
            .collect()
    }
}

/// The group of an application product: its software id and first version
/// (`microsoft-_-word 2016`). A stem and every product it selects share it, because the
/// qualifiers a stem allows after it (a service pack, a bitness, a track...) change neither
/// the software a name classifies as nor its first version.
pub fn product_group(info: &ProductInfo) -> String {
    format!(
        "{} {}",
        info.software,
        info.versions
            .first()
            .map(String::as_str)
            .unwrap_or_default()
    )
}

/// Keeps the candidates at the level the spec names, or at the newest level listed.
fn pick_level(spec: &ProductSpec, candidates: &mut Vec<(usize, Qualifiers)>) {
    // Service packs are compared when the program names one, or when every product that
    // names an update names its service pack too (SQL Server 2014 "Service Pack 3 ... (CU
    // 4)"); Exchange 2013 names cumulative updates without one.
    let sp_scheme = candidates.iter().any(|(_, q)| q.service_pack.is_some())
        && (spec.service_pack.is_some()
            || candidates
                .iter()
                .all(|(_, q)| q.update.is_none() || q.service_pack.is_some()));
    if sp_scheme {
        let want = spec.service_pack.unwrap_or_else(|| {
            candidates
                .iter()
                .map(|(_, q)| q.service_pack.unwrap_or(0))
                .max()
                .unwrap_or(0)
        });
        candidates.retain(|(_, q)| q.service_pack.unwrap_or(0) == want);
    }
    if candidates.iter().any(|(_, q)| q.update.is_some()) {
        let want = spec
            .update
            .or_else(|| candidates.iter().filter_map(|(_, q)| q.update).max());
        candidates.retain(|(_, q)| q.update.is_none() || q.update == want);
    }
    if candidates.iter().any(|(_, q)| q.version.is_some()) {
        match &spec.version {
            Some(have) => candidates.retain(|(_, q)| covers(q, have)),
            None => {
                let newest = candidates
                    .iter()
                    .filter_map(|(_, q)| q.version.clone())
                    .max();
                candidates.retain(|(_, q)| q.version.is_none() || q.version == newest);
            }
        }
    }
}

/// Whether a "version X.Y (includes A - B)" product covers an installed version.
fn covers(q: &Qualifiers, have: &[u32]) -> bool {
    let Some(version) = &q.version else {
        return true;
    };
    let prefix = |v: &[u32]| have.iter().take(v.len()).copied().collect::<Vec<u32>>();
    if prefix(version) == *version {
        return true;
    }
    match &q.includes {
        Some((low, high)) => prefix(low) >= *low && prefix(high) <= *high,
        None => false,
    }
}

/// Whether any rule could map an installed program to this catalog product: the products a
/// store must keep at hand for application assessments.
pub fn is_application_product(name: &str) -> bool {
    let name = normalize(name);
    APPLICATION_RULES
        .iter()
        .flat_map(|rule| rule.products.iter())
        .any(|stem| {
            let pattern = stem.replace("{major}", "{n}").replace("{minor}", "{n}");
            let mut found = false;
            match_prefix(&pattern, &name, &mut |end| {
                let rest = &name[end..];
                found = (rest.is_empty() || rest.starts_with(' ')) && qualifiers(rest).is_some();
                found
            });
            found
        })
}

fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text after `stem` when `name` starts with it (case-insensitive) at a word boundary.
fn strip_stem<'a>(name: &'a str, stem: &str) -> Option<&'a str> {
    let head = name.get(..stem.len())?;
    let rest = &name[stem.len()..];
    (head.eq_ignore_ascii_case(stem) && (rest.is_empty() || rest.starts_with(' '))).then_some(rest)
}

/// The numbers of a dotted version (`16.11.34114.132`), `None` when it is not one.
fn numbers(text: &str) -> Option<Vec<u32>> {
    let v: Option<Vec<u32>> = text.trim().split('.').map(|p| p.parse().ok()).collect();
    v.filter(|v| !v.is_empty())
}

/// An Office product code's bitness: `{BRMMmmmm-PPPP-LLLL-p000-D000000FF1CE}`, `p` 0 for
/// x86 and 1 for x64.
fn office_code_arch(app: &Application) -> Option<Arch> {
    let code = app.product_code.as_deref()?.trim();
    let code = code.strip_prefix('{')?.strip_suffix('}')?;
    if code.len() != 36 || !code.to_ascii_uppercase().ends_with("0FF1CE") {
        return None;
    }
    match code.as_bytes().get(19)? {
        b'0' => Some(Arch::X86),
        b'1' => Some(Arch::X64),
        _ => None,
    }
}

fn substitute(stem: &str, captures: &Captures, version: Option<&[u32]>) -> Option<String> {
    let mut out = stem.to_string();
    let part = |i: usize| version.and_then(|v| v.get(i)).map(u32::to_string);
    for (token, value) in [
        ("{year}", captures.year.clone()),
        ("{app}", captures.app.clone()),
        ("{v}", captures.version.clone()),
        ("{major}", part(0)),
        ("{minor}", part(1)),
    ] {
        if out.contains(token) {
            out = out.replace(token, &value?);
        }
    }
    Some(out)
}

/// What a program pattern captured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Captures {
    year: Option<String>,
    bits: Option<u32>,
    version: Option<String>,
    service_pack: Option<u32>,
    update: Option<u32>,
    app: Option<String>,
}

impl Captures {
    fn arch(&self) -> Option<Arch> {
        match self.bits? {
            32 => Some(Arch::X86),
            64 => Some(Arch::X64),
            _ => None,
        }
    }
}

/// One element of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Literal(char),
    Any,
    Year,
    Bits,
    Number,
    Version,
    ServicePack,
    Update,
    Lang,
    App,
    Edition,
    VsEdition,
    /// An unknown `{...}`: matches nothing.
    Unknown(&'a str),
}

fn tokens(pattern: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut rest = pattern;
    while let Some(c) = rest.chars().next() {
        if c == '{'
            && let Some(end) = rest.find('}')
        {
            let name = &rest[1..end];
            out.push(match name {
                "year" => Token::Year,
                "bits" => Token::Bits,
                "n" => Token::Number,
                "v" => Token::Version,
                "sp" => Token::ServicePack,
                "cu" => Token::Update,
                "lang" => Token::Lang,
                "app" => Token::App,
                "edition" => Token::Edition,
                "vsedition" => Token::VsEdition,
                other => Token::Unknown(other),
            });
            rest = &rest[end + 1..];
            continue;
        }
        out.push(if c == '*' {
            Token::Any
        } else {
            Token::Literal(c)
        });
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Matches `pattern` against all of `text`.
#[cfg(test)]
fn match_whole(pattern: &str, text: &str) -> Option<Captures> {
    let tokens = tokens(pattern);
    let mut captures = Captures::default();
    go(&tokens, text, 0, &mut captures, &mut |end| {
        end == text.len()
    })
    .then_some(captures)
}

/// Matches `pattern` against a prefix of `text`; `accept` is called with each end position
/// until it returns true.
fn match_prefix(pattern: &str, text: &str, accept: &mut dyn FnMut(usize) -> bool) -> bool {
    let tokens = tokens(pattern);
    let mut captures = Captures::default();
    go(&tokens, text, 0, &mut captures, accept)
}

/// The lengths of the alternatives of `list` that `text` starts with (case-insensitive, at a
/// word end).
fn alternatives<'a>(list: &'a [&str], text: &'a str) -> impl Iterator<Item = (usize, &'a str)> {
    list.iter().filter_map(move |alt| {
        let head = text.get(..alt.len())?;
        let after = text[alt.len()..].chars().next();
        (head.eq_ignore_ascii_case(alt) && after.is_none_or(|c| !c.is_alphanumeric()))
            .then_some((alt.len(), *alt))
    })
}

fn digits(text: &str) -> usize {
    text.bytes().take_while(u8::is_ascii_digit).count()
}

/// Backtracking matcher: does `tokens` match `text[at..]` up to an end `accept` takes?
fn go(
    tokens: &[Token<'_>],
    text: &str,
    at: usize,
    captures: &mut Captures,
    accept: &mut dyn FnMut(usize) -> bool,
) -> bool {
    let Some((token, rest)) = tokens.split_first() else {
        return accept(at);
    };
    let tail = &text[at..];
    let mut attempt =
        |len: usize, captures: &mut Captures| go(rest, text, at + len, captures, accept);
    match *token {
        Token::Literal(c) => {
            let next = tail.chars().next();
            match next {
                Some(n) if n == c || n.to_lowercase().eq(c.to_lowercase()) => {
                    attempt(n.len_utf8(), captures)
                }
                _ => false,
            }
        }
        Token::Any => {
            let ends: Vec<usize> = tail
                .char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(tail.len()))
                .collect();
            ends.into_iter().any(|len| attempt(len, captures))
        }
        Token::Year => {
            let n = digits(tail);
            let year: Option<u32> = tail[..n].parse().ok();
            if n == 4 && year.is_some_and(|y| (1995..=2099).contains(&y)) {
                let saved = captures.year.replace(tail[..4].to_string());
                if attempt(4, captures) {
                    return true;
                }
                captures.year = saved;
            }
            false
        }
        Token::Bits => {
            for (bits, text) in [(32, "32"), (64, "64")] {
                if tail.starts_with(text) && !tail[2..].starts_with(|c: char| c.is_ascii_digit()) {
                    let saved = captures.bits.replace(bits);
                    if attempt(2, captures) {
                        return true;
                    }
                    captures.bits = saved;
                }
            }
            false
        }
        Token::Number | Token::ServicePack | Token::Update => {
            let n = digits(tail);
            if n == 0 || n > 9 {
                return false;
            }
            let value: u32 = tail[..n].parse().unwrap_or(0);
            let saved = captures.clone();
            match *token {
                Token::ServicePack => captures.service_pack = Some(value),
                Token::Update => captures.update = Some(value),
                _ => {}
            }
            if attempt(n, captures) {
                return true;
            }
            *captures = saved;
            false
        }
        Token::Version => {
            // Digits and dots, starting and ending with a digit.
            let n = tail
                .bytes()
                .take_while(|b| b.is_ascii_digit() || *b == b'.')
                .count();
            let mut ends: Vec<usize> = (1..=n)
                .filter(|&len| tail.as_bytes()[len - 1].is_ascii_digit())
                .collect();
            ends.reverse();
            if !tail.starts_with(|c: char| c.is_ascii_digit()) {
                return false;
            }
            for len in ends {
                let saved = captures.version.replace(tail[..len].to_string());
                if attempt(len, captures) {
                    return true;
                }
                captures.version = saved;
            }
            false
        }
        Token::Lang => {
            // ll-cc, ll-script-cc: letters and digits in parts joined by '-', at least two.
            let n = tail
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-')
                .count();
            let tag = &tail[..n];
            let parts: Vec<&str> = tag.split('-').collect();
            let ok = parts.len() >= 2
                && (2..=3).contains(&parts[0].len())
                && parts[0].bytes().all(|b| b.is_ascii_alphabetic())
                && parts[1..].iter().all(|p| (2..=8).contains(&p.len()));
            ok && attempt(n, captures)
        }
        Token::App | Token::Edition | Token::VsEdition => {
            let list = match *token {
                Token::App => OFFICE_APPS,
                Token::Edition => EDITIONS,
                _ => VS_EDITIONS,
            };
            let options: Vec<(usize, &str)> = alternatives(list, tail).collect();
            for (len, canonical) in options {
                let saved = captures.app.clone();
                if *token == Token::App {
                    captures.app = Some(canonical.to_string());
                }
                if attempt(len, captures) {
                    return true;
                }
                captures.app = saved;
            }
            false
        }
        Token::Unknown(_) => false,
    }
}

/// Parses what follows a stem in a catalog product name; `None` when any of it is not a
/// qualifier (the name is then another product).
fn qualifiers(rest: &str) -> Option<Qualifiers> {
    let mut q = Qualifiers::default();
    let mut t = rest.trim();
    while !t.is_empty() {
        t = qualifier(t, &mut q)?.trim_start();
    }
    Some(q)
}

fn strip_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// A number at the start of `text`, and the text after it.
fn number(text: &str) -> Option<(u32, &str)> {
    let n = digits(text);
    (1..=9)
        .contains(&n)
        .then(|| (text[..n].parse().ok(), &text[n..]))
        .and_then(|(v, r)| v.map(|v| (v, r)))
}

/// A dotted version at the start of `text`.
fn dotted(text: &str) -> Option<(Vec<u32>, &str)> {
    let n = text
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let v = numbers(text[..n].trim_end_matches('.'))?;
    Some((v, &text[n..]))
}

/// Consumes one qualifier at the start of `t`.
fn qualifier<'a>(t: &'a str, q: &mut Qualifiers) -> Option<&'a str> {
    const ARCHES: [(&str, Arch); 12] = [
        ("for 32-bit systems", Arch::X86),
        ("for x86-based systems", Arch::X86),
        ("for 64-bit systems", Arch::X64),
        ("for x64-based systems", Arch::X64),
        ("for itanium-based systems", Arch::Itanium),
        ("for 32-bit editions", Arch::X86),
        ("for 64-bit editions", Arch::X64),
        ("32-bit edition", Arch::X86),
        ("64-bit edition", Arch::X64),
        ("when installed on microsoft windows (32-bit)", Arch::X86),
        ("when installed on microsoft windows (x64-based)", Arch::X64),
        ("for itanium-based edition", Arch::Itanium),
    ];
    for (phrase, arch) in ARCHES {
        if let Some(r) = strip_ci(t, phrase) {
            q.arch = Some(arch);
            return Some(r);
        }
    }
    for phrase in [
        "when installed on all supported releases of microsoft windows clients",
        "when installed on all supported releases of microsoft windows servers",
        "(skype for business basic)",
        "(skype for business)",
        "rtm",
    ] {
        if let Some(r) = strip_ci(t, phrase) {
            return Some(r);
        }
    }
    if let Some(r) = strip_ci(t, "service pack ") {
        let (n, r) = number(r)?;
        q.service_pack = Some(n);
        return Some(r);
    }
    for phrase in ["cumulative update ", "update rollup ", "update ", "cu "] {
        if let Some(r) = strip_ci(t, phrase) {
            let (n, r) = number(r)?;
            q.update = Some(n);
            return Some(r);
        }
    }
    if let Some(r) = strip_ci(t, "cu")
        && let Some((n, r)) = number(r)
    {
        q.update = Some(n);
        return Some(r);
    }
    if let Some(r) = strip_ci(t, "version ") {
        let (v, r) = dotted(r)?;
        q.version = Some(v);
        return Some(r);
    }
    if let Some(r) = strip_ci(t, "(includes ") {
        let (low, r) = dotted(r)?;
        let r = r.trim_start();
        let r = r
            .strip_prefix('-')
            .or_else(|| r.strip_prefix('?'))
            .or_else(|| r.strip_prefix('–'))?;
        let (high, r) = dotted(r.trim_start())?;
        q.includes = Some((low, high));
        return r.strip_prefix(')');
    }
    if let Some(inner) = t.strip_prefix('(') {
        let close = inner.find(')')?;
        let (body, r) = (&inner[..close], &inner[close + 1..]);
        let lower = body.trim().to_ascii_lowercase();
        match lower.as_str() {
            "gdr" => q.track = Some(Track::Gdr),
            "cu" | "qfe" => q.track = Some(Track::Cu),
            _ => {
                if let Some(n) = lower.strip_prefix("cu").map(str::trim) {
                    q.track = Some(Track::Cu);
                    q.update = Some(n.parse().ok()?);
                } else {
                    // "(64-bit edition)", "(32-bit editions)", "(x64-based)", "(64-bit)".
                    let bits = lower
                        .strip_suffix(" editions")
                        .or_else(|| lower.strip_suffix(" edition"))
                        .or_else(|| lower.strip_suffix(" versions"))
                        .or_else(|| lower.strip_suffix(" version"))
                        .unwrap_or(&lower);
                    q.arch = Some(match bits {
                        "32-bit" | "x86" => Arch::X86,
                        "64-bit" | "x64" | "x64-based" => Arch::X64,
                        _ => return None,
                    });
                }
            }
        }
        return Some(r);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let c = match_whole(
            "Microsoft Office {edition} {year}",
            "Microsoft Office Professional Plus 2016",
        )
        .unwrap();
        assert_eq!(c.year.as_deref(), Some("2016"));
        assert!(
            match_whole("Microsoft Office * {year}", "Microsoft Office 2016 - en-us").is_none()
        );
        let c = match_whole(
            "Microsoft Office * 2016 - {lang}",
            "Microsoft Office Professional Plus 2016 - sr-latn-rs",
        )
        .unwrap();
        assert_eq!(c, Captures::default());
        assert!(
            match_whole(
                "Microsoft Office *- {lang}",
                "Microsoft Office Proofing Tools 2016 - English"
            )
            .is_none()
        );
        let c = match_whole(
            "Microsoft .NET Framework {v}",
            "Microsoft .NET Framework 4.7.2",
        )
        .unwrap();
        assert_eq!(c.version.as_deref(), Some("4.7.2"));
        let c = match_whole(
            "Microsoft {app} MUI (*) {year}",
            "Microsoft PowerPoint MUI (English) 2016",
        )
        .unwrap();
        assert_eq!(
            (c.app.as_deref(), c.year.as_deref()),
            (Some("PowerPoint"), Some("2016"))
        );
        let c = match_whole(
            "Microsoft SQL Server {year} ({bits}-bit)",
            "Microsoft SQL Server 2019 (64-bit)",
        )
        .unwrap();
        assert_eq!(c.arch(), Some(Arch::X64));
        assert!(
            match_whole(
                "Microsoft SQL Server {year} ({bits}-bit)",
                "Microsoft SQL Server 2008 R2 (64-bit)"
            )
            .is_none()
        );
        assert!(match_whole("{unknown}", "").is_none());
    }

    #[test]
    fn qualifier_grammar() {
        let q = qualifiers(" Service Pack 2 (64-bit editions)").unwrap();
        assert_eq!((q.service_pack, q.arch), (Some(2), Some(Arch::X64)));
        let q = qualifiers(" Service Pack 3 for x64-based Systems (CU 4)").unwrap();
        assert_eq!(
            (q.service_pack, q.arch, q.track, q.update),
            (Some(3), Some(Arch::X64), Some(Track::Cu), Some(4))
        );
        let q = qualifiers(" for x64-based Systems (GDR)").unwrap();
        assert_eq!(q.track, Some(Track::Gdr));
        let q = qualifiers(" version 16.11 (includes 16.0 - 16.10)").unwrap();
        assert_eq!(q.version, Some(vec![16, 11]));
        assert_eq!(q.includes, Some((vec![16, 0], vec![16, 10])));
        assert!(covers(&q, &[16, 7, 3]));
        assert!(covers(&q, &[16, 11, 34114]));
        assert!(!covers(&q, &[17, 0]));
        for residue in [
            " Click-to-Run (C2R) for 64-bit editions",
            " for Mac",
            " RT Service Pack 1",
            " Basic (64-bit)",
            " IME (Japanese) Service Pack 3",
            " for x64-based Systems Service Pack 3 Azure Connect Feature Pack",
            " (on-premises)",
        ] {
            assert_eq!(qualifiers(residue), None, "{residue}");
        }
    }
}
