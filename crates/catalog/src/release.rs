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

/// The release of every KB in `batches`: from the CVRF document in which the KB fixes the
/// most vulnerability ids (the later document on a tie), with that document's title; for KBs
/// that no CVRF document names, the earliest date any other batch (WES-NG) gives, untitled.
pub fn release_dates<'a>(batches: impl IntoIterator<Item = &'a Batch>) -> BTreeMap<Kb, UpdateInfo> {
    // KB → (vulnerabilities fixed, date, title) of the best document so far.
    let mut best: HashMap<Kb, (usize, Date, Option<String>)> = HashMap::new();
    let mut fallback: BTreeMap<Kb, Date> = BTreeMap::new();
    for batch in batches {
        if batch.document.is_none() {
            for u in &batch.updates {
                fallback
                    .entry(u.kb)
                    .and_modify(|d| *d = (*d).min(u.release_date))
                    .or_insert(u.release_date);
            }
            continue;
        }
        let mut vulns: HashMap<Kb, BTreeSet<&str>> = HashMap::new();
        for f in &batch.fixes {
            vulns
                .entry(f.kb)
                .or_default()
                .extend(f.cves.iter().map(String::as_str));
        }
        for u in &batch.updates {
            let count = vulns.get(&u.kb).map_or(0, BTreeSet::len);
            let better = best
                .get(&u.kb)
                .is_none_or(|(c, d, _)| (count, u.release_date) > (*c, *d));
            if better {
                best.insert(u.kb, (count, u.release_date, u.title.clone()));
            }
        }
    }
    let mut out: BTreeMap<Kb, UpdateInfo> = fallback
        .into_iter()
        .map(|(kb, release_date)| {
            (
                kb,
                UpdateInfo {
                    kb,
                    release_date,
                    title: None,
                },
            )
        })
        .collect();
    for (kb, (_, release_date, title)) in best {
        out.insert(
            kb,
            UpdateInfo {
                kb,
                release_date,
                title,
            },
        );
    }
    out
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
