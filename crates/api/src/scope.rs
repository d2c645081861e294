//! What a caller may see of the fleet: every machine, or (a user's delegated token from an
//! external identity provider) only the machines of the user's device groups, as Defender
//! limits users to their device groups.
//!
//! The restriction is expressed in the terms the store already answers: one more `$filter`
//! conjunct on the machine field `rbacGroupName` for lists (so `$count` and paging agree with
//! it), a check of the machine's group for single machines (outside the scope is 404, as if
//! absent), and the store's [`DeviceGroups`] for the fleet counts (`machineMissedOn`,
//! `installedMachines`, `exposedMachines`, `weaknesses`, the per-version counts).

use std::collections::BTreeSet;

use kbgap_store::{DeviceGroups, Filter, ListQuery, Literal};

/// The machine field a scope restricts.
const GROUP_FIELD: &str = "rbacGroupName";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Scope {
    /// Lower-cased group names; `None`: every machine.
    groups: Option<Vec<String>>,
}

impl Scope {
    /// The scope of a caller with these device groups (`None`: unrestricted).
    pub(crate) fn of(device_groups: Option<&BTreeSet<String>>) -> Scope {
        Scope {
            groups: device_groups.map(|groups| {
                let lower: BTreeSet<String> =
                    groups.iter().map(|g| g.to_ascii_lowercase()).collect();
                lower.into_iter().collect()
            }),
        }
    }

    /// The machines the store's fleet counts count for this caller.
    pub(crate) fn fleet(&self) -> DeviceGroups<'_> {
        match &self.groups {
            None => DeviceGroups::All,
            Some(groups) => DeviceGroups::Only(groups),
        }
    }

    /// Whether a machine of device group `group` is visible.
    pub(crate) fn allows(&self, group: Option<&str>) -> bool {
        match &self.groups {
            None => true,
            Some(groups) => group.is_some_and(|g| groups.contains(&g.to_ascii_lowercase())),
        }
    }

    /// `filter` (if any) and the scope's conjunct (if restricted).
    pub(crate) fn restrict_filter(&self, filter: Option<&Filter>) -> Option<Filter> {
        let Some(groups) = &self.groups else {
            return filter.cloned();
        };
        let scope = Filter::In {
            field: GROUP_FIELD,
            values: groups.iter().cloned().map(Literal::String).collect(),
        };
        Some(match filter {
            Some(filter) => Filter::And(vec![scope, filter.clone()]),
            None => scope,
        })
    }

    /// `query` with the scope's conjunct added to its filter.
    pub(crate) fn restrict(&self, query: &ListQuery) -> ListQuery {
        ListQuery {
            filter: self.restrict_filter(query.filter.as_ref()),
            ..query.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use kbgap_store::{MACHINE_FIELDS, odata};

    use super::*;

    #[test]
    fn an_unrestricted_scope_changes_nothing() {
        let scope = Scope::of(None);
        assert!(scope.allows(None) && scope.allows(Some("Servers")));
        let query = ListQuery::default();
        assert_eq!(scope.restrict(&query), query);
        assert_eq!(scope.fleet(), DeviceGroups::All);
    }

    #[test]
    fn a_restricted_scope_is_the_filter_a_client_could_write() {
        let groups: BTreeSet<String> = ["Servers".to_string(), "kiosks".to_string()].into();
        let scope = Scope::of(Some(&groups));
        assert!(scope.allows(Some("SERVERS")) && !scope.allows(Some("Labs")));
        assert!(!scope.allows(None));
        let theirs = odata::parse_filter("osBuild ge 18363", MACHINE_FIELDS).unwrap();
        let written = odata::parse_filter(
            "rbacGroupName in ('kiosks', 'servers') and osBuild ge 18363",
            MACHINE_FIELDS,
        )
        .unwrap();
        assert_eq!(scope.restrict_filter(Some(&theirs)), Some(written));
        assert_eq!(
            Scope::of(Some(&BTreeSet::new())).restrict_filter(None),
            Some(Filter::In {
                field: "rbacGroupName",
                values: vec![]
            })
        );
    }
}
