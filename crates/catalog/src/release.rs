//! Which release a KB belongs to, across all imported batches.
//!
//! Each batch dates its KBs by itself (a CVRF document by its `InitialReleaseDate`), but
//! Microsoft revises old documents and adds later KBs to them: in the 2026 feed the 2019-Aug
//! document lists KB4540673 (March 2020) for three revised CVEs, so the earliest document
//! date would put it in August 2019. Measured on the complete feed of 2026-07-06: 692 of
//! 5,236 KBs appear in a document older than their release, 452 of them by more than 60 days.
//! The document where the KB fixes the most vulnerabilities is its release document
//! (KB4540673: 92 CVEs in 2020-Mar against 3 in 2019-Aug); on a tie the later document wins,
//! because an old document that gained a KB mentions it for few CVEs.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kbgap_domain::{Date, Kb};

use crate::model::{Batch, UpdateInfo};

/// One source's word on when a KB was released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseEvidence {
    /// Whether it comes from a CVRF document (which dates and titles its releases) rather
    /// than from WES-NG (which only has the dates of CVE revisions).
    pub from_document: bool,
    /// How many vulnerability ids the KB fixes in that source.
    pub vulnerabilities: usize,
    pub date: Date,
    pub title: Option<String>,
}

/// The release of one KB from all the evidence about it: the CVRF document in which it fixes
/// the most vulnerability ids (the later document on a tie), with that document's title; when
/// no document names it, the earliest date another source gives, untitled.
pub fn pick_release(
    evidence: impl IntoIterator<Item = ReleaseEvidence>,
) -> Option<(Date, Option<String>)> {
    let mut best_document: Option<ReleaseEvidence> = None;
    let mut earliest_other: Option<Date> = None;
    for e in evidence {
        if e.from_document {
            if best_document
                .as_ref()
                .is_none_or(|b| (e.vulnerabilities, e.date) > (b.vulnerabilities, b.date))
            {
                best_document = Some(e);
            }
        } else {
            earliest_other = Some(earliest_other.map_or(e.date, |d| d.min(e.date)));
        }
    }
    match best_document {
        Some(e) => Some((e.date, e.title)),
        None => earliest_other.map(|d| (d, None)),
    }
}

/// The release of every KB in `batches` (see [`pick_release`]).
pub fn release_dates<'a>(batches: impl IntoIterator<Item = &'a Batch>) -> BTreeMap<Kb, UpdateInfo> {
    let mut evidence: HashMap<Kb, Vec<ReleaseEvidence>> = HashMap::new();
    for batch in batches {
        let mut vulns: HashMap<Kb, BTreeSet<&str>> = HashMap::new();
        for f in &batch.fixes {
            vulns
                .entry(f.kb)
                .or_default()
                .extend(f.cves.iter().map(String::as_str));
        }
        for u in &batch.updates {
            evidence.entry(u.kb).or_default().push(ReleaseEvidence {
                from_document: batch.document.is_some(),
                vulnerabilities: vulns.get(&u.kb).map_or(0, BTreeSet::len),
                date: u.release_date,
                title: u.title.clone(),
            });
        }
    }
    evidence
        .into_iter()
        .filter_map(|(kb, e)| {
            pick_release(e).map(|(release_date, title)| {
                (
                    kb,
                    UpdateInfo {
                        kb,
                        release_date,
                        title,
                    },
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DocumentInfo, ProductFix, SkipCounts};

    fn doc(id: &str, date: &str, title: &str, kb: u32, cves: &[&str]) -> Batch {
        let kb = Kb::new(kb).unwrap();
        let date: Date = date.parse().unwrap();
        Batch {
            source: format!("cvrf:{id}"),
            revision: String::new(),
            document: Some(DocumentInfo {
                id: id.into(),
                title: title.into(),
                initial_release_date: date,
                current_release_date: None,
            }),
            updates: vec![UpdateInfo {
                kb,
                release_date: date,
                title: Some(title.into()),
            }],
            fixes: vec![ProductFix {
                kb,
                product: "Windows 10 Version 1909 for x64-based Systems".into(),
                sub_type: None,
                fixed_builds: vec![],
                supersedes: Default::default(),
                cves: cves.iter().map(|c| c.to_string()).collect(),
                severity: None,
            }],
            version_fixes: vec![],
            records: 1,
            skipped: SkipCounts::default(),
        }
    }

    #[test]
    fn the_document_with_most_vulnerabilities_wins() {
        let aug = doc(
            "2019-Aug",
            "2019-08-13",
            "August 2019 Security Updates",
            4540673,
            &["CVE-2019-1224", "ADV190023"],
        );
        let mar = doc(
            "2020-Mar",
            "2020-03-10",
            "March 2020 Security Updates",
            4540673,
            &["CVE-2020-0001", "CVE-2020-0002", "CVE-2020-0003"],
        );
        let dates = release_dates([&aug, &mar]);
        let u = &dates[&Kb::new(4540673).unwrap()];
        assert_eq!(u.release_date.to_string(), "2020-03-10");
        assert_eq!(u.title.as_deref(), Some("March 2020 Security Updates"));
        // A tie goes to the later document.
        let may = doc(
            "2016-May",
            "2016-05-10",
            "May 2016 Security Updates",
            3114893,
            &["CVE-2016-0001"],
        );
        let aug = doc(
            "2016-Aug",
            "2016-08-09",
            "August 2016 Security Updates",
            3114893,
            &["CVE-2016-0002"],
        );
        assert_eq!(
            release_dates([&aug, &may])[&Kb::new(3114893).unwrap()]
                .release_date
                .to_string(),
            "2016-08-09"
        );
    }
}
