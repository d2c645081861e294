//! The storage interface.
//!
//! kbgap keeps its catalog, machines, assessments and signing keys in a database chosen by
//! URL at start-up: embedded SQLite by default, PostgreSQL for fleets. The API, the CLI and
//! the engine see only [`Store`], a use-case trait ("import these catalog batches
//! atomically", "the missing KBs of this software"), never SQL. Each backend lives in its own
//! crate and passes the same conformance suite.
//!
//! Backends keep the fleet aggregates (which machine misses which KB for which software)
//! materialized, recomputed inside the same transaction as the change that affects them
//! (a machine ingested or removed, a catalog import), so the software call is one indexed
//! query and a crash never leaves aggregates that disagree with the data.

#[cfg(feature = "conformance")]
pub mod conformance;
pub mod fields;
mod shared;

use std::future::Future;

use kbgap_catalog::Batch;
use kbgap_domain::{Date, Kb, MachineId, MachineInventory, SoftwareId};

pub use fields::{MACHINE_FIELDS, SOFTWARE_FIELDS, VULNERABILITY_FIELDS};
/// The typed `$filter` expression lists take; backends translate it, never its text.
pub use kbgap_odata::{self as odata, CompareOp, DateTimeOffset, Filter, Literal, TextFunction};
pub use shared::{CatalogSummary, Progress, cve_count, missing_rows};

/// Errors a backend reports. Messages name what was wrong, for the CLI to print; the API
/// logs them and answers with a generic 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL {0:?} is not supported (use sqlite://PATH or postgres://...)")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(String),
    #[error(
        "the database holds data from a newer kbgap (schema version {found}, this build knows {known})"
    )]
    SchemaTooNew { found: i64, known: i64 },
    /// A filter names a property or combines a property and a literal the backend has no
    /// translation for. Filters parsed against [`MACHINE_FIELDS`] / [`SOFTWARE_FIELDS`]
    /// never do (the conformance suite checks every field).
    #[error("unsupported filter: {0}")]
    UnsupportedFilter(String),
    #[error("corrupt stored value in {table}.{column}: {detail}")]
    Corrupt {
        table: &'static str,
        column: &'static str,
        detail: String,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A stored machine.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MachineRecord {
    pub id: MachineId,
    pub inventory: MachineInventory,
    /// The file or request the inventory came from.
    pub source: String,
    /// When it was last ingested (RFC 3339, UTC).
    pub last_seen: String,
}

/// A software known to the catalog, with fleet counts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SoftwareRecord {
    pub id: SoftwareId,
    pub name: String,
    pub vendor: String,
    /// Machines running it.
    pub installed_machines: u64,
    /// Machines running it that miss at least one security update for it.
    pub exposed_machines: u64,
    /// Distinct CVEs open on at least one machine running it (Defender's `weaknesses`).
    pub weaknesses: u64,
}

/// A vulnerability of the catalog (a CVE id), with its fleet exposure.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VulnerabilityRecord {
    pub id: String,
    /// Defender's word ("Critical", "High", "Medium", "Low"; MSRC's Important is High,
    /// Moderate is Medium) for the highest severity the catalog states for the CVE on the
    /// products it is fixed on; `None` unless that is known on every one of them (the catalog
    /// keeps severities per KB and product, which is a CVE's own only when the KB fixes that
    /// CVE alone there).
    pub severity: Option<String>,
    /// Release date of the earliest KB that fixes it.
    pub published_on: Date,
    /// Release date of the latest KB that fixes it.
    pub updated_on: Date,
    /// Machines on which it is open: they miss a KB that fixes it for one of their software.
    pub exposed_machines: u64,
}

/// A machine named by a TVM relation (Defender's `MachineReference`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MachineReference {
    pub id: MachineId,
    pub computer_dns_name: String,
    pub os_platform: String,
    /// The machine's device group, when its inventory names one.
    pub rbac_group_name: Option<String>,
}

/// The machines running one version of a software (Defender's `Distributions`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VersionDistribution {
    pub version: String,
    pub installations: u64,
    /// Distinct CVEs of the software open on at least one of those machines.
    pub vulnerabilities: u64,
}

/// One line of a getmissingkbs answer (Defender's `PublicProductFixDto`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MissingKb {
    pub kb: Kb,
    pub name: String,
    pub os_build: Option<u32>,
    pub products_names: Vec<String>,
    pub machine_missed_on: u64,
    pub cve_addressed: u64,
    pub release_date: Date,
}

/// A filter and paging for the entity lists (`$filter`, `$top`, `$skip`).
///
/// The filter is a typed expression over the entity's fields ([`MACHINE_FIELDS`],
/// [`SOFTWARE_FIELDS`]); a backend maps each field to a fixed column and binds each literal
/// as a parameter. String comparisons are case-insensitive, as Defender's are for
/// `computerDnsName`; string ordering (`gt`, `lt`) compares the lower-cased values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    /// At most this many rows; `None` for all.
    pub top: Option<u64>,
    pub skip: u64,
}

impl ListQuery {
    /// All rows matching `filter`.
    pub fn filtered(filter: Filter) -> ListQuery {
        ListQuery {
            filter: Some(filter),
            ..ListQuery::default()
        }
    }
}

/// The machines a fleet answer counts: every machine, or (a user's delegated token) only the
/// machines of some device groups, as Defender limits users to their device groups.
///
/// The fleet counts (`installedMachines`, `exposedMachines`, `weaknesses`, `machineMissedOn`,
/// the per-version counts) and the software list's membership take it, so that a scoped caller
/// learns nothing of the machines outside the scope, and its counts equal what the
/// per-machine answers of the machines it may see add up to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DeviceGroups<'a> {
    /// Every machine.
    #[default]
    All,
    /// Only the machines whose device group is one of these, compared ignoring ASCII case; a
    /// machine without a device group is in none. An empty list counts no machine.
    Only(&'a [String]),
}

impl<'a> DeviceGroups<'a> {
    /// The groups of a restricted scope; `None` for every machine.
    pub fn only(self) -> Option<&'a [String]> {
        match self {
            DeviceGroups::All => None,
            DeviceGroups::Only(groups) => Some(groups),
        }
    }
}

/// What a machine ingest did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestedMachine {
    pub id: MachineId,
    pub host: String,
    pub os_platform: &'static str,
    /// Whether a machine with this id was already stored (and was replaced).
    pub replaced: bool,
    /// When it was stored (RFC 3339, UTC): its record's `last_seen`.
    pub last_seen: String,
}

/// An application registered with the built-in identity provider (`kbgap app add`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRecord {
    /// The GUID clients send as `client_id`.
    pub client_id: String,
    /// A unique display name.
    pub name: String,
    /// The permissions its tokens carry in `roles`.
    pub roles: Vec<String>,
    /// The client secret as a slow-hash PHC string; the secret itself is never stored.
    pub secret_hash: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// When the secret was last set (RFC 3339, UTC).
    pub secret_updated_at: String,
}

/// A token-signing key of the built-in identity provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    /// PKCS#8 PEM of the private key.
    pub private_pem: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// The storage interface every backend implements.
pub trait Store: Clone + Send + Sync + 'static {
    /// Imports catalog batches in one transaction: each batch replaces what an earlier
    /// import of the same source contributed (except that an empty batch never replaces a
    /// stored source that has fixes), and every stored machine is reassessed. On any error
    /// nothing changes.
    fn import_catalog(
        &self,
        batches: Vec<Batch>,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> impl Future<Output = Result<CatalogSummary>> + Send;

    /// Stores machines (replacing earlier inventories with the same id) and their
    /// assessments, in one transaction.
    fn ingest(
        &self,
        machines: Vec<(MachineInventory, String)>,
    ) -> impl Future<Output = Result<Vec<IngestedMachine>>> + Send;

    /// Removes a machine and its assessment; false when it was not stored.
    fn remove_machine(&self, id: &MachineId) -> impl Future<Output = Result<bool>> + Send;

    /// A machine by id or by computer name (case-insensitive), as Defender's
    /// `GET /api/machines/{id}` accepts both.
    fn machine(&self, key: &str) -> impl Future<Output = Result<Option<MachineRecord>>> + Send;

    fn machines(
        &self,
        query: &ListQuery,
    ) -> impl Future<Output = Result<Vec<MachineRecord>>> + Send;

    /// How many machines match `filter`, regardless of paging (`$count=true`).
    fn count_machines(&self, filter: Option<&Filter>) -> impl Future<Output = Result<u64>> + Send;

    /// A software of the catalog, with the fleet counts of the machines of `groups` (zero
    /// when none of them runs it).
    fn software(
        &self,
        id: &SoftwareId,
        groups: DeviceGroups<'_>,
    ) -> impl Future<Output = Result<Option<SoftwareRecord>>> + Send;

    /// Software installed on at least one machine of `groups`, with their fleet counts.
    fn software_list(
        &self,
        query: &ListQuery,
        groups: DeviceGroups<'_>,
    ) -> impl Future<Output = Result<Vec<SoftwareRecord>>> + Send;

    /// How many entries of [`Store::software_list`] match `filter`, regardless of paging.
    fn count_software(
        &self,
        filter: Option<&Filter>,
        groups: DeviceGroups<'_>,
    ) -> impl Future<Output = Result<u64>> + Send;

    /// Missing KBs across the machines of `groups` for one software: `machineMissedOn` counts
    /// those machines, and a KB none of them misses is not listed. `None` when the software
    /// is unknown.
    fn missing_by_software(
        &self,
        id: &SoftwareId,
        groups: DeviceGroups<'_>,
    ) -> impl Future<Output = Result<Option<Vec<MissingKb>>>> + Send;

    /// Missing KBs of one machine, assessed now (optionally against the catalog as of a
    /// date); `None` when the machine is unknown.
    fn missing_by_machine(
        &self,
        id: &MachineId,
        as_of: Option<Date>,
    ) -> impl Future<Output = Result<Option<Vec<MissingKb>>>> + Send;

    /// Missing KBs of an inventory that need not be stored (`kbgap check`), as the machine
    /// call would answer for it.
    fn missing_for(
        &self,
        inventory: &MachineInventory,
        as_of: Option<Date>,
    ) -> impl Future<Output = Result<Vec<MissingKb>>> + Send;

    /// The catalog slice an assessment of this machine reads: the products of its OS family
    /// and the application products its program list can select (an explanation, or a
    /// caller assessing the machine itself, reads what the stored answers read).
    fn catalog_slice(
        &self,
        machine: &MachineInventory,
    ) -> impl Future<Output = Result<kbgap_engine::CatalogSlice>> + Send;

    /// Missing KBs across the fleet for one software, every machine of `groups` running it
    /// assessed against the catalog as it stood on `as_of` (the materialized rows answer for
    /// today); `None` when the software is unknown.
    fn missing_by_software_as_of(
        &self,
        id: &SoftwareId,
        as_of: Date,
        groups: DeviceGroups<'_>,
    ) -> impl Future<Output = Result<Option<Vec<MissingKb>>>> + Send;

    /// The vulnerabilities of the catalog (CVE ids), newest first; `exposedMachines` counts
    /// the machines of `groups`.
    fn vulnerabilities(
        &self,
        query: &ListQuery,
        groups: DeviceGroups<'_>,
    ) -> impl Future<Output = Result<Vec<VulnerabilityRecord>>> + Send;

    /// How many vulnerabilities match `filter`, regardless of paging.
    fn count_vulnerabilities(
        &self,
        filter: Option<&Filter>,
    ) -> impl Future<Output = Result<u64>> + Send;

    /// One vulnerability by CVE id (case-insensitive); `exposedMachines` counts the machines
    /// of `groups`.
    fn vulnerability(
        &self,
        id: &str,
        groups: DeviceGroups<'_>,
    ) -> impl Future<Output = Result<Option<VulnerabilityRecord>>> + Send;

    /// Machines on which a vulnerability is open; `None` when the catalog does not know it.
    fn vulnerability_machines(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<Vec<MachineReference>>>> + Send;

    /// Machines running a software; `None` when the software is unknown.
    fn software_machines(
        &self,
        id: &SoftwareId,
    ) -> impl Future<Output = Result<Option<Vec<MachineReference>>>> + Send;

    /// The machines of `groups` running a software, by version; `None` when the software is
    /// unknown.
    fn software_distributions(
        &self,
        id: &SoftwareId,
        groups: DeviceGroups<'_>,
    ) -> impl Future<Output = Result<Option<Vec<VersionDistribution>>>> + Send;

    /// Vulnerabilities of a software open on at least one machine of `groups`, with their
    /// exposure there; `None` when the software is unknown.
    fn software_vulnerabilities(
        &self,
        id: &SoftwareId,
        groups: DeviceGroups<'_>,
    ) -> impl Future<Output = Result<Option<Vec<VulnerabilityRecord>>>> + Send;

    /// The software a machine runs, with the fleet counts of the machines of `groups`;
    /// `None` when the machine is unknown.
    fn machine_software(
        &self,
        id: &MachineId,
        groups: DeviceGroups<'_>,
    ) -> impl Future<Output = Result<Option<Vec<SoftwareRecord>>>> + Send;

    /// Vulnerabilities open on a machine, with their exposure on the machines of `groups`;
    /// `None` when the machine is unknown.
    fn machine_vulnerabilities(
        &self,
        id: &MachineId,
        groups: DeviceGroups<'_>,
    ) -> impl Future<Output = Result<Option<Vec<VulnerabilityRecord>>>> + Send;

    /// A value from the settings table (signing keys, the tenant id), by name.
    fn setting(&self, name: &str) -> impl Future<Output = Result<Option<String>>> + Send;

    /// Stores a setting if none exists under that name; returns the value now stored, so
    /// that two processes creating a key at once agree on one.
    fn setting_or_insert(
        &self,
        name: &str,
        value: &str,
    ) -> impl Future<Output = Result<String>> + Send;

    /// Registers an application; false (and nothing stored) when its name is taken.
    fn add_application(&self, app: &ApplicationRecord)
    -> impl Future<Output = Result<bool>> + Send;

    /// Every registered application, by name.
    fn applications(&self) -> impl Future<Output = Result<Vec<ApplicationRecord>>> + Send;

    /// An application by client id.
    fn application(
        &self,
        client_id: &str,
    ) -> impl Future<Output = Result<Option<ApplicationRecord>>> + Send;

    /// Removes an application; false when no application has that client id.
    fn remove_application(&self, client_id: &str) -> impl Future<Output = Result<bool>> + Send;

    /// Replaces an application's secret hash (rotation); false when it is unknown.
    fn set_application_secret(
        &self,
        client_id: &str,
        secret_hash: &str,
        updated_at: &str,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// The token-signing keys, newest (the one that signs) first.
    fn signing_keys(&self) -> impl Future<Output = Result<Vec<SigningKeyRecord>>> + Send;

    /// The signing keys, storing `first` when there are none, atomically, so that two
    /// processes starting on a new database agree on one key.
    fn signing_keys_or_insert(
        &self,
        first: &SigningKeyRecord,
    ) -> impl Future<Output = Result<Vec<SigningKeyRecord>>> + Send;

    /// Makes `key` the signing key and drops all but the `keep` newest keys, in one
    /// transaction; returns the keys now stored, newest first.
    fn rotate_signing_key(
        &self,
        key: &SigningKeyRecord,
        keep: usize,
    ) -> impl Future<Output = Result<Vec<SigningKeyRecord>>> + Send;
}
