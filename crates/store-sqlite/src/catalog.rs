//! Catalog import (per-source replacement plus the derived KB tables) and the slice an
//! assessment reads.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use kbgap_catalog::applications::{installed_software, is_application_product, product_group};
use kbgap_catalog::{Batch, ReleaseEvidence, classify_product, pick_release};
use kbgap_domain::{Date, Kb, MachineInventory, ProductInfo, ProductKind, Version};
use kbgap_engine::{CatalogSlice, Fix, UpdateMeta, VersionFix, software_rank};
use kbgap_store::{CatalogSummary, Progress, Result, StoreError, cve_count};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use crate::answers::Answers;
use crate::codec::{family_key, join_ids, join_kbs, join_lines, split_ids, split_kbs, split_lines};
use crate::db_error;

/// Rows per multi-row INSERT (SQLite allows 32,766 bound parameters per statement).
const CHUNK: usize = 2_000;

/// The current UTC time as RFC 3339 text.
pub(crate) fn timestamp() -> String {
    // Seconds precision is plenty for "imported at"; kept as text for portability.
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let date = Date::from_days_since_epoch((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

pub(crate) async fn import(
    conn: &mut SqliteConnection,
    batches: &[Batch],
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<CatalogSummary> {
    let product_ids = upsert_products(conn, batches).await?;
    let total = batches.len() as u64;
    let mut kept_previous = 0;
    for (done, batch) in batches.iter().enumerate() {
        progress(Progress {
            stage: "writing catalog",
            done: done as u64,
            total,
        });
        if batch.is_empty() && has_fixes(conn, &batch.source).await? {
            kept_previous += 1;
            continue;
        }
        replace_source(conn, batch, &product_ids).await?;
    }
    progress(Progress {
        stage: "writing catalog",
        done: total,
        total,
    });
    progress(Progress {
        stage: "deriving KB summaries",
        done: 0,
        total: 1,
    });
    let mut summary = derive(conn).await?;
    refresh_slices(conn).await?;
    progress(Progress {
        stage: "deriving KB summaries",
        done: 1,
        total: 1,
    });
    summary.sources = total - kept_previous;
    summary.kept_previous = kept_previous;
    Ok(summary)
}

/// Classifies and stores every product name the batches use; returns name → id.
async fn upsert_products(
    conn: &mut SqliteConnection,
    batches: &[Batch],
) -> Result<HashMap<String, i64>> {
    let mut ids: HashMap<String, i64> = HashMap::new();
    for row in sqlx::query("SELECT id, name FROM products")
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error)?
    {
        ids.insert(row.get(1), row.get(0));
    }
    let new: BTreeSet<&str> = batches
        .iter()
        .flat_map(|b| {
            let by_kb = b.fixes.iter().map(|f| f.product.as_str());
            by_kb.chain(b.version_fixes.iter().map(|f| f.product.as_str()))
        })
        .filter(|name| !ids.contains_key(*name))
        .collect();
    for name in new {
        let info = classify_product(name);
        let software = info.software.to_string();
        sqlx::query("INSERT INTO software (id, vendor, name, rank) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING")
            .bind(&software)
            .bind(info.software.vendor())
            .bind(info.software.product())
            .bind(i64::from(software_rank(info.kind, &info.software)))
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
        let json = serde_json::to_string(&info).expect("ProductInfo serializes");
        let id: i64 =
            sqlx::query_scalar("INSERT INTO products (name, software_id, os_family, info) VALUES (?, ?, ?, ?) RETURNING id")
                .bind(name)
                .bind(&software)
                .bind(info.platform.as_ref().map(|t| family_key(t.family)))
                .bind(json)
                .fetch_one(&mut *conn)
                .await
                .map_err(db_error)?;
        ids.insert(name.to_string(), id);
    }
    Ok(ids)
}

async fn has_fixes(conn: &mut SqliteConnection, source: &str) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM fixes WHERE source = ?1
         UNION ALL SELECT 1 FROM version_fixes WHERE source = ?1 LIMIT 1",
    )
    .bind(source)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_error)?;
    Ok(found.is_some())
}

/// Replaces everything an earlier import of this batch's source contributed.
async fn replace_source(
    conn: &mut SqliteConnection,
    batch: &Batch,
    product_ids: &HashMap<String, i64>,
) -> Result<()> {
    for statement in [
        "DELETE FROM fixes WHERE source = ?",
        "DELETE FROM version_fixes WHERE source = ?",
        "DELETE FROM updates WHERE source = ?",
    ] {
        sqlx::query(statement)
            .bind(&batch.source)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    sqlx::query(
        "INSERT INTO catalog_sources (source, revision, title, imported_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (source) DO UPDATE SET revision = excluded.revision, title = excluded.title,
         imported_at = excluded.imported_at",
    )
    .bind(&batch.source)
    .bind(&batch.revision)
    .bind(batch.document.as_ref().map(|d| d.title.clone()))
    .bind(timestamp())
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    for chunk in batch.updates.chunks(CHUNK) {
        QueryBuilder::<Sqlite>::new("INSERT INTO updates (source, kb, release_date, title) ")
            .push_values(chunk, |mut row, u| {
                row.push_bind(&batch.source)
                    .push_bind(i64::from(u.kb.number()))
                    .push_bind(u.release_date.to_string())
                    .push_bind(u.title.clone());
            })
            .build()
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    for chunk in batch.fixes.chunks(CHUNK) {
        QueryBuilder::<Sqlite>::new(
            "INSERT INTO fixes (source, kb, product_id, sub_type, fixed_builds, supersedes, cves, severity) ",
        )
        .push_values(chunk, |mut row, f| {
            row.push_bind(&batch.source)
                .push_bind(i64::from(f.kb.number()))
                .push_bind(product_ids[&f.product])
                .push_bind(f.sub_type.clone())
                .push_bind(join_lines(&f.fixed_builds))
                .push_bind(join_kbs(&f.supersedes))
                .push_bind(join_ids(&f.cves))
                .push_bind(f.severity.clone());
        })
        .build()
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    }
    for chunk in batch.version_fixes.chunks(CHUNK) {
        QueryBuilder::<Sqlite>::new(
            "INSERT INTO version_fixes (source, product_id, cve, fixed_versions, severity, release_date) ",
        )
        .push_values(chunk, |mut row, f| {
            let versions: Vec<String> = f.fixed_versions.iter().map(ToString::to_string).collect();
            row.push_bind(&batch.source)
                .push_bind(product_ids[&f.product])
                .push_bind(&f.cve)
                .push_bind(join_lines(&versions))
                .push_bind(f.severity.clone())
                .push_bind(f.release_date.to_string());
        })
        .build()
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    }
    Ok(())
}

/// Recomputes `kb_summary` (each KB's release, title and OS build) and `kb_software` (the
/// CVEs each KB fixes per software) from all sources.
async fn derive(conn: &mut SqliteConnection) -> Result<CatalogSummary> {
    let products = product_infos(conn, None).await?;
    let mut os_builds: HashMap<Kb, u32> = HashMap::new();
    let mut per_software: HashMap<(Kb, String), BTreeSet<String>> = HashMap::new();
    let mut all_cves: BTreeSet<String> = BTreeSet::new();
    let mut used_products: BTreeSet<i64> = BTreeSet::new();
    // Vulnerability ids per (source, KB): the evidence for which document introduced a KB.
    let mut per_source: HashMap<(String, Kb), BTreeSet<String>> = HashMap::new();
    for row in sqlx::query("SELECT kb, product_id, cves, source FROM fixes")
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error)?
    {
        let kb = kb_of(row.get(0))?;
        let product_id: i64 = row.get(1);
        used_products.insert(product_id);
        let info = &products[&product_id];
        if info.kind == ProductKind::OperatingSystem
            && let Some(build) = info.platform.as_ref().and_then(|t| t.base_build())
        {
            let entry = os_builds.entry(kb).or_insert(build);
            *entry = (*entry).max(build);
        }
        let cves = split_ids(row.get(2));
        all_cves.extend(cves.iter().filter(|c| c.starts_with("CVE-")).cloned());
        per_source
            .entry((row.get(3), kb))
            .or_default()
            .extend(cves.iter().cloned());
        per_software
            .entry((kb, info.software.to_string()))
            .or_default()
            .extend(cves);
    }
    for row in sqlx::query("SELECT DISTINCT product_id, cve FROM version_fixes")
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error)?
    {
        used_products.insert(row.get(0));
        all_cves.insert(row.get(1));
    }
    let mut evidence: HashMap<Kb, Vec<ReleaseEvidence>> = HashMap::new();
    for row in sqlx::query("SELECT source, kb, release_date, title FROM updates")
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error)?
    {
        let source: String = row.get(0);
        let kb = kb_of(row.get(1))?;
        let title: Option<String> = row.get(3);
        evidence.entry(kb).or_default().push(ReleaseEvidence {
            // CVRF documents title their releases; WES-NG does not.
            from_document: title.is_some(),
            vulnerabilities: per_source.get(&(source, kb)).map_or(0, BTreeSet::len),
            date: date_of(row.get(2), "updates")?,
            title,
        });
    }
    let kbs: HashMap<Kb, (Date, Option<String>)> = evidence
        .into_iter()
        .filter_map(|(kb, e)| pick_release(e).map(|release| (kb, release)))
        .collect();
    for statement in ["DELETE FROM kb_summary", "DELETE FROM kb_software"] {
        sqlx::query(statement)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    let summaries: Vec<(Kb, Date, String, Option<u32>)> = kbs
        .into_iter()
        .map(|(kb, (date, title))| {
            (
                kb,
                date,
                title.unwrap_or_else(|| date.release_title()),
                os_builds.get(&kb).copied(),
            )
        })
        .collect();
    for chunk in summaries.chunks(CHUNK) {
        QueryBuilder::<Sqlite>::new("INSERT INTO kb_summary (kb, release_date, title, os_build) ")
            .push_values(chunk, |mut row, (kb, date, title, build)| {
                row.push_bind(i64::from(kb.number()))
                    .push_bind(date.to_string())
                    .push_bind(title.clone())
                    .push_bind(build.map(i64::from));
            })
            .build()
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    let software_rows: Vec<((Kb, String), BTreeSet<String>)> = per_software.into_iter().collect();
    for chunk in software_rows.chunks(CHUNK) {
        QueryBuilder::<Sqlite>::new("INSERT INTO kb_software (kb, software_id, cve_count, cves) ")
            .push_values(chunk, |mut row, ((kb, software), cves)| {
                row.push_bind(i64::from(kb.number()))
                    .push_bind(software.clone())
                    .push_bind(cve_count(cves.iter().map(String::as_str)) as i64)
                    .push_bind(join_ids(cves));
            })
            .build()
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    Ok(CatalogSummary {
        sources: 0,
        kept_previous: 0,
        updates: summaries.len() as u64,
        products: used_products.len() as u64,
        cves: all_cves.len() as u64,
        machines_reassessed: 0,
    })
}

pub(crate) fn kb_of(value: i64) -> Result<Kb> {
    u32::try_from(value)
        .ok()
        .and_then(|n| Kb::new(n).ok())
        .ok_or_else(|| StoreError::Corrupt {
            table: "fixes",
            column: "kb",
            detail: value.to_string(),
        })
}

fn versions_of(value: String) -> Result<Vec<Version>> {
    split_lines(&value)
        .iter()
        .map(|v| v.parse())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| StoreError::Corrupt {
            table: "version_fixes",
            column: "fixed_versions",
            detail: value.clone(),
        })
}

pub(crate) fn date_of(value: String, table: &'static str) -> Result<Date> {
    value.parse().map_err(|_| StoreError::Corrupt {
        table,
        column: "release_date",
        detail: value,
    })
}

/// Products by id, optionally only those on one OS family.
async fn product_infos(
    conn: &mut SqliteConnection,
    family: Option<&str>,
) -> Result<HashMap<i64, ProductInfo>> {
    let rows = match family {
        Some(f) => {
            sqlx::query("SELECT id, info FROM products WHERE os_family = ?")
                .bind(f)
                .fetch_all(&mut *conn)
                .await
        }
        None => {
            sqlx::query("SELECT id, info FROM products")
                .fetch_all(&mut *conn)
                .await
        }
    }
    .map_err(db_error)?;
    rows.into_iter()
        .map(|row| {
            let info: String = row.get(1);
            let parsed = serde_json::from_str(&info).map_err(|e| StoreError::Corrupt {
                table: "products",
                column: "info",
                detail: e.to_string(),
            })?;
            Ok((row.get(0), parsed))
        })
        .collect()
}

/// The `catalog_slices` keys of application product groups start with this.
const APPLICATIONS: &str = "app:";

/// Rebuilds the serialized slice of every OS family and of every application group.
///
/// Applications (Office, SQL Server, Exchange...) name no OS, so no family slice holds them.
/// They are kept in slices of their own, one per group (`kbgap_catalog::applications::
/// product_group`: software and first version, "microsoft-_-word 2016"), limited to the
/// products an installed program can map to (not Office for Mac, not CBL-Mariner packages).
/// An assessment reads its OS family's slice and the groups its programs can select, so a
/// machine with Office 2016 reads the Office 2016 groups and not SharePoint's or SQL
/// Server's, and a machine without an application list reads no group at all.
async fn refresh_slices(conn: &mut SqliteConnection) -> Result<()> {
    sqlx::query("DELETE FROM catalog_slices")
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    let families: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT os_family FROM products WHERE os_family IS NOT NULL")
            .fetch_all(&mut *conn)
            .await
            .map_err(db_error)?;
    let mut slices = Vec::new();
    for family in families {
        let infos = product_infos(conn, Some(&family)).await?;
        slices.push((family, build_slice(conn, infos).await?));
    }
    let mut groups: BTreeMap<String, HashMap<i64, ProductInfo>> = BTreeMap::new();
    for (id, info) in product_infos(conn, None).await? {
        if info.platform.is_none()
            && info.kind == ProductKind::Application
            && is_application_product(&info.name)
        {
            groups
                .entry(format!("{APPLICATIONS}{}", product_group(&info)))
                .or_default()
                .insert(id, info);
        }
    }
    for (key, infos) in groups {
        slices.push((key, build_slice(conn, infos).await?));
    }
    for (key, slice) in slices {
        sqlx::query("INSERT INTO catalog_slices (os_family, slice) VALUES (?, ?)")
            .bind(&key)
            .bind(serde_json::to_string(&slice).expect("slices serialize"))
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

/// The keys of the application groups `machine`'s programs can select.
pub(crate) fn application_keys(machine: &MachineInventory) -> Vec<String> {
    if machine.applications.is_empty() {
        return Vec::new();
    }
    installed_software(machine)
        .groups()
        .into_iter()
        .map(|group| format!("{APPLICATIONS}{group}"))
        .collect()
}

/// The slice an assessment of `machine` reads: its OS family's, with the application groups
/// its programs can select.
pub(crate) async fn slice_for(
    conn: &mut SqliteConnection,
    machine: &MachineInventory,
) -> Result<CatalogSlice> {
    let mut keys = application_keys(machine);
    keys.insert(0, family_key(machine.os.family));
    stored_slices(conn, &keys).await
}

/// [`slice_for`] outside a transaction, through the decoded slices kept in `answers` (a
/// transaction that writes the catalog must read its own slices, not these).
pub(crate) async fn cached_slice_for(
    conn: &mut SqliteConnection,
    machine: &MachineInventory,
    answers: &Answers,
) -> Result<Arc<CatalogSlice>> {
    let mut keys = application_keys(machine);
    keys.insert(0, family_key(machine.os.family));
    let key = keys.join("\n");
    if let Some(slice) = answers.slice(&key) {
        return Ok(slice);
    }
    let generation = answers.generation();
    let slice = Arc::new(stored_slices(conn, &keys).await?);
    answers.keep_slice(generation, key, slice.clone());
    Ok(slice)
}

/// The stored slices of these keys, merged in this order (in one query: an assessment
/// reads a family and a handful of application groups); a key without a slice adds nothing.
async fn stored_slices(conn: &mut SqliteConnection, keys: &[String]) -> Result<CatalogSlice> {
    let found: HashMap<String, String> = rows_in(
        conn,
        "SELECT os_family, slice FROM catalog_slices WHERE os_family IN (",
        keys,
        "",
    )
    .await?
    .into_iter()
    .map(|row| (row.get(0), row.get(1)))
    .collect();
    let mut slice = CatalogSlice::default();
    for key in keys {
        if let Some(json) = found.get(key) {
            let stored = serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
                table: "catalog_slices",
                column: "slice",
                detail: e.to_string(),
            })?;
            slice = merge(slice, stored);
        }
    }
    Ok(slice)
}

/// One slice holding both: `other`'s products follow `base`'s.
fn merge(mut base: CatalogSlice, other: CatalogSlice) -> CatalogSlice {
    if base.products.is_empty() && base.updates.is_empty() {
        return other;
    }
    let offset = base.products.len();
    base.products.extend(other.products);
    base.fixes.extend(other.fixes.into_iter().map(|mut fix| {
        fix.product += offset;
        fix
    }));
    base.version_fixes
        .extend(other.version_fixes.into_iter().map(|mut fix| {
            fix.product += offset;
            fix
        }));
    for (kb, meta) in other.updates {
        base.updates.entry(kb).or_insert(meta);
    }
    base
}

/// Values per `IN (...)` list.
const IDS_PER_QUERY: usize = 500;

/// The rows of `select` (ending in `IN (`) for every value of `values`, the list bound in
/// chunks of [`IDS_PER_QUERY`], each chunk's rows in the order `suffix` gives.
async fn rows_in<T>(
    conn: &mut SqliteConnection,
    select: &str,
    values: &[T],
    suffix: &str,
) -> Result<Vec<SqliteRow>>
where
    T: Clone + Send + for<'q> sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite> + 'static,
{
    let mut rows = Vec::new();
    for chunk in values.chunks(IDS_PER_QUERY) {
        let mut query = QueryBuilder::<Sqlite>::new(select);
        let mut list = query.separated(", ");
        for value in chunk {
            list.push_bind(value.clone());
        }
        query.push(") ").push(suffix);
        rows.extend(
            query
                .build()
                .fetch_all(&mut *conn)
                .await
                .map_err(db_error)?,
        );
    }
    Ok(rows)
}

/// The slice of these products: them, every fix row on them, and their KBs' metadata.
async fn build_slice(
    conn: &mut SqliteConnection,
    infos: HashMap<i64, ProductInfo>,
) -> Result<CatalogSlice> {
    let mut index: HashMap<i64, usize> = HashMap::new();
    let mut slice = CatalogSlice::default();
    let mut ids: Vec<i64> = infos.keys().copied().collect();
    ids.sort_unstable();
    for id in &ids {
        index.insert(*id, slice.products.len());
        slice.products.push(infos[id].clone());
    }
    let mut kbs: BTreeSet<i64> = BTreeSet::new();
    for row in rows_in(
        conn,
        "SELECT kb, product_id, sub_type, fixed_builds, supersedes, cves, severity
         FROM fixes WHERE product_id IN (",
        &ids,
        "ORDER BY rowid",
    )
    .await?
    {
        kbs.insert(row.get(0));
        slice.fixes.push(Fix {
            kb: kb_of(row.get(0))?,
            product: index[&row.get::<i64, _>(1)],
            sub_type: row.get(2),
            fixed_builds: split_lines(row.get(3)),
            supersedes: split_kbs(row.get(4)),
            cves: split_ids(row.get(5)),
            severity: row.get(6),
        });
    }
    for row in rows_in(
        conn,
        "SELECT product_id, cve, fixed_versions, severity, release_date
         FROM version_fixes WHERE product_id IN (",
        &ids,
        "ORDER BY rowid",
    )
    .await?
    {
        slice.version_fixes.push(VersionFix {
            product: index[&row.get::<i64, _>(0)],
            cve: row.get(1),
            fixed_versions: versions_of(row.get(2))?,
            severity: row.get(3),
            release_date: date_of(row.get(4), "version_fixes")?,
        });
    }
    let kbs: Vec<i64> = kbs.into_iter().collect();
    for row in rows_in(
        conn,
        "SELECT kb, release_date, title, os_build FROM kb_summary WHERE kb IN (",
        &kbs,
        "",
    )
    .await?
    {
        let os_build: Option<i64> = row.get(3);
        slice.updates.insert(
            kb_of(row.get(0))?,
            UpdateMeta {
                release_date: date_of(row.get(1), "kb_summary")?,
                title: row.get(2),
                os_build: os_build.and_then(|b| u32::try_from(b).ok()),
            },
        );
    }
    Ok(slice)
}
