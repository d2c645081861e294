//! The properties of the entities kbgap lists, as the API names them: what `$select` may
//! name and what `$filter` may test, with each property's type.
//!
//! These tables are the contract between the API, which parses query options against them,
//! and the backends, which map each filterable property to a fixed column (the conformance
//! suite filters on every one). The order is the order of the keys in the API's JSON, and
//! every key the API writes is listed, including Defender's properties kbgap has no data for
//! and writes as constants (a machine's `riskScore` or `healthStatus`, exploit flags, scores:
//! docs/API.md): `$select` and `$metadata` (generated from these tables) then cover every
//! key. Only the properties kbgap has are filterable.

use kbgap_odata::{FieldDef, FieldType};

/// Defender's `osPlatform` values, one per [`kbgap_domain::OsFamily`].
pub const OS_PLATFORMS: &[&str] = &[
    "WindowsXp",
    "WindowsServer2003",
    "WindowsVista",
    "WindowsServer2008",
    "Windows7",
    "WindowsServer2008R2",
    "Windows8",
    "WindowsServer2012",
    "Windows8Blue",
    "WindowsServer2012R2",
    "Windows10",
    "WindowsServer2016",
    "WindowsServer",
    "WindowsServer2019",
    "WindowsServer2022",
    "Windows11",
    "WindowsServer2025",
];

/// Defender's `osArchitecture` values.
pub const OS_ARCHITECTURES: &[&str] = &["32-bit", "64-bit"];

/// `GET /api/machines` (Defender's `Machine`, the part kbgap has).
pub const MACHINE_FIELDS: &[FieldDef] = &[
    FieldDef::filterable("id", FieldType::String),
    FieldDef::filterable("computerDnsName", FieldType::String),
    FieldDef::selectable("firstSeen", FieldType::DateTime),
    FieldDef::filterable("lastSeen", FieldType::DateTime),
    FieldDef::filterable("osPlatform", FieldType::Enum(OS_PLATFORMS)),
    FieldDef::filterable("version", FieldType::String),
    FieldDef::selectable("osProcessor", FieldType::String),
    FieldDef::selectable("lastIpAddress", FieldType::String),
    FieldDef::selectable("lastExternalIpAddress", FieldType::String),
    FieldDef::filterable("osBuild", FieldType::Int),
    FieldDef::selectable("healthStatus", FieldType::String),
    FieldDef::filterable("osArchitecture", FieldType::Enum(OS_ARCHITECTURES)),
    // The device group a delegated caller's scope is made of (the inventory's `deviceGroup`).
    FieldDef::filterable("rbacGroupName", FieldType::String),
    FieldDef::selectable("riskScore", FieldType::String),
    FieldDef::selectable("exposureLevel", FieldType::String),
    FieldDef::selectable("isAadJoined", FieldType::Bool),
    FieldDef::selectable("aadDeviceId", FieldType::String),
    FieldDef::selectable("machineTags", FieldType::StringCollection),
    FieldDef::selectable("installedKbs", FieldType::StringCollection),
];

/// `GET /api/Software`: Defender documents `$filter` on `id`, `name` and `vendor` only.
pub const SOFTWARE_FIELDS: &[FieldDef] = &[
    FieldDef::filterable("id", FieldType::String),
    FieldDef::filterable("name", FieldType::String),
    FieldDef::filterable("vendor", FieldType::String),
    FieldDef::selectable("weaknesses", FieldType::Int),
    FieldDef::selectable("publicExploit", FieldType::Bool),
    FieldDef::selectable("activeAlert", FieldType::Bool),
    FieldDef::selectable("exposedMachines", FieldType::Int),
    FieldDef::selectable("installedMachines", FieldType::Int),
    FieldDef::selectable("impactScore", FieldType::Number),
];

/// Defender's vulnerability `severity` values.
pub const SEVERITIES: &[&str] = &["Low", "Medium", "High", "Critical"];

/// `GET /api/vulnerabilities`: Defender documents `$filter` on `id`, `name`, `description`,
/// `cvssV3`, `publishedOn`, `severity` and `updatedOn`; kbgap has no description or CVSS
/// score (always null), so those two are not filterable here. `name` is the CVE id.
pub const VULNERABILITY_FIELDS: &[FieldDef] = &[
    FieldDef::filterable("id", FieldType::String),
    FieldDef::filterable("name", FieldType::String),
    FieldDef::selectable("description", FieldType::String),
    FieldDef::filterable("severity", FieldType::Enum(SEVERITIES)),
    FieldDef::selectable("cvssV3", FieldType::Number),
    FieldDef::selectable("exposedMachines", FieldType::Int),
    FieldDef::filterable("publishedOn", FieldType::DateTime),
    FieldDef::filterable("updatedOn", FieldType::DateTime),
    FieldDef::selectable("publicExploit", FieldType::Bool),
    FieldDef::selectable("exploitVerified", FieldType::Bool),
    FieldDef::selectable("exploitInKit", FieldType::Bool),
    FieldDef::selectable("exploitTypes", FieldType::StringCollection),
    FieldDef::selectable("exploitUris", FieldType::StringCollection),
];

#[cfg(test)]
mod tests {
    use kbgap_domain::{Arch, OsFamily};

    use super::*;

    #[test]
    fn enumerations_list_every_value_the_domain_produces() {
        for family in OsFamily::ALL {
            assert!(
                OS_PLATFORMS.contains(&family.defender_platform()),
                "{family:?}"
            );
        }
        for arch in [Arch::X86, Arch::X64, Arch::Arm64, Arch::Itanium] {
            assert!(OS_ARCHITECTURES.contains(&arch.defender_architecture()));
        }
    }
}
