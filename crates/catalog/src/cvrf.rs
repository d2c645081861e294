//! MSRC CVRF documents (the Security Update Guide's monthly releases), in XML and JSON.
//!
//! Both forms are read into the same intermediate [`RawDoc`] (strings as written), then
//! [`build`] turns it into a [`Batch`] with one set of rules:
//! - Only `Remediation`s of type Vendor Fix (XML `Type="Vendor Fix"`, JSON `Type: 2`) are
//!   fixes; Known Issue, Workaround, Mitigation and the others are counted in
//!   `not_vendor_fix`.
//! - A vendor fix's `Description` is the KB number. A fix without one whose `FixedBuild` is
//!   a dotted version ("Release Notes", 121.0.2277.83: Edge, Visual Studio 2017 and later)
//!   is a [`crate::VersionFix`] per product and CVE, dated by the CVE's first revision. Any
//!   other empty KB counts as `no_kb`, any other non-numeric one ("Click to Run",
//!   "CBL-Mariner Releases") as `non_numeric_kb`.
//! - `Supercedence` is split on anything but letters, digits, `.` and `-`; numeric tokens are
//!   KBs, the rest (bulletin ids) are counted.
//! - `FixedBuild` is kept as written, `SubType` too; the Severity threat of the product for
//!   that vulnerability gives the fix's severity (the highest over its vulnerabilities).
//! - Every KB's release date is the document's `InitialReleaseDate` and its title the
//!   `DocumentTitle`: old documents gain later KBs when CVEs are revised, so the consumer takes
//!   the earliest date over all documents.
//! - "Mariner Release Notes" documents (CBL-Mariner pseudo-months with ids from `1999-Sep`)
//!   are not security releases: their batch is empty, with `pseudo_document = 1`.

use std::collections::HashMap;
use std::rc::Rc;
use std::str::FromStr;

use kbgap_domain::{Date, Version};

use crate::error::{Error, Result};
use crate::model::{Batch, Collector, DocumentInfo, SkipCounts};
use crate::names::{self, KbField};

/// A CVRF document as read, before any rule is applied.
#[derive(Debug, Default)]
pub(crate) struct RawDoc {
    pub id: Option<String>,
    pub title: Option<String>,
    pub initial_release: Option<String>,
    pub current_release: Option<String>,
    /// ProductID → full product name.
    pub products: HashMap<String, String>,
    pub vulns: Vec<RawVuln>,
    /// Remediation elements read (of any type).
    pub remediations: u64,
    /// Remediations that are not vendor fixes.
    pub not_vendor_fix: u64,
}

#[derive(Debug, Default)]
pub(crate) struct RawVuln {
    pub id: Option<String>,
    /// ProductID → the Severity threat's description (shared: a few values, many products).
    pub severity: HashMap<String, Rc<str>>,
    pub fixes: Vec<RawFix>,
    /// The earliest date of its `RevisionHistory`, as written (ISO 8601, so the text orders
    /// as the date does).
    pub first_revision: Option<String>,
}

impl RawVuln {
    /// Notes a revision date of the vulnerability.
    pub fn revised(&mut self, date: String) {
        let date = date.trim();
        if !date.is_empty() && self.first_revision.as_deref().is_none_or(|d| date < d) {
            self.first_revision = Some(date.to_string());
        }
    }
}

/// A Vendor Fix remediation.
#[derive(Debug, Default)]
pub(crate) struct RawFix {
    pub kb: String,
    pub product_ids: Vec<String>,
    pub supercedence: Option<String>,
    pub sub_type: Option<String>,
    pub fixed_build: Option<String>,
}

/// Whether a document title names something other than a security release: the
/// "Mariner Release Notes" pseudo-months.
pub fn is_pseudo_document(title: &str) -> bool {
    let t = title.to_ascii_lowercase();
    t.contains("release notes") && !t.contains("security update")
}

/// `2018-FEB` → `2018-Feb`: one spelling per month, so that the source id of a document does
/// not depend on the case its publisher used.
fn canonical_id(id: &str) -> String {
    let mut parts: Vec<String> = id.split('-').map(str::to_string).collect();
    if parts.len() >= 2 && parts[1].len() == 3 && parts[1].bytes().all(|b| b.is_ascii_alphabetic())
    {
        let m = parts[1].to_ascii_lowercase();
        parts[1] = m[..1].to_ascii_uppercase() + &m[1..];
    }
    parts.join("-")
}

pub(crate) fn build(raw: RawDoc) -> Result<Batch> {
    let id = raw
        .id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::NotCvrf("no DocumentTracking/Identification/ID".into()))?
        .to_string();
    let title = raw
        .title
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    let date = |field: &str, value: &Option<String>| -> Result<Option<Date>> {
        match value.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(v) => Date::from_str(v)
                .map(Some)
                .map_err(|_| Error::invalid(None, format!("{field} {v:?} is not a date"))),
        }
    };
    let initial = date("InitialReleaseDate", &raw.initial_release)?
        .ok_or_else(|| Error::invalid(None, format!("document {id} has no InitialReleaseDate")))?;
    let current = date("CurrentReleaseDate", &raw.current_release)?;
    let revision = raw
        .current_release
        .as_deref()
        .or(raw.initial_release.as_deref())
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    let document = DocumentInfo {
        id: id.clone(),
        title: title.clone(),
        initial_release_date: initial,
        current_release_date: current,
    };
    let mut batch = Batch {
        source: format!("cvrf:{}", canonical_id(&id)),
        revision,
        document: Some(document),
        updates: Vec::new(),
        fixes: Vec::new(),
        version_fixes: Vec::new(),
        records: raw.remediations,
        skipped: SkipCounts::default(),
    };
    if is_pseudo_document(&title) {
        batch.skipped.pseudo_document = 1;
        return Ok(batch);
    }

    let mut skipped = SkipCounts {
        not_vendor_fix: raw.not_vendor_fix,
        ..SkipCounts::default()
    };
    let mut collector = Collector::default();
    let mut product_ids: HashMap<&str, u32> = HashMap::new();
    let mut supersedes = Vec::new();
    for vuln in &raw.vulns {
        let name = vuln.id.as_deref().and_then(names::vuln_id);
        let vuln_id = match &name {
            Some(v) => Some(collector.vuln(v)),
            None => {
                if !vuln.fixes.is_empty() {
                    skipped.non_cve_id += 1;
                }
                None
            }
        };
        let cve = vuln_id.filter(|_| name.as_deref().is_some_and(|n| n.starts_with("CVE-")));
        // Chromium fixes are published all month long, some before the month's release
        // date: a version fix is dated by its vulnerability's first revision.
        let published = vuln
            .first_revision
            .as_deref()
            .and_then(|d| Date::from_str(d).ok())
            .unwrap_or(initial);
        for fix in &vuln.fixes {
            let remedy = match names::kb_field(&fix.kb) {
                KbField::Kb(kb) => Remedy::Kb(kb),
                // "Release Notes" with the version that fixes it: a product serviced by
                // version. (A KB fix's FixedBuild is never parsed here.)
                other => match (cve, fixed_version(fix), other) {
                    (Some(cve), Some(version), _) => Remedy::Version(cve, version),
                    (.., KbField::Empty) => {
                        skipped.no_kb += 1;
                        continue;
                    }
                    _ => {
                        skipped.non_numeric_kb += 1;
                        continue;
                    }
                },
            };
            if fix.product_ids.is_empty() {
                skipped.no_product += 1;
                continue;
            }
            let products = fix_products(fix, &raw.products, &mut product_ids, &mut collector);
            skipped.unknown_product += (fix.product_ids.len() - products.len()) as u64;
            let kb = match remedy {
                Remedy::Kb(kb) => kb,
                Remedy::Version(cve, version) => {
                    for (pid, product) in products {
                        let severity = vuln.severity.get(pid).map(|s| &**s);
                        collector.version_fix(product, cve, version.clone(), severity, published);
                    }
                    continue;
                }
            };
            supersedes.clear();
            if let Some(s) = &fix.supercedence {
                skipped.non_kb_supersedence += names::supersedence(s, &mut supersedes);
            }
            for &(pid, product) in &products {
                let mut f = collector.fix(kb, product);
                if let Some(v) = vuln_id {
                    f.vuln(v);
                }
                f.supersedes(&supersedes)
                    .sub_type(fix.sub_type.as_deref().map(str::trim))
                    .fixed_build(fix.fixed_build.as_deref().map(str::trim))
                    .severity(vuln.severity.get(pid).map(|s| &**s));
            }
            if !products.is_empty() {
                collector.release(kb, initial, Some(&title));
            }
        }
    }
    let (updates, fixes, version_fixes) = collector.finish();
    batch.updates = updates;
    batch.fixes = fixes;
    batch.version_fixes = version_fixes;
    batch.skipped = skipped;
    Ok(batch)
}

/// What a vendor fix delivers: a KB, or a version of the product (for a CVE, by its id in
/// the collector).
enum Remedy {
    Kb(kbgap_domain::Kb),
    Version(u32, Version),
}

/// The version a fix's `FixedBuild` names, if it is one.
fn fixed_version(fix: &RawFix) -> Option<Version> {
    fix.fixed_build.as_deref()?.parse().ok()
}

/// The collector's ids of a fix's products (with the ProductID as written); ids the
/// ProductTree lacks are left out.
fn fix_products<'r>(
    fix: &'r RawFix,
    tree: &'r HashMap<String, String>,
    ids: &mut HashMap<&'r str, u32>,
    collector: &mut Collector,
) -> Vec<(&'r str, u32)> {
    fix.product_ids
        .iter()
        .filter_map(|pid| {
            let pid = pid.trim();
            let product = match ids.get(pid) {
                Some(&p) => p,
                None => {
                    let p = collector.product(tree.get(pid)?);
                    ids.insert(pid, p);
                    p
                }
            };
            Some((pid, product))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudo_documents() {
        assert!(is_pseudo_document("Mariner Release Notes"));
        assert!(!is_pseudo_document("March 2020 Security Updates"));
        assert!(!is_pseudo_document("July 2026 Early Security Updates"));
    }

    #[test]
    fn ids_have_one_spelling() {
        assert_eq!(canonical_id("2018-FEB"), "2018-Feb");
        assert_eq!(canonical_id("2020-Mar"), "2020-Mar");
        assert_eq!(canonical_id("2017-May-B"), "2017-May-B");
        assert_eq!(canonical_id("weird"), "weird");
    }
}
