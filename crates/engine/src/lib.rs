//! The assessment engine: which catalog products a machine runs, and which security updates
//! (KBs) it misses.
//!
//! Pure functions over a [`CatalogSlice`] (the part of the catalog that can concern one
//! operating system) and a [`MachineInventory`]; the storage backends load the slice and
//! persist the results, the API and the CLI present them. Keeping the decision in one place
//! is what lets the machine call, the fleet aggregates and the one-shot check agree.
//!
//! The rule (CONTRACT.md, "What missing means"): a machine misses KB *k* when *k* fixes a
//! vulnerability of a product the machine runs, and neither *k*, nor an alternative fix of
//! the same vulnerability, nor any update that supersedes one of them is installed (or
//! reached by the machine's build revision). Only the newest KB of each chain is reported,
//! except an out-of-band update that nothing offered replaces (`replacement_of` says which).
//!
//! Microsoft's supersedence data is incomplete (msrc-peers.md §3): many cumulative updates
//! do not name the one they replace. The `chains` module infers the cumulative chains that
//! the data leaves implicit, so an installed cumulative update closes every earlier one.
//! Applications (Office, SQL Server, Exchange) are left out of that inference: their updates
//! are per-component packages (an Excel MSP does not replace a Word one), so only the
//! supersedence MSRC states applies to them.
//!
//! The `builds` module gives a machine its effective build revision (the one its inventory
//! states, or that of the newest cumulative update it lists, previews and out-of-band releases
//! included) and the cumulative updates that revision contains, from the OS build table
//! shipped with the catalog crate and the catalog's FixedBuild values (docs/BUILDS.md).

mod builds;
mod chains;
mod explain;
mod products;
mod versions;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use kbgap_domain::{Date, Kb, MachineInventory, ProductInfo, SoftwareId};

pub use explain::{ChainStep, Explanation, ProductFinding, Verdict, VulnerabilityState, explain};
use products::dotnet_shown_by_updates;
pub use products::{
    inbox_dotnet_versions, select_machine_products, select_products, software_rank,
};
pub use versions::{OutdatedProduct, VersionFix};

/// One fix row: `kb` fixes `cves` on `products[product]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fix {
    pub kb: Kb,
    /// Index into [`CatalogSlice::products`].
    pub product: usize,
    pub sub_type: Option<String>,
    pub fixed_builds: Vec<String>,
    pub supersedes: Vec<Kb>,
    /// CVE and advisory ids; empty for old catalog rows that name no vulnerability.
    pub cves: Vec<String>,
    /// The highest severity the catalog states for this product ("Critical"...), if any.
    #[serde(default)]
    pub severity: Option<String>,
}

/// What the catalog knows of one KB as a whole.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UpdateMeta {
    pub release_date: Date,
    pub title: String,
    /// For an OS cumulative update, the OS build it targets.
    pub os_build: Option<u32>,
}

/// The part of the catalog an assessment reads: the candidate products (typically every
/// product of the machine's OS family, plus applications), every fix row on them, and the
/// metadata of every KB those rows name.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct CatalogSlice {
    pub products: Vec<ProductInfo>,
    pub fixes: Vec<Fix>,
    pub updates: HashMap<Kb, UpdateMeta>,
    /// Vulnerabilities of products serviced by version, fixed by a version of the product.
    #[serde(default)]
    pub version_fixes: Vec<VersionFix>,
}

/// Evaluation options.
#[derive(Debug, Clone, Copy, Default)]
pub struct AssessOptions {
    /// Evaluate against the catalog as it stood on this date: later KBs are unknown.
    pub as_of: Option<Date>,
}

/// A KB the machine misses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingUpdate {
    pub kb: Kb,
    pub release_date: Date,
    /// The machine's software the KB fixes, in catalog order (OS first, then components).
    pub software: Vec<SoftwareId>,
    /// Vulnerabilities of this machine that installing the KB closes.
    pub open_vulnerabilities: BTreeSet<String>,
}

/// The result of assessing one machine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assessment {
    /// Indexes of the slice's products that the machine runs.
    pub products: Vec<usize>,
    /// Software ids of those products, deduplicated, in catalog order.
    pub software: Vec<SoftwareId>,
    /// Newest release first, then KB number.
    pub missing: Vec<MissingUpdate>,
    /// Products serviced by version that run older than a version fixing one of their
    /// vulnerabilities, by product name (no KB can be reported for them).
    pub outdated: Vec<OutdatedProduct>,
    /// The installed version of each application software whose program list states one
    /// (the lowest, when several of its products are installed), by software id.
    pub versions: Vec<(SoftwareId, kbgap_domain::Version)>,
}

/// Whether a sub-type names a non-cumulative "Security Only" update.
/// Spaces and hyphens are ignored ("Security Only", "Security-only"); nothing is allocated,
/// as this runs for every fix row of every assessment.
fn is_security_only(sub_type: Option<&str>) -> bool {
    sub_type.is_some_and(|s| {
        let mut letters = s.chars().filter(|c| !matches!(c, ' ' | '-'));
        "securityonly".chars().all(|want| {
            letters
                .next()
                .is_some_and(|c| c.eq_ignore_ascii_case(&want))
        }) && letters.next().is_none()
    })
}

/// What an assessment knows about one machine before deciding what it misses: its
/// products, the known fix rows, supersedence (explicit and inferred), and what its
/// installed updates and build revision cover. [`assess`] and [`explain`] share it, so an
/// explanation can never disagree with the answer.
pub(crate) struct Evaluation<'a> {
    pub(crate) catalog: &'a CatalogSlice,
    pub(crate) selected: Vec<usize>,
    pub(crate) selected_set: HashSet<usize>,
    /// Fix rows of KBs known at the evaluation date.
    pub(crate) fixes: Vec<&'a Fix>,
    /// newer → the KBs it supersedes.
    pub(crate) supersedes: HashMap<Kb, HashSet<Kb>>,
    /// The (newer, older) pairs that only the inferred cumulative chains supply.
    pub(crate) inferred: HashSet<(Kb, Kb)>,
    /// Security-only updates (CVRF's SubType), never offered by Windows Update.
    pub(crate) security_only: HashSet<Kb>,
    /// Stand-alone updates of the rollup era (out-of-band fixes): see [`replacement_of`].
    pub(crate) stand_alone: HashSet<Kb>,
    /// The machine's products each KB fixes.
    pub(crate) kinds: chains::Kinds,
    /// older → the newer KBs of this machine's products that supersede it.
    pub(crate) superseded_by: HashMap<Kb, Vec<Kb>>,
    /// What the machine's program list makes it run (empty without one).
    pub(crate) programs: kbgap_catalog::applications::InstalledSoftware,
    /// Installed KBs: the inventory's, and the updates its application list names (Office
    /// MSPs, SQL Server and Exchange updates, which `Win32_QuickFixEngineering` omits).
    pub(crate) installed: HashSet<Kb>,
    /// The machine's build line: its effective revision and what each KB brings.
    pub(crate) builds: builds::BuildFacts,
    /// Installed KBs, and the cumulative updates the machine's effective revision reaches.
    pub(crate) reached: HashSet<Kb>,
    /// `reached` and everything it supersedes.
    pub(crate) covered: HashSet<Kb>,
}

impl<'a> Evaluation<'a> {
    pub(crate) fn new(
        machine: &MachineInventory,
        catalog: &'a CatalogSlice,
        options: AssessOptions,
    ) -> Self {
        let known = |kb: &Kb| {
            catalog
                .updates
                .get(kb)
                .is_some_and(|u| options.as_of.is_none_or(|cut| u.release_date <= cut))
        };
        let fixes: Vec<&Fix> = catalog.fixes.iter().filter(|f| known(&f.kb)).collect();
        // A KB is Security-only when one of its rows says so (WES-NG's rows of the same KB
        // have no SubType).
        let security_only: HashSet<Kb> = fixes
            .iter()
            .filter(|f| is_security_only(f.sub_type.as_deref()))
            .map(|f| f.kb)
            .collect();
        let installed: HashSet<Kb> = machine.all_installed_kbs().into_iter().collect();
        let dotnet_shown = dotnet_shown_by_updates(
            &machine.os,
            &catalog.products,
            fixes.iter().map(|f| (f.kb, f.product)),
            &installed,
        );
        let programs = kbgap_catalog::applications::installed_software(machine);
        let selected =
            select_machine_products(machine, &programs, &catalog.products, &dotnet_shown);
        let selected_set: HashSet<usize> = selected.iter().copied().collect();
        let relevant: HashSet<Kb> = fixes
            .iter()
            .filter(|f| selected_set.contains(&f.product))
            .map(|f| f.kb)
            .collect();

        // Supersedence: explicit rows plus the inferred cumulative chains.
        let mut supersedes: HashMap<Kb, HashSet<Kb>> = HashMap::new();
        for fix in &fixes {
            for &old in &fix.supersedes {
                if old != fix.kb {
                    supersedes.entry(fix.kb).or_default().insert(old);
                }
            }
        }
        let chains = chains::infer(catalog, &fixes, &selected, &security_only);
        let mut inferred = HashSet::new();
        for (newer, older) in chains.edges {
            if supersedes.entry(newer).or_default().insert(older) {
                inferred.insert((newer, older));
            }
        }
        let mut superseded_by: HashMap<Kb, Vec<Kb>> = HashMap::new();
        for (&newer, olders) in &supersedes {
            if relevant.contains(&newer) {
                for &old in olders {
                    superseded_by.entry(old).or_default().push(newer);
                }
            }
        }

        // What the machine has: its KBs, the cumulative updates its build revision reaches,
        // and everything those supersede.
        let builds = builds::BuildFacts::new(
            machine,
            &fixes,
            &selected_set,
            kbgap_catalog::builds::os_builds(),
            &installed,
        );
        let mut reached: HashSet<Kb> = installed.clone();
        reached.extend(builds.reached());
        let covered = closure(&reached, &supersedes);
        Evaluation {
            catalog,
            selected,
            selected_set,
            fixes,
            supersedes,
            inferred,
            security_only,
            stand_alone: chains.stand_alone,
            kinds: chains.kinds,
            superseded_by,
            programs,
            installed,
            builds,
            reached,
            covered,
        }
    }
}

impl Evaluation<'_> {
    /// Whether `newer` replaces `older` on the way from a stand-alone update to what is
    /// reported instead ([`replacement_of`]): by MSRC's word, or as a later update of the
    /// same kind.
    pub(crate) fn replaces_stand_alone(&self, newer: Kb, older: Kb) -> bool {
        !self.inferred.contains(&(newer, older)) || self.kinds.same(newer, older)
    }

    /// Whether a cumulative update of another kind contains `kb`: the Monthly Rollup of its
    /// month, which Windows Update offers instead of an Internet Explorer cumulative update.
    pub(crate) fn contained_in_another_kind(&self, kb: Kb) -> bool {
        self.superseded_by
            .get(&kb)
            .is_some_and(|newer| newer.iter().any(|&n| !self.replaces_stand_alone(n, kb)))
    }
}

/// Assesses one machine against a catalog slice.
pub fn assess(
    machine: &MachineInventory,
    catalog: &CatalogSlice,
    options: AssessOptions,
) -> Assessment {
    let evaluation = Evaluation::new(machine, catalog, options);
    let Evaluation {
        selected,
        selected_set,
        fixes,
        supersedes,
        superseded_by,
        covered,
        security_only,
        ..
    } = &evaluation;
    let selected = selected.clone();

    // Open vulnerabilities per product. A fix row naming no vulnerability (old bulletin rows)
    // stands for itself; an advisory without a severity is guidance, not a security fix
    // (ADV190005 "adjust HTTP/2 SETTINGS frames" rides on an optional preview update), so it
    // is never a reason to report a KB, though its KB still takes part in supersedence.
    let kb_items: HashMap<Kb, String> = fixes
        .iter()
        .map(|f| (f.kb, format!("KB{}", f.kb)))
        .collect();
    let mut fixers: BTreeMap<(usize, &str), Vec<&Fix>> = BTreeMap::new();
    for fix in fixes.iter().filter(|f| selected_set.contains(&f.product)) {
        let security = |id: &str| id.starts_with("CVE-") || fix.severity.is_some();
        if fix.cves.is_empty() && fix.severity.is_some() {
            fixers
                .entry((fix.product, kb_items[&fix.kb].as_str()))
                .or_default()
                .push(fix);
        }
        for id in fix.cves.iter().filter(|id| security(id)) {
            fixers
                .entry((fix.product, id.as_str()))
                .or_default()
                .push(fix);
        }
    }
    // Newest first; then a cumulative update (one that supersedes something) over a
    // security-only one, which is what Windows Update offers.
    let preference = |kb: Kb| {
        (
            catalog.updates[&kb].release_date,
            !security_only.contains(&kb),
            supersedes.contains_key(&kb),
            kb,
        )
    };
    // For each open vulnerability: the fixes of each month are alternatives of each other (a
    // rollup, its security-only twin, an IE cumulative update), so the preferred one per
    // month leads, through its chain, to a KB to report. A stand-alone update of the rollup
    // era (an out-of-band fix) counts only for vulnerabilities no cumulative update fixes, and
    // is decided after the others, by `replacement_of`.
    let mut heads: HashMap<Kb, Kb> = HashMap::new();
    let mut chosen: BTreeMap<Kb, (BTreeSet<usize>, BTreeSet<String>)> = BTreeMap::new();
    // Stand-alone fixes of open vulnerabilities, decided once the rest is.
    let mut deferred: Vec<(Kb, usize, &str)> = Vec::new();
    for ((product, vulnerability), candidates) in &fixers {
        if candidates.iter().any(|f| covered.contains(&f.kb)) {
            continue;
        }
        // Of one month's fixes, one on a cumulative chain before a stand-alone one (a
        // preview or out-of-band release later in the month), then by `preference`.
        let in_month = |kb: Kb| (!evaluation.stand_alone.contains(&kb), preference(kb));
        let mut per_month: BTreeMap<(u16, u8), Kb> = BTreeMap::new();
        for fix in candidates {
            let date = catalog.updates[&fix.kb].release_date;
            let entry = per_month
                .entry((date.year(), date.month()))
                .or_insert(fix.kb);
            if in_month(fix.kb) > in_month(*entry) {
                *entry = fix.kb;
            }
        }
        // A stand-alone or Security-only fix of a vulnerability that a cumulative update (of
        // any month) also fixes adds nothing: that update's chain closes it, and Windows
        // Update offers the chain.
        let apart = |kb: &Kb| evaluation.stand_alone.contains(kb) || security_only.contains(kb);
        let cumulative_fix = per_month.values().any(|kb| !apart(kb));
        let mut reported: BTreeSet<Kb> = BTreeSet::new();
        for &kb in per_month.values() {
            if cumulative_fix && apart(&kb) {
                continue;
            }
            if evaluation.stand_alone.contains(&kb) {
                deferred.push((kb, *product, vulnerability));
            } else {
                reported.insert(head_of(
                    kb,
                    superseded_by,
                    &mut heads,
                    &preference,
                    |_, _| true,
                ));
            }
        }
        for kb in reported {
            let entry = chosen.entry(kb).or_default();
            entry.0.insert(*product);
            entry.1.insert(vulnerability.to_string());
        }
    }
    if !deferred.is_empty() {
        // Newest first, so that a stand-alone update replaced by a newer stand-alone one
        // finds it already decided.
        deferred.sort_by_key(|&(kb, ..)| std::cmp::Reverse(preference(kb)));
        let mut own_heads: HashMap<Kb, Kb> = HashMap::new();
        for (kb, product, vulnerability) in deferred {
            let head = replacement_of(kb, &evaluation, &mut own_heads, &preference);
            let report = if chosen.contains_key(&head) {
                head
            } else if evaluation.contained_in_another_kind(head) {
                kb
            } else {
                head_of(kb, superseded_by, &mut heads, &preference, |_, _| true)
            };
            let entry = chosen.entry(report).or_default();
            entry.0.insert(product);
            entry.1.insert(vulnerability.to_string());
        }
    }

    let mut missing: Vec<MissingUpdate> = chosen
        .into_iter()
        .map(|(kb, (mut products, vulnerabilities))| {
            products.extend(
                fixes
                    .iter()
                    .filter(|f| f.kb == kb && selected_set.contains(&f.product))
                    .map(|f| f.product),
            );
            MissingUpdate {
                kb,
                release_date: catalog.updates[&kb].release_date,
                software: ordered_software(catalog, products.iter().copied()),
                open_vulnerabilities: vulnerabilities,
            }
        })
        .collect();
    missing.sort_by(|a, b| b.release_date.cmp(&a.release_date).then(a.kb.cmp(&b.kb)));
    let installed = versions::installed_versions(&evaluation.programs, catalog, selected_set);
    Assessment {
        software: ordered_software(catalog, selected.iter().copied()),
        outdated: versions::outdated_products(catalog, &installed, selected_set, options),
        versions: versions::software_versions(catalog, &installed),
        products: selected,
        missing,
    }
}

/// Software ids of some products, deduplicated, in catalog order.
fn ordered_software(
    catalog: &CatalogSlice,
    products: impl Iterator<Item = usize>,
) -> Vec<SoftwareId> {
    let mut software: Vec<(u8, &SoftwareId)> = products
        .map(|p| {
            let info = &catalog.products[p];
            (software_rank(info.kind, &info.software), &info.software)
        })
        .collect();
    software.sort();
    software.dedup_by(|a, b| a.1 == b.1);
    software.into_iter().map(|(_, id)| id.clone()).collect()
}

/// Every KB in `start` and everything they supersede, transitively.
fn closure(start: &HashSet<Kb>, supersedes: &HashMap<Kb, HashSet<Kb>>) -> HashSet<Kb> {
    let mut seen = start.clone();
    let mut stack: Vec<Kb> = start.iter().copied().collect();
    while let Some(kb) = stack.pop() {
        for &old in supersedes.get(&kb).into_iter().flatten() {
            if seen.insert(old) {
                stack.push(old);
            }
        }
    }
    seen
}

/// What replaces a stand-alone update of the rollup era (an out-of-band fix) in the answer:
/// the head of its chain through the supersedence MSRC states, and through inferred
/// cumulative steps only between updates of one kind. When that head is not itself reported
/// because a Monthly Rollup that contains it is (a later IE cumulative update), the
/// stand-alone update is reported: Windows Update offers it, as nothing it knows as a
/// successor is offered or installed. Otherwise the update goes with its chain as any other.
/// The caller compares the head with what is reported.
///
/// The rollups do contain the fix, and an installed one closes it (coverage follows every
/// chain); only the choice of what to report differs.
fn replacement_of<P: Ord>(
    kb: Kb,
    evaluation: &Evaluation<'_>,
    memo: &mut HashMap<Kb, Kb>,
    preference: &impl Fn(Kb) -> P,
) -> Kb {
    head_of(
        kb,
        &evaluation.superseded_by,
        memo,
        preference,
        |newer, older| evaluation.replaces_stand_alone(newer, older),
    )
}

/// The newest update reachable from `kb` through "superseded by" edges that `follow`
/// accepts (the head of its chain), memoized. Where a chain forks (a rollup and a
/// security-only update of the same month), the preferred end wins.
fn head_of<P: Ord>(
    kb: Kb,
    superseded_by: &HashMap<Kb, Vec<Kb>>,
    memo: &mut HashMap<Kb, Kb>,
    preference: &impl Fn(Kb) -> P,
    follow: impl Fn(Kb, Kb) -> bool,
) -> Kb {
    if let Some(&head) = memo.get(&kb) {
        return head;
    }
    let mut seen: HashSet<Kb> = HashSet::from([kb]);
    let mut stack = vec![kb];
    let mut best: Option<Kb> = None;
    while let Some(current) = stack.pop() {
        let mut newer = superseded_by
            .get(&current)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .copied()
            .filter(|&next| follow(next, current))
            .peekable();
        if newer.peek().is_none() && best.is_none_or(|b| preference(current) > preference(b)) {
            best = Some(current);
        }
        for next in newer {
            if seen.insert(next) {
                stack.push(next);
            }
        }
    }
    // Only a cycle with no end leaves `best` empty; the KB then heads itself.
    let head = best.unwrap_or(kb);
    memo.insert(kb, head);
    head
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod sub_type_tests {
    use super::is_security_only;

    #[test]
    fn security_only_is_recognised_in_every_spelling_and_nothing_else() {
        for yes in [
            "Security Only",
            "Security-only",
            "securityonly",
            "SECURITY ONLY ",
        ] {
            assert!(is_security_only(Some(yes)), "{yes}");
        }
        for no in [
            "Monthly Rollup",
            "Security Onlyx",
            "Security",
            "",
            "Only Security",
        ] {
            assert!(!is_security_only(Some(no)), "{no}");
        }
        assert!(!is_security_only(None));
    }
}
