//! One function per subcommand.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use kbgap_auth::{Issuer, generate_key_pem, generate_tenant_id};
use kbgap_domain::{MachineId, MachineInventory, SoftwareId};
use kbgap_store::{DeviceGroups, ListQuery, MissingKb, Progress, Store};
use kbgap_store_sqlite::SqliteStore;

use crate::{
    CatalogCommand, CheckArgs, Cli, Command, ExplainArgs, IngestArgs, MissingArgs, ServeArgs,
    TokenArgs, files,
};

/// Opens the store the URL names. Only the embedded SQLite backend exists so far; other
/// schemes are refused with a message that says so.
pub async fn open_store(url: &str) -> anyhow::Result<SqliteStore> {
    if url.starts_with("sqlite:") {
        return SqliteStore::connect(url)
            .await
            .with_context(|| format!("cannot open {url}"));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        bail!("PostgreSQL is not supported by this build yet; use sqlite://PATH");
    }
    bail!("database URL {url:?} is not supported (use sqlite://PATH or sqlite:///ABS/PATH)")
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Catalog(CatalogCommand::Import { paths }) => {
            let started = Instant::now();
            let store = open_store(&cli.db).await?;
            import_catalog(&store, files::read_catalog(&paths)?, started).await
        }
        Command::Catalog(CatalogCommand::Sync(args)) => crate::sync::run(&cli.db, &args).await,
        Command::Ingest(args) => {
            let store = open_store(&cli.db).await?;
            ingest(&store, &args).await
        }
        Command::Missing(args) => {
            let store = open_store(&cli.db).await?;
            missing(&store, &args, &public_url(&cli.public_url, None)).await
        }
        Command::Check(args) => {
            let store = if args.catalog.is_empty() {
                open_store(&cli.db).await?
            } else {
                let store = SqliteStore::connect("sqlite::memory:").await?;
                let batches = files::read_catalog(&args.catalog)?;
                store.import_catalog(batches, &progress_bar()).await?;
                store
            };
            check(&store, &args).await
        }
        Command::Explain(args) => {
            let store = open_store(&cli.db).await?;
            explain(&store, &args).await
        }
        Command::Machines(flag) => {
            let store = open_store(&cli.db).await?;
            for record in store.machines(&ListQuery::default()).await? {
                print_machine(&record.id, &record.inventory, flag.json);
            }
            Ok(())
        }
        Command::Serve(args) => {
            let store = open_store(&cli.db).await?;
            let options = server_options(&args)?;
            if let Some(address) = &args.metrics_listen {
                serve_metrics(address, &options).await?;
            }
            let tls = tls_config(&args)?;
            let external = crate::oidc::external_issuers(&args, &cli.public_url).await?;
            serve(store, &args.listen, cli.public_url, options, tls, external).await
        }
        Command::Token(args) => {
            let store = open_store(&cli.db).await?;
            println!("{}", token(&store, &args, &cli.public_url).await?);
            Ok(())
        }
        Command::App(command) => crate::apps::app(&cli.db, &command).await,
        Command::Keys(command) => crate::apps::keys(&cli.db, &command).await,
        Command::Demo(args) => crate::demo::run(&args, cli.public_url).await,
    }
}

/// A bar on stderr when it is a terminal; hidden otherwise (logs and pipes stay clean).
pub fn terminal_bar() -> ProgressBar {
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{msg:>24} [{bar:40}] {pos}/{len}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

/// The progress of a store operation, on a [`terminal_bar`].
pub fn progress_bar() -> impl Fn(Progress) + Sync {
    let bar = terminal_bar();
    move |p: Progress| {
        bar.set_message(p.stage);
        bar.set_length(p.total);
        bar.set_position(p.done);
        if p.done == p.total && p.stage == "reassessing machines" {
            bar.finish_and_clear();
        }
    }
}

/// Imports parsed batches and prints the summary; `started` is when reading the files began,
/// so the seconds printed are the whole import.
pub async fn import_catalog(
    store: &SqliteStore,
    batches: Vec<kbgap_catalog::Batch>,
    started: Instant,
) -> anyhow::Result<()> {
    let skipped: u64 = batches.iter().map(|b| b.skipped.total()).sum();
    let summary = store.import_catalog(batches, &progress_bar()).await?;
    let kept = if summary.kept_previous > 0 {
        format!(
            " ({} empty documents did not replace the stored copies)",
            summary.kept_previous
        )
    } else {
        String::new()
    };
    println!(
        "catalog: {} sources imported{kept}; {} updates, {} products, {} CVEs; {} machines reassessed; {} records skipped by rule; {:.1} s",
        summary.sources,
        summary.updates,
        summary.products,
        summary.cves,
        summary.machines_reassessed,
        skipped,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub async fn ingest(store: &SqliteStore, args: &IngestArgs) -> anyhow::Result<()> {
    let machines = files::read_inventories(&args.paths, args.one_machine)?;
    let stored = store.ingest(machines.clone()).await?;
    for (record, (inventory, _)) in stored.iter().zip(&machines) {
        print_machine(&record.id, inventory, args.json);
    }
    Ok(())
}

/// The `--as-of` date, if given.
fn as_of_date(text: &Option<String>) -> anyhow::Result<Option<kbgap_domain::Date>> {
    text.as_deref()
        .map(str::parse)
        .transpose()
        .context("--as-of")
}

async fn check(store: &SqliteStore, args: &CheckArgs) -> anyhow::Result<()> {
    let as_of = as_of_date(&args.as_of)?;
    for (inventory, source) in files::read_inventories(&args.paths, args.one_machine)? {
        let rows = store.missing_for(&inventory, as_of).await?;
        let outdated = outdated_applications(store, &inventory, as_of).await?;
        let os = &inventory.os;
        if args.json {
            let line = serde_json::json!({
                "source": source,
                "id": inventory.id(),
                "computerDnsName": inventory.host,
                "osPlatform": os.family.defender_platform(),
                "version": os.defender_version(),
                "osBuild": os.build,
                "value": rows.iter().map(kbgap_api::ProductFixDto::from).collect::<Vec<_>>(),
                "outdatedApplications": outdated,
            });
            println!("{line}");
        } else {
            println!(
                "{} ({} {}, build {}): {} missing security updates",
                inventory.host,
                os.family.defender_platform(),
                os.defender_version(),
                os.build,
                rows.len()
            );
            print_table(&rows);
            print_outdated(&outdated);
            println!();
        }
    }
    Ok(())
}

/// An application serviced by version (Edge, Visual Studio 2017 and later) that runs older
/// than a version fixing its vulnerabilities: no KB stands for it, so the missing-KB table
/// cannot list it.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct OutdatedApplication {
    product_name: String,
    software_id: String,
    installed_version: String,
    /// Update to this version or later.
    fixed_version: String,
    release_date: kbgap_domain::Date,
    cve_ids: Vec<String>,
}

/// The inventory's out-of-date applications, assessed as the missing KBs are. An inventory
/// without an application list (systeminfo, wmic qfe) has none, and costs no catalog read.
async fn outdated_applications(
    store: &SqliteStore,
    inventory: &MachineInventory,
    as_of: Option<kbgap_domain::Date>,
) -> anyhow::Result<Vec<OutdatedApplication>> {
    if inventory.applications.is_empty() {
        return Ok(Vec::new());
    }
    let slice = store.catalog_slice(inventory).await?;
    let assessment = kbgap_engine::assess(inventory, &slice, kbgap_engine::AssessOptions { as_of });
    Ok(assessment
        .outdated
        .into_iter()
        .map(|o| OutdatedApplication {
            product_name: slice.products[o.product].name.clone(),
            software_id: o.software.to_string(),
            installed_version: o.installed.to_string(),
            fixed_version: o.fixed_by.to_string(),
            release_date: o.release_date,
            cve_ids: o.open_vulnerabilities.into_iter().collect(),
        })
        .collect())
}

fn print_outdated(rows: &[OutdatedApplication]) {
    if rows.is_empty() {
        return;
    }
    println!(
        "{} out-of-date applications (serviced by version, not by KB):",
        rows.len()
    );
    println!(
        "  {:<48} {:<16} {:<16} {:<10} {:>5}",
        "PRODUCT", "INSTALLED", "UPDATE TO", "RELEASED", "CVES"
    );
    for row in rows {
        println!(
            "  {:<48} {:<16} {:<16} {:<10} {:>5}",
            row.product_name,
            row.installed_version,
            row.fixed_version,
            row.release_date,
            row.cve_ids.len()
        );
    }
}

async fn explain(store: &SqliteStore, args: &ExplainArgs) -> anyhow::Result<()> {
    let as_of = as_of_date(&args.as_of)?;
    let kb: kbgap_domain::Kb = args
        .kb
        .parse()
        .with_context(|| format!("--kb {:?}", args.kb))?;
    let record = store
        .machine(&args.machine)
        .await?
        .with_context(|| format!("Machine {} was not found", args.machine))?;
    let slice = store.catalog_slice(&record.inventory).await?;
    let why = kbgap_engine::explain(
        &record.inventory,
        &slice,
        kbgap_engine::AssessOptions { as_of },
        kb,
    );
    if args.json {
        println!("{}", serde_json::to_string_pretty(&why)?);
        return Ok(());
    }
    println!("{}", why.summary);
    if let (Some(date), Some(title)) = (why.release_date, &why.title) {
        println!("  released {date} ({title})");
    }
    for product in &why.products {
        let open: Vec<&str> = product
            .vulnerabilities
            .iter()
            .filter(|v| v.open)
            .map(|v| v.id.as_str())
            .collect();
        println!(
            "  {}: fixes {} vulnerabilities, {} still open{}",
            product.product,
            product.vulnerabilities.len(),
            open.len(),
            if open.is_empty() {
                String::new()
            } else {
                format!(" ({})", open.join(", "))
            }
        );
    }
    for step in &why.chain {
        let source = if step.source == "msrc" {
            "MSRC supersedence"
        } else {
            "inferred cumulative chain"
        };
        println!("  KB{} supersedes KB{} ({source})", step.newer, step.older);
    }
    if !why.installed_considered.is_empty() {
        let list: Vec<String> = why
            .installed_considered
            .iter()
            .map(|k| format!("KB{k}"))
            .collect();
        println!("  installed updates considered: {}", list.join(", "));
    }
    Ok(())
}

fn print_machine(id: &MachineId, inventory: &MachineInventory, json: bool) {
    let os = &inventory.os;
    if json {
        let line = serde_json::json!({
            "id": id,
            "computerDnsName": inventory.host,
            "osPlatform": os.family.defender_platform(),
            "version": os.defender_version(),
            "osBuild": os.build,
            "osArchitecture": os.arch.defender_architecture(),
            "installedKbs": inventory.installed_kbs.iter().map(|k| format!("KB{k}")).collect::<Vec<_>>(),
        });
        println!("{line}");
    } else {
        println!(
            "{id}  {}  {} {} (build {})",
            inventory.host,
            os.family.defender_platform(),
            os.defender_version(),
            os.build
        );
    }
}

pub fn public_url(configured: &Option<String>, listen: Option<&str>) -> String {
    configured
        .clone()
        .unwrap_or_else(|| format!("http://{}", listen.unwrap_or("localhost:8080")))
}

async fn missing(store: &SqliteStore, args: &MissingArgs, base: &str) -> anyhow::Result<()> {
    let as_of = as_of_date(&args.as_of)?;
    // For a machine, its out-of-date applications follow the table (text output only: the
    // JSON is the API's getmissingkbs body).
    let mut outdated = Vec::new();
    let rows: Vec<MissingKb> = if let Some(software) = &args.target.software {
        if as_of.is_some() {
            bail!(
                "--as-of applies to --machine (the fleet aggregates reflect the current catalog)"
            );
        }
        let id = SoftwareId::parse(software)
            .with_context(|| format!("{software:?} is not a software id (vendor-_-product)"))?;
        store
            .missing_by_software(&id, DeviceGroups::All)
            .await?
            .with_context(|| format!("Software {software} was not found"))?
    } else {
        let key = args
            .target
            .machine
            .as_deref()
            .expect("clap requires a target");
        let record = store
            .machine(key)
            .await?
            .with_context(|| format!("Machine {key} was not found"))?;
        if !args.json {
            outdated = outdated_applications(store, &record.inventory, as_of).await?;
        }
        store
            .missing_by_machine(&record.id, as_of)
            .await?
            .with_context(|| format!("Machine {key} was not found"))?
    };
    if args.json {
        println!(
            "{}",
            String::from_utf8(kbgap_api::missing_kbs_body(base, &rows)).expect("JSON is UTF-8")
        );
        return Ok(());
    }
    print_table(&rows);
    print_outdated(&outdated);
    Ok(())
}

fn print_table(rows: &[MissingKb]) {
    println!(
        "{:<9} {:<10} {:<34} {:>8} {:>5}  PRODUCTS",
        "KB", "RELEASED", "NAME", "MACHINES", "CVES"
    );
    for row in rows {
        println!(
            "KB{:<7} {:<10} {:<34} {:>8} {:>5}  {}",
            row.kb,
            row.release_date,
            row.name,
            row.machine_missed_on,
            row.cve_addressed,
            row.products_names.join(", ")
        );
    }
    if rows.is_empty() {
        println!("(no missing security updates)");
    }
}

/// The token issuer of this database, creating its first key and tenant id on first use.
pub async fn issuer(store: &SqliteStore, public_url: &Option<String>) -> anyhow::Result<Issuer> {
    let first = kbgap_store::SigningKeyRecord {
        private_pem: generate_key_pem(),
        created_at: kbgap_auth::now() as i64,
    };
    let keys = store.signing_keys_or_insert(&first).await?;
    let tenant = store
        .setting_or_insert("tenant_id", &generate_tenant_id())
        .await?;
    let audiences: Vec<String> = public_url.iter().cloned().collect();
    let pems: Vec<&str> = keys.iter().map(|k| k.private_pem.as_str()).collect();
    Ok(Issuer::from_pems(&pems, &tenant, &audiences)?)
}

fn parse_ttl(text: &str) -> anyhow::Result<Duration> {
    let t = text.trim();
    let (number, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = number
        .parse()
        .with_context(|| format!("--ttl {text:?}: expected a number with s, m, h or d"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => bail!("--ttl {text:?}: unit must be s, m, h or d"),
    };
    Ok(Duration::from_secs(secs))
}

pub async fn token(
    store: &SqliteStore,
    args: &TokenArgs,
    public_url: &Option<String>,
) -> anyhow::Result<String> {
    let issuer = issuer(store, public_url).await?;
    let audience = args
        .audience
        .clone()
        .unwrap_or_else(|| kbgap_auth::DEFENDER_AUDIENCES[0].to_string());
    Ok(issuer.issue("kbgap-cli", &args.roles, parse_ttl(&args.ttl)?, &audience)?)
}

/// The server options of `kbgap serve`'s flags.
pub fn server_options(args: &ServeArgs) -> anyhow::Result<kbgap_api::ServerOptions> {
    let throttle =
        (args.throttle_per_minute > 0 && args.throttle_per_hour > 0).then_some(kbgap_api::Limits {
            per_minute: args.throttle_per_minute,
            per_hour: args.throttle_per_hour,
        });
    Ok(kbgap_api::ServerOptions {
        throttle,
        body_limit: parse_size(&args.max_body).context("--max-body")?,
        metrics: args
            .metrics_listen
            .as_ref()
            .map(|_| std::sync::Arc::new(kbgap_api::Metrics::default())),
    })
}

/// `123`, `64K`, `32M` as bytes.
fn parse_size(text: &str) -> anyhow::Result<usize> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().last() {
        Some((i, 'k' | 'K')) => (&text[..i], 1024),
        Some((i, 'm' | 'M')) => (&text[..i], 1024 * 1024),
        _ => (text, 1),
    };
    let number: usize = digits
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("'{text}' is not a size (bytes, or with a K or M suffix)"))?;
    number
        .checked_mul(unit)
        .ok_or_else(|| anyhow::anyhow!("'{text}' is too large"))
}

/// Serves the metrics of `options` on `address`, in the background.
async fn serve_metrics(address: &str, options: &kbgap_api::ServerOptions) -> anyhow::Result<()> {
    let Some(metrics) = options.metrics.clone() else {
        return Ok(());
    };
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address} (--metrics-listen)"))?;
    eprintln!(
        "kbgap: serving metrics on http://{}/metrics",
        listener.local_addr()?
    );
    tokio::spawn(async move {
        if let Err(e) = kbgap_api::serve(
            listener,
            kbgap_api::metrics_router(metrics),
            std::future::pending(),
        )
        .await
        {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
    Ok(())
}

/// The TLS configuration of `--tls-cert` / `--tls-key`, when given.
fn tls_config(args: &ServeArgs) -> anyhow::Result<Option<Arc<kbgap_api::TlsConfig>>> {
    let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) else {
        return Ok(None);
    };
    let read = |path: &std::path::Path| {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
    };
    let config = kbgap_api::tls_config(&read(cert)?, &read(key)?)
        .with_context(|| format!("--tls-cert {} --tls-key {}", cert.display(), key.display()))?;
    Ok(Some(config))
}

pub async fn serve(
    store: SqliteStore,
    listen: &str,
    public_url: Option<String>,
    options: kbgap_api::ServerOptions,
    tls: Option<Arc<kbgap_api::TlsConfig>>,
    external: Option<Arc<kbgap_auth::external::ExternalIssuers>>,
) -> anyhow::Result<()> {
    let issuer = issuer(&store, &public_url).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let state = kbgap_api::AppState {
        store,
        issuer: std::sync::Arc::new(issuer),
        public_url,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    eprintln!(
        "kbgap: serving the API on {scheme}://{}",
        listener.local_addr()?
    );
    let mut app = kbgap_api::app(state, &options);
    if let Some(external) = external {
        app = kbgap_api::with_external_issuers(app, external);
    }
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match tls {
        Some(config) => kbgap_api::serve_tls(listener, app, config, shutdown).await?,
        None => kbgap_api::serve(listener, app, shutdown).await?,
    }
    Ok(())
}
