//! Products serviced by version: Edge (Chromium), Visual Studio 2017 and later, Visual
//! Studio Code. MSRC fixes their vulnerabilities with a version of the product ("Release
//! Notes", FixedBuild 121.0.2277.83), not with a KB, so there is no KB to report: the
//! machine is out of date when the version its inventory states is lower than the one that
//! fixes a vulnerability of the product.
//!
//! A product with several servicing lines lists one fixed version per line; the one on the
//! installed version's line (same major version) decides, else the lowest. A program whose
//! version the inventory does not state, or states as something other than a dotted version,
//! is not judged: it runs the product (its KB fixes still apply) but no version can be
//! compared.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use kbgap_catalog::applications::InstalledSoftware;
use kbgap_domain::{Date, SoftwareId, Version};

use crate::{AssessOptions, CatalogSlice};

/// A vulnerability fixed by a version of a product: `products[product]` is fixed against
/// `cve` from `fixed_versions` on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VersionFix {
    /// Index into [`CatalogSlice::products`].
    pub product: usize,
    pub cve: String,
    /// One per servicing line, lowest first.
    pub fixed_versions: Vec<Version>,
    #[serde(default)]
    pub severity: Option<String>,
    pub release_date: Date,
}

impl VersionFix {
    /// The version that fixes the vulnerability for a machine running `installed`.
    fn threshold(&self, installed: &Version) -> Option<&Version> {
        self.fixed_versions
            .iter()
            .find(|v| v.major() == installed.major())
            .or_else(|| self.fixed_versions.first())
    }
}

/// A product the machine runs at a version older than one that fixes its vulnerabilities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutdatedProduct {
    /// Index into [`CatalogSlice::products`].
    pub product: usize,
    pub software: SoftwareId,
    /// The version the inventory states.
    pub installed: Version,
    /// The lowest version that fixes every open vulnerability: update to it or later.
    pub fixed_by: Version,
    /// When the newest of those fixes was published.
    pub release_date: Date,
    pub open_vulnerabilities: BTreeSet<String>,
}

/// The installed version of each selected application product whose program states one
/// (empty without a program list).
pub(crate) fn installed_versions(
    programs: &InstalledSoftware,
    catalog: &CatalogSlice,
    selected: &HashSet<usize>,
) -> HashMap<usize, Version> {
    let mut versions = programs.installed_versions(&catalog.products);
    versions.retain(|product, _| selected.contains(product));
    versions
}

/// Per software, the lowest installed version of its products: what a fleet's version
/// distribution counts.
pub(crate) fn software_versions(
    catalog: &CatalogSlice,
    installed: &HashMap<usize, Version>,
) -> Vec<(SoftwareId, Version)> {
    let mut lowest: BTreeMap<&SoftwareId, &Version> = BTreeMap::new();
    for (product, version) in installed {
        let entry = lowest
            .entry(&catalog.products[*product].software)
            .or_insert(version);
        if version < *entry {
            *entry = version;
        }
    }
    lowest
        .into_iter()
        .map(|(software, version)| (software.clone(), version.clone()))
        .collect()
}

/// The machine's products serviced by version that are out of date, by product name.
pub(crate) fn outdated_products(
    catalog: &CatalogSlice,
    installed: &HashMap<usize, Version>,
    selected: &HashSet<usize>,
    options: AssessOptions,
) -> Vec<OutdatedProduct> {
    let fixes = catalog
        .version_fixes
        .iter()
        .filter(|f| selected.contains(&f.product))
        .filter(|f| options.as_of.is_none_or(|cut| f.release_date <= cut));
    let mut outdated: BTreeMap<usize, OutdatedProduct> = BTreeMap::new();
    for fix in fixes {
        let Some(version) = installed.get(&fix.product) else {
            continue;
        };
        let Some(threshold) = fix.threshold(version) else {
            continue;
        };
        if version >= threshold {
            continue;
        }
        let entry = outdated
            .entry(fix.product)
            .or_insert_with(|| OutdatedProduct {
                product: fix.product,
                software: catalog.products[fix.product].software.clone(),
                installed: version.clone(),
                fixed_by: threshold.clone(),
                release_date: fix.release_date,
                open_vulnerabilities: BTreeSet::new(),
            });
        if *threshold > entry.fixed_by {
            entry.fixed_by = threshold.clone();
        }
        entry.release_date = entry.release_date.max(fix.release_date);
        entry.open_vulnerabilities.insert(fix.cve.clone());
    }
    let mut result: Vec<OutdatedProduct> = outdated.into_values().collect();
    result.sort_by(|a, b| {
        catalog.products[a.product]
            .name
            .cmp(&catalog.products[b.product].name)
    });
    result
}
