//! Cumulative chains that the catalog leaves implicit.
//!
//! Since October 2016 every Windows release is serviced by cumulative updates: Windows 10
//! and later by one latest cumulative update (LCU) a month, Windows 7 to 8.1 and their
//! servers by a Monthly Rollup (with a non-cumulative Security-only alternative), Internet
//! Explorer by its own cumulative update. MSRC's `Supercedence` names the previous one only
//! sometimes, so an engine that trusts it alone reports every older LCU as missing on a
//! machine that has the newest (WES-NG's hundreds of false positives).
//!
//! The month's cumulative update of a product is recognised by shape, which works on
//! catalogs with and without SubType (WES-NG has none): it fixes the most vulnerabilities
//! of that product that month, and either no other update ties it or it names a
//! predecessor (a Security-only update ties its rollup but never supersedes anything).
//! Each month's cumulative updates then supersede the previous month's.

use std::collections::{BTreeMap, HashMap};

use kbgap_domain::{Date, Kb, OsFamily, ProductKind};

use crate::{CatalogSlice, Fix, is_security_only};

/// Before this date, Windows 7 to 8.1 (and their servers) were patched by individual,
/// non-cumulative updates; only later updates form chains.
fn rollup_model_start() -> Date {
    Date::new(2016, 10, 1).expect("valid date")
}

/// `(newer, older)` pairs: `newer` is a later cumulative update of a product `older` was.
pub(crate) fn inferred_edges(
    catalog: &CatalogSlice,
    fixes: &[&Fix],
    selected: &[usize],
) -> Vec<(Kb, Kb)> {
    let mut edges = Vec::new();
    for &product in selected {
        let info = &catalog.products[product];
        if info.kind == ProductKind::Application {
            continue;
        }
        let pre_windows_10 = info
            .platform
            .as_ref()
            .is_some_and(|t| t.family < OsFamily::Windows10);
        // Per month: each KB with its number of vulnerabilities on this product.
        let mut months: BTreeMap<(u16, u8), Vec<&Fix>> = BTreeMap::new();
        for fix in fixes.iter().filter(|f| f.product == product) {
            let date = catalog.updates[&fix.kb].release_date;
            if pre_windows_10 && date < rollup_model_start() {
                continue;
            }
            months
                .entry((date.year(), date.month()))
                .or_default()
                .push(fix);
        }
        let mut previous: Vec<Kb> = Vec::new();
        for fixes_of_month in months.values() {
            let cumulative = cumulative_of_month(fixes_of_month);
            if cumulative.is_empty() {
                continue;
            }
            for &newer in &cumulative {
                for &older in &previous {
                    edges.push((newer, older));
                }
            }
            previous = cumulative;
        }
    }
    edges
}

/// The cumulative update(s) among one product's fixes of one month.
fn cumulative_of_month(fixes: &[&Fix]) -> Vec<Kb> {
    // A KB may appear in several rows (one per source); merge by KB.
    let mut per_kb: HashMap<Kb, (usize, bool, bool)> = HashMap::new();
    for fix in fixes {
        let entry = per_kb.entry(fix.kb).or_default();
        entry.0 = entry
            .0
            .max(fix.cves.iter().filter(|c| c.starts_with("CVE-")).count());
        entry.1 |= !fix.supersedes.is_empty();
        entry.2 |= is_security_only(fix.sub_type.as_deref());
    }
    let most = per_kb
        .values()
        .filter(|v| !v.2)
        .map(|v| v.0)
        .max()
        .unwrap_or(0);
    if most == 0 {
        return Vec::new();
    }
    let mut top: Vec<(Kb, bool)> = per_kb
        .iter()
        .filter(|(_, v)| !v.2 && v.0 == most)
        .map(|(&kb, v)| (kb, v.1))
        .collect();
    top.sort();
    if top.len() == 1 {
        return vec![top[0].0];
    }
    top.into_iter()
        .filter(|&(_, names_predecessor)| names_predecessor)
        .map(|(kb, _)| kb)
        .collect()
}
