//! Defender's response shapes. Field order in these structs is the JSON key order clients
//! see (CONTRACT.md fixes it for `PublicProductFixDto`).

use axum::response::Response;
use kbgap_store::{MachineRecord, MissingKb, SoftwareRecord};

use crate::json_response;

pub(crate) const FIX_COLLECTION: &str =
    "Collection(microsoft.windowsDefenderATP.api.PublicProductFixDto)";

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

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SoftwareDto {
    id: String,
    name: String,
    vendor: String,
    exposed_machines: u64,
    installed_machines: u64,
}

impl From<&SoftwareRecord> for SoftwareDto {
    fn from(s: &SoftwareRecord) -> Self {
        SoftwareDto {
            id: s.id.to_string(),
            name: s.name.clone(),
            vendor: s.vendor.clone(),
            exposed_machines: s.exposed_machines,
            installed_machines: s.installed_machines,
        }
    }
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MachineDto {
    id: String,
    computer_dns_name: String,
    last_seen: String,
    os_platform: &'static str,
    version: String,
    os_build: u32,
    os_architecture: &'static str,
    installed_kbs: Vec<String>,
}

impl From<&MachineRecord> for MachineDto {
    fn from(m: &MachineRecord) -> Self {
        let os = &m.inventory.os;
        MachineDto {
            id: m.id.to_string(),
            computer_dns_name: m.inventory.host.clone(),
            last_seen: m.last_seen.clone(),
            os_platform: os.family.defender_platform(),
            version: os.defender_version(),
            os_build: os.build,
            os_architecture: os.arch.defender_architecture(),
            installed_kbs: m
                .inventory
                .installed_kbs
                .iter()
                .map(|k| format!("KB{k}"))
                .collect(),
        }
    }
}
