//! The TVM relations around getmissingkbs: vulnerabilities (CVE ids of the catalog), which
//! machines run a software or have a vulnerability open, versions, and the software call
//! evaluated as of a past date.
//!
//! A machine has a vulnerability open when it misses a KB that fixes it for one of its
//! software: `machine_missing` (machine, KB, software) joined to `kb_software_cves` (KB,
//! software, CVE); or when it runs a product serviced by version older than the version
//! that fixes it: `machine_outdated` (machine, software, set) joined to `outdated_set_cves`
//! (set, CVE), one set per distinct list of open CVEs. All are materialized, so every answer
//! here is a join over indexes and the counts agree with the getmissingkbs answers and the
//! out-of-date lists by construction.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use kbgap_domain::{Date, Kb, MachineId, OsFamily, SoftwareId};
use kbgap_engine::{AssessOptions, CatalogSlice, assess};
use kbgap_store::{
    Filter, ListQuery, Literal, MachineReference, MissingKb, Result, SoftwareRecord, StoreError,
    VersionDistribution, VulnerabilityRecord,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection, SqlitePool};

use crate::answers::Answers;
use crate::catalog::{application_keys, date_of, slice_for};
use crate::codec::split_ids;
use crate::db_error;
use crate::filter::{Column, Fold, push_where};
use crate::machines::{fetch_count, push_page, push_scope};

const CHUNK: usize = 2_000;

/// Defender's severity word for MSRC's, and its rank (higher is worse).
fn severity(msrc: &str) -> Option<(&'static str, u8)> {
    Some(match msrc.to_ascii_lowercase().as_str() {
        "critical" => ("Critical", 4),
        "important" | "high" => ("High", 3),
        "moderate" | "medium" => ("Medium", 2),
        "low" => ("Low", 1),
        _ => return None,
    })
}

/// What the catalog says of one CVE: per product it is fixed on, its severity there when the
/// catalog states it (Defender's word and its rank), and the release dates of the first and
/// the last KB fixing it.
///
/// MSRC and WES-NG state a severity per CVE and product, but the catalog model keeps one per
/// (KB, product): the highest over the vulnerabilities the KB fixes there. That is the CVE's
/// own severity only when the fix names the CVE alone; a fix naming several gives no more than
/// an upper bound, which would make most CVEs "Critical". So a product's severity is known
/// from single-vulnerability fixes only, and the CVE's (the highest over its products, as
/// Defender gives one per CVE) only when it is known on every product; otherwise it is null.
struct CveFacts {
    by_product: HashMap<i64, Option<(&'static str, u8)>>,
    first: String,
    last: String,
}

impl CveFacts {
    /// Adds a fix on `product`, released on `date`, with the severity it states alone.
    fn note(&mut self, product: i64, stated: Option<(&'static str, u8)>, date: &str) {
        let known = self.by_product.entry(product).or_insert(stated);
        if let Some(stated) = stated
            && known.is_none_or(|k| stated.1 > k.1)
        {
            *known = Some(stated);
        }
        if date < self.first.as_str() {
            self.first = date.to_string();
        }
        if date > self.last.as_str() {
            self.last = date.to_string();
        }
    }

    fn severity(&self) -> Option<&'static str> {
        let mut known = Vec::with_capacity(self.by_product.len());
        for severity in self.by_product.values() {
            known.push((*severity)?);
        }
        known
            .into_iter()
            .max_by_key(|(_, rank)| *rank)
            .map(|(word, _)| word)
    }
}

/// Recomputes `vulnerabilities` and `kb_software_cves` from the fix rows and the derived
/// per-KB tables (after every catalog import, in its transaction).
pub(crate) async fn rebuild(conn: &mut SqliteConnection) -> Result<()> {
    for statement in [
        "DELETE FROM vulnerabilities",
        "DELETE FROM kb_software_cves",
    ] {
        sqlx::query(statement)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    let mut pairs: Vec<(i64, String, String)> = Vec::new();
    for row in sqlx::query("SELECT kb, software_id, cves FROM kb_software")
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error)?
    {
        let kb: i64 = row.get(0);
        let software: String = row.get(1);
        for cve in split_ids(row.get(2)) {
            if cve.starts_with("CVE-") {
                pairs.push((kb, software.clone(), cve));
            }
        }
    }
    let mut facts: BTreeMap<String, CveFacts> = BTreeMap::new();
    for row in sqlx::query(
        "SELECT f.cves, f.severity, ks.release_date, f.product_id
         FROM fixes f JOIN kb_summary ks ON ks.kb = f.kb",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?
    {
        let ids = split_ids(row.get(0));
        // The fix's severity is this CVE's only when the fix names nothing else.
        let stated = match ids.len() {
            1 => row.get::<Option<String>, _>(1).and_then(|s| severity(&s)),
            _ => None,
        };
        let date: String = row.get(2);
        let product: i64 = row.get(3);
        for cve in ids {
            if !cve.starts_with("CVE-") {
                continue;
            }
            let entry = facts.entry(cve).or_insert_with(|| CveFacts {
                by_product: HashMap::new(),
                first: date.clone(),
                last: date.clone(),
            });
            entry.note(product, stated, &date);
        }
    }
    // A version fix names one CVE: its severity is the CVE's on that product.
    for row in sqlx::query("SELECT cve, severity, release_date, product_id FROM version_fixes")
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error)?
    {
        let stated = row.get::<Option<String>, _>(1).and_then(|s| severity(&s));
        let date: String = row.get(2);
        let entry = facts.entry(row.get(0)).or_insert_with(|| CveFacts {
            by_product: HashMap::new(),
            first: date.clone(),
            last: date.clone(),
        });
        entry.note(row.get(3), stated, &date);
    }
    for chunk in pairs.chunks(CHUNK) {
        QueryBuilder::<Sqlite>::new(
            "INSERT OR IGNORE INTO kb_software_cves (kb, software_id, cve) ",
        )
        .push_values(chunk, |mut row, (kb, software, cve)| {
            row.push_bind(*kb).push_bind(software).push_bind(cve);
        })
        .build()
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    }
    let rows: Vec<_> = facts.into_iter().collect();
    for chunk in rows.chunks(CHUNK) {
        QueryBuilder::<Sqlite>::new(
            "INSERT INTO vulnerabilities (id, severity, published_on, updated_on) ",
        )
        .push_values(chunk, |mut row, (id, facts)| {
            row.push_bind(id)
                .push_bind(facts.severity())
                .push_bind(&facts.first)
                .push_bind(&facts.last);
        })
        .build()
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    }
    Ok(())
}

/// The vulnerability list's fields (kbgap_store::VULNERABILITY_FIELDS). CVE ids are stored
/// upper-case, so their expression lower-cases them.
pub(crate) fn vulnerability_column(field: &str) -> Option<Column> {
    Some(match field {
        "id" | "name" => Column::Text("lower(v.id)", Fold::Ascii),
        "severity" => Column::Text("lower(v.severity)", Fold::Ascii),
        "publishedOn" => Column::UnixTime("unixepoch(v.published_on)"),
        "updatedOn" => Column::UnixTime("unixepoch(v.updated_on)"),
        _ => return None,
    })
}

/// Per CVE id, the machines it is open on (CVEs open nowhere are absent).
pub(crate) type Exposed = HashMap<String, u64>;

/// The fleet exposure of every CVE over every machine, computed once per state of the data:
/// counting the distinct machines of each CVE reads every (machine, KB, software) row (0.64 s
/// for the load test's 100,000 machines), so it is not done per request. A caller limited to
/// device groups gets an exposure computed for its scope, per request.
#[derive(Debug, Default)]
pub(crate) struct Exposure {
    /// The map and the data generation ([`Answers::generation`]) it was computed at.
    cached: Mutex<Option<(u64, Arc<Exposed>)>>,
}

impl Exposure {
    /// The exposure map for the data as of `answers`' current generation.
    pub(crate) async fn get(&self, pool: &SqlitePool, answers: &Answers) -> Result<Arc<Exposed>> {
        let generation = answers.generation();
        if let Some((at, map)) = &*self.cached.lock().unwrap_or_else(|e| e.into_inner())
            && *at == generation
        {
            return Ok(map.clone());
        }
        let map = Arc::new(exposure(pool, None).await?);
        // A map that a write overtook while it was computed is answered once, not kept.
        if answers.generation() == generation {
            *self.cached.lock().unwrap_or_else(|e| e.into_inner()) =
                Some((generation, map.clone()));
        }
        Ok(map)
    }
}

/// Counts each CVE's machines among those of `groups` (`None`: every machine). A join
/// grouped by CVE with a distinct count sorts every (machine, KB, software, CVE) combination
/// (16 s for 100,000 machines); instead, the rows are counted per (software, KB) on the
/// index, a CVE whose KB is missed for one software only takes that count, and only the few
/// sets of (software, KB) pairs that share CVEs (a KB fixing the same CVE in Windows and in
/// Internet Explorer) are united by machine.
pub(crate) async fn exposure(pool: &SqlitePool, groups: Option<&[String]>) -> Result<Exposed> {
    let mut rows = QueryBuilder::<Sqlite>::new(
        "SELECT mm.software_id, mm.kb, COUNT(*) FROM machine_missing mm WHERE 1 = 1",
    );
    push_scope(&mut rows, "mm", groups);
    rows.push(" GROUP BY mm.software_id, mm.kb");
    let counts: HashMap<(String, i64), i64> = rows
        .build_query_as::<(String, i64, i64)>()
        .fetch_all(pool)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(|(software, kb, n)| ((software, kb), n))
        .collect();
    let fixes: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT kb, software_id, cve FROM kb_software_cves")
            .fetch_all(pool)
            .await
            .map_err(db_error)?;
    let mut pairs_of: HashMap<String, BTreeSet<(String, i64)>> = HashMap::new();
    for (kb, software, cve) in fixes {
        let pair = (software, kb);
        if counts.contains_key(&pair) {
            pairs_of.entry(cve).or_default().insert(pair);
        }
    }
    let mut cves_of: HashMap<BTreeSet<(String, i64)>, Vec<String>> = HashMap::new();
    for (cve, pairs) in pairs_of {
        cves_of.entry(pairs).or_default().push(cve);
    }
    let mut exposed = Exposed::new();
    for (pairs, cves) in cves_of {
        let machines = match pairs.len() {
            1 => counts[pairs.first().expect("one pair")] as u64,
            _ => {
                let mut union = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM (");
                for (i, (software, kb)) in pairs.iter().enumerate() {
                    if i > 0 {
                        union.push(" UNION ");
                    }
                    union
                        .push(
                            "SELECT mm.machine_id FROM machine_missing mm WHERE mm.software_id = ",
                        )
                        .push_bind(software.as_str())
                        .push(" AND mm.kb = ")
                        .push_bind(*kb);
                    push_scope(&mut union, "mm", groups);
                }
                union.push(")");
                fetch_count(union, pool).await?
            }
        };
        exposed.extend(cves.into_iter().map(|cve| (cve, machines)));
    }
    // CVEs open because a product serviced by version is out of date. A machine names one
    // set per software, so the machines of the sets of one software that hold a CVE are
    // distinct and their counts add up; a CVE held by sets of several software, or also open
    // through a missing KB (none in MSRC's data so far), takes the union of the machines.
    let mut per_set = QueryBuilder::<Sqlite>::new(
        "SELECT mo.set_id, mo.software_id, COUNT(*) FROM machine_outdated mo WHERE 1 = 1",
    );
    push_scope(&mut per_set, "mo", groups);
    per_set.push(" GROUP BY mo.set_id, mo.software_id");
    let sets: HashMap<i64, (String, i64)> = per_set
        .build_query_as::<(i64, String, i64)>()
        .fetch_all(pool)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(|(set, software, machines)| (set, (software, machines)))
        .collect();
    let members: Vec<(i64, String)> = sqlx::query_as("SELECT set_id, cve FROM outdated_set_cves")
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
    let mut by_cve: BTreeMap<String, (BTreeSet<&str>, u64)> = BTreeMap::new();
    for (set, cve) in &members {
        if let Some((software, machines)) = sets.get(set) {
            let entry = by_cve.entry(cve.clone()).or_default();
            entry.0.insert(software);
            entry.1 += *machines as u64;
        }
    }
    for (cve, (software, machines)) in by_cve {
        let machines = if software.len() > 1 || exposed.contains_key(&cve) {
            let mut union = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM (");
            push_machines_with(&mut union, &cve, groups);
            union.push(")");
            fetch_count(union, pool).await?
        } else {
            machines
        };
        exposed.insert(cve, machines);
    }
    Ok(exposed)
}

/// `SELECT machine_id ...`: the machines of `groups` (`None`: every machine) with `cve` open,
/// through a missing KB or an out-of-date version.
fn push_machines_with(builder: &mut QueryBuilder<Sqlite>, cve: &str, groups: Option<&[String]>) {
    builder
        .push(
            "SELECT mm.machine_id FROM kb_software_cves c
             JOIN machine_missing mm ON mm.software_id = c.software_id AND mm.kb = c.kb
             WHERE c.cve = ",
        )
        .push_bind(cve.to_string());
    push_scope(builder, "mm", groups);
    builder
        .push(
            " UNION SELECT mo.machine_id FROM outdated_set_cves sc
             JOIN machine_outdated mo ON mo.set_id = sc.set_id WHERE sc.cve = ",
        )
        .push_bind(cve.to_string());
    push_scope(builder, "mo", groups);
}

/// Vulnerability rows; a condition follows.
const VULNERABILITY_SELECT: &str = "SELECT v.id, v.severity, v.published_on, v.updated_on
     FROM vulnerabilities v WHERE 1 = 1";

const VULNERABILITY_ORDER: &str = "v.published_on DESC, v.id DESC";

fn vulnerability_record(row: &SqliteRow, exposed: &Exposed) -> Result<VulnerabilityRecord> {
    let id: String = row.get(0);
    Ok(VulnerabilityRecord {
        exposed_machines: exposed.get(&id).copied().unwrap_or(0),
        id,
        severity: row.get(1),
        published_on: date_of(row.get(2), "vulnerabilities")?,
        updated_on: date_of(row.get(3), "vulnerabilities")?,
    })
}

pub(crate) async fn vulnerabilities(
    pool: &SqlitePool,
    query: &ListQuery,
    exposed: &Exposed,
) -> Result<Vec<VulnerabilityRecord>> {
    let mut builder = QueryBuilder::<Sqlite>::new(VULNERABILITY_SELECT);
    push_where(&mut builder, query.filter.as_ref(), vulnerability_column)?;
    push_page(&mut builder, VULNERABILITY_ORDER, query);
    let rows = builder.build().fetch_all(pool).await.map_err(db_error)?;
    rows.iter()
        .map(|r| vulnerability_record(r, exposed))
        .collect()
}

pub(crate) async fn count_vulnerabilities(
    pool: &SqlitePool,
    filter: Option<&Filter>,
) -> Result<u64> {
    let mut builder =
        QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM vulnerabilities v WHERE 1 = 1");
    push_where(&mut builder, filter, vulnerability_column)?;
    fetch_count(builder, pool).await
}

pub(crate) async fn vulnerability(
    pool: &SqlitePool,
    id: &str,
    exposed: &Exposed,
) -> Result<Option<VulnerabilityRecord>> {
    let query = ListQuery {
        filter: Some(Filter::eq("id", Literal::String(id.to_string()))),
        top: Some(1),
        skip: 0,
    };
    Ok(vulnerabilities(pool, &query, exposed)
        .await?
        .into_iter()
        .next())
}

/// The vulnerabilities whose id the sub-select `cves` pushes gives.
async fn vulnerabilities_in(
    pool: &SqlitePool,
    cves: impl FnOnce(&mut QueryBuilder<Sqlite>),
    exposed: &Exposed,
) -> Result<Vec<VulnerabilityRecord>> {
    let mut builder = QueryBuilder::<Sqlite>::new(VULNERABILITY_SELECT);
    builder.push(" AND v.id IN (");
    cves(&mut builder);
    builder.push(")");
    builder.push(" ORDER BY ").push(VULNERABILITY_ORDER);
    let rows = builder.build().fetch_all(pool).await.map_err(db_error)?;
    rows.iter()
        .map(|r| vulnerability_record(r, exposed))
        .collect()
}

async fn exists(pool: &SqlitePool, sql: &'static str, key: &str) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(sql)
        .bind(key)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    Ok(found.is_some())
}

const SOFTWARE_EXISTS: &str = "SELECT 1 FROM software WHERE id = ?";
const MACHINE_EXISTS: &str = "SELECT 1 FROM machines WHERE id = ?";

/// The vulnerabilities of a software open on a machine of `groups` (`None`: every machine).
pub(crate) async fn software_vulnerabilities(
    pool: &SqlitePool,
    id: &SoftwareId,
    groups: Option<&[String]>,
    exposed: &Exposed,
) -> Result<Option<Vec<VulnerabilityRecord>>> {
    let key = id.to_string();
    if !exists(pool, SOFTWARE_EXISTS, &key).await? {
        return Ok(None);
    }
    let cves = |builder: &mut QueryBuilder<Sqlite>| {
        // The KBs missed for the software first (an index range), then their CVEs.
        builder.push(
            "SELECT c.cve FROM kb_software_cves c
             JOIN (SELECT DISTINCT x.kb, x.software_id FROM machine_missing x
                   WHERE x.software_id = ",
        );
        builder.push_bind(key.clone());
        push_scope(builder, "x", groups);
        builder.push(") mm ON c.kb = mm.kb AND c.software_id = mm.software_id");
        builder.push(
            " UNION SELECT sc.cve FROM outdated_set_cves sc
             JOIN (SELECT DISTINCT mo.set_id FROM machine_outdated mo WHERE mo.software_id = ",
        );
        builder.push_bind(key.clone());
        push_scope(builder, "mo", groups);
        builder.push(") o ON sc.set_id = o.set_id");
    };
    vulnerabilities_in(pool, cves, exposed).await.map(Some)
}

pub(crate) async fn machine_vulnerabilities(
    pool: &SqlitePool,
    id: &MachineId,
    exposed: &Exposed,
) -> Result<Option<Vec<VulnerabilityRecord>>> {
    if !exists(pool, MACHINE_EXISTS, id.as_str()).await? {
        return Ok(None);
    }
    let cves = |builder: &mut QueryBuilder<Sqlite>| {
        builder
            .push(
                "SELECT c.cve FROM machine_missing mm
                 JOIN kb_software_cves c ON c.kb = mm.kb AND c.software_id = mm.software_id
                 WHERE mm.machine_id = ",
            )
            .push_bind(id.to_string())
            .push(
                " UNION SELECT sc.cve FROM machine_outdated mo
                 JOIN outdated_set_cves sc ON sc.set_id = mo.set_id WHERE mo.machine_id = ",
            )
            .push_bind(id.to_string());
    };
    vulnerabilities_in(pool, cves, exposed).await.map(Some)
}

/// Machine references whose ids the sub-select `ids` pushes gives, by name.
async fn machines_in(
    pool: &SqlitePool,
    ids: impl FnOnce(&mut QueryBuilder<Sqlite>),
) -> Result<Vec<MachineReference>> {
    let mut builder = QueryBuilder::<Sqlite>::new(
        "SELECT m.id, m.host, m.os_platform, m.device_group FROM machines m WHERE m.id IN (",
    );
    ids(&mut builder);
    builder.push(")");
    builder.push(" ORDER BY m.host_lower, m.id");
    let rows = builder.build().fetch_all(pool).await.map_err(db_error)?;
    rows.iter()
        .map(|row| {
            let id: String = row.get(0);
            Ok(MachineReference {
                id: MachineId::parse(&id).ok_or_else(|| StoreError::Corrupt {
                    table: "machines",
                    column: "id",
                    detail: id.clone(),
                })?,
                computer_dns_name: row.get(1),
                os_platform: row.get(2),
                rbac_group_name: row.get(3),
            })
        })
        .collect()
}

pub(crate) async fn vulnerability_machines(
    pool: &SqlitePool,
    id: &str,
) -> Result<Option<Vec<MachineReference>>> {
    let cve = id.to_ascii_uppercase();
    if !exists(pool, "SELECT 1 FROM vulnerabilities WHERE id = ?", &cve).await? {
        return Ok(None);
    }
    machines_in(pool, |builder| push_machines_with(builder, &cve, None))
        .await
        .map(Some)
}

pub(crate) async fn software_machines(
    pool: &SqlitePool,
    id: &SoftwareId,
) -> Result<Option<Vec<MachineReference>>> {
    let key = id.to_string();
    if !exists(pool, SOFTWARE_EXISTS, &key).await? {
        return Ok(None);
    }
    let ids = |builder: &mut QueryBuilder<Sqlite>| {
        builder
            .push("SELECT machine_id FROM machine_software WHERE software_id = ")
            .push_bind(key.clone());
    };
    machines_in(pool, ids).await.map(Some)
}

/// Versions of a software on the machines of `groups` (`None`: every machine) running it:
/// the program's version where the machine's program list states one (Edge, Office, Visual
/// Studio), else the OS build (`<build>.<revision>`), which is the version of the OS and of
/// its in-box components.
pub(crate) async fn software_distributions(
    pool: &SqlitePool,
    id: &SoftwareId,
    groups: Option<&[String]>,
) -> Result<Option<Vec<VersionDistribution>>> {
    let key = id.to_string();
    if !exists(pool, SOFTWARE_EXISTS, &key).await? {
        return Ok(None);
    }
    let mut builder = QueryBuilder::<Sqlite>::new(
        "SELECT m.id,
                COALESCE(ms.version, CAST(m.os_build AS TEXT)
                    || COALESCE('.' || json_extract(m.inventory, '$.os.revision'), ''))
         FROM machine_software ms JOIN machines m ON m.id = ms.machine_id
         WHERE ms.software_id = ",
    );
    builder.push_bind(key.clone());
    push_scope(&mut builder, "ms", groups);
    // Only these machines' rows below are read: the others' KBs are never looked up.
    let machines: Vec<(String, String)> = builder
        .build_query_as()
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
    // Per machine the KBs it misses for the software, per KB the software's CVEs it fixes:
    // two index ranges, combined here (a join would repeat every CVE once per machine).
    let missed: Vec<(String, i64)> =
        sqlx::query_as("SELECT machine_id, kb FROM machine_missing WHERE software_id = ?")
            .bind(&key)
            .fetch_all(pool)
            .await
            .map_err(db_error)?;
    let fixed: Vec<(i64, String)> =
        sqlx::query_as("SELECT kb, cve FROM kb_software_cves WHERE software_id = ?")
            .bind(&key)
            .fetch_all(pool)
            .await
            .map_err(db_error)?;
    // And the CVEs open on each machine because the software is out of date.
    let outdated: Vec<(String, String)> = sqlx::query_as(
        "SELECT mo.machine_id, sc.cve FROM machine_outdated mo
         JOIN outdated_set_cves sc ON sc.set_id = mo.set_id WHERE mo.software_id = ?",
    )
    .bind(&key)
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    let mut kbs_of: HashMap<String, Vec<i64>> = HashMap::new();
    for (machine, kb) in missed {
        kbs_of.entry(machine).or_default().push(kb);
    }
    let mut cves_of: HashMap<i64, Vec<String>> = HashMap::new();
    for (kb, cve) in fixed {
        cves_of.entry(kb).or_default().push(cve);
    }
    let mut outdated_of: HashMap<String, Vec<String>> = HashMap::new();
    for (machine, cve) in outdated {
        outdated_of.entry(machine).or_default().push(cve);
    }
    let mut versions: BTreeMap<String, (u64, BTreeSet<i64>, BTreeSet<&String>)> = BTreeMap::new();
    for (machine, version) in machines {
        let entry = versions.entry(version).or_default();
        entry.0 += 1;
        entry
            .1
            .extend(kbs_of.get(&machine).into_iter().flatten().copied());
        entry
            .2
            .extend(outdated_of.get(&machine).into_iter().flatten());
    }
    let rows = versions
        .into_iter()
        .map(|(version, (installations, kbs, mut cves))| {
            cves.extend(kbs.iter().filter_map(|kb| cves_of.get(kb)).flatten());
            VersionDistribution {
                version,
                installations,
                vulnerabilities: cves.len() as u64,
            }
        })
        .collect();
    Ok(Some(rows))
}

/// The software a machine runs, with the fleet counts of the machines of `groups`.
pub(crate) async fn machine_software(
    pool: &SqlitePool,
    id: &MachineId,
    groups: Option<&[String]>,
) -> Result<Option<Vec<SoftwareRecord>>> {
    if !exists(pool, MACHINE_EXISTS, id.as_str()).await? {
        return Ok(None);
    }
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT software_id FROM machine_software WHERE machine_id = ?")
            .bind(id.as_str())
            .fetch_all(pool)
            .await
            .map_err(db_error)?;
    if ids.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let query = ListQuery {
        filter: Some(Filter::In {
            field: "id",
            values: ids.into_iter().map(Literal::String).collect(),
        }),
        top: None,
        skip: 0,
    };
    crate::machines::software(pool, &query, false, groups)
        .await
        .map(Some)
}

/// The software call with every machine running the software assessed live as of `as_of`:
/// the same aggregation the materialized rows give for today.
pub(crate) async fn missing_by_software_as_of(
    conn: &mut SqliteConnection,
    id: &SoftwareId,
    as_of: Date,
    groups: Option<&[String]>,
) -> Result<Option<Vec<MissingKb>>> {
    let key = id.to_string();
    let known: Option<i64> = sqlx::query_scalar(SOFTWARE_EXISTS)
        .bind(&key)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_error)?;
    if known.is_none() {
        return Ok(None);
    }
    let mut query = QueryBuilder::<Sqlite>::new(
        "SELECT m.inventory FROM machine_software ms JOIN machines m ON m.id = ms.machine_id
         WHERE ms.software_id = ",
    );
    query.push_bind(&key);
    push_scope(&mut query, "ms", groups);
    let inventories: Vec<String> = query
        .build_query_scalar()
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error)?;
    let mut slices: HashMap<(OsFamily, Vec<String>), CatalogSlice> = HashMap::new();
    // Per KB: machines missing it for this software, and its metadata.
    let mut found: HashMap<Kb, (u64, MissingKb)> = HashMap::new();
    for json in inventories {
        let inventory: kbgap_domain::MachineInventory =
            serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                table: "machines",
                column: "inventory",
                detail: e.to_string(),
            })?;
        let slice_key = (inventory.os.family, application_keys(&inventory));
        if !slices.contains_key(&slice_key) {
            let slice = slice_for(conn, &inventory).await?;
            slices.insert(slice_key.clone(), slice);
        }
        let slice = &slices[&slice_key];
        let assessment = assess(&inventory, slice, AssessOptions { as_of: Some(as_of) });
        for missing in assessment
            .missing
            .iter()
            .filter(|m| m.software.contains(id))
        {
            let meta = &slice.updates[&missing.kb];
            found
                .entry(missing.kb)
                .or_insert_with(|| {
                    (
                        0,
                        MissingKb {
                            kb: missing.kb,
                            name: meta.title.clone(),
                            os_build: meta.os_build,
                            products_names: vec![id.product().to_string()],
                            machine_missed_on: 0,
                            cve_addressed: 0,
                            release_date: missing.release_date,
                        },
                    )
                })
                .0 += 1;
        }
    }
    let mut result = Vec::with_capacity(found.len());
    for (kb, (machines, mut row)) in found {
        let cves: Option<i64> = sqlx::query_scalar(
            "SELECT cve_count FROM kb_software WHERE kb = ? AND software_id = ?",
        )
        .bind(i64::from(kb.number()))
        .bind(&key)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_error)?;
        row.machine_missed_on = machines;
        row.cve_addressed = cves.unwrap_or(0) as u64;
        result.push(row);
    }
    result.sort_by(|a, b| {
        b.release_date
            .cmp(&a.release_date)
            .then(b.machine_missed_on.cmp(&a.machine_missed_on))
            .then(a.kb.cmp(&b.kb))
    });
    Ok(Some(result))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(by_product: &[(i64, Option<&str>)]) -> CveFacts {
        CveFacts {
            by_product: by_product
                .iter()
                .map(|(p, s)| (*p, s.and_then(severity)))
                .collect(),
            first: "2020-01-14".into(),
            last: "2020-01-14".into(),
        }
    }

    #[test]
    fn a_cves_severity_is_known_only_on_every_product() {
        let both = facts(&[(1, Some("Important")), (2, Some("Critical"))]);
        assert_eq!(both.severity(), Some("Critical"));
        let one = facts(&[(1, Some("Moderate"))]);
        assert_eq!(one.severity(), Some("Medium"));
        // Product 2's fixes all name other vulnerabilities too: its severity there is unknown,
        // and could be higher than what product 1 says.
        let partial = facts(&[(1, Some("Important")), (2, None)]);
        assert_eq!(partial.severity(), None);
        assert_eq!(severity("unrated"), None);
    }
}
