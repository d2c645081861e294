//! The properties of the entities kbgap lists, as the API names them: what `$select` may
//! name and what `$filter` may test, with each property's type.
//!
//! These tables are the contract between the API, which parses query options against them,
//! and the backends, which map each filterable property to a fixed column (the conformance
//! suite filters on every one). Only properties kbgap has are listed: Defender's machine
//! entity also has `riskScore`, `healthStatus`, `machineTags`, ... which kbgap does not keep.
//! The order is the order of the keys in the API's JSON.

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
    FieldDef::filterable("lastSeen", FieldType::DateTime),
    FieldDef::filterable("osPlatform", FieldType::Enum(OS_PLATFORMS)),
    FieldDef::filterable("version", FieldType::String),
    FieldDef::filterable("osBuild", FieldType::Int),
    FieldDef::filterable("osArchitecture", FieldType::Enum(OS_ARCHITECTURES)),
    FieldDef::selectable("installedKbs", FieldType::StringCollection),
];

/// `GET /api/Software`: Defender documents `$filter` on `id`, `name` and `vendor` only.
pub const SOFTWARE_FIELDS: &[FieldDef] = &[
    FieldDef::filterable("id", FieldType::String),
    FieldDef::filterable("name", FieldType::String),
    FieldDef::filterable("vendor", FieldType::String),
    FieldDef::selectable("exposedMachines", FieldType::Int),
    FieldDef::selectable("installedMachines", FieldType::Int),
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
