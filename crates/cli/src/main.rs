//! The `kbgap` binary: command-line parsing and glue over the library crates. Parsing,
//! assessment, storage and HTTP live in `kbgap-inventory`, `kbgap-catalog`, `kbgap-engine`,
//! `kbgap-store-*` and `kbgap-api`; this crate reads files, shows progress and prints.

mod commands;
mod demo;
mod files;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Which security updates (KBs) are your Windows machines missing?
#[derive(Debug, Parser)]
#[command(name = "kbgap", version, about, propagate_version = true)]
pub struct Cli {
    /// Database URL: sqlite://PATH (relative), sqlite:///ABS/PATH.
    #[arg(
        long,
        global = true,
        env = "KBGAP_DB",
        default_value = "sqlite://kbgap.db"
    )]
    pub db: String,

    /// Public base URL of the API, used in `@odata.context` and accepted as a token audience.
    #[arg(long, global = true, env = "KBGAP_PUBLIC_URL")]
    pub public_url: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage the security-update catalog.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Load machine inventories (systeminfo, wmic qfe, kbgap JSON), files or folders.
    Ingest(IngestArgs),
    /// Print the KBs a software or a machine misses (the getmissingkbs answer).
    Missing(MissingArgs),
    /// Check inventories against the catalog without storing them (a WES-NG-style one-shot).
    Check(CheckArgs),
    /// Explain why a KB is, or is not, reported for a machine.
    Explain(ExplainArgs),
    /// List stored machines.
    Machines(JsonFlag),
    /// Serve the Defender-compatible API.
    Serve(ServeArgs),
    /// Print a bearer token signed with this database's key.
    Token(TokenArgs),
    /// Import a real catalog slice and sample machines into a temporary database and serve it.
    Demo(DemoArgs),
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Import WES-NG definitions (zip or CSV) and MSRC CVRF documents (XML, .xml.zst, JSON),
    /// files or folders. All or nothing.
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// The files describe one machine (its systeminfo plus wmic qfe tables): merge them.
    #[arg(long)]
    pub one_machine: bool,
    /// Print one JSON object per machine.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct MissingTarget {
    /// A software id such as microsoft-_-edge.
    #[arg(long)]
    pub software: Option<String>,
    /// A machine id (40 hex characters) or computer name.
    #[arg(long)]
    pub machine: Option<String>,
}

#[derive(Debug, Args)]
pub struct MissingArgs {
    #[command(flatten)]
    pub target: MissingTarget,
    /// Print the API's JSON body instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Evaluate a machine against the catalog as it stood on this date (YYYY-MM-DD).
    #[arg(long)]
    pub as_of: Option<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Inventories (systeminfo, wmic qfe, kbgap JSON), files or folders.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Catalog files or folders to check against instead of the database's catalog (read
    /// into a temporary in-memory database).
    #[arg(long)]
    pub catalog: Vec<PathBuf>,
    /// The files describe one machine (its systeminfo plus wmic qfe tables): merge them.
    #[arg(long)]
    pub one_machine: bool,
    /// Evaluate against the catalog as it stood on this date (YYYY-MM-DD).
    #[arg(long)]
    pub as_of: Option<String>,
    /// One JSON object per machine and line: the machine's fields and Defender's `value`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A machine id (40 hex characters) or computer name.
    #[arg(long)]
    pub machine: String,
    /// The KB, with or without the "KB" prefix.
    #[arg(long)]
    pub kb: String,
    /// Evaluate against the catalog as it stood on this date (YYYY-MM-DD).
    #[arg(long)]
    pub as_of: Option<String>,
    /// Print the explanation as JSON (the API's body).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[arg(long, env = "KBGAP_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Comma-separated permissions, e.g. Software.Read.All,Machine.Read.All.
    #[arg(long, value_delimiter = ',', required = true)]
    pub roles: Vec<String>,
    /// Lifetime: 30m, 1h, 7d, or seconds.
    #[arg(long, default_value = "1h")]
    pub ttl: String,
    /// Audience; defaults to Defender's https://api.securitycenter.microsoft.com.
    #[arg(long)]
    pub audience: Option<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Load, print and exit instead of serving (for scripted checks).
    #[arg(long)]
    pub no_serve: bool,
}

fn main() -> ExitCode {
    // `kbgap missing ... | head` must end quietly, as Unix tools do, not panic on EPIPE.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let filter =
        std::env::var("KBGAP_LOG").unwrap_or_else(|_| "warn,kbgap=info,kbgap_api=info".into());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kbgap: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kbgap: {e:#}");
            ExitCode::from(2)
        }
    }
}
