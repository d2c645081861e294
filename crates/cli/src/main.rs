//! The `kbgap` binary: command-line parsing and glue over the library crates. Parsing,
//! assessment, storage and HTTP live in `kbgap-inventory`, `kbgap-catalog`, `kbgap-engine`,
//! `kbgap-store-*` and `kbgap-api`; this crate reads files, shows progress and prints.

mod apps;
mod commands;
mod config;
mod demo;
mod files;
mod oidc;
mod sync;

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

    /// A file of `key = value` options (flag or environment names); flags and the
    /// environment take precedence over it.
    #[arg(long, global = true, env = "KBGAP_CONFIG")]
    pub config: Option<PathBuf>,

    /// Log format on stderr: text, or json (one object per line, for log collectors).
    #[arg(long, global = true, env = "KBGAP_LOG_FORMAT", default_value = "text")]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage the security-update catalog.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Load machine inventories (systeminfo, wmic qfe, kbgap JSON, osquery results), files or folders.
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
    /// Register applications of the built-in identity provider (client id and secret).
    #[command(subcommand)]
    App(apps::AppCommand),
    /// Rotate or list the token-signing keys.
    #[command(subcommand)]
    Keys(apps::KeysCommand),
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
    /// Fetch new and changed CVRF documents from MSRC's API, keep the last good copy of each
    /// (an empty, shorter or broken copy never replaces it) and import what changed.
    Sync(sync::SyncArgs),
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[arg(long, env = "KBGAP_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Calls allowed per application per minute (Defender's default); 0 turns throttling off.
    #[arg(long, env = "KBGAP_THROTTLE_PER_MINUTE", default_value_t = 100)]
    pub throttle_per_minute: u32,
    /// Calls allowed per application per hour (Defender's default); 0 turns throttling off.
    #[arg(long, env = "KBGAP_THROTTLE_PER_HOUR", default_value_t = 1500)]
    pub throttle_per_hour: u32,
    /// The largest `POST /api/inventory` body: bytes, or with a K or M suffix.
    #[arg(long, env = "KBGAP_MAX_BODY", default_value = "32M")]
    pub max_body: String,
    /// Also serve Prometheus metrics (`GET /metrics`) on this address, apart from the API.
    #[arg(long, env = "KBGAP_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key. Microsoft's
    /// client libraries (MSAL, azure-identity) accept only an https authority.
    #[arg(long, env = "KBGAP_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "KBGAP_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Also accept tokens of this OpenID Connect issuer, exactly as its tokens' `iss` reads
    /// (Entra ID: https://login.microsoftonline.com/<tenant>/v2.0 or
    /// https://sts.windows.net/<tenant>/; Keycloak: https://<host>/realms/<realm>).
    /// Repeatable, or comma-separated.
    #[arg(long, env = "KBGAP_OIDC_ISSUER", value_delimiter = ',')]
    pub oidc_issuer: Vec<String>,
    /// The `aud` values accepted in those tokens [default: Defender's API identifiers and
    /// --public-url].
    #[arg(long, env = "KBGAP_OIDC_AUDIENCE", value_delimiter = ',')]
    pub oidc_audience: Vec<String>,
    /// The signature algorithms accepted in those tokens (asymmetric only).
    #[arg(
        long,
        env = "KBGAP_OIDC_ALGORITHMS",
        value_delimiter = ',',
        default_value = "RS256"
    )]
    pub oidc_algorithms: Vec<String>,
    /// The claim listing a delegated caller's groups: they see only the machines whose
    /// device group is one of them.
    #[arg(
        long,
        env = "KBGAP_OIDC_GROUP_CLAIM",
        default_value = kbgap_auth::external::DEFAULT_GROUP_CLAIM
    )]
    pub oidc_group_claim: String,
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
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Err(e) = config::load(&args, &<Cli as clap::CommandFactory>::command()) {
        eprintln!("kbgap: {e}");
        return ExitCode::from(2);
    }
    let cli = Cli::parse_from(args);
    let filter =
        std::env::var("KBGAP_LOG").unwrap_or_else(|_| "warn,kbgap=info,kbgap_api=info".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
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
        Err(e) if e.downcast_ref::<sync::Rejected>().is_some() => {
            eprintln!("kbgap: {e:#}");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("kbgap: {e:#}");
            ExitCode::from(2)
        }
    }
}
