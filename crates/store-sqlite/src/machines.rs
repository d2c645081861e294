//! Machines, their materialized assessments, and the fleet queries over them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kbgap_domain::{Date, Kb, MachineId, MachineInventory, OsFamily, SoftwareId};
use kbgap_engine::{AssessOptions, Assessment, CatalogSlice, assess};
use kbgap_store::{
    Filter, IngestedMachine, ListQuery, MachineRecord, MissingKb, Progress, Result, SoftwareRecord,
    StoreError, cve_count, missing_rows,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection, SqlitePool};

use crate::answers::Answers;
use crate::catalog::{application_keys, cached_slice_for, date_of, kb_of, slice_for, timestamp};
use crate::codec::{join_ids, split_ids};
use crate::db_error;
use crate::filter::{machine_column, push_where, software_column};

const CHUNK: usize = 2_000;

/// Assesses machines, loading each catalog slice once per OS family and set of application
/// groups (machines of a fleet share a few: the same Windows, the same Office).
struct Assessor {
    slices: HashMap<(OsFamily, Vec<String>), CatalogSlice>,
}

impl Assessor {
    /// Distinct (family, application groups) slices kept at once; a fleet with more
    /// combinations reloads some, which costs time, not memory.
    const KEEP: usize = 32;

    fn new() -> Self {
        Assessor {
            slices: HashMap::new(),
        }
    }

    async fn assess(
        &mut self,
        conn: &mut SqliteConnection,
        machine: &MachineInventory,
    ) -> Result<Assessment> {
        let key = (machine.os.family, application_keys(machine));
        if !self.slices.contains_key(&key) {
            if self.slices.len() >= Self::KEEP {
                self.slices.clear();
            }
            let loaded = slice_for(conn, machine).await?;
            self.slices.insert(key.clone(), loaded);
        }
        Ok(assess(
            machine,
            &self.slices[&key],
            AssessOptions::default(),
        ))
    }
}

/// Replaces the stored assessment rows of these machines.
async fn write_assessments(
    conn: &mut SqliteConnection,
    assessed: &[(MachineId, Assessment)],
) -> Result<()> {
    let software: Vec<(&MachineId, &SoftwareId, Option<String>)> = assessed
        .iter()
        .flat_map(|(id, a)| {
            a.software.iter().map(move |s| {
                let version = a.versions.iter().find(|(software, _)| software == s);
                (id, s, version.map(|(_, v)| v.to_string()))
            })
        })
        .collect();
    let missing: Vec<(&MachineId, Kb, SoftwareId)> = assessed
        .iter()
        .flat_map(|(id, a)| missing_rows(a).into_iter().map(move |(kb, s)| (id, kb, s)))
        .collect();
    for chunk in software.chunks(CHUNK) {
        QueryBuilder::<Sqlite>::new(
            "INSERT INTO machine_software (machine_id, software_id, version) ",
        )
        .push_values(chunk, |mut row, (id, s, version)| {
            row.push_bind(id.as_str())
                .push_bind(s.to_string())
                .push_bind(version.clone());
        })
        .build()
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    }
    // Per machine and out-of-date software, the set of CVEs open (the union over its
    // products of that software), stored once per distinct set.
    let mut open: BTreeMap<(&MachineId, &SoftwareId), BTreeSet<&String>> = BTreeMap::new();
    for (id, a) in assessed {
        for o in &a.outdated {
            open.entry((id, &o.software))
                .or_default()
                .extend(&o.open_vulnerabilities);
        }
    }
    let mut sets: HashMap<(&SoftwareId, String), i64> = HashMap::new();
    let mut outdated: Vec<(&MachineId, &SoftwareId, i64)> = Vec::with_capacity(open.len());
    for ((id, software), cves) in open {
        let key = join_ids(cves.iter().copied());
        let set = match sets.get(&(software, key.clone())) {
            Some(&set) => set,
            None => {
                let set = outdated_set(conn, software, &key, &cves).await?;
                sets.insert((software, key), set);
                set
            }
        };
        outdated.push((id, software, set));
    }
    for chunk in outdated.chunks(CHUNK) {
        QueryBuilder::<Sqlite>::new(
            "INSERT INTO machine_outdated (machine_id, software_id, set_id) ",
        )
        .push_values(chunk, |mut row, (id, s, set)| {
            row.push_bind(id.as_str())
                .push_bind(s.to_string())
                .push_bind(*set);
        })
        .build()
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    }
    // Sets that no machine names any more (a machine updated, removed or reassessed).
    sqlx::query("DELETE FROM outdated_sets WHERE id NOT IN (SELECT set_id FROM machine_outdated)")
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    for chunk in missing.chunks(CHUNK) {
        QueryBuilder::<Sqlite>::new("INSERT INTO machine_missing (machine_id, kb, software_id) ")
            .push_values(chunk, |mut row, (id, kb, s)| {
                row.push_bind(id.as_str())
                    .push_bind(i64::from(kb.number()))
                    .push_bind(s.to_string());
            })
            .build()
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

/// The id of the stored set of `cves` (space-separated in `key`) open for `software`,
/// stored now if no machine had it yet.
async fn outdated_set(
    conn: &mut SqliteConnection,
    software: &SoftwareId,
    key: &str,
    cves: &BTreeSet<&String>,
) -> Result<i64> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM outdated_sets WHERE software_id = ? AND cves = ?")
            .bind(software.to_string())
            .bind(key)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_error)?;
    if let Some(id) = found {
        return Ok(id);
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO outdated_sets (software_id, cves) VALUES (?, ?) RETURNING id",
    )
    .bind(software.to_string())
    .bind(key)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_error)?;
    let cves: Vec<&String> = cves.iter().copied().collect();
    for chunk in cves.chunks(CHUNK) {
        QueryBuilder::<Sqlite>::new("INSERT INTO outdated_set_cves (set_id, cve) ")
            .push_values(chunk, |mut row, cve| {
                row.push_bind(id).push_bind(cve.as_str());
            })
            .build()
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    Ok(id)
}

pub(crate) async fn ingest(
    conn: &mut SqliteConnection,
    inventories: Vec<(MachineInventory, String)>,
) -> Result<Vec<IngestedMachine>> {
    let mut assessor = Assessor::new();
    let mut assessed = Vec::with_capacity(inventories.len());
    let mut result = Vec::with_capacity(inventories.len());
    let seen = timestamp();
    for (inventory, source) in inventories {
        let id = inventory.id();
        let replaced = sqlx::query("DELETE FROM machines WHERE id = ?")
            .bind(id.as_str())
            .execute(&mut *conn)
            .await
            .map_err(db_error)?
            .rows_affected()
            > 0;
        sqlx::query(
            "INSERT INTO machines (id, host, host_lower, os_platform, inventory, source, last_seen,
                                   version, os_build, os_architecture, device_group)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id.as_str())
        .bind(&inventory.host)
        .bind(inventory.host.to_lowercase())
        .bind(inventory.os.family.defender_platform())
        .bind(serde_json::to_string(&inventory).expect("inventory serializes"))
        .bind(&source)
        .bind(&seen)
        .bind(inventory.os.defender_version())
        .bind(i64::from(inventory.os.build))
        .bind(inventory.os.arch.defender_architecture())
        .bind(inventory.device_group.as_deref())
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
        let assessment = assessor.assess(conn, &inventory).await?;
        result.push(IngestedMachine {
            id: id.clone(),
            host: inventory.host.clone(),
            os_platform: inventory.os.family.defender_platform(),
            replaced: replaced || assessed.iter().any(|(other, _)| *other == id),
            last_seen: seen.clone(),
        });
        assessed.retain(|(other, _)| *other != id);
        assessed.push((id, assessment));
    }
    write_assessments(conn, &assessed).await?;
    Ok(result)
}

/// Fills the property columns of schema version 2 (`version`, `os_build`,
/// `os_architecture`) from each stored inventory, for databases created before them.
pub(crate) async fn fill_property_columns(conn: &mut SqliteConnection) -> Result<()> {
    let machines: Vec<(String, String)> =
        sqlx::query_as("SELECT id, inventory FROM machines WHERE version IS NULL")
            .fetch_all(&mut *conn)
            .await
            .map_err(db_error)?;
    for (id, inventory) in machines {
        let inventory = parse_inventory(&inventory)?;
        sqlx::query(
            "UPDATE machines SET version = ?, os_build = ?, os_architecture = ? WHERE id = ?",
        )
        .bind(inventory.os.defender_version())
        .bind(i64::from(inventory.os.build))
        .bind(inventory.os.arch.defender_architecture())
        .bind(&id)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    }
    Ok(())
}

/// Recomputes every stored machine's assessment (after the catalog changed).
pub(crate) async fn reassess_all(
    conn: &mut SqliteConnection,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<u64> {
    let machines: Vec<(String, String)> = sqlx::query_as("SELECT id, inventory FROM machines")
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error)?;
    for statement in [
        "DELETE FROM machine_missing",
        "DELETE FROM machine_outdated",
        "DELETE FROM machine_software",
    ] {
        sqlx::query(statement)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    let total = machines.len() as u64;
    let mut assessor = Assessor::new();
    let mut assessed = Vec::with_capacity(machines.len());
    for (done, (id, inventory)) in machines.into_iter().enumerate() {
        if done % 256 == 0 {
            progress(Progress {
                stage: "reassessing machines",
                done: done as u64,
                total,
            });
        }
        let inventory = parse_inventory(&inventory)?;
        let id = MachineId::parse(&id).ok_or_else(|| StoreError::Corrupt {
            table: "machines",
            column: "id",
            detail: id.clone(),
        })?;
        assessed.push((id, assessor.assess(conn, &inventory).await?));
    }
    write_assessments(conn, &assessed).await?;
    progress(Progress {
        stage: "reassessing machines",
        done: total,
        total,
    });
    Ok(total)
}

fn parse_inventory(json: &str) -> Result<MachineInventory> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
        table: "machines",
        column: "inventory",
        detail: e.to_string(),
    })
}

fn machine_record(row: &SqliteRow) -> Result<MachineRecord> {
    let id: String = row.get("id");
    Ok(MachineRecord {
        id: MachineId::parse(&id).ok_or(StoreError::Corrupt {
            table: "machines",
            column: "id",
            detail: id,
        })?,
        inventory: parse_inventory(row.get("inventory"))?,
        source: row.get("source"),
        last_seen: row.get("last_seen"),
    })
}

pub(crate) async fn find(pool: &SqlitePool, key: &str) -> Result<Option<MachineRecord>> {
    let row = sqlx::query(
        "SELECT * FROM machines WHERE id = ? OR host_lower = ? ORDER BY id = ? DESC LIMIT 1",
    )
    .bind(key.to_ascii_lowercase())
    .bind(key.to_lowercase())
    .bind(key.to_ascii_lowercase())
    .fetch_optional(pool)
    .await
    .map_err(db_error)?;
    row.as_ref().map(machine_record).transpose()
}

/// Appends the sort order and `$top` / `$skip`.
pub(crate) fn push_page(
    builder: &mut QueryBuilder<Sqlite>,
    order_by: &'static str,
    query: &ListQuery,
) {
    let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    builder.push(" ORDER BY ").push(order_by).push(" LIMIT ");
    builder
        .push_bind(query.top.map_or(-1, clamp))
        .push(" OFFSET ")
        .push_bind(clamp(query.skip));
}

pub(crate) async fn list(pool: &SqlitePool, query: &ListQuery) -> Result<Vec<MachineRecord>> {
    let mut builder = QueryBuilder::<Sqlite>::new("SELECT * FROM machines WHERE 1 = 1");
    push_where(&mut builder, query.filter.as_ref(), machine_column)?;
    push_page(&mut builder, "host_lower, id", query);
    let rows = builder.build().fetch_all(pool).await.map_err(db_error)?;
    rows.iter().map(machine_record).collect()
}

/// Runs a `SELECT COUNT(*) ...` query.
pub(crate) async fn fetch_count(
    mut builder: QueryBuilder<Sqlite>,
    pool: &SqlitePool,
) -> Result<u64> {
    let count: i64 = builder
        .build_query_scalar()
        .fetch_one(pool)
        .await
        .map_err(db_error)?;
    Ok(count as u64)
}

pub(crate) async fn count(pool: &SqlitePool, filter: Option<&Filter>) -> Result<u64> {
    let mut builder = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM machines WHERE 1 = 1");
    push_where(&mut builder, filter, machine_column)?;
    fetch_count(builder, pool).await
}

/// For a restricted scope, ` AND <alias>.machine_id IN (the machines of the groups)`, each
/// group a bound parameter (an empty list matches no machine); nothing for every machine, so
/// the unscoped queries stay as they are.
///
/// The machines of the groups are one uncorrelated sub-select on the group index, which
/// SQLite evaluates once per statement; the rows of `alias` are then tested on their own
/// indexes. Joining `machines` per row instead reads every wide machine row (6 times slower
/// for the software list of one group of 2,000 machines among 20,000).
pub(crate) fn push_scope(
    builder: &mut QueryBuilder<Sqlite>,
    alias: &str,
    groups: Option<&[String]>,
) {
    let Some(groups) = groups else {
        return;
    };
    builder.push(format_args!(
        " AND {alias}.machine_id IN (SELECT g.id FROM machines g WHERE lower(g.device_group) IN ("
    ));
    let mut list = builder.separated(", ");
    for group in groups {
        list.push_bind(group.to_ascii_lowercase());
    }
    builder.push("))");
}

/// `(SELECT <what> FROM <table> <alias> WHERE <alias>.software_id = s.id [scope])`: a
/// per-software sub-select over the rows of the machines of `groups`.
fn push_software_rows(
    builder: &mut QueryBuilder<Sqlite>,
    what: &str,
    (table, alias): (&str, &str),
    groups: Option<&[String]>,
) {
    builder.push(format_args!(
        "(SELECT {what} FROM {table} {alias} WHERE {alias}.software_id = s.id"
    ));
    push_scope(builder, alias, groups);
    builder.push(")");
}

/// ` AND EXISTS (...)`: the software runs on a machine of `groups`.
fn push_installed(builder: &mut QueryBuilder<Sqlite>, groups: Option<&[String]>) {
    builder.push(" AND EXISTS ");
    push_software_rows(builder, "1", ("machine_software", "ms"), groups);
}

/// Software with the fleet counts of the machines of `groups` (`None`: every machine).
/// `installed_only` limits the list to software on one of those machines.
pub(crate) async fn software(
    pool: &SqlitePool,
    query: &ListQuery,
    installed_only: bool,
    groups: Option<&[String]>,
) -> Result<Vec<SoftwareRecord>> {
    let mut builder = QueryBuilder::<Sqlite>::new("SELECT s.id, s.vendor, s.name, ");
    push_software_rows(&mut builder, "COUNT(*)", ("machine_software", "ms"), groups);
    // Exposed machines and weaknesses: through missing KBs, plus (for products serviced by
    // version) through out-of-date versions, each machine and CVE counted once.
    builder.push(", ");
    push_software_rows(
        &mut builder,
        "COUNT(DISTINCT mm.machine_id)",
        ("machine_missing", "mm"),
        groups,
    );
    // A machine has one machine_outdated row per software: its count is the machines'.
    builder.push(" + ");
    push_software_rows(&mut builder, "COUNT(*)", ("machine_outdated", "mo"), groups);
    builder.push(
        " - (SELECT COUNT(*) FROM machine_outdated mo
            WHERE mo.software_id = s.id AND EXISTS (SELECT 1 FROM machine_missing x
            WHERE x.machine_id = mo.machine_id AND x.software_id = s.id)",
    );
    push_scope(&mut builder, "mo", groups);
    builder.push(")");
    builder.push(
        ", (SELECT COUNT(*) FROM (SELECT c.cve FROM kb_software_cves c
            WHERE c.software_id = s.id AND c.kb IN ",
    );
    push_software_rows(&mut builder, "mm.kb", ("machine_missing", "mm"), groups);
    builder.push(" UNION SELECT sc.cve FROM outdated_set_cves sc WHERE sc.set_id IN ");
    push_software_rows(
        &mut builder,
        "mo.set_id",
        ("machine_outdated", "mo"),
        groups,
    );
    builder.push(")) FROM software s WHERE 1 = 1");
    if installed_only {
        push_installed(&mut builder, groups);
    }
    push_where(&mut builder, query.filter.as_ref(), software_column)?;
    push_page(&mut builder, "s.rank, s.id", query);
    let rows = builder.build().fetch_all(pool).await.map_err(db_error)?;
    rows.iter()
        .map(|row| {
            let id: String = row.get(0);
            Ok(SoftwareRecord {
                id: SoftwareId::parse(&id).ok_or_else(|| StoreError::Corrupt {
                    table: "software",
                    column: "id",
                    detail: id.clone(),
                })?,
                vendor: row.get(1),
                name: row.get(2),
                installed_machines: row.get::<i64, _>(3) as u64,
                exposed_machines: row.get::<i64, _>(4) as u64,
                weaknesses: row.get::<i64, _>(5) as u64,
            })
        })
        .collect()
}

/// How many software match `filter` and run on a machine of `groups` (the count of the
/// software list).
pub(crate) async fn count_software(
    pool: &SqlitePool,
    filter: Option<&Filter>,
    groups: Option<&[String]>,
) -> Result<u64> {
    let mut builder = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM software s WHERE 1 = 1");
    push_installed(&mut builder, groups);
    push_where(&mut builder, filter, software_column)?;
    fetch_count(builder, pool).await
}

/// The software call: per KB, how many machines miss it for `id`. With `device_groups`, only
/// the machines of those groups count (a delegated caller's scope; names compared ignoring
/// ASCII case) and a KB missed only outside them is not listed. `None` when the software is
/// unknown.
pub(crate) async fn missing_by_software(
    pool: &SqlitePool,
    id: &SoftwareId,
    device_groups: Option<&[String]>,
) -> Result<Option<Vec<MissingKb>>> {
    let known: Option<i64> = sqlx::query_scalar("SELECT 1 FROM software WHERE id = ?")
        .bind(id.to_string())
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    if known.is_none() {
        return Ok(None);
    }
    if device_groups.is_some_and(|groups| groups.is_empty()) {
        return Ok(Some(Vec::new()));
    }
    // Count per KB on the covering index first, then join the few KBs that remain.
    let mut builder = QueryBuilder::<Sqlite>::new(
        "SELECT mm.kb, mm.machines, ks.release_date, ks.title, ks.os_build, COALESCE(kw.cve_count, 0)
         FROM (SELECT x.kb, COUNT(*) AS machines FROM machine_missing x WHERE x.software_id = ",
    );
    builder.push_bind(id.to_string());
    push_scope(&mut builder, "x", device_groups);
    builder.push(
        " GROUP BY x.kb) mm
         JOIN kb_summary ks ON ks.kb = mm.kb
         LEFT JOIN kb_software kw ON kw.kb = mm.kb AND kw.software_id = ",
    );
    builder.push_bind(id.to_string());
    builder.push(" ORDER BY ks.release_date DESC, mm.machines DESC, mm.kb");
    let rows = builder.build().fetch_all(pool).await.map_err(db_error)?;
    rows.into_iter()
        .map(|row| {
            let os_build: Option<i64> = row.get(4);
            Ok(MissingKb {
                kb: kb_of(row.get(0))?,
                machine_missed_on: row.get::<i64, _>(1) as u64,
                release_date: date_of(row.get(2), "kb_summary")?,
                name: row.get(3),
                os_build: os_build.and_then(|b| u32::try_from(b).ok()),
                products_names: vec![id.product().to_string()],
                cve_addressed: row.get::<i64, _>(5) as u64,
            })
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

pub(crate) async fn missing_by_machine(
    conn: &mut SqliteConnection,
    id: &MachineId,
    as_of: Option<Date>,
    answers: &Answers,
) -> Result<Option<Vec<MissingKb>>> {
    let inventory: Option<String> =
        sqlx::query_scalar("SELECT inventory FROM machines WHERE id = ?")
            .bind(id.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_error)?;
    let Some(inventory) = inventory else {
        return Ok(None);
    };
    missing_for(conn, &parse_inventory(&inventory)?, as_of, answers)
        .await
        .map(Some)
}

/// The getmissingkbs answer for one inventory, stored or not, assessed now.
pub(crate) async fn missing_for(
    conn: &mut SqliteConnection,
    inventory: &MachineInventory,
    as_of: Option<Date>,
    answers: &Answers,
) -> Result<Vec<MissingKb>> {
    let catalog = cached_slice_for(conn, inventory, answers).await?;
    let assessment = assess(inventory, &catalog, AssessOptions { as_of });
    let kbs: BTreeSet<i64> = assessment
        .missing
        .iter()
        .map(|m| i64::from(m.kb.number()))
        .collect();
    let mut cves: HashMap<(Kb, String), Vec<String>> = HashMap::new();
    if !kbs.is_empty() {
        let mut builder = QueryBuilder::<Sqlite>::new(
            "SELECT kb, software_id, cves FROM kb_software WHERE kb IN (",
        );
        let mut separated = builder.separated(", ");
        for kb in &kbs {
            separated.push_bind(*kb);
        }
        builder.push(")");
        for row in builder
            .build()
            .fetch_all(&mut *conn)
            .await
            .map_err(db_error)?
        {
            cves.insert((kb_of(row.get(0))?, row.get(1)), split_ids(row.get(2)));
        }
    }
    let result = assessment
        .missing
        .iter()
        .map(|m| {
            let meta = &catalog.updates[&m.kb];
            let addressed = m
                .software
                .iter()
                .filter_map(|s| cves.get(&(m.kb, s.to_string())))
                .flatten()
                .map(String::as_str);
            MissingKb {
                kb: m.kb,
                name: meta.title.clone(),
                os_build: meta.os_build,
                products_names: m.software.iter().map(|s| s.product().to_string()).collect(),
                machine_missed_on: 1,
                cve_addressed: cve_count(addressed),
                release_date: m.release_date,
            }
        })
        .collect();
    Ok(result)
}
