//! Machines: what an inventory says about one Windows installation.

use std::collections::BTreeSet;
use std::fmt;

use sha1::{Digest, Sha1};

use crate::{Kb, OsInfo};

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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Application {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
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
}

impl MachineInventory {
    pub fn id(&self) -> MachineId {
        MachineId::derive(&self.identity)
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
}
