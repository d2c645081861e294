//! The normalized catalog model every parser produces.
//!
//! Both sources say the same thing in different shapes: "KB *k* is a vendor fix for product
//! *p* (for these CVEs, superseding these KBs)". The model keeps exactly that, one
//! [`ProductFix`] per (KB, product name), plus one [`UpdateInfo`] per KB with the facts the
//! API reports about it (release date, title). Everything is aggregated per imported unit, a
//! [`Batch`], whose `source` id lets a store replace what an older copy of the same unit
//! said, atomically.
//!
//! Products Microsoft services by version instead of by KB (Edge, Visual Studio 2017 and
//! later) have fixes whose "KB" is "Release Notes" and whose `FixedBuild` is the version that
//! fixes the vulnerability; those are kept apart as [`VersionFix`]es, one per (product,
//! vulnerability), because no KB can be reported for them.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use kbgap_domain::{Date, Kb};

use crate::names::{self, Severity};

/// Everything one imported unit (one CVRF document, one WES-NG CSV) says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Batch {
    /// Stable id of what was imported: `cvrf:2020-Mar`, `wesng:CVEs`, `wesng:Custom`.
    /// Independent of the copy's date, so a newer copy of the same unit replaces the older.
    pub source: String,
    /// Which copy this is, comparable as text within one source: the document's
    /// `CurrentReleaseDate` as written (`2020-04-01T07:00:00Z`), or the date in a WES-NG file
    /// name (`2026-06-28`; the newest `DatePosted` when the name has none).
    pub revision: String,
    /// The CVRF document's identification; `None` for WES-NG.
    pub document: Option<DocumentInfo>,
    /// One entry per KB that is a vendor fix in this unit, sorted by KB.
    pub updates: Vec<UpdateInfo>,
    /// One entry per (KB, product name), in order of first appearance in the input.
    pub fixes: Vec<ProductFix>,
    /// One entry per (product name, CVE) fixed by a version of the product, in order of
    /// first appearance. Older serialized batches have none.
    #[serde(default)]
    pub version_fixes: Vec<VersionFix>,
    /// Rows (WES-NG) or `Remediation` elements (CVRF) read.
    pub records: u64,
    /// What was deliberately left out, by reason.
    pub skipped: SkipCounts,
}

impl Batch {
    /// Whether the batch holds no fix at all: a skipped pseudo-month, or a document the API
    /// served empty (it happens for hours after Patch Tuesday). A store should not let such a
    /// batch replace a stored copy of the same source that has fixes.
    pub fn is_empty(&self) -> bool {
        self.fixes.is_empty() && self.updates.is_empty() && self.version_fixes.is_empty()
    }
}

/// The identification of a CVRF document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DocumentInfo {
    /// `DocumentTracking/Identification/ID` as written (`2020-Mar`, `2018-FEB`, `2017-May-B`).
    pub id: String,
    /// `DocumentTitle` ("March 2020 Security Updates").
    pub title: String,
    pub initial_release_date: Date,
    pub current_release_date: Option<Date>,
}

/// What the catalog says about one KB.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UpdateInfo {
    pub kb: Kb,
    /// CVRF: the `InitialReleaseDate` of the document. Old documents gain later KBs when
    /// their CVEs are revised, so across documents the earliest date is often wrong (692 of
    /// 5,236 KBs in the 2026 feed); [`crate::release_dates`] picks the right document.
    /// WES-NG: the earliest `DatePosted` of the KB's rows (`DatePosted` is the date of the
    /// CVE's last revision, so the earliest one is the closest to the release).
    pub release_date: Date,
    /// The `DocumentTitle` of the CVRF document ("March 2020 Security Updates"); `None` for
    /// WES-NG, which has no titles (the consumer names the release after its month).
    pub title: Option<String>,
}

/// One KB fixing one product.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProductFix {
    pub kb: Kb,
    /// The full product name, white space collapsed ("Windows 10 Version 1909 for x64-based
    /// Systems"); classify it with [`crate::classify_product`].
    pub product: String,
    /// CVRF `SubType` ("Security Update", "Monthly Rollup", "Security Only", "IE Cumulative",
    /// "Servicing Stack Update"); the first one seen when remediations disagree. `None` for
    /// WES-NG.
    pub sub_type: Option<String>,
    /// CVRF `FixedBuild` values as written, distinct, in order of appearance. Not always a
    /// version (`2.28-12`, `-`, a URL): validate before comparing.
    pub fixed_builds: Vec<String>,
    /// KBs this one replaces for this product (numeric tokens of `Supercedence`/`Supersedes`).
    pub supersedes: BTreeSet<Kb>,
    /// Vulnerability ids fixed: CVE ids and advisory ids (`ADV990001`) as given, upper case.
    /// Consumers that count CVEs exclude the `ADV` ones. May be empty (a service pack row).
    pub cves: BTreeSet<String>,
    /// The highest severity stated for this product over those vulnerabilities ("Critical",
    /// "Important", "Moderate", "Low").
    pub severity: Option<String>,
}

/// A vulnerability fixed by a version of a product that is serviced by version: "Microsoft
/// Edge (Chromium-based)" has CVE-2024-21326 fixed in 121.0.2277.83.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VersionFix {
    /// The full product name, normalized as [`ProductFix::product`].
    pub product: String,
    /// The CVE id, upper case.
    pub cve: String,
    /// The versions that fix it, distinct, lowest first: usually one; several when the
    /// product has several servicing lines (a consumer compares with the line it runs).
    pub fixed_versions: Vec<kbgap_domain::Version>,
    /// The severity MSRC states for the vulnerability on this product.
    pub severity: Option<String>,
    /// When the vulnerability was published: its first revision's date (Chromium fixes
    /// arrive weekly, before or after the month's release date), else the document's.
    pub release_date: Date,
}

/// Counts of what a parser left out on purpose, so that nothing is dropped by accident and a
/// CLI can print a summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SkipCounts {
    /// Rows / vendor fixes without any KB (WES-NG rows with an empty `BulletinKB`: CVEs with no
    /// update, or fixed only in products serviced by version).
    pub no_kb: u64,
    /// Rows / vendor fixes whose "KB" is not a KB number and that carry no version to
    /// compare: "Click to Run", "CBL-Mariner Releases", Mariner package names, WES-NG
    /// service-pack ids (`SP81X86`). A CVRF fix with a dotted `FixedBuild` becomes a
    /// [`VersionFix`] instead.
    pub non_numeric_kb: u64,
    /// CVRF remediations that are not a Vendor Fix (Known Issue, Workaround, Mitigation, ...).
    pub not_vendor_fix: u64,
    /// CVRF vendor fixes that name no product.
    pub no_product: u64,
    /// CVRF product references missing from the document's ProductTree.
    pub unknown_product: u64,
    /// Whole CVRF documents skipped because they are not monthly security releases
    /// ("Mariner Release Notes" pseudo-months dated from 1999-Sep).
    pub pseudo_document: u64,
    /// Vulnerability ids left out of `cves` because they are not CVE/ADV ids (WES-NG
    /// service-pack pseudo ids such as `SP81U1X86`, a bare `CVE`, an empty id); the fix itself
    /// is kept.
    pub non_cve_id: u64,
    /// Supersedence tokens that are not KB numbers (bulletin ids such as `MS16-087`, `None`,
    /// version strings, HTML), left out of `supersedes`.
    pub non_kb_supersedence: u64,
}

impl SkipCounts {
    /// The non-zero counts with a short label each, in a stable order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> {
        [
            ("no KB", self.no_kb),
            ("non-numeric KB", self.non_numeric_kb),
            ("not a vendor fix", self.not_vendor_fix),
            ("no product", self.no_product),
            ("unknown product id", self.unknown_product),
            ("pseudo document", self.pseudo_document),
            ("not a CVE id", self.non_cve_id),
            ("non-KB supersedence token", self.non_kb_supersedence),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
    }

    pub fn total(&self) -> u64 {
        self.iter().map(|(_, n)| n).sum()
    }

    /// Adds another batch's counts (for a summary over many batches).
    pub fn add(&mut self, other: &SkipCounts) {
        self.no_kb += other.no_kb;
        self.non_numeric_kb += other.non_numeric_kb;
        self.not_vendor_fix += other.not_vendor_fix;
        self.no_product += other.no_product;
        self.unknown_product += other.unknown_product;
        self.pseudo_document += other.pseudo_document;
        self.non_cve_id += other.non_cve_id;
        self.non_kb_supersedence += other.non_kb_supersedence;
    }
}

impl fmt::Display for SkipCounts {
    /// `no KB: 128851, non-numeric KB: 41432`, or `nothing` when all counts are zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (label, n) in self.iter() {
            if !first {
                f.write_str(", ")?;
            }
            write!(f, "{label}: {n}")?;
            first = false;
        }
        if first {
            f.write_str("nothing")?;
        }
        Ok(())
    }
}

/// Aggregates fix statements into [`ProductFix`]es and [`UpdateInfo`]s with interned strings,
/// so that the 600,000 rows of the WES-NG CSV cost a few hash lookups each.
#[derive(Default)]
pub(crate) struct Collector {
    products: Vec<String>,
    product_index: HashMap<String, u32>,
    vulns: Vec<String>,
    vuln_index: HashMap<String, u32>,
    fixes: Vec<FixAgg>,
    fix_index: HashMap<(Kb, u32), usize>,
    updates: HashMap<Kb, (Date, Option<String>)>,
    /// (product, vulnerability) → fixed versions, severity, release date.
    version_fixes: Vec<((u32, u32), VersionFixAgg)>,
    version_fix_index: HashMap<(u32, u32), usize>,
}

struct VersionFixAgg {
    versions: Vec<kbgap_domain::Version>,
    severity: Option<(Severity, String)>,
    release_date: Date,
}

struct FixAgg {
    kb: Kb,
    product: u32,
    sub_type: Option<String>,
    fixed_builds: Vec<String>,
    supersedes: BTreeSet<Kb>,
    vulns: Vec<u32>,
    severity: Option<(Severity, String)>,
}

impl Collector {
    /// The id of a product name (normalized here).
    pub(crate) fn product(&mut self, name: &str) -> u32 {
        let name = names::normalize_product_name(name);
        if let Some(&id) = self.product_index.get(name.as_ref()) {
            return id;
        }
        let id = self.products.len() as u32;
        self.products.push(name.to_string());
        self.product_index.insert(name.into_owned(), id);
        id
    }

    pub(crate) fn product_name(&self, id: u32) -> &str {
        &self.products[id as usize]
    }

    /// The id of a vulnerability id that is already canonical (see [`names::vuln_id`]).
    pub(crate) fn vuln(&mut self, id: &str) -> u32 {
        if let Some(&n) = self.vuln_index.get(id) {
            return n;
        }
        let n = self.vulns.len() as u32;
        self.vulns.push(id.to_string());
        self.vuln_index.insert(id.to_string(), n);
        n
    }

    /// Records that `kb` was released on `date` (the earliest date wins) with `title`.
    pub(crate) fn release(&mut self, kb: Kb, date: Date, title: Option<&str>) {
        self.updates
            .entry(kb)
            .and_modify(|(d, t)| {
                if date < *d {
                    *d = date;
                }
                if t.is_none() {
                    *t = title.map(str::to_string);
                }
            })
            .or_insert_with(|| (date, title.map(str::to_string)));
    }

    /// The aggregate for (kb, product), created on first use.
    pub(crate) fn fix(&mut self, kb: Kb, product: u32) -> FixRef<'_> {
        let next = self.fixes.len();
        let index = *self.fix_index.entry((kb, product)).or_insert(next);
        if index == next {
            self.fixes.push(FixAgg {
                kb,
                product,
                sub_type: None,
                fixed_builds: Vec::new(),
                supersedes: BTreeSet::new(),
                vulns: Vec::new(),
                severity: None,
            });
        }
        FixRef(&mut self.fixes[index])
    }

    /// Records that `version` of `product` fixes vulnerability `vuln` (published on `date`,
    /// the earliest date wins), with the severity stated for the product.
    pub(crate) fn version_fix(
        &mut self,
        product: u32,
        vuln: u32,
        version: kbgap_domain::Version,
        severity: Option<&str>,
        date: Date,
    ) {
        let next = self.version_fixes.len();
        let index = *self
            .version_fix_index
            .entry((product, vuln))
            .or_insert(next);
        if index == next {
            self.version_fixes.push((
                (product, vuln),
                VersionFixAgg {
                    versions: Vec::new(),
                    severity: None,
                    release_date: date,
                },
            ));
        }
        let agg = &mut self.version_fixes[index].1;
        if !agg.versions.contains(&version) {
            agg.versions.push(version);
        }
        agg.release_date = agg.release_date.min(date);
        if let Some(s) = severity.map(str::trim).filter(|s| !s.is_empty()) {
            let rank = Severity::rank(s);
            if agg.severity.as_ref().is_none_or(|(r, _)| rank > *r) {
                agg.severity = Some((rank, s.to_string()));
            }
        }
    }

    pub(crate) fn finish(self) -> (Vec<UpdateInfo>, Vec<ProductFix>, Vec<VersionFix>) {
        let mut updates: Vec<UpdateInfo> = self
            .updates
            .into_iter()
            .map(|(kb, (release_date, title))| UpdateInfo {
                kb,
                release_date,
                title,
            })
            .collect();
        updates.sort_by_key(|u| u.kb);
        let fixes = self
            .fixes
            .into_iter()
            .map(|f| ProductFix {
                kb: f.kb,
                product: self.products[f.product as usize].clone(),
                sub_type: f.sub_type,
                fixed_builds: f.fixed_builds,
                supersedes: f.supersedes,
                cves: f
                    .vulns
                    .iter()
                    .map(|&v| self.vulns[v as usize].clone())
                    .collect(),
                severity: f.severity.map(|(_, s)| s),
            })
            .collect();
        let version_fixes = self
            .version_fixes
            .into_iter()
            .map(|((product, vuln), mut agg)| {
                agg.versions.sort();
                VersionFix {
                    product: self.products[product as usize].clone(),
                    cve: self.vulns[vuln as usize].clone(),
                    fixed_versions: agg.versions,
                    severity: agg.severity.map(|(_, s)| s),
                    release_date: agg.release_date,
                }
            })
            .collect();
        (updates, fixes, version_fixes)
    }
}

/// A handle to add facts to one (KB, product) aggregate.
pub(crate) struct FixRef<'a>(&'a mut FixAgg);

impl FixRef<'_> {
    pub(crate) fn vuln(&mut self, id: u32) -> &mut Self {
        // Rows of one fix usually arrive together, so a check of the last id avoids most
        // duplicates; the set is built at the end anyway.
        if self.0.vulns.last() != Some(&id) {
            self.0.vulns.push(id);
        }
        self
    }

    pub(crate) fn supersedes(&mut self, kbs: &[Kb]) -> &mut Self {
        self.0
            .supersedes
            .extend(kbs.iter().copied().filter(|&k| k != self.0.kb));
        self
    }

    pub(crate) fn sub_type(&mut self, sub_type: Option<&str>) -> &mut Self {
        if self.0.sub_type.is_none() {
            self.0.sub_type = sub_type.filter(|s| !s.is_empty()).map(str::to_string);
        }
        self
    }

    pub(crate) fn fixed_build(&mut self, build: Option<&str>) -> &mut Self {
        if let Some(b) = build.filter(|b| !b.is_empty())
            && !self.0.fixed_builds.iter().any(|x| x == b)
        {
            self.0.fixed_builds.push(b.to_string());
        }
        self
    }

    pub(crate) fn severity(&mut self, severity: Option<&str>) -> &mut Self {
        if let Some(s) = severity.map(str::trim).filter(|s| !s.is_empty()) {
            let rank = Severity::rank(s);
            if self.0.severity.as_ref().is_none_or(|(r, _)| rank > *r) {
                self.0.severity = Some((rank, s.to_string()));
            }
        }
        self
    }
}
