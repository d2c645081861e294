//! Two sources, one truth: the catalog built from MSRC's CVRF documents and the one built from
//! WES-NG's CSV should give the same missing KBs for the same machines wherever both cover
//! them.
//!
//! WES-NG's CSV is derived from the same MSRC feed, so a machine evaluated against either
//! catalog (separately, in two stores) should miss the same KBs. Where the answers differ, the
//! difference should come from the data, not from kbgap: this module evaluates the same
//! inventories against both stores and, for every KB one source reports and the other does
//! not, asks the engine why the other source does not report it ([`kbgap_engine::explain`])
//! and checks whether the facts that decision rests on (the KB, the updates of its chain, the
//! update reported or installed instead) differ between the two catalogs. The first cause
//! that applies, in the order of [`Cause`], is the classification; a difference no cause
//! accounts for is [`Cause::Unexplained`], which would be a bug in kbgap's reading or
//! evaluation of one of the sources.

use std::collections::{BTreeMap, BTreeSet};

use kbgap_catalog::Batch;
use kbgap_domain::{Date, Kb, MachineInventory};
use kbgap_engine::{AssessOptions, CatalogSlice, Verdict};
use kbgap_store::{Store, StoreError};

/// Which source reported a KB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Wesng,
    Cvrf,
}

/// An update whose data differ between the sources, and how.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Differing {
    pub kb: Kb,
    /// `products`, `vulnerabilities`, `supersedence`, `security_only` (CVRF's SubType
    /// "Security Only", which WES-NG does not carry and the engine uses to tell a Security-only
    /// update from its month's rollup), `release_month`, or `absent` (one source lacks it).
    pub aspects: Vec<String>,
}

/// Why one source reports a KB for a machine and the other does not.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum Cause {
    /// Released before the first CVRF document compared (2016-Apr for the whole feed): the
    /// security-bulletin era, which only WES-NG carries.
    BeforeCvrf { released: Date },
    /// Named only by WES-NG's hand-maintained `Custom_*.csv`, not by MSRC's data.
    WesngCustom,
    /// The other source has no fix row for this KB on the machine's products.
    NotInOther,
    /// The other source dates the KB after the cut-off (WES-NG's `DatePosted` is the date of a
    /// CVE's last revision, not of the release; CVRF dates a KB by the document it appears in).
    ReleasedLaterInOther { here: Date, other: Date },
    /// The two sources say different things of the KB itself on the machine's products.
    KbDiffers { aspects: Vec<String> },
    /// The sources agree on the KB, but the other source's decision not to report it (the
    /// engine's verdict there) rests on updates whose data differ between the sources: the
    /// update that supersedes it, one on its chain, the one reported or installed instead.
    DecisionRestsOnDifferingKb {
        verdict: String,
        differing: Vec<Differing>,
    },
    /// None of the above: the two sources say the same of every update the decision rests
    /// on, and the answers differ.
    Unexplained { verdict: String },
}

impl Cause {
    /// The cause's name, as in the JSON (`before_cvrf`, `kb_differs`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Cause::BeforeCvrf { .. } => "before_cvrf",
            Cause::WesngCustom => "wesng_custom",
            Cause::NotInOther => "not_in_other",
            Cause::ReleasedLaterInOther { .. } => "released_later_in_other",
            Cause::KbDiffers { .. } => "kb_differs",
            Cause::DecisionRestsOnDifferingKb { .. } => "decision_rests_on_differing_kb",
            Cause::Unexplained { .. } => "unexplained",
        }
    }
}

/// One KB reported by one source only, for one machine.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Difference {
    pub kb: Kb,
    pub only_in: Side,
    #[serde(flatten)]
    pub cause: Cause,
}

/// One machine's answers from both sources.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MachineComparison {
    pub machine: String,
    /// KBs both sources report.
    pub agreed: Vec<Kb>,
    pub differences: Vec<Difference>,
}

/// Facts about the two sources that the stores do not keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFacts {
    /// The `InitialReleaseDate` of the earliest CVRF document compared that has fixes.
    pub first_cvrf_document: Option<Date>,
    /// KBs that WES-NG names only in its Custom CSV.
    pub wesng_custom_only: BTreeSet<Kb>,
}

impl SourceFacts {
    /// From the batches each store was built from.
    pub fn new(wesng: &[Batch], cvrf: &[Batch]) -> SourceFacts {
        let kbs = |custom: bool| -> BTreeSet<Kb> {
            wesng
                .iter()
                .filter(|b| (b.source == "wesng:Custom") == custom)
                .flat_map(|b| b.fixes.iter().map(|f| f.kb))
                .collect()
        };
        let listed = kbs(false);
        SourceFacts {
            first_cvrf_document: cvrf
                .iter()
                .filter(|b| !b.is_empty())
                .filter_map(|b| b.document.as_ref().map(|d| d.initial_release_date))
                .min(),
            wesng_custom_only: kbs(true).difference(&listed).copied().collect(),
        }
    }
}

/// What one fix row says, in the terms the engine decides on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    product: String,
    security_only: bool,
    cves: Vec<String>,
    supersedes: Vec<Kb>,
}

/// What one store says about a machine: its answer, its catalog slice, and that slice's rows
/// by KB.
struct View {
    reported: BTreeSet<Kb>,
    slice: CatalogSlice,
    rows: BTreeMap<Kb, BTreeSet<Row>>,
}

async fn view<S: Store>(
    store: &S,
    machine: &MachineInventory,
    as_of: Date,
) -> Result<View, StoreError> {
    let reported = store
        .missing_for(machine, Some(as_of))
        .await?
        .into_iter()
        .map(|m| m.kb)
        .collect();
    let slice = store.catalog_slice(machine).await?;
    let mut rows: BTreeMap<Kb, BTreeSet<Row>> = BTreeMap::new();
    for fix in &slice.fixes {
        let mut supersedes = fix.supersedes.clone();
        supersedes.sort();
        let mut cves = fix.cves.clone();
        cves.sort();
        rows.entry(fix.kb).or_default().insert(Row {
            product: slice.products[fix.product].name.clone(),
            security_only: fix.sub_type.as_deref().is_some_and(|s| {
                s.replace([' ', '-'], "")
                    .eq_ignore_ascii_case("securityonly")
            }),
            cves,
            supersedes,
        });
    }
    Ok(View {
        reported,
        slice,
        rows,
    })
}

impl View {
    fn released(&self, kb: Kb) -> Option<Date> {
        self.slice.updates.get(&kb).map(|u| u.release_date)
    }
}

/// Evaluates `machines` against both stores as of `as_of` and classifies the differences.
pub async fn compare<S: Store>(
    wesng: &S,
    cvrf: &S,
    facts: &SourceFacts,
    machines: &[MachineInventory],
    as_of: Date,
) -> Result<Vec<MachineComparison>, StoreError> {
    let mut out = Vec::new();
    for machine in machines {
        let w = view(wesng, machine, as_of).await?;
        let c = view(cvrf, machine, as_of).await?;
        let mut differences = Vec::new();
        for (side, here, other) in [(Side::Wesng, &w, &c), (Side::Cvrf, &c, &w)] {
            for &kb in here.reported.difference(&other.reported) {
                differences.push(Difference {
                    kb,
                    only_in: side,
                    cause: classify(kb, side, here, other, facts, machine, as_of),
                });
            }
        }
        out.push(MachineComparison {
            machine: machine.host.clone(),
            agreed: w.reported.intersection(&c.reported).copied().collect(),
            differences,
        });
    }
    Ok(out)
}

fn classify(
    kb: Kb,
    side: Side,
    here: &View,
    other: &View,
    facts: &SourceFacts,
    machine: &MachineInventory,
    as_of: Date,
) -> Cause {
    let released = here.released(kb);
    if let (Some(released), Some(first)) = (released, facts.first_cvrf_document)
        && side == Side::Wesng
        && released < first
    {
        return Cause::BeforeCvrf { released };
    }
    if side == Side::Wesng && facts.wesng_custom_only.contains(&kb) {
        return Cause::WesngCustom;
    }
    if !other.rows.contains_key(&kb) {
        return Cause::NotInOther;
    }
    if let (Some(here_date), Some(other_date)) = (released, other.released(kb))
        && here_date <= as_of
        && other_date > as_of
    {
        return Cause::ReleasedLaterInOther {
            here: here_date,
            other: other_date,
        };
    }
    let aspects = differing_aspects(kb, here, other);
    if !aspects.is_empty() {
        return Cause::KbDiffers { aspects };
    }
    // Why the other source does not report it, and on which updates that rests.
    let options = AssessOptions { as_of: Some(as_of) };
    let explanation = kbgap_engine::explain(machine, &other.slice, options, kb);
    let mut involved: BTreeSet<Kb> = explanation
        .chain
        .iter()
        .flat_map(|step| [step.newer, step.older])
        .collect();
    involved.extend(explanation.installed_considered.iter().copied());
    match &explanation.verdict {
        Verdict::SupersededByMissing { reported } => {
            involved.insert(*reported);
        }
        Verdict::CoveredByInstalled { installed } => {
            involved.insert(*installed);
        }
        Verdict::AlternativeReported { reported } => involved.extend(reported.iter().copied()),
        _ => {}
    }
    // The engine treats one product's fixes of one month as alternatives and infers its
    // cumulative chains from them, so an inferred step, or a KB judged an alternative, also
    // rests on the other fixes of those months on those products (in either source).
    let mut months: BTreeSet<(Kb, Kb)> = explanation
        .chain
        .iter()
        .filter(|step| step.source != "msrc")
        .map(|step| (step.newer, step.older))
        .collect();
    if matches!(explanation.verdict, Verdict::AlternativeReported { .. }) {
        months.insert((kb, kb));
    }
    for (newer, older) in months {
        for view in [here, other] {
            involved.extend(month_peers(view, newer, older));
        }
    }
    involved.remove(&kb);
    let verdict = serde_json::to_value(&explanation.verdict)
        .ok()
        .and_then(|v| v["status"].as_str().map(str::to_string))
        .unwrap_or_default();
    let differing: Vec<Differing> = involved
        .into_iter()
        .filter_map(|k| {
            let aspects = differing_aspects(k, here, other);
            (!aspects.is_empty()).then_some(Differing { kb: k, aspects })
        })
        .collect();
    if differing.is_empty() {
        Cause::Unexplained { verdict }
    } else {
        Cause::DecisionRestsOnDifferingKb { verdict, differing }
    }
}

/// KBs with a fix row, in `view`, on a product that `newer` or `older` fixes, released in the
/// month of either.
fn month_peers(view: &View, newer: Kb, older: Kb) -> BTreeSet<Kb> {
    let products: BTreeSet<&str> = [newer, older]
        .iter()
        .flat_map(|k| view.rows.get(k).into_iter().flatten())
        .map(|row| row.product.as_str())
        .collect();
    let months: BTreeSet<(u16, u8)> = [newer, older]
        .iter()
        .filter_map(|k| view.released(*k).map(month))
        .collect();
    view.rows
        .iter()
        .filter(|(k, _)| {
            view.released(**k)
                .is_some_and(|d| months.contains(&month(d)))
        })
        .filter(|(_, rows)| rows.iter().any(|r| products.contains(r.product.as_str())))
        .map(|(k, _)| *k)
        .collect()
}

fn month(date: Date) -> (u16, u8) {
    (date.year(), date.month())
}

/// What two views say differently of a KB on the machine's products; empty when they agree.
fn differing_aspects(kb: Kb, here: &View, other: &View) -> Vec<String> {
    let (ours, theirs) = match (here.rows.get(&kb), other.rows.get(&kb)) {
        (Some(ours), Some(theirs)) => (ours, theirs),
        (None, None) => return Vec::new(),
        _ => return vec!["absent".to_string()],
    };
    let aspect = |name: &str, f: &dyn Fn(&Row) -> Vec<String>| {
        let collect = |rows: &BTreeSet<Row>| rows.iter().flat_map(f).collect::<BTreeSet<String>>();
        (collect(ours) != collect(theirs)).then(|| name.to_string())
    };
    let release_month = |view: &View| view.released(kb).map(month);
    [
        aspect("products", &|r| vec![r.product.clone()]),
        aspect("vulnerabilities", &|r| r.cves.clone()),
        aspect("supersedence", &|r| {
            r.supersedes.iter().map(|k| k.to_string()).collect()
        }),
        aspect("security_only", &|r| {
            r.security_only
                .then(|| r.product.clone())
                .into_iter()
                .collect()
        }),
        (release_month(here) != release_month(other)).then(|| "release_month".to_string()),
    ]
    .into_iter()
    .flatten()
    .collect()
}
