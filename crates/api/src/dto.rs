//! Defender's response shapes. Field order in these structs is the JSON key order clients
//! see (CONTRACT.md fixes it for `PublicProductFixDto`).

use axum::response::Response;
use kbgap_domain::Arch;
use kbgap_store::{
    MachineRecord, MachineReference, MissingKb, SoftwareRecord, VersionDistribution,
    VulnerabilityRecord,
};

use crate::json_response;

pub(crate) const FIX_COLLECTION: &str =
    "Collection(microsoft.windowsDefenderATP.api.PublicProductFixDto)";

/// The context of the vulnerability lists under a software or a machine: Defender names a
/// type of another namespace there (mde-api.md §2.7, §3.4).
pub(crate) const VULNERABILITY_COLLECTION: &str =
    "Collection(Analytics.Contracts.PublicAPI.PublicVulnerabilityDto)";

#[derive(serde::Serialize)]
struct Collection<T> {
    #[serde(rename = "@odata.context")]
    context: String,
    value: Vec<T>,
}

#[derive(serde::Serialize)]
struct Entity<'a, T> {
    #[serde(rename = "@odata.context")]
    context: String,
    #[serde(flatten)]
    entity: &'a T,
}

pub(crate) fn collection<T: serde::Serialize>(
    base: &str,
    context: &str,
    value: Vec<T>,
) -> Response {
    json_response(collection_body(base, context, value))
}

fn collection_body<T: serde::Serialize>(base: &str, context: &str, value: Vec<T>) -> Vec<u8> {
    let body = Collection {
        context: format!("{base}/api/$metadata#{context}"),
        value,
    };
    serde_json::to_vec(&body).expect("DTOs serialize")
}

/// The getmissingkbs body for these KBs, byte for byte what the API returns: the CLI's
/// `--json` output.
pub fn missing_kbs_body(base: &str, missing: &[MissingKb]) -> Vec<u8> {
    collection_body(
        base,
        FIX_COLLECTION,
        missing.iter().map(ProductFixDto::from).collect(),
    )
}

pub(crate) fn entity<T: serde::Serialize>(base: &str, context: &str, entity: &T) -> Response {
    let body = Entity {
        context: format!("{base}/api/$metadata#{context}"),
        entity,
    };
    json_response(serde_json::to_vec(&body).expect("DTOs serialize"))
}

/// Defender's `PublicProductFixDto`, one line of a getmissingkbs answer.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductFixDto {
    id: String,
    name: String,
    os_build: Option<u32>,
    products_names: Vec<String>,
    url: String,
    machine_missed_on: u64,
    cve_addressed: u64,
}

impl From<&MissingKb> for ProductFixDto {
    fn from(m: &MissingKb) -> Self {
        ProductFixDto {
            id: m.kb.to_string(),
            name: m.name.clone(),
            os_build: m.os_build,
            products_names: m.products_names.clone(),
            url: m.kb.catalog_url(),
            machine_missed_on: m.machine_missed_on,
            cve_addressed: m.cve_addressed,
        }
    }
}

/// Defender's `Software`. kbgap has no exploit or alert data and no exposure score:
/// `publicExploit` and `activeAlert` are always false, `impactScore` always 0.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SoftwareDto {
    id: String,
    name: String,
    vendor: String,
    weaknesses: u64,
    public_exploit: bool,
    active_alert: bool,
    exposed_machines: u64,
    installed_machines: u64,
    impact_score: f32,
}

impl From<&SoftwareRecord> for SoftwareDto {
    fn from(s: &SoftwareRecord) -> Self {
        SoftwareDto {
            id: s.id.to_string(),
            name: s.name.clone(),
            vendor: s.vendor.clone(),
            weaknesses: s.weaknesses,
            public_exploit: false,
            active_alert: false,
            exposed_machines: s.exposed_machines,
            installed_machines: s.installed_machines,
            impact_score: 0.0,
        }
    }
}

/// Defender's `Vulnerability` (and `PublicVulnerabilityDto`, the same properties). The
/// catalog gives the CVE id, a severity and the release dates of its fixes; kbgap has no
/// description, CVSS score or exploit data: `description` and `cvssV3` are null, the
/// exploit flags false and their lists empty.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VulnerabilityDto {
    id: String,
    name: String,
    description: Option<String>,
    severity: Option<String>,
    cvss_v3: Option<f64>,
    exposed_machines: u64,
    published_on: String,
    updated_on: String,
    public_exploit: bool,
    exploit_verified: bool,
    exploit_in_kit: bool,
    exploit_types: Vec<String>,
    exploit_uris: Vec<String>,
}

impl From<&VulnerabilityRecord> for VulnerabilityDto {
    fn from(v: &VulnerabilityRecord) -> Self {
        VulnerabilityDto {
            id: v.id.clone(),
            name: v.id.clone(),
            description: None,
            severity: v.severity.clone(),
            cvss_v3: None,
            exposed_machines: v.exposed_machines,
            published_on: format!("{}T00:00:00Z", v.published_on),
            updated_on: format!("{}T00:00:00Z", v.updated_on),
            public_exploit: false,
            exploit_verified: false,
            exploit_in_kit: false,
            exploit_types: Vec::new(),
            exploit_uris: Vec::new(),
        }
    }
}

/// Defender's `MachineReference` (`rbacGroupName` is null when the inventory names no
/// device group).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MachineReferenceDto {
    id: String,
    computer_dns_name: String,
    os_platform: String,
    rbac_group_name: Option<String>,
}

impl From<&MachineReference> for MachineReferenceDto {
    fn from(m: &MachineReference) -> Self {
        MachineReferenceDto {
            id: m.id.to_string(),
            computer_dns_name: m.computer_dns_name.clone(),
            os_platform: m.os_platform.clone(),
            rbac_group_name: m.rbac_group_name.clone(),
        }
    }
}

/// Defender's `PublicDistributionDto`, one version of a software.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DistributionDto {
    version: String,
    installations: u64,
    vulnerabilities: u64,
}

impl From<&VersionDistribution> for DistributionDto {
    fn from(d: &VersionDistribution) -> Self {
        DistributionDto {
            version: d.version.clone(),
            installations: d.installations,
            vulnerabilities: d.vulnerabilities,
        }
    }
}

/// Defender's `Machine`, in Defender's key order, with kbgap's `osArchitecture` and
/// `installedKbs`. kbgap has no sensor data: `firstSeen`, the IP addresses, `healthStatus`,
/// `riskScore`, `exposureLevel` and `aadDeviceId` are null, `isAadJoined` false and
/// `machineTags` empty (docs/API.md).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MachineDto {
    id: String,
    computer_dns_name: String,
    first_seen: Option<String>,
    last_seen: String,
    os_platform: &'static str,
    version: String,
    os_processor: &'static str,
    last_ip_address: Option<String>,
    last_external_ip_address: Option<String>,
    os_build: u32,
    health_status: Option<String>,
    os_architecture: &'static str,
    /// The machine's device group (null when its inventory names none).
    rbac_group_name: Option<String>,
    risk_score: Option<String>,
    exposure_level: Option<String>,
    is_aad_joined: bool,
    aad_device_id: Option<String>,
    machine_tags: Vec<String>,
    installed_kbs: Vec<String>,
}

impl From<&MachineRecord> for MachineDto {
    fn from(m: &MachineRecord) -> Self {
        let os = &m.inventory.os;
        MachineDto {
            id: m.id.to_string(),
            computer_dns_name: m.inventory.host.clone(),
            first_seen: None,
            last_seen: m.last_seen.clone(),
            os_platform: os.family.defender_platform(),
            version: os.defender_version(),
            // Defender's (deprecated) processor word for the architecture.
            os_processor: match os.arch {
                Arch::X86 => "x86",
                Arch::X64 => "x64",
                Arch::Arm64 => "arm64",
                Arch::Itanium => "ia64",
            },
            last_ip_address: None,
            last_external_ip_address: None,
            os_build: os.build,
            health_status: None,
            os_architecture: os.arch.defender_architecture(),
            rbac_group_name: m.inventory.device_group.clone(),
            risk_score: None,
            exposure_level: None,
            is_aad_joined: false,
            aad_device_id: None,
            machine_tags: Vec::new(),
            installed_kbs: m
                .inventory
                .installed_kbs
                .iter()
                .map(|k| format!("KB{k}"))
                .collect(),
        }
    }
}
