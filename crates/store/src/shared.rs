//! Logic every backend needs in the same form, kept here so the backends differ only in SQL.

use std::collections::BTreeSet;

use kbgap_domain::{Kb, SoftwareId};
use kbgap_engine::Assessment;

/// What a catalog import changed, for the CLI's summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CatalogSummary {
    /// Sources (CVRF documents, WES-NG CSVs) written by this import.
    pub sources: u64,
    /// Sources left as they were because this import's copy was empty while the stored one
    /// was not (MSRC has served emptied months; a last good copy is never replaced by one).
    pub kept_previous: u64,
    /// Distinct KBs, products and CVE ids in the whole catalog after the import.
    pub updates: u64,
    pub products: u64,
    pub cves: u64,
    /// Machines whose assessment was recomputed.
    pub machines_reassessed: u64,
}

/// Progress of a long store operation, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub stage: &'static str,
    pub done: u64,
    pub total: u64,
}

/// The rows that materialize one machine's assessment: (KB, software) for every missing KB
/// and every software of the machine it fixes.
pub fn missing_rows(assessment: &Assessment) -> Vec<(Kb, SoftwareId)> {
    assessment
        .missing
        .iter()
        .flat_map(|m| m.software.iter().map(move |s| (m.kb, s.clone())))
        .collect()
}

/// Distinct CVE ids among vulnerability ids (advisories such as ADV990001 do not count:
/// CONTRACT.md, `cveAddressed`).
pub fn cve_count<'a>(ids: impl IntoIterator<Item = &'a str>) -> u64 {
    ids.into_iter()
        .filter(|id| id.starts_with("CVE-"))
        .collect::<BTreeSet<_>>()
        .len() as u64
}
