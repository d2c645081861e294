//! One function per subcommand.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use kbgap_auth::{Issuer, generate_key_pem, generate_tenant_id};
use kbgap_domain::{MachineId, MachineInventory, SoftwareId};
use kbgap_store::{ListQuery, MissingKb, Progress, Store};
use kbgap_store_sqlite::SqliteStore;

use crate::{
    CatalogCommand, CheckArgs, Cli, Command, ExplainArgs, IngestArgs, MissingArgs, TokenArgs, files,
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
            serve(store, &args.listen, cli.public_url).await
        }
        Command::Token(args) => {
            let store = open_store(&cli.db).await?;
            println!("{}", token(&store, &args, &cli.public_url).await?);
            Ok(())
        }
        Command::Demo(args) => crate::demo::run(&args, cli.public_url).await,
    }
}

/// A progress bar on stderr when it is a terminal; silent otherwise.
pub fn progress_bar() -> impl Fn(Progress) + Sync {
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

async fn check(store: &SqliteStore, args: &CheckArgs) -> anyhow::Result<()> {
    let as_of = args
        .as_of
        .as_deref()
        .map(str::parse)
        .transpose()
        .context("--as-of")?;
    for (inventory, source) in files::read_inventories(&args.paths, args.one_machine)? {
        let rows = store.missing_for(&inventory, as_of).await?;
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
            println!();
        }
    }
    Ok(())
}

async fn explain(store: &SqliteStore, args: &ExplainArgs) -> anyhow::Result<()> {
    let as_of = args
        .as_of
        .as_deref()
        .map(str::parse)
        .transpose()
        .context("--as-of")?;
    let kb: kbgap_domain::Kb = args
        .kb
        .parse()
        .with_context(|| format!("--kb {:?}", args.kb))?;
    let record = store
        .machine(&args.machine)
        .await?
        .with_context(|| format!("Machine {} was not found", args.machine))?;
    let slice = store.catalog_slice(&record.inventory.os).await?;
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
    let as_of = args
        .as_of
        .as_deref()
        .map(|d| d.parse())
        .transpose()
        .context("--as-of")?;
    let rows: Vec<MissingKb> = if let Some(software) = &args.target.software {
        if as_of.is_some() {
            bail!(
                "--as-of applies to --machine (the fleet aggregates reflect the current catalog)"
            );
        }
        let id = SoftwareId::parse(software)
            .with_context(|| format!("{software:?} is not a software id (vendor-_-product)"))?;
        store
            .missing_by_software(&id)
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

/// The token issuer of this database, creating its key and tenant id on first use.
pub async fn issuer(store: &SqliteStore, public_url: &Option<String>) -> anyhow::Result<Issuer> {
    let pem = store
        .setting_or_insert("signing_key", &generate_key_pem())
        .await?;
    let tenant = store
        .setting_or_insert("tenant_id", &generate_tenant_id())
        .await?;
    let audiences: Vec<String> = public_url.iter().cloned().collect();
    Ok(Issuer::from_pem(&pem, &tenant, &audiences)?)
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

pub async fn serve(
    store: SqliteStore,
    listen: &str,
    public_url: Option<String>,
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
    eprintln!(
        "kbgap: serving the API on http://{}",
        listener.local_addr()?
    );
    kbgap_api::serve(listener, kbgap_api::router(state), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
