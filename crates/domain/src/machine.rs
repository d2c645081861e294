//! Machines: what an inventory says about one Windows installation.

use std::collections::BTreeSet;
use std::fmt;

use sha1::{Digest, Sha1};

use crate::{Arch, Kb, OsInfo};

/// A machine id as Defender spells them: 40 lower-case hex characters.
///
/// Derived from the identity the inventory carries (see [`MachineInventory::identity`]) so
/// that re-importing the same machine replaces it instead of adding a twin.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct MachineId(String);

impl MachineId {
    /// The id of a machine with this identity: the identity itself when it already is a
    /// 40-hex id, else its SHA-1 (case-folded, so `HOST` and `host` are one machine).
    pub fn derive(identity: &str) -> MachineId {
        MachineId::parse(identity).unwrap_or_else(|| {
            let digest = Sha1::digest(identity.trim().to_lowercase().as_bytes());
            MachineId(digest.iter().map(|b| format!("{b:02x}")).collect())
        })
    }

    /// Accepts exactly 40 hex characters (either case; stored lower-case).
    pub fn parse(text: &str) -> Option<MachineId> {
        let t = text.trim();
        (t.len() == 40 && t.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| MachineId(t.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MachineId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        MachineId::parse(&s).ok_or_else(|| format!("not a machine id (40 hex characters): {s:?}"))
    }
}

impl From<MachineId> for String {
    fn from(id: MachineId) -> String {
        id.0
    }
}

impl fmt::Display for MachineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An application the inventory lists (name and version as the Uninstall key gives them).
///
/// Installed MSI updates list themselves there too ("Security Update for Microsoft Word 2016
/// (KB4461543) 64-Bit Edition", "Hotfix 4322 for SQL Server 2019 (KB5029378) (64-bit)"):
/// `Win32_QuickFixEngineering` never shows them, so [`Application::update_kb`] is how an
/// assessment learns that an Office or SQL Server update is installed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Application {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    /// The bitness of the registry view the entry was read from, when the collector knows
    /// it (the 64-bit `Uninstall` key of a 64-bit Windows holds 64-bit MSI products, the
    /// `WOW6432Node` one 32-bit products).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<Arch>,
    /// The MSI product code (`{90160000-0011-0000-1000-0000000FF1CE}`), when the entry's key
    /// is one: Office encodes its bitness in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_code: Option<String>,
}

impl Application {
    /// An application known by its name alone.
    pub fn named(name: &str) -> Application {
        Application {
            name: name.to_string(),
            version: None,
            publisher: None,
            arch: None,
            product_code: None,
        }
    }

    /// The KB an entry stands for when it is an installed update rather than a program:
    /// its name holds a `KB` number as a word of its own (`(KB4461543)`, `- KB2467174 -`).
    pub fn update_kb(&self) -> Option<Kb> {
        let bytes = self.name.as_bytes();
        let mut from = 0;
        while let Some(at) = self.name[from..].find(['K', 'k']).map(|i| i + from) {
            from = at + 1;
            let starts_word = at == 0 || !bytes[at - 1].is_ascii_alphanumeric();
            if !starts_word
                || !bytes
                    .get(at + 1)
                    .is_some_and(|b| b.eq_ignore_ascii_case(&b'b'))
            {
                continue;
            }
            let digits = bytes[at + 2..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let end = at + 2 + digits;
            let ends_word = end == bytes.len() || !bytes[end].is_ascii_alphanumeric();
            if (6..=7).contains(&digits) && ends_word {
                return self.name[at + 2..end]
                    .parse()
                    .ok()
                    .and_then(|n| Kb::new(n).ok());
            }
        }
        None
    }
}

/// Everything kbgap knows about one machine, whatever format it came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MachineInventory {
    /// Host name as the machine reports it (`DESKTOP-LOQ9L09`).
    pub host: String,
    /// What makes this machine unique across re-imports: host name plus Windows product id
    /// for systeminfo, or the id a JSON inventory gives.
    pub identity: String,
    pub os: OsInfo,
    pub installed_kbs: BTreeSet<Kb>,
    #[serde(default)]
    pub applications: Vec<Application>,
    /// The device group the machine belongs to (Defender's `rbacGroupName`), when the
    /// inventory names one: a delegated caller sees only the machines of their groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_group: Option<String>,
}

impl MachineInventory {
    pub fn id(&self) -> MachineId {
        MachineId::derive(&self.identity)
    }

    /// Installed KBs, with the updates the application list names (Office MSPs, SQL Server
    /// and Exchange updates, which `Win32_QuickFixEngineering` does not list).
    pub fn all_installed_kbs(&self) -> BTreeSet<Kb> {
        let mut kbs = self.installed_kbs.clone();
        kbs.extend(self.applications.iter().filter_map(Application::update_kb));
        kbs
    }

    /// Adds another listing of the same machine's updates (a `wmic qfe` table next to a
    /// truncated systeminfo hotfix list).
    pub fn merge_kbs(&mut self, kbs: impl IntoIterator<Item = Kb>) {
        self.installed_kbs.extend(kbs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_case_insensitive() {
        let a = MachineId::derive("DESKTOP-LOQ9L09|00330-50000-00000-AAOEM");
        let b = MachineId::derive("desktop-loq9l09|00330-50000-00000-aaoem");
        assert_eq!(a, b);
        assert_eq!(a.as_str().len(), 40);
        let given = "2339ad14a01bd0299afb93dfa2550136057bff96";
        assert_eq!(MachineId::derive(given).as_str(), given);
    }

    #[test]
    fn updates_in_the_application_list() {
        let kb = |name: &str| Application::named(name).update_kb().map(Kb::number);
        assert_eq!(
            kb("Security Update for Microsoft Word 2016 (KB4461543) 64-Bit Edition"),
            Some(4461543)
        );
        assert_eq!(
            kb("Hotfix 4322 for SQL Server 2019 (KB5029378) (64-bit)"),
            Some(5029378)
        );
        assert_eq!(
            kb("Microsoft Visual C++ 2008 Redistributable - KB2467174 - x86 9.0.30729.5570"),
            Some(2467174)
        );
        for name in [
            "Microsoft Office Professional Plus 2016",
            "KB Viewer 1.0",
            "KBD layout KB12",
            "NetKB4461543 tool",
            "(KB44615431)",
        ] {
            assert_eq!(kb(name), None, "{name}");
        }
    }
}
