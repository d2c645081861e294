//! Cumulative chains that the catalog leaves implicit.
//!
//! Since October 2016 every Windows release is serviced by cumulative updates: Windows 10
//! and later by one latest cumulative update (LCU) a month, Windows 7 to 8.1 and their
//! servers by a Monthly Rollup (with a non-cumulative Security-only alternative), Internet
//! Explorer and the .NET Framework by cumulative updates of their own. MSRC's `Supercedence`
//! names the previous one only sometimes, so an engine that trusts it alone reports every
//! older update as missing on a machine that has the newest (WES-NG's hundreds of false
//! positives, msrc-peers.md §3.1).
//!
//! A product's cumulative update of a month is recognised by shape, which works on catalogs
//! with and without SubType (WES-NG has none): it fixes the most vulnerabilities of that
//! product that month, and either no other update ties it or it names a predecessor (a
//! Security-only update ties its rollup but never supersedes anything). Then:
//! - each month's cumulative updates supersede the previous month's;
//! - of one month's cumulative updates, one that fixes every product another fixes, and
//!   more, contains it: the Monthly Rollup (OS and Internet Explorer) contains that month's
//!   Internet Explorer cumulative update, so an installed rollup closes what that update
//!   supersedes (an out-of-band Internet Explorer fix it replaced, say), and it contains
//!   that month's Security-only update (whose rows sometimes name vulnerabilities the
//!   rollup's do not);
//! - on Windows 10 and later, where every update of the OS line is cumulative (servicing
//!   stack updates are prerequisites of the next LCU), they also supersede every other
//!   update of the product from earlier months;
//! - on Windows 7 to 8.1, they supersede the individual updates of the years before the
//!   rollup model, which the rollups absorbed; later stand-alone updates (out-of-band fixes,
//!   Security-only updates) are not cumulative content and stay on their own;
//! - Windows Server 2008 moved to rollups only in September 2018, which did not absorb the
//!   updates before them; Windows XP, Server 2003 and Vista never did, so nothing is
//!   inferred for them (their .NET Framework, serviced by rollups from October 2016, is).
//!
//! The stand-alone updates of the rollup era are also returned: what replaces them for
//! reporting follows a narrower rule than the chains (see `assess`), because Windows Update
//! lists an out-of-band update whose only stated successors are not themselves offered.

use std::collections::{BTreeMap, HashMap, HashSet};

use kbgap_domain::{Date, Kb, OsFamily, OsTarget, ProductInfo, ProductKind};

use crate::{CatalogSlice, Fix};

/// How the updates of a chain replace each other.
enum Servicing {
    /// Windows 10 and later: every update of the line is cumulative.
    Cumulative,
    /// Cumulative monthly rollups since `since`. `absorbs_earlier`: the first rollups took
    /// in the individual updates of the years before (Windows 7 to 8.1 and their servers, and
    /// the .NET Framework, from October 2016); Windows Server 2008's rollups (from September
    /// 2018) did not.
    Rollups { since: Date, absorbs_earlier: bool },
    /// Individual updates only (Windows XP, Server 2003, Vista): MSRC's supersedence alone
    /// says what replaces what.
    Individual,
}

fn servicing(info: &ProductInfo) -> Servicing {
    let date = |y, m| Date::new(y, m, 1).expect("valid date");
    let Some(target) = &info.platform else {
        return Servicing::Individual;
    };
    if target.family >= OsFamily::Windows10 {
        return Servicing::Cumulative;
    }
    if info.software.product() == ".net_framework" {
        return Servicing::Rollups {
            since: date(2016, 10),
            absorbs_earlier: true,
        };
    }
    match target.family {
        OsFamily::WindowsXp | OsFamily::WindowsServer2003 | OsFamily::WindowsVista => {
            Servicing::Individual
        }
        OsFamily::WindowsServer2008 => Servicing::Rollups {
            since: date(2018, 9),
            absorbs_earlier: false,
        },
        _ => Servicing::Rollups {
            since: date(2016, 10),
            absorbs_earlier: true,
        },
    }
}

/// What the cumulative chains of a machine's products say beyond MSRC's supersedence.
#[derive(Default)]
pub(crate) struct InferredChains {
    /// `(newer, older)` pairs: `newer` is a later cumulative update of a product `older` was
    /// an update of.
    pub(crate) edges: Vec<(Kb, Kb)>,
    /// Updates of Windows 7 to 8.1 products, released in the rollup era, that are neither a
    /// month's cumulative update nor a Security-only one: out-of-band and other stand-alone
    /// fixes, which no later cumulative update absorbs.
    pub(crate) stand_alone: HashSet<Kb>,
    pub(crate) kinds: Kinds,
}

/// The machine's products each KB fixes: updates of one kind (the Internet Explorer
/// cumulative updates, the Monthly Rollups) fix the same ones. Sorted (KB, product) pairs, so
/// an assessment allocates once for them.
#[derive(Default)]
pub(crate) struct Kinds(Vec<(Kb, usize)>);

impl Kinds {
    fn new(fixes: &[&Fix], selected: &[usize]) -> Self {
        let mut pairs: Vec<(Kb, usize)> = fixes
            .iter()
            .filter(|f| selected.contains(&f.product))
            .map(|f| (f.kb, f.product))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        Kinds(pairs)
    }

    fn products(&self, kb: Kb) -> impl Iterator<Item = usize> + Clone + '_ {
        let start = self.0.partition_point(|&(k, _)| k < kb);
        self.0[start..]
            .iter()
            .take_while(move |&&(k, _)| k == kb)
            .map(|&(_, product)| product)
    }

    /// Whether `a` and `b` fix the same products of the machine.
    pub(crate) fn same(&self, a: Kb, b: Kb) -> bool {
        self.products(a).eq(self.products(b))
    }

    /// Whether `a` fixes every product `b` fixes, and more.
    fn contains_more(&self, a: Kb, b: Kb) -> bool {
        let theirs = self.products(b);
        self.products(a).count() > theirs.clone().count()
            && theirs.into_iter().all(|p| self.products(a).any(|q| q == p))
    }
}

/// Infers the cumulative chains of the selected products.
pub(crate) fn infer(
    catalog: &CatalogSlice,
    fixes: &[&Fix],
    selected: &[usize],
    security_only: &HashSet<Kb>,
) -> InferredChains {
    let mut inferred = InferredChains {
        kinds: Kinds::new(fixes, selected),
        ..InferredChains::default()
    };
    // A KB that is a month's cumulative update on any chain is not stand-alone.
    let mut cumulative_anywhere: HashSet<Kb> = HashSet::new();
    for chain in chains(catalog, selected) {
        let (rollups_since, absorbs_earlier) = match servicing(&catalog.products[chain[0]]) {
            Servicing::Individual => continue,
            Servicing::Cumulative => (None, false),
            Servicing::Rollups {
                since,
                absorbs_earlier,
            } => (Some(since), absorbs_earlier),
        };
        let fully_cumulative = rollups_since.is_none();
        let mut months: BTreeMap<(u16, u8), Vec<&Fix>> = BTreeMap::new();
        let mut legacy: Vec<Kb> = Vec::new();
        for fix in fixes.iter().filter(|f| chain.contains(&f.product)) {
            let date = catalog.updates[&fix.kb].release_date;
            if rollups_since.is_some_and(|since| date < since) {
                if absorbs_earlier {
                    legacy.push(fix.kb);
                }
            } else {
                months
                    .entry((date.year(), date.month()))
                    .or_default()
                    .push(fix);
            }
        }
        // Updates waiting for the next cumulative update to supersede them.
        let mut pending: Vec<Kb> = legacy;
        for fixes_of_month in months.values() {
            let cumulative = cumulative_of_month(fixes_of_month, security_only);
            let mut month_security_only: Vec<Kb> = fixes_of_month
                .iter()
                .map(|f| f.kb)
                .filter(|kb| security_only.contains(kb))
                .collect();
            month_security_only.sort_unstable();
            month_security_only.dedup();
            if !fully_cumulative {
                inferred.stand_alone.extend(
                    fixes_of_month
                        .iter()
                        .map(|f| f.kb)
                        .filter(|kb| !cumulative.contains(kb) && !security_only.contains(kb)),
                );
            }
            cumulative_anywhere.extend(cumulative.iter().copied());
            if cumulative.is_empty() {
                if fully_cumulative {
                    pending.extend(fixes_of_month.iter().map(|f| f.kb));
                }
                continue;
            }
            for &newer in &cumulative {
                inferred.edges.extend(
                    pending
                        .iter()
                        .filter(|&&older| older != newer)
                        .map(|&older| (newer, older)),
                );
                inferred.edges.extend(
                    cumulative
                        .iter()
                        .filter(|&&other| inferred.kinds.contains_more(newer, other))
                        .map(|&other| (newer, other)),
                );
            }
            if !fully_cumulative {
                // The month's Monthly Rollup contains its Security-only update: the one
                // cumulative update that no other of the month contains (not the IE
                // cumulative update, which holds none of the OS fixes).
                for &rollup in cumulative.iter().filter(|&&c| {
                    !cumulative
                        .iter()
                        .any(|&other| inferred.kinds.contains_more(other, c))
                }) {
                    inferred
                        .edges
                        .extend(month_security_only.iter().map(|&so| (rollup, so)));
                }
            }
            pending = cumulative.clone();
            if fully_cumulative {
                pending.extend(
                    fixes_of_month
                        .iter()
                        .map(|f| f.kb)
                        .filter(|kb| !cumulative.contains(kb)),
                );
            }
        }
    }
    inferred
        .stand_alone
        .retain(|kb| !cumulative_anywhere.contains(kb));
    inferred
}

/// The selected products whose updates form one cumulative chain: each product alone,
/// except two kinds of names for one line of updates:
/// - the .NET Framework, whose servicing line on an OS is one 4.x release however MSRC names
///   it over the years (".NET Framework 4.8.1 on ..." in 2022, ".NET Framework 3.5 AND 4.8.1
///   on ..." since 2023): a rename must not leave the old name's updates unsuperseded;
/// - the operating system, which the catalog can name twice ("Windows 10 for x64-based
///   Systems" in MSRC's documents, "Windows 10 Version 1507 for x64-based Systems" in WES-NG's
///   hand-kept rows): both are the machine's OS, serviced by one chain of updates.
///
/// Applications are left out (Office MSPs are per component, not cumulative).
fn chains(catalog: &CatalogSlice, selected: &[usize]) -> Vec<Vec<usize>> {
    // An OS, and a .NET 4.x line on it or none for the OS itself.
    type Line<'a> = (&'a OsTarget, Option<&'a str>);
    // Products per line; a handful per machine, so a list.
    let mut lines: Vec<(Line, Vec<usize>)> = Vec::new();
    let mut chains = Vec::new();
    for &product in selected {
        let info = &catalog.products[product];
        let key = match (info.kind, &info.platform) {
            (ProductKind::Application, _) => continue,
            (ProductKind::OperatingSystem, Some(target)) => Some((target, None)),
            (ProductKind::Component, Some(target))
                if info.software.product() == ".net_framework" =>
            {
                let number = |v: &&String| -> Vec<u32> {
                    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
                };
                info.versions
                    .iter()
                    .filter(|v| v.starts_with("4."))
                    .max_by_key(number)
                    .or_else(|| info.versions.iter().max_by_key(number))
                    .map(|line| (target, Some(line.as_str())))
            }
            _ => None,
        };
        match key {
            Some(key) => match lines.iter_mut().find(|(k, _)| *k == key) {
                Some((_, products)) => products.push(product),
                None => lines.push((key, vec![product])),
            },
            None => chains.push(vec![product]),
        }
    }
    chains.extend(lines.into_iter().map(|(_, products)| products));
    chains
}

/// The cumulative update(s) among one product's fixes of one month.
fn cumulative_of_month(fixes: &[&Fix], security_only: &HashSet<Kb>) -> Vec<Kb> {
    // A KB may appear in several rows (one per source); merge by KB. A row naming no
    // vulnerability (old bulletin rows) still counts as one fix.
    let mut per_kb: HashMap<Kb, (usize, bool, bool)> = HashMap::new();
    for fix in fixes {
        let entry = per_kb.entry(fix.kb).or_default();
        entry.0 = entry.0.max(fix.cves.len().max(1));
        entry.1 |= !fix.supersedes.is_empty();
        entry.2 = security_only.contains(&fix.kb);
    }
    let most = per_kb
        .values()
        .filter(|v| !v.2)
        .map(|v| v.0)
        .max()
        .unwrap_or(0);
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
