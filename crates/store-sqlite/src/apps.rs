//! The built-in identity provider's tables: registered applications and token-signing keys.
//!
//! Secrets arrive here already hashed (the auth crate hashes them); this module only stores
//! rows. Roles are kept as a JSON array so the table needs no child table for a short list.

use kbgap_store::{ApplicationRecord, Result, SigningKeyRecord, StoreError};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use crate::db_error;

fn application(row: &SqliteRow) -> Result<ApplicationRecord> {
    let roles: String = row.get("roles");
    Ok(ApplicationRecord {
        client_id: row.get("client_id"),
        name: row.get("name"),
        roles: serde_json::from_str(&roles).map_err(|e| StoreError::Corrupt {
            table: "applications",
            column: "roles",
            detail: e.to_string(),
        })?,
        secret_hash: row.get("secret_hash"),
        created_at: row.get("created_at"),
        secret_updated_at: row.get("secret_updated_at"),
    })
}

pub async fn add(pool: &SqlitePool, app: &ApplicationRecord) -> Result<bool> {
    let roles = serde_json::to_string(&app.roles).expect("strings serialize");
    let done = sqlx::query(
        "INSERT INTO applications (client_id, name, roles, secret_hash, created_at, secret_updated_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(&app.client_id)
    .bind(&app.name)
    .bind(roles)
    .bind(&app.secret_hash)
    .bind(&app.created_at)
    .bind(&app.secret_updated_at)
    .execute(pool)
    .await
    .map_err(db_error)?;
    Ok(done.rows_affected() == 1)
}

pub async fn list(pool: &SqlitePool) -> Result<Vec<ApplicationRecord>> {
    sqlx::query(
        "SELECT client_id, name, roles, secret_hash, created_at, secret_updated_at
         FROM applications ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .map_err(db_error)?
    .iter()
    .map(application)
    .collect()
}

pub async fn find(pool: &SqlitePool, client_id: &str) -> Result<Option<ApplicationRecord>> {
    sqlx::query(
        "SELECT client_id, name, roles, secret_hash, created_at, secret_updated_at
         FROM applications WHERE client_id = ?",
    )
    .bind(client_id)
    .fetch_optional(pool)
    .await
    .map_err(db_error)?
    .as_ref()
    .map(application)
    .transpose()
}

pub async fn remove(pool: &SqlitePool, client_id: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM applications WHERE client_id = ?")
        .bind(client_id)
        .execute(pool)
        .await
        .map_err(db_error)?;
    Ok(done.rows_affected() > 0)
}

pub async fn set_secret(
    pool: &SqlitePool,
    client_id: &str,
    secret_hash: &str,
    updated_at: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE applications SET secret_hash = ?, secret_updated_at = ? WHERE client_id = ?",
    )
    .bind(secret_hash)
    .bind(updated_at)
    .bind(client_id)
    .execute(pool)
    .await
    .map_err(db_error)?;
    Ok(done.rows_affected() > 0)
}

async fn keys<'e, E: sqlx::SqliteExecutor<'e>>(executor: E) -> Result<Vec<SigningKeyRecord>> {
    let rows = sqlx::query("SELECT private_pem, created_at FROM signing_keys ORDER BY id DESC")
        .fetch_all(executor)
        .await
        .map_err(db_error)?;
    Ok(rows
        .iter()
        .map(|row| SigningKeyRecord {
            private_pem: row.get("private_pem"),
            created_at: row.get("created_at"),
        })
        .collect())
}

pub async fn signing_keys(pool: &SqlitePool) -> Result<Vec<SigningKeyRecord>> {
    keys(pool).await
}

pub async fn signing_keys_or_insert(
    pool: &SqlitePool,
    first: &SigningKeyRecord,
) -> Result<Vec<SigningKeyRecord>> {
    // One statement: SQLite runs it under its write lock, so two processes cannot both
    // find the table empty.
    sqlx::query(
        "INSERT INTO signing_keys (private_pem, created_at)
         SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM signing_keys)",
    )
    .bind(&first.private_pem)
    .bind(first.created_at)
    .execute(pool)
    .await
    .map_err(db_error)?;
    keys(pool).await
}

pub async fn rotate(
    pool: &SqlitePool,
    key: &SigningKeyRecord,
    keep: usize,
) -> Result<Vec<SigningKeyRecord>> {
    let mut tx = pool.begin().await.map_err(db_error)?;
    sqlx::query("INSERT INTO signing_keys (private_pem, created_at) VALUES (?, ?)")
        .bind(&key.private_pem)
        .bind(key.created_at)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    sqlx::query(
        "DELETE FROM signing_keys WHERE id NOT IN
         (SELECT id FROM signing_keys ORDER BY id DESC LIMIT ?)",
    )
    .bind(keep.max(1) as i64)
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    let stored = keys(&mut *tx).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(stored)
}
