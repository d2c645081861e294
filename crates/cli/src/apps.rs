//! `kbgap app ...` and `kbgap keys ...`: the built-in identity provider's registrations.
//!
//! An application is what Entra calls an app registration with a client secret: a client
//! id, a name and the Defender permissions its tokens carry. The secret is printed once,
//! when it is made, and stored only as a slow hash, so losing it means rotating it.

use anyhow::{Context, bail};
use clap::Subcommand;
use kbgap_store::{ApplicationRecord, DateTimeOffset, SigningKeyRecord, Store};
use kbgap_store_sqlite::SqliteStore;

use crate::commands::{issuer, open_store};

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Register an application; prints {"tenantId","clientId","clientSecret"} once.
    Add {
        /// A unique name.
        name: String,
        /// Comma-separated application permissions, e.g. Software.Read.All,Machine.Read.All.
        #[arg(long, value_delimiter = ',', required = true)]
        roles: Vec<String>,
    },
    /// List the registered applications (never their secrets).
    List {
        /// One JSON object per application and line.
        #[arg(long)]
        json: bool,
    },
    /// Remove an application, by name or client id; its tokens stop working when they
    /// expire (within an hour).
    Remove { app: String },
    /// Give an application a new secret (the old one stops working at once); prints the
    /// same JSON as `add`.
    RotateSecret { app: String },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Sign with a new key from now on; the previous key keeps verifying the tokens it
    /// signed, the one before it is dropped.
    Rotate,
    /// List the active signing keys, newest (the one that signs) first.
    List,
}

fn now_rfc3339() -> String {
    DateTimeOffset {
        unix_seconds: kbgap_auth::now() as i64,
        nanos: 0,
    }
    .to_string()
}

/// The application a name or client id names.
async fn find(store: &SqliteStore, key: &str) -> anyhow::Result<ApplicationRecord> {
    store
        .applications()
        .await?
        .into_iter()
        .find(|a| a.client_id.eq_ignore_ascii_case(key) || a.name == key)
        .with_context(|| format!("no application is named or has the client id {key:?}"))
}

fn credentials(tenant: &str, client_id: &str, secret: &str) -> String {
    serde_json::json!({
        "tenantId": tenant,
        "clientId": client_id,
        "clientSecret": secret,
    })
    .to_string()
}

/// A secret and its hash; hashing is slow by design, so it runs off the async threads.
async fn new_secret() -> anyhow::Result<(String, String)> {
    Ok(tokio::task::spawn_blocking(|| {
        let secret = kbgap_auth::secrets::generate();
        let hash = kbgap_auth::secrets::hash(&secret);
        (secret, hash)
    })
    .await?)
}

pub async fn app(db: &str, command: &AppCommand) -> anyhow::Result<()> {
    let store = open_store(db).await?;
    match command {
        AppCommand::Add { name, roles } => {
            let name = name.trim();
            if name.is_empty() {
                bail!("the application name is empty");
            }
            let roles =
                roles
                    .iter()
                    .map(|r| {
                        kbgap_auth::application_role(r).map(str::to_string).with_context(|| {
                        format!(
                            "--roles: {r:?} is not an application permission kbgap grants ({})",
                            kbgap_auth::APPLICATION_ROLES.join(", ")
                        )
                    })
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?;
            let tenant = issuer(&store, &None).await?.tenant().to_string();
            let (secret, secret_hash) = new_secret().await?;
            let now = now_rfc3339();
            let record = ApplicationRecord {
                client_id: kbgap_auth::generate_guid(),
                name: name.to_string(),
                roles,
                secret_hash,
                created_at: now.clone(),
                secret_updated_at: now,
            };
            if !store.add_application(&record).await? {
                bail!("an application named {name:?} exists already");
            }
            println!("{}", credentials(&tenant, &record.client_id, &secret));
            eprintln!(
                "kbgap: registered {name:?}; the secret is shown only now (kbgap keeps a hash)"
            );
        }
        AppCommand::List { json } => {
            let apps = store.applications().await?;
            if !json {
                println!(
                    "{:<36}  {:<20}  {:<20}  {:<20}  ROLES",
                    "CLIENT ID", "NAME", "CREATED", "SECRET SET"
                );
            }
            for a in &apps {
                if *json {
                    let line = serde_json::json!({
                        "clientId": a.client_id,
                        "name": a.name,
                        "roles": a.roles,
                        "createdAt": a.created_at,
                        "secretUpdatedAt": a.secret_updated_at,
                    });
                    println!("{line}");
                } else {
                    println!(
                        "{:<36}  {:<20}  {:<20}  {:<20}  {}",
                        a.client_id,
                        a.name,
                        a.created_at,
                        a.secret_updated_at,
                        a.roles.join(",")
                    );
                }
            }
        }
        AppCommand::Remove { app } => {
            let found = find(&store, app).await?;
            store.remove_application(&found.client_id).await?;
            eprintln!("kbgap: removed {:?} ({})", found.name, found.client_id);
        }
        AppCommand::RotateSecret { app } => {
            let found = find(&store, app).await?;
            let tenant = issuer(&store, &None).await?.tenant().to_string();
            let (secret, hash) = new_secret().await?;
            if !store
                .set_application_secret(&found.client_id, &hash, &now_rfc3339())
                .await?
            {
                bail!("{:?} was removed meanwhile", found.name);
            }
            println!("{}", credentials(&tenant, &found.client_id, &secret));
        }
    }
    Ok(())
}

pub async fn keys(db: &str, command: &KeysCommand) -> anyhow::Result<()> {
    let store = open_store(db).await?;
    // Creates the first key if there is none, so that a rotation always keeps one to fall
    // back on.
    issuer(&store, &None).await?;
    if let KeysCommand::Rotate = command {
        let key = SigningKeyRecord {
            private_pem: kbgap_auth::generate_key_pem(),
            created_at: kbgap_auth::now() as i64,
        };
        store
            .rotate_signing_key(&key, kbgap_auth::KEYS_KEPT)
            .await?;
    }
    let issuer = issuer(&store, &None).await?;
    let stored = store.signing_keys().await?;
    for (kid, key) in issuer.kids().iter().zip(&stored) {
        // A key carried over from before rotation existed has no creation time.
        let created = match key.created_at {
            0 => "(created before key rotation existed)".to_string(),
            at => DateTimeOffset {
                unix_seconds: at,
                nanos: 0,
            }
            .to_string(),
        };
        println!("{kid}  {created}");
    }
    Ok(())
}
