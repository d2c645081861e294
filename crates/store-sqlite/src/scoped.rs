//! Fleet answers limited to some device groups: what a delegated caller, who sees only the
//! machines of their groups, is told. The materialized `machine_missing` rows are counted
//! joined to the machines of those groups, so `machineMissedOn` is "the number of machines in
//! the caller's scope" (CONTRACT.md) and a KB missed only outside the scope is not listed.
//! Unlike the unscoped answer this is not kept in memory: scopes vary per caller.

use kbgap_domain::SoftwareId;
use kbgap_store::{MissingKb, Result};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};

use crate::catalog::{date_of, kb_of};
use crate::db_error;

pub(crate) async fn missing_by_software_in_groups(
    pool: &SqlitePool,
    id: &SoftwareId,
    device_groups: &[String],
) -> Result<Option<Vec<MissingKb>>> {
    let known: Option<i64> = sqlx::query_scalar("SELECT 1 FROM software WHERE id = ?")
        .bind(id.to_string())
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    if known.is_none() {
        return Ok(None);
    }
    if device_groups.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let mut builder = QueryBuilder::<Sqlite>::new(
        "SELECT mm.kb, mm.machines, ks.release_date, ks.title, ks.os_build, COALESCE(kw.cve_count, 0)
         FROM (SELECT x.kb, COUNT(*) AS machines FROM machine_missing x
               JOIN machines m ON m.id = x.machine_id
               WHERE x.software_id = ",
    );
    builder.push_bind(id.to_string());
    builder.push(" AND lower(m.device_group) IN (");
    let mut groups = builder.separated(", ");
    for group in device_groups {
        groups.push_bind(group.to_ascii_lowercase());
    }
    builder.push(
        ") GROUP BY x.kb) mm
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
