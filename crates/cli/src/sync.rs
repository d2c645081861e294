//! `kbgap catalog sync`: the command-line face of `kbgap-sync`. Fetches new and changed CVRF
//! documents from MSRC (or a mirror), keeps the last good copy of each in a cache folder,
//! imports what changed and prints what it did. Exit code 1 (not 2) when some documents were
//! rejected: the rest was imported and the kept copies stay, but a scheduled run should be
//! noticed.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;

use kbgap_sync::{Cache, MsrcClient, Report, apply, plan};

use crate::commands::{open_store, progress_bar};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Base URL of the CVRF API (`/updates` and `/cvrf/{id}` under it). Behind a proxy, set
    /// HTTPS_PROXY (and NO_PROXY).
    #[arg(long, env = "KBGAP_MSRC_URL", default_value = kbgap_sync::DEFAULT_SOURCE)]
    pub source: String,
    /// PEM file of the certificate authorities to trust for the API instead of the built-in
    /// Mozilla roots (a TLS-inspecting proxy's, a mirror's private one).
    #[arg(long, env = "KBGAP_MSRC_CA_FILE", value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Folder holding the last good copy of every document [default: beside the database,
    /// `<database file>.cvrf`].
    #[arg(long)]
    pub cache: Option<PathBuf>,
    /// Also import every kept copy, not only what changed (a new database beside an existing
    /// cache).
    #[arg(long)]
    pub reimport: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Some documents were rejected; the report has been printed.
#[derive(Debug, thiserror::Error)]
#[error("{0} documents rejected; their last good copies were kept")]
pub struct Rejected(pub usize);

pub async fn run(db: &str, args: &SyncArgs) -> anyhow::Result<()> {
    let dir = match &args.cache {
        Some(dir) => dir.clone(),
        None => default_cache(db)?,
    };
    let mut cache =
        Cache::open(&dir).with_context(|| format!("cannot open the cache {}", dir.display()))?;
    let store = open_store(db).await?;
    let client = match &args.ca_file {
        None => MsrcClient::new(&args.source),
        Some(path) => {
            let pem = std::fs::read(path)
                .with_context(|| format!("cannot read the CA file {}", path.display()))?;
            MsrcClient::with_ca_pem(&args.source, &pem)
                .with_context(|| format!("the CA file {}", path.display()))?
        }
    };
    let bar = crate::commands::terminal_bar();
    let planned = tokio::task::block_in_place(|| {
        plan(&client, &cache, &|done, total, id| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            bar.set_message(id.to_string());
        })
    });
    bar.finish_and_clear();
    let report = apply(planned?, &mut cache, &store, args.reimport, &progress_bar()).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    if report.rejected.is_empty() {
        Ok(())
    } else {
        Err(Rejected(report.rejected.len()).into())
    }
}

/// `<database file>.cvrf` beside a SQLite database.
fn default_cache(db: &str) -> anyhow::Result<PathBuf> {
    let path = db
        .strip_prefix("sqlite://")
        .or_else(|| db.strip_prefix("sqlite:"))
        .map(|p| p.split('?').next().unwrap_or(p))
        .filter(|p| !p.is_empty() && *p != ":memory:");
    match path {
        Some(path) => Ok(PathBuf::from(format!("{path}.cvrf"))),
        None => bail!("no folder beside the database {db:?} to keep documents in: use --cache DIR"),
    }
}

fn print_report(report: &Report) {
    for doc in &report.new {
        println!(
            "new        {:<12} {} ({} vulnerabilities, revision {})",
            doc.id, doc.title, doc.vulnerabilities, doc.revision
        );
    }
    for doc in &report.changed {
        println!(
            "changed    {:<12} {} ({} -> {} vulnerabilities, revision {} -> {})",
            doc.id,
            doc.title,
            doc.vulnerabilities_before,
            doc.vulnerabilities_after,
            doc.revision_before,
            doc.revision_after
        );
    }
    for doc in &report.rejected {
        let kept = match &doc.kept_revision {
            Some(revision) => format!("kept the copy of {revision}"),
            None => "no copy kept".to_string(),
        };
        println!(
            "REJECTED   {:<12} {}: {}; {kept}",
            doc.id, doc.title, doc.reason
        );
    }
    let catalog = match &report.catalog {
        Some(s) => format!(
            "catalog: {} sources imported; {} updates, {} products, {} CVEs; {} machines reassessed",
            s.sources, s.updates, s.products, s.cves, s.machines_reassessed
        ),
        None => "catalog unchanged".to_string(),
    };
    println!(
        "sync from {}: {} new, {} changed, {} unchanged, {} rejected, {} not security updates; {catalog}",
        report.source,
        report.new.len(),
        report.changed.len(),
        report.unchanged.len(),
        report.rejected.len(),
        report.not_security_updates.len()
    );
}
