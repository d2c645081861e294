//! A machine's build revision, and the cumulative updates it contains because of it.
//!
//! On Windows 10 and later the update build revision (UBR) says which cumulative update a
//! machine runs, and every cumulative update of its build line up to that revision is in it.
//! Inventories give one of two things:
//! - the revision itself (osquery, the JSON collector): the machine has every cumulative
//!   update at or below it, whether or not its hotfix list names them;
//! - only a hotfix list (systeminfo, wmic qfe): its revision is that of the newest cumulative
//!   update it lists, previews and out-of-band releases included. A preview contains the
//!   previous security update, which then drops out of `Win32_QuickFixEngineering` (the
//!   Windows 10 1809 sample of 2019-03-07 lists preview KB4482887, 17763.348, and not the
//!   February security update KB4487044, 17763.316, that it contains).
//!
//! Which revision each KB brings comes from the OS build table shipped with the catalog crate
//! ([`kbgap_catalog::builds`]) and from the `FixedBuild` values of the imported catalog's fix
//! rows on the machine's products (MSRC CVRF, security updates from 2021-04 on).

use std::collections::{HashMap, HashSet};

use kbgap_catalog::builds::{BuildKind, BuildTable};
use kbgap_domain::{Kb, MachineInventory};

use crate::Fix;

/// Where the revision a KB brings is known from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FixedBuildOrigin {
    /// The OS build table, with the kind of release Microsoft lists.
    Table(BuildKind),
    /// A `FixedBuild` of the catalog's fix rows.
    Catalog,
}

/// Where the machine's effective revision comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RevisionOrigin {
    /// The inventory states it (UBR).
    Inventory,
    /// The newest cumulative update the inventory lists as installed brings it.
    Installed(Kb),
}

/// What the build line tells about one machine.
#[derive(Debug, Default)]
pub(crate) struct BuildFacts {
    /// The machine's base build (17763).
    pub(crate) build: u32,
    /// The revision each known cumulative update of the machine's build line brings.
    pub(crate) fixed: HashMap<Kb, (u32, FixedBuildOrigin)>,
    /// The machine's effective revision, if the inventory states one or lists a cumulative
    /// update of the table.
    pub(crate) revision: Option<(u32, RevisionOrigin)>,
}

impl BuildFacts {
    pub(crate) fn new(
        machine: &MachineInventory,
        fixes: &[&Fix],
        selected: &HashSet<usize>,
        table: &BuildTable,
        installed: &HashSet<Kb>,
    ) -> BuildFacts {
        let build = machine.os.build;
        let mut fixed: HashMap<Kb, (u32, FixedBuildOrigin)> = table
            .line(build)
            .iter()
            .map(|row| (row.kb, (row.revision, FixedBuildOrigin::Table(row.kind))))
            .collect();
        for fix in fixes.iter().filter(|f| selected.contains(&f.product)) {
            for revision in fix
                .fixed_builds
                .iter()
                .filter_map(|b| parse_fixed_build(b))
                .filter(|&(b, _)| b == build)
                .map(|(_, r)| r)
            {
                fixed
                    .entry(fix.kb)
                    .or_insert((revision, FixedBuildOrigin::Catalog));
            }
        }
        let listed = installed
            .iter()
            .filter_map(|kb| fixed.get(kb).map(|&(revision, _)| (revision, *kb)))
            .max();
        let revision = match (machine.os.revision, listed) {
            (Some(stated), Some((revision, kb))) if revision > stated => {
                Some((revision, RevisionOrigin::Installed(kb)))
            }
            (Some(stated), _) => Some((stated, RevisionOrigin::Inventory)),
            (None, Some((revision, kb))) => Some((revision, RevisionOrigin::Installed(kb))),
            (None, None) => None,
        };
        BuildFacts {
            build,
            fixed,
            revision,
        }
    }

    /// The KBs the machine's revision reaches: every known cumulative update of its build
    /// line at or below it.
    pub(crate) fn reached(&self) -> impl Iterator<Item = Kb> + '_ {
        let effective = self.revision.map(|(r, _)| r);
        self.fixed
            .iter()
            .filter(move |(_, (revision, _))| effective.is_some_and(|e| *revision <= e))
            .map(|(&kb, _)| kb)
    }
}

/// `(build, revision)` of a FixedBuild such as `10.0.18363.1016`. Values that are not a
/// four-part version say nothing (MSRC's FixedBuild holds URLs and other text at times).
pub(crate) fn parse_fixed_build(fixed_build: &str) -> Option<(u32, u32)> {
    let parts: Vec<&str> = fixed_build.trim().split('.').collect();
    if parts.len() != 4
        || !parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    Some((parts[2].parse().ok()?, parts[3].parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_builds_are_four_part_versions() {
        assert_eq!(parse_fixed_build("10.0.18363.1016"), Some((18363, 1016)));
        assert_eq!(parse_fixed_build(" 6.1.7601.24544 "), Some((7601, 24544)));
        for text in [
            "https://aka.ms/OfficeSecurityReleases",
            "2.28-12",
            "2,82",
            "10.0.18363",
            "10.0.18363.x",
            "10..18363.1",
        ] {
            assert_eq!(parse_fixed_build(text), None, "{text}");
        }
    }
}
