//! WES-NG definitions: `definitions.zip` (`CVEs_YYYYMMDD.csv`, `Custom_YYYYMMDD.csv`,
//! `Version_*.txt`) or the CSV files in it.
//!
//! WES-NG's collector writes one row per (CVRF remediation of any type, product), plus rows
//! from the retired bulletin spreadsheet for 2008–2016. The CSV is large (135 MB, 608,000
//! rows), so it is read as a stream of byte records, and everything repeated (product names,
//! CVE ids) is interned.
//!
//! Deliberate decisions, each counted in [`SkipCounts`](crate::SkipCounts):
//! - Rows without a `BulletinKB` (128,000 in 2026: CVEs without an update, products serviced
//!   by version) are not fixes: `no_kb`.
//! - A non-numeric `BulletinKB` ("Release Notes", "Click to Run", "CBL-Mariner Releases",
//!   Mariner package names, service-pack ids such as `SP81X86` in the Custom CSV) is not a KB:
//!   `non_numeric_kb`.
//! - The `CVE` column is normalized (`cve-2012-0159`, `CVE20163247` are repaired); ids that are
//!   not CVE or advisory ids (the Custom CSV's service-pack pseudo ids such as `SP81U1X86`, a
//!   bare `CVE`, empty ids on old Flash rows) are not CVEs: the row's KB is kept as a fix of the
//!   product but the id is not added to `cves` (`non_cve_id`). So the Windows 8.1 Update
//!   (KB2919355) is a fix for "Windows 8.1 for 32-bit Systems" with no CVE.
//! - Custom CSV lines starting with `#` are comments; blank lines are ignored.
//! - A KB's release date is the `DatePosted` under which it fixes the most vulnerability ids
//!   (the later date on a tie); its title is `None`. `DatePosted` is a CVE's date, not the
//!   KB's: when Microsoft adds a newer KB to an old CVE, the row keeps the old CVE's date
//!   (KB4480970, January 2019's rollup, has rows dated 2018-08-08), so the earliest date is
//!   often months early. The date most of a KB's rows share is its release, the same rule
//!   [`crate::pick_release`] applies across CVRF documents.
//! - Bulletin-era rows (before 2017) name the OS in `AffectedProduct` and the component in
//!   `AffectedComponent`. When the component is one kbgap reports as a product of its own
//!   (Internet Explorer *N*, Microsoft Edge, Microsoft .NET Framework *N*, Adobe Flash Player)
//!   and the product is an operating system, the row becomes a fix of `<component> on <OS>`,
//!   the name MSRC uses for such products since 2017 ("Internet Explorer 11 on Windows 7 for
//!   x64-based Systems Service Pack 1"). Otherwise the component is only a tag (modern rows
//!   carry "Windows Kernel", or "Internet Explorer" for an OS update that fixes MSHTML) and
//!   the row stays a fix of the OS.
//! - Bulletin-era Office rows name the suite in `AffectedProduct` ("Microsoft Office 2016",
//!   "Microsoft Office 2010 Service Pack 2 (64-bit editions)") and the product the update is
//!   for in `AffectedComponent` ("Microsoft Word 2016 (64-bit edition)", "Microsoft Visio 2010
//!   Service Pack 2 (32-bit editions)"), which is how MSRC names Office products since 2017.
//!   When the component names a product of the suite's year, the row becomes a fix of that
//!   product, so that a machine with Office but no Visio is not told it misses Visio updates
//!   (see [`suite_component`]).

use std::collections::HashMap;
use std::io::{Read, Seek};
use std::str::FromStr;

use kbgap_domain::{Date, Kb, ProductKind};

use crate::error::{Error, Location, Result};
use crate::model::{Batch, Collector, SkipCounts};
use crate::names::{self, KbField};

/// The columns of every WES-NG CSV, in order.
pub const WESNG_COLUMNS: [&str; 10] = [
    "DatePosted",
    "CVE",
    "BulletinKB",
    "Title",
    "AffectedProduct",
    "AffectedComponent",
    "Severity",
    "Impact",
    "Supersedes",
    "Exploits",
];

const DATE: usize = 0;
const CVE: usize = 1;
const KB: usize = 2;
const PRODUCT: usize = 4;
const COMPONENT: usize = 5;
const SEVERITY: usize = 6;
const SUPERSEDES: usize = 8;

/// Parses every catalog CSV in a WES-NG `definitions.zip`: the `CVEs_*.csv` (required, first)
/// and the `Custom_*.csv` (if present). Other members (`Version_*.txt`) are ignored.
pub fn parse_wesng_zip<R: Read + Seek>(reader: R) -> Result<Vec<Batch>> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| Error::Zip(e.to_string()))?;
    let names: Vec<String> = zip
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<Result<_, _>>()
        .map_err(|e| Error::Zip(e.to_string()))?;
    let member = |prefix: &str| -> Vec<String> {
        names
            .iter()
            .filter(|n| {
                let base = n.rsplit('/').next().unwrap_or(n);
                base.len() > prefix.len()
                    && base[..prefix.len()].eq_ignore_ascii_case(prefix)
                    && base.to_ascii_lowercase().ends_with(".csv")
            })
            .cloned()
            .collect()
    };
    let cves = member("CVEs_");
    let custom = member("Custom_");
    match cves.len() {
        0 => {
            return Err(Error::Zip(format!(
                "no CVEs_*.csv in the archive, so it is not a WES-NG definitions.zip (members: {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )));
        }
        1 => {}
        _ => {
            return Err(Error::Zip(format!(
                "more than one CVEs_*.csv in the archive: {}",
                cves.join(", ")
            )));
        }
    }
    if custom.len() > 1 {
        return Err(Error::Zip(format!(
            "more than one Custom_*.csv in the archive: {}",
            custom.join(", ")
        )));
    }
    let mut batches = Vec::new();
    for name in cves.iter().chain(&custom) {
        let file = zip
            .by_name(name)
            .map_err(|e| Error::Zip(format!("{name}: {e}")))?;
        batches.push(parse_wesng_csv(name, file).map_err(|e| e.in_file(name.clone()))?);
    }
    Ok(batches)
}

/// The source id and revision a WES-NG file name implies: `CVEs_20260628.csv` →
/// (`wesng:CVEs`, `Some("2026-06-28")`).
fn source_of(file_name: &str) -> (String, Option<String>) {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let stem = base.split('.').next().unwrap_or(base);
    let (kind, date) = match stem.split_once('_') {
        Some((kind, rest)) => (kind, Date::from_str(rest).ok()),
        None => (stem, None),
    };
    let kind = if kind.is_empty() { "CVEs" } else { kind };
    (format!("wesng:{kind}"), date.map(|d| d.to_string()))
}

/// Parses one WES-NG CSV. `file_name` gives the source id and revision (`CVEs_20260628.csv`
/// → `wesng:CVEs`, `2026-06-28`); without a date in the name the revision is the newest
/// `DatePosted`.
pub fn parse_wesng_csv<R: Read>(file_name: &str, reader: R) -> Result<Batch> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .comment(Some(b'#'))
        .flexible(false)
        .buffer_capacity(1 << 16)
        .from_reader(reader);
    let mut record = csv::ByteRecord::new();
    if !csv.read_byte_record(&mut record).map_err(csv_error)? {
        return Err(Error::Empty);
    }
    check_header(&record)?;

    let mut state = State::default();
    while csv.read_byte_record(&mut record).map_err(csv_error)? {
        state.row(&record)?;
    }

    let (source, revision) = source_of(file_name);
    let revision =
        revision.unwrap_or_else(|| state.newest.map(|d| d.to_string()).unwrap_or_default());
    for (kb, dates) in std::mem::take(&mut state.vulns_by_date) {
        let best = dates
            .iter()
            .max_by_key(|(date, vulns)| (vulns.len(), **date))
            .map(|(date, _)| *date)
            .expect("a KB seen has a date");
        state.collector.release(kb, best, None);
    }
    // WES-NG keeps no FixedBuild, so it has no version fixes.
    let (updates, fixes, _) = state.collector.finish();
    Ok(Batch {
        source,
        revision,
        document: None,
        updates,
        fixes,
        version_fixes: Vec::new(),
        records: state.records,
        skipped: state.skipped,
    })
}

fn check_header(record: &csv::ByteRecord) -> Result<()> {
    let found: Vec<String> = record
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let f = if i == 0 {
                f.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(f)
            } else {
                f
            };
            String::from_utf8_lossy(f).trim().to_string()
        })
        .collect();
    if found.len() != WESNG_COLUMNS.len()
        || found
            .iter()
            .zip(WESNG_COLUMNS)
            .any(|(a, b)| !a.eq_ignore_ascii_case(b))
    {
        return Err(Error::Header {
            expected: WESNG_COLUMNS.join(","),
            found: found.join(","),
        });
    }
    Ok(())
}

fn csv_error(e: csv::Error) -> Error {
    let at = e.position().map(|p| Location::Record {
        record: p.record(),
        line: p.line(),
    });
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::Io(io),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => Error::invalid(
            at,
            format!("{len} fields where the header has {expected_len}"),
        ),
        other => Error::invalid(at, format!("{other:?}")),
    }
}

#[derive(Default)]
struct State {
    collector: Collector,
    skipped: SkipCounts,
    records: u64,
    newest: Option<Date>,
    /// Raw `AffectedProduct` bytes → product id.
    products: HashMap<Box<[u8]>, u32>,
    /// Product id → whether it is an operating system (for the component rule).
    is_os: HashMap<u32, bool>,
    /// (OS product id, component) → `<component> on <OS>` product id.
    components: HashMap<(u32, String), u32>,
    /// Product id → the year of the Office suite it names, if it names one.
    suites: HashMap<u32, Option<String>>,
    /// (suite product id, raw component) → the component's product id (or the suite's).
    suite_components: HashMap<(u32, Box<[u8]>), u32>,
    last_date: Option<(Box<[u8]>, Date)>,
    supersedes: Vec<Kb>,
    /// KB → DatePosted → the vulnerability ids (or, for rows naming none, a row marker) under
    /// that date: the evidence for the KB's release date.
    vulns_by_date: HashMap<Kb, std::collections::BTreeMap<Date, std::collections::HashSet<u32>>>,
}

impl State {
    fn row(&mut self, record: &csv::ByteRecord) -> Result<()> {
        self.records += 1;
        let at = || {
            record.position().map(|p| Location::Record {
                record: p.record(),
                line: p.line(),
            })
        };
        let field = |i: usize| -> Result<&str> {
            std::str::from_utf8(record.get(i).unwrap_or_default()).map_err(|_| {
                Error::invalid(at(), format!("column {} is not UTF-8", WESNG_COLUMNS[i]))
            })
        };

        let date = self
            .date(record.get(DATE).unwrap_or_default())
            .ok_or_else(|| {
                Error::invalid(
                    at(),
                    format!(
                        "DatePosted {:?} is not a date (YYYYMMDD)",
                        field(DATE).unwrap_or("?")
                    ),
                )
            })?;
        if self.newest.is_none_or(|n| date > n) {
            self.newest = Some(date);
        }
        let kb = match names::kb_field(field(KB)?) {
            KbField::Kb(kb) => kb,
            KbField::Empty => {
                self.skipped.no_kb += 1;
                return Ok(());
            }
            KbField::NotNumeric => {
                self.skipped.non_numeric_kb += 1;
                return Ok(());
            }
        };

        let raw_product = record.get(PRODUCT).unwrap_or_default();
        let mut product = match self.products.get(raw_product) {
            Some(&id) => id,
            None => {
                let id = self.collector.product(field(PRODUCT)?);
                self.products.insert(raw_product.into(), id);
                id
            }
        };
        let component = record.get(COMPONENT).unwrap_or_default();
        if may_be_component(component) {
            product = self.component_product(product, field(COMPONENT)?);
        } else if component.starts_with(b"Microsoft ") {
            product = self.suite_product(product, component, field(COMPONENT)?);
        }

        let vuln = match names::vuln_id(field(CVE)?) {
            Some(id) => Some(self.collector.vuln(&id)),
            None => {
                self.skipped.non_cve_id += 1;
                None
            }
        };
        self.supersedes.clear();
        self.skipped.non_kb_supersedence +=
            names::supersedence(field(SUPERSEDES)?, &mut self.supersedes);
        let severity = field(SEVERITY)?;

        self.vulns_by_date
            .entry(kb)
            .or_default()
            .entry(date)
            .or_default()
            .insert(vuln.unwrap_or(u32::MAX));
        let mut fix = self.collector.fix(kb, product);
        if let Some(v) = vuln {
            fix.vuln(v);
        }
        fix.supersedes(&self.supersedes).severity(Some(severity));
        Ok(())
    }

    fn date(&mut self, raw: &[u8]) -> Option<Date> {
        if let Some((bytes, date)) = &self.last_date
            && **bytes == *raw
        {
            return Some(*date);
        }
        let date = Date::from_str(std::str::from_utf8(raw).ok()?).ok()?;
        self.last_date = Some((raw.into(), date));
        Some(date)
    }

    /// The product a row of an Office suite tagged with `component` fixes (see the module
    /// docs).
    fn suite_product(&mut self, product: u32, raw: &[u8], component: &str) -> u32 {
        let year = self
            .suites
            .entry(product)
            .or_insert_with(|| suite_year(self.collector.product_name(product)));
        let Some(year) = year.clone() else {
            return product;
        };
        let key = (product, Box::<[u8]>::from(raw));
        if let Some(&id) = self.suite_components.get(&key) {
            return id;
        }
        let id = match suite_component(&year, component) {
            Some(name) if name != self.collector.product_name(product) => {
                self.collector.product(&name)
            }
            _ => product,
        };
        self.suite_components.insert(key, id);
        id
    }

    /// The product a row of `product` tagged with `component` fixes (see the module docs).
    fn component_product(&mut self, product: u32, component: &str) -> u32 {
        let Some(component) = reported_component(component) else {
            return product;
        };
        let is_os = *self.is_os.entry(product).or_insert_with(|| {
            crate::classify_product(self.collector.product_name(product)).kind
                == ProductKind::OperatingSystem
        });
        if !is_os {
            return product;
        }
        let key = (product, component);
        if let Some(&id) = self.components.get(&key) {
            return id;
        }
        let name = format!("{} on {}", key.1, self.collector.product_name(product));
        let id = self.collector.product(&name);
        self.components.insert(key, id);
        id
    }
}

/// The year of an Office suite product name: "Microsoft Office 2016", "Microsoft Office 2010
/// Service Pack 2 (64-bit editions)", "Microsoft Office 2007 Service Pack 3".
fn suite_year(product: &str) -> Option<String> {
    let rest = names::normalize_product_name(product);
    let rest = rest.strip_prefix("Microsoft Office ")?;
    let (year, mut tail) = rest.split_at_checked(4)?;
    if !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some(t) = tail.strip_prefix(" Service Pack ") {
        tail = t.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let qualifiers_ok = matches!(
        tail,
        "" | " (32-bit editions)"
            | " (64-bit editions)"
            | " (32-bit edition)"
            | " (64-bit edition)"
    );
    qualifiers_ok.then(|| year.to_string())
}

/// The product an `AffectedComponent` of an Office suite row names: a "Microsoft ..." name
/// that carries the suite's year as a word ("Microsoft Word 2016 (64-bit edition)"), or
/// `None` when the component is only a tag ("Microsoft Office", "Microsoft XML Core Services
/// 5.0", "Microsoft Graphics Component").
pub(crate) fn suite_component(year: &str, component: &str) -> Option<String> {
    let c = names::normalize_product_name(component);
    let has_year = c
        .split(|ch: char| !ch.is_ascii_alphanumeric())
        .any(|word| word == year);
    (c.starts_with("Microsoft ") && has_year).then(|| c.into_owned())
}

/// A cheap first test of `AffectedComponent` before [`reported_component`].
fn may_be_component(component: &[u8]) -> bool {
    const STARTS: [&[u8]; 7] = [
        b"Adobe Flash",
        b"Internet Explorer",
        b"Windows Internet Explorer",
        b"Microsoft Internet Explorer",
        b"Microsoft Edge",
        b"Microsoft .NET Framework",
        b".NET Framework",
    ];
    STARTS.iter().any(|s| component.starts_with(s))
}

/// The product name of an `AffectedComponent` that kbgap reports as a product of its own, or
/// `None` when the component is only a tag.
///
/// "Internet Explorer 11" / "Windows Internet Explorer 8" / "Microsoft Internet Explorer 6.0"
/// → "Internet Explorer N..."; "Microsoft .NET Framework 4.5.2" (a version is required:
/// a bare ".NET Framework" tags an OS update); exactly "Microsoft Edge"; exactly
/// "Adobe Flash Player".
pub(crate) fn reported_component(component: &str) -> Option<String> {
    let c = names::normalize_product_name(component);
    let has_version = |rest: &str| {
        rest.trim_start()
            .starts_with(|ch: char| ch.is_ascii_digit())
    };
    for prefix in [
        "Windows Internet Explorer",
        "Microsoft Internet Explorer",
        "Internet Explorer",
    ] {
        if let Some(rest) = c.strip_prefix(prefix) {
            return has_version(rest).then(|| format!("Internet Explorer{rest}"));
        }
    }
    for prefix in ["Microsoft .NET Framework", ".NET Framework"] {
        if let Some(rest) = c.strip_prefix(prefix) {
            return has_version(rest).then(|| format!("Microsoft .NET Framework{rest}"));
        }
    }
    match c.as_ref() {
        "Microsoft Edge" | "Adobe Flash Player" => Some(c.into_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_give_source_and_revision() {
        assert_eq!(
            source_of("CVEs_20260628.csv"),
            ("wesng:CVEs".into(), Some("2026-06-28".into()))
        );
        assert_eq!(
            source_of("dir/Custom_20190321.csv"),
            ("wesng:Custom".into(), Some("2019-03-21".into()))
        );
        assert_eq!(source_of("slice.csv"), ("wesng:slice".into(), None));
    }

    #[test]
    fn office_suite_rows_become_fixes_of_their_component() {
        assert_eq!(suite_year("Microsoft Office 2016").as_deref(), Some("2016"));
        assert_eq!(
            suite_year("Microsoft Office 2010 Service Pack 2 (64-bit editions)").as_deref(),
            Some("2010")
        );
        assert_eq!(
            suite_year("Microsoft Office 2007 Service Pack 3").as_deref(),
            Some("2007")
        );
        for not_a_suite in [
            "Microsoft Office 2016 for Mac",
            "Microsoft Office 2013 RT",
            "Microsoft Office 2016 Click-to-Run (C2R) for 64-bit editions",
            "Microsoft Office Web Apps 2010",
            "Microsoft Word 2016 (64-bit edition)",
        ] {
            assert_eq!(suite_year(not_a_suite), None, "{not_a_suite}");
        }
        assert_eq!(
            suite_component("2016", "Microsoft Word 2016 (64-bit edition)").as_deref(),
            Some("Microsoft Word 2016 (64-bit edition)")
        );
        assert_eq!(
            suite_component("2010", "Microsoft Pinyin IME 2010 (64-bit version)").as_deref(),
            Some("Microsoft Pinyin IME 2010 (64-bit version)")
        );
        for tag in [
            "Microsoft Office",
            "Microsoft XML Core Services 5.0",
            "Microsoft Excel 2013 Service Pack 1 (64-bit editions)",
            "Chinese (Simplified) Grammar Checker",
        ] {
            assert_eq!(suite_component("2016", tag), None, "{tag}");
        }
    }

    #[test]
    fn components_that_become_products() {
        assert_eq!(
            reported_component("Internet Explorer 11  ").as_deref(),
            Some("Internet Explorer 11")
        );
        assert_eq!(
            reported_component("Windows Internet Explorer 8").as_deref(),
            Some("Internet Explorer 8")
        );
        assert_eq!(
            reported_component("Microsoft Internet Explorer 6.0 Service Pack 1").as_deref(),
            Some("Internet Explorer 6.0 Service Pack 1")
        );
        assert_eq!(
            reported_component("Microsoft .NET Framework 4.5/4.5.1/4.5.2").as_deref(),
            Some("Microsoft .NET Framework 4.5/4.5.1/4.5.2")
        );
        assert_eq!(
            reported_component("Adobe Flash Player").as_deref(),
            Some("Adobe Flash Player")
        );
        assert_eq!(
            reported_component("Microsoft Edge").as_deref(),
            Some("Microsoft Edge")
        );
        for tag in [
            "Internet Explorer",
            ".NET Framework",
            "Microsoft Edge (Chromium-based)",
            "Windows Kernel",
            "",
        ] {
            assert_eq!(reported_component(tag), None, "{tag}");
        }
    }

    fn csv(body: &str) -> Result<Batch> {
        parse_wesng_csv("CVEs_20200311.csv", body.as_bytes())
    }

    const HEADER: &str = "\"DatePosted\",\"CVE\",\"BulletinKB\",\"Title\",\"AffectedProduct\",\"AffectedComponent\",\"Severity\",\"Impact\",\"Supersedes\",\"Exploits\"\n";

    #[test]
    fn rows_aggregate_per_kb_and_product() {
        let batch = csv(&format!(
            "{HEADER}\
             \"20200310\",\"CVE-2020-0001\",\"4540673\",\"t\",\"Windows 10 Version 1909 for x64-based Systems\",\"Windows Kernel\",\"Important\",\"EoP\",\"4532693\",\"\"\n\
             \"20200310\",\"CVE-2020-0004\",\"4540673\",\"t\",\"Windows 10 Version 1909 for x64-based Systems\",\"\",\"Important\",\"\",\"4532693\",\"\"\n\
             \"20200408\",\"CVE-2020-0002\",\"4540673\",\"t\",\"Windows 10 Version 1909 for x64-based Systems \",\"\",\"Critical\",\"RCE\",\"4532693;MS16-087\",\"\"\n\
             \"20200310\",\"\",\"\",\"t\",\"Windows 10 Version 1909 for x64-based Systems\",\"\",\"Low\",\"\",\"\",\"\"\n\
             \"20200310\",\"CVE-2020-0003\",\"Release Notes\",\"t\",\"Microsoft Edge (Chromium-based)\",\"\",\"Low\",\"\",\"\",\"\"\n\
             \"20161108\",\"CVE-2016-7202\",\"3205400\",\"t\",\"Windows Server 2012 R2\",\"Internet Explorer 11\",\"Critical\",\"\",\"\",\"\"\n"
        ))
        .unwrap();
        assert_eq!(batch.source, "wesng:CVEs");
        assert_eq!(batch.revision, "2020-03-11");
        assert_eq!(batch.records, 6);
        assert_eq!(batch.skipped.no_kb, 1);
        assert_eq!(batch.skipped.non_numeric_kb, 1);
        assert_eq!(batch.skipped.non_kb_supersedence, 1);
        assert_eq!(batch.fixes.len(), 2);
        let f = &batch.fixes[0];
        assert_eq!(f.kb.number(), 4540673);
        assert_eq!(f.product, "Windows 10 Version 1909 for x64-based Systems");
        assert_eq!(
            f.cves.iter().collect::<Vec<_>>(),
            ["CVE-2020-0001", "CVE-2020-0002", "CVE-2020-0004"]
        );
        assert_eq!(
            f.supersedes.iter().map(|k| k.number()).collect::<Vec<_>>(),
            [4532693]
        );
        assert_eq!(f.severity.as_deref(), Some("Critical"));
        assert_eq!(
            batch.fixes[1].product,
            "Internet Explorer 11 on Windows Server 2012 R2"
        );
        let u = batch
            .updates
            .iter()
            .find(|u| u.kb.number() == 4540673)
            .unwrap();
        // Two of its vulnerabilities are dated 2020-03-10, one (a later CVE revision) 04-08.
        assert_eq!(u.release_date.to_string(), "2020-03-10");
        assert_eq!(u.title, None);
    }

    #[test]
    fn errors_name_the_problem_and_the_record() {
        assert!(matches!(csv(""), Err(Error::Empty)));
        let e = csv("DatePosted,CVE,KB\n1,2,3\n").unwrap_err();
        assert!(matches!(e, Error::Header { .. }), "{e}");
        assert!(e.to_string().contains("not a WES-NG CSV header"), "{e}");
        let e = csv(&format!("{HEADER}\"20200310\",\"CVE-2020-0001\"\n")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "record 1 (line 2): 2 fields where the header has 10"
        );
        let e = csv(&format!(
            "{HEADER}\"2020031x\",\"\",\"4540673\",\"\",\"p\",\"\",\"\",\"\",\"\",\"\"\n"
        ))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "record 1 (line 2): DatePosted \"2020031x\" is not a date (YYYYMMDD)"
        );
    }
}
