//! Why a KB is, or is not, reported for a machine.
//!
//! An administrator who is told "install KB4486563" wants to know why before spending an
//! hour on it: which of the machine's products it fixes, which vulnerabilities are still
//! open, which installed updates were considered, and which supersedence step (MSRC's own,
//! or a cumulative chain kbgap inferred) or build comparison decided it. The explanation is
//! computed from the same [`Evaluation`] as the answer, so the two cannot disagree.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use kbgap_domain::{Date, Kb, MachineInventory};

use kbgap_catalog::builds::BuildKind;

use crate::builds::{BuildFacts, FixedBuildOrigin, RevisionOrigin};
use crate::{AssessOptions, CatalogSlice, Evaluation, assess};

/// The decision about one KB.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum Verdict {
    /// Reported: the machine misses it.
    Missing,
    /// Not reported itself: a newer update that supersedes it is reported instead.
    #[serde(rename_all = "camelCase")]
    SupersededByMissing { reported: Kb },
    /// Installed on the machine.
    Installed,
    /// An installed update supersedes it (see `chain`).
    #[serde(rename_all = "camelCase")]
    CoveredByInstalled { installed: Kb },
    /// The machine's build revision is at or above the build the KB (or an update that
    /// supersedes it) brings. Builds read `<build>.<revision>` (`17763.316`).
    #[serde(rename_all = "camelCase")]
    CoveredByBuild {
        fixed_build: String,
        /// Where the fixed build is known from: "MSRC FixedBuild", or the OS build table and
        /// the kind of release it lists ("OS build table: security update").
        fixed_build_source: String,
        machine_build: String,
        /// "the inventory" (a stated revision), or the installed cumulative update whose
        /// revision the machine has ("installed KB4482887, a preview cumulative update").
        machine_build_source: String,
    },
    /// Its open vulnerabilities are closed by other reported updates (a Security-only update
    /// whose Monthly Rollup is reported, say).
    #[serde(rename_all = "camelCase")]
    AlternativeReported { reported: Vec<Kb> },
    /// Every vulnerability it fixes on this machine is fixed by another installed update.
    VulnerabilitiesClosed,
    /// It fixes none of the machine's products.
    NotApplicable,
    /// Released after the evaluation date.
    #[serde(rename_all = "camelCase")]
    NotYetReleased { released: Date },
    /// The catalog does not know it.
    Unknown,
}

/// One supersedence step and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainStep {
    pub newer: Kb,
    pub older: Kb,
    /// "msrc" (the catalog's Supercedence) or "inferred" (a cumulative chain kbgap inferred).
    pub source: &'static str,
}

/// A vulnerability the KB fixes on one of the machine's products.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VulnerabilityState {
    pub id: String,
    /// Still open on the machine (no installed or superseding update fixes it).
    pub open: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductFinding {
    pub product: String,
    pub software: String,
    pub vulnerabilities: Vec<VulnerabilityState>,
}

/// The explanation of one KB for one machine.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    pub kb: Kb,
    pub verdict: Verdict,
    pub release_date: Option<Date>,
    pub title: Option<String>,
    pub products: Vec<ProductFinding>,
    /// Installed updates that fix one of its vulnerabilities here or supersede it.
    pub installed_considered: Vec<Kb>,
    /// The supersedence steps that decided it, oldest first.
    pub chain: Vec<ChainStep>,
    /// The decision in words.
    pub summary: String,
}

/// Explains the decision about `kb` for `machine`.
pub fn explain(
    machine: &MachineInventory,
    catalog: &CatalogSlice,
    options: AssessOptions,
    kb: Kb,
) -> Explanation {
    let evaluation = Evaluation::new(machine, catalog, options);
    let assessment = assess(machine, catalog, options);
    let reported: BTreeSet<Kb> = assessment.missing.iter().map(|m| m.kb).collect();
    let meta = catalog.updates.get(&kb);
    let products = findings(&evaluation, kb);
    // The installed updates that bear on this KB: those fixing one of its vulnerabilities
    // on the machine's products (the chain adds the one that supersedes it, if any).
    let vulnerabilities: HashSet<&str> = products
        .iter()
        .flat_map(|p| &p.vulnerabilities)
        .map(|v| v.id.as_str())
        .collect();
    let mut installed_considered: BTreeSet<Kb> = evaluation
        .fixes
        .iter()
        .filter(|f| {
            evaluation.selected_set.contains(&f.product) && evaluation.installed.contains(&f.kb)
        })
        .filter(|f| f.cves.iter().any(|c| vulnerabilities.contains(c.as_str())))
        .map(|f| f.kb)
        .collect();
    let step = |newer: Kb, older: Kb| ChainStep {
        newer,
        older,
        source: if evaluation.inferred.contains(&(newer, older)) {
            "inferred"
        } else {
            "msrc"
        },
    };

    let (verdict, chain) = match meta {
        None => (Verdict::Unknown, Vec::new()),
        Some(m) if options.as_of.is_some_and(|cut| m.release_date > cut) => (
            Verdict::NotYetReleased {
                released: m.release_date,
            },
            Vec::new(),
        ),
        Some(_) if products.is_empty() => (Verdict::NotApplicable, Vec::new()),
        Some(_) if evaluation.installed.contains(&kb) => (Verdict::Installed, Vec::new()),
        Some(_) if evaluation.covered.contains(&kb) => {
            // The shortest supersedence path from something the machine has down to `kb`: from
            // an installed update when one leads there (the plainer reason), else from an
            // update its build revision reaches.
            let older = |k: Kb| -> Vec<Kb> {
                evaluation
                    .supersedes
                    .get(&k)
                    .into_iter()
                    .flatten()
                    .copied()
                    .collect()
            };
            let from_installed = path(evaluation.installed.iter().copied(), kb, older);
            let path = if from_installed.is_empty() {
                path(evaluation.reached.iter().copied(), kb, older)
            } else {
                from_installed
            };
            let start = path.first().copied().unwrap_or(kb);
            let steps: Vec<ChainStep> = path.windows(2).map(|w| step(w[0], w[1])).collect();
            let verdict = if evaluation.installed.contains(&start) {
                Verdict::CoveredByInstalled { installed: start }
            } else {
                build_verdict(&evaluation.builds, start)
            };
            (verdict, steps)
        }
        Some(_) if reported.contains(&kb) => {
            // A stand-alone update that later ones supersede is reported because none of them
            // is: show the way to the newest of them.
            let successors = |k: Kb| -> Vec<Kb> {
                evaluation
                    .superseded_by
                    .get(&k)
                    .into_iter()
                    .flatten()
                    .copied()
                    .filter(|&newer| evaluation.replaces_stand_alone(newer, k))
                    .collect()
            };
            let steps = if evaluation.stand_alone.contains(&kb) {
                let ends = chain_ends(kb, &successors);
                path_to_any(kb, &ends, successors)
                    .unwrap_or_default()
                    .windows(2)
                    .rev()
                    .map(|w| step(w[1], w[0]))
                    .collect()
            } else {
                Vec::new()
            };
            (Verdict::Missing, steps)
        }
        Some(_) => {
            let up = path_to_any(kb, &reported, |k| {
                evaluation
                    .superseded_by
                    .get(&k)
                    .cloned()
                    .unwrap_or_default()
            });
            match up {
                Some(path) => {
                    let reported = *path.last().expect("a path has an end");
                    let steps = path.windows(2).rev().map(|w| step(w[1], w[0])).collect();
                    (Verdict::SupersededByMissing { reported }, steps)
                }
                None => {
                    let open: BTreeSet<&str> = products
                        .iter()
                        .flat_map(|p| &p.vulnerabilities)
                        .filter(|v| v.open)
                        .map(|v| v.id.as_str())
                        .collect();
                    let closing: Vec<Kb> = assessment
                        .missing
                        .iter()
                        .filter(|m| {
                            m.open_vulnerabilities
                                .iter()
                                .any(|v| open.contains(v.as_str()))
                        })
                        .map(|m| m.kb)
                        .collect();
                    if closing.is_empty() {
                        (Verdict::VulnerabilitiesClosed, Vec::new())
                    } else {
                        (
                            Verdict::AlternativeReported { reported: closing },
                            Vec::new(),
                        )
                    }
                }
            }
        }
    };
    installed_considered.extend(
        chain
            .iter()
            .flat_map(|s| [s.newer, s.older])
            .filter(|k| evaluation.installed.contains(k)),
    );
    let installed_considered: Vec<Kb> = installed_considered.into_iter().collect();
    let summary = summarize(kb, &verdict, &products, &chain);
    Explanation {
        kb,
        verdict,
        release_date: meta.map(|m| m.release_date),
        title: meta.map(|m| m.title.clone()),
        products,
        installed_considered,
        chain,
        summary,
    }
}

/// The verdict for a KB that the machine's revision reaches (`start` is the reached update
/// from which supersedence leads to it, or the KB itself).
fn build_verdict(builds: &BuildFacts, start: Kb) -> Verdict {
    let build = builds.build;
    let (fixed_revision, origin) = builds.fixed[&start];
    let (revision, from) = builds
        .revision
        .expect("a KB is reached by build only when the machine has a revision");
    let kind = |kind: BuildKind| match kind {
        BuildKind::Security => "security update",
        BuildKind::Preview => "preview cumulative update",
        BuildKind::OutOfBand => "out-of-band cumulative update",
        BuildKind::Other => "cumulative update released outside Patch Tuesday",
    };
    Verdict::CoveredByBuild {
        fixed_build: format!("{build}.{fixed_revision}"),
        fixed_build_source: match origin {
            FixedBuildOrigin::Catalog => "MSRC FixedBuild".to_string(),
            FixedBuildOrigin::Table(k) => format!("OS build table: {}", kind(k)),
        },
        machine_build: format!("{build}.{revision}"),
        machine_build_source: match from {
            RevisionOrigin::Inventory => "the inventory".to_string(),
            RevisionOrigin::Installed(kb) => match builds.fixed.get(&kb) {
                Some((_, FixedBuildOrigin::Table(k))) => {
                    format!("installed KB{kb}, a {}", kind(*k))
                }
                _ => format!("installed KB{kb}"),
            },
        },
    }
}

/// The machine's products `kb` fixes, and the state of each vulnerability.
fn findings(evaluation: &Evaluation<'_>, kb: Kb) -> Vec<ProductFinding> {
    let mut fixers: HashMap<(usize, &str), Vec<Kb>> = HashMap::new();
    for fix in evaluation
        .fixes
        .iter()
        .filter(|f| evaluation.selected_set.contains(&f.product))
    {
        for id in &fix.cves {
            fixers
                .entry((fix.product, id.as_str()))
                .or_default()
                .push(fix.kb);
        }
    }
    let mut out: Vec<ProductFinding> = Vec::new();
    for fix in evaluation
        .fixes
        .iter()
        .filter(|f| f.kb == kb && evaluation.selected_set.contains(&f.product))
    {
        let info = &evaluation.catalog.products[fix.product];
        let vulnerabilities = fix
            .cves
            .iter()
            .map(|id| VulnerabilityState {
                id: id.clone(),
                open: !fixers[&(fix.product, id.as_str())]
                    .iter()
                    .any(|k| evaluation.covered.contains(k)),
            })
            .collect();
        match out.iter_mut().find(|p| p.product == info.name) {
            Some(existing) => existing.vulnerabilities.extend::<Vec<_>>(vulnerabilities),
            None => out.push(ProductFinding {
                product: info.name.clone(),
                software: info.software.to_string(),
                vulnerabilities,
            }),
        }
    }
    for finding in &mut out {
        finding.vulnerabilities.sort_by(|a, b| a.id.cmp(&b.id));
        finding.vulnerabilities.dedup_by(|a, b| a.id == b.id);
    }
    out
}

/// The shortest path from any of `starts` to `target` along `next`, inclusive.
fn path(starts: impl IntoIterator<Item = Kb>, target: Kb, next: impl Fn(Kb) -> Vec<Kb>) -> Vec<Kb> {
    let targets = HashSet::from([target]);
    starts
        .into_iter()
        .filter_map(|s| bfs(s, &targets, &next))
        .min_by_key(Vec::len)
        .unwrap_or_default()
}

/// The updates with no successor that `kb` leads to along `next`, `kb` excluded.
fn chain_ends(kb: Kb, next: &impl Fn(Kb) -> Vec<Kb>) -> BTreeSet<Kb> {
    let mut seen = HashSet::from([kb]);
    let mut stack = vec![kb];
    let mut ends = BTreeSet::new();
    while let Some(k) = stack.pop() {
        let newer = next(k);
        if newer.is_empty() && k != kb {
            ends.insert(k);
        }
        stack.extend(newer.into_iter().filter(|&n| seen.insert(n)));
    }
    ends
}

fn path_to_any(start: Kb, targets: &BTreeSet<Kb>, next: impl Fn(Kb) -> Vec<Kb>) -> Option<Vec<Kb>> {
    let targets: HashSet<Kb> = targets.iter().copied().collect();
    bfs(start, &targets, &next)
}

fn bfs(start: Kb, targets: &HashSet<Kb>, next: &impl Fn(Kb) -> Vec<Kb>) -> Option<Vec<Kb>> {
    let mut parent: HashMap<Kb, Kb> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    let mut seen = HashSet::from([start]);
    while let Some(k) = queue.pop_front() {
        if targets.contains(&k) {
            let mut path = vec![k];
            let mut cur = k;
            while let Some(&p) = parent.get(&cur) {
                path.push(p);
                cur = p;
            }
            path.reverse();
            return Some(path);
        }
        for n in next(k) {
            if seen.insert(n) {
                parent.insert(n, k);
                queue.push_back(n);
            }
        }
    }
    None
}

fn summarize(
    kb: Kb,
    verdict: &Verdict,
    products: &[ProductFinding],
    chain: &[ChainStep],
) -> String {
    let open: usize = products
        .iter()
        .flat_map(|p| &p.vulnerabilities)
        .filter(|v| v.open)
        .count();
    let names: Vec<&str> = products.iter().map(|p| p.product.as_str()).collect();
    let steps: Vec<String> = chain
        .iter()
        .map(|s| {
            format!(
                "KB{} supersedes KB{} ({})",
                s.newer,
                s.older,
                if s.source == "msrc" {
                    "MSRC"
                } else {
                    "inferred cumulative chain"
                }
            )
        })
        .collect();
    let via = if steps.is_empty() {
        String::new()
    } else {
        format!(": {}", steps.join("; "))
    };
    match verdict {
        Verdict::Missing if chain.is_empty() => format!(
            "KB{kb} is missing: it fixes {open} open vulnerabilities on {}, and no installed update fixes them or supersedes it.",
            names.join(", ")
        ),
        Verdict::Missing => format!(
            "KB{kb} is missing: it fixes {open} open vulnerabilities on {}, and no installed update fixes them or supersedes it. Later updates supersede it{via}, but none of them is reported or installed (the rollups reported instead are of another kind), so it is reported itself, as Windows Update offers it.",
            names.join(", ")
        ),
        Verdict::SupersededByMissing { reported } => {
            format!(
                "KB{kb} is not reported because KB{reported}, which is reported, supersedes it{via}."
            )
        }
        Verdict::Installed => format!("KB{kb} is installed."),
        Verdict::CoveredByInstalled { installed } => {
            format!("KB{kb} is covered by the installed KB{installed}{via}.")
        }
        Verdict::CoveredByBuild {
            fixed_build,
            fixed_build_source,
            machine_build,
            machine_build_source,
        } => {
            let brings = match chain.first() {
                Some(step) => format!("KB{}, which supersedes it,", step.newer),
                None => format!("KB{kb}"),
            };
            format!(
                "KB{kb} is covered: the machine's build {machine_build} (from {machine_build_source}) is at or above build {fixed_build}, which {brings} brings ({fixed_build_source}){via}."
            )
        }
        Verdict::AlternativeReported { reported } => format!(
            "KB{kb} is not reported: its {open} open vulnerabilities are closed by {}, which {} reported.",
            reported
                .iter()
                .map(|k| format!("KB{k}"))
                .collect::<Vec<_>>()
                .join(", "),
            if reported.len() == 1 { "is" } else { "are" }
        ),
        Verdict::VulnerabilitiesClosed => {
            format!(
                "KB{kb} is not needed: every vulnerability it fixes on this machine is fixed by an installed update."
            )
        }
        Verdict::NotApplicable => format!("KB{kb} fixes none of this machine's products."),
        Verdict::NotYetReleased { released } => {
            format!("KB{kb} was released on {released}, after the evaluation date.")
        }
        Verdict::Unknown => format!("KB{kb} is not in the catalog."),
    }
}
