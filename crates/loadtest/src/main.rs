//! `kbgap-loadtest`: a bounded load test of kbgap's HTTP API on loopback.
//!
//! It creates a temporary SQLite store, imports a catalog (by default the in-repo WES-NG
//! fixture of 2020-03-11), generates a synthetic fleet from the real inventories of `demo/`
//! (timing the ingest), starts the real API as `kbgap serve` runs it (`kbgap_api::app` + `kbgap_api::serve`,
//! with metrics on and throttling off, since one application drives all the load) on
//! 127.0.0.1 with a random port, and drives C concurrent keep-alive connections against
//! `/healthz`, the software call and the machine call, each for a bounded time and request
//! count. It prints requests/s and latency percentiles, then stops the server, removes the
//! database and exits. It never contacts anything but 127.0.0.1.
//!
//! Figures and the machine they were taken on: BENCHMARKS.md.

mod client;
mod fleet;
mod rng;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use kbgap_auth::{DEFENDER_AUDIENCES, Issuer, generate_key_pem, generate_tenant_id};
use kbgap_domain::MachineId;
use kbgap_store::{DeviceGroups, ListQuery, Store};
use kbgap_store_sqlite::SqliteStore;

use crate::client::Connection;
use crate::rng::Rng;

const DEFAULT_CATALOG_NAME: &str = "wesng-2020-03-11.zip";
const DEFAULT_CATALOG: &[u8] = include_bytes!("../../catalog/tests/data/wesng-2020-03-11.zip");

const USAGE: &str = "\
kbgap-loadtest: a bounded load test of kbgap's HTTP API on 127.0.0.1

usage: kbgap-loadtest [options]
  --catalog PATH       catalog file or folder to import (repeatable; default: the in-repo
                       WES-NG fixture crates/catalog/tests/data/wesng-2020-03-11.zip)
  --machines N         synthetic machines to generate and ingest (default 100000)
  --batch N            machines per Store::ingest call (default 500)
  --connections N      concurrent keep-alive connections (default 32)
  --duration SECS      measured time per endpoint (default 10)
  --warmup SECS        unmeasured time before each measurement (default 1)
  --max-requests N     at most this many measured requests per endpoint (default 1000000)
  --software ID        software of the software call (default microsoft-_-edge)
  --seed N             seed of the fleet and of the request mix (default 1)
  --endpoints LIST     which of healthz,software,machine to load (default all three)
  --time-limit SECS    the whole run is stopped after this (default 900)
  --keep-db            keep the database (its path is printed) instead of removing it
";

struct Options {
    catalogs: Vec<PathBuf>,
    machines: usize,
    batch: usize,
    connections: usize,
    duration: Duration,
    warmup: Duration,
    max_requests: u64,
    software: String,
    seed: u64,
    endpoints: Vec<String>,
    time_limit: Duration,
    keep_db: bool,
}

fn parse_args() -> anyhow::Result<Options> {
    let mut options = Options {
        catalogs: Vec::new(),
        machines: 100_000,
        batch: 500,
        connections: 32,
        duration: Duration::from_secs(10),
        warmup: Duration::from_secs(1),
        max_requests: 1_000_000,
        software: "microsoft-_-edge".into(),
        seed: 1,
        endpoints: vec!["healthz".into(), "software".into(), "machine".into()],
        time_limit: Duration::from_secs(900),
        keep_db: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            print!("{USAGE}");
            std::process::exit(0);
        }
        if flag == "--keep-db" {
            options.keep_db = true;
            continue;
        }
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value\n\n{USAGE}"))?;
        let number = || -> anyhow::Result<u64> {
            value
                .parse()
                .with_context(|| format!("{flag} {value:?}: expected a whole number"))
        };
        let seconds = || -> anyhow::Result<Duration> {
            let secs: f64 = value
                .parse()
                .with_context(|| format!("{flag} {value:?}: expected seconds"))?;
            Duration::try_from_secs_f64(secs)
                .with_context(|| format!("{flag} {value:?}: expected seconds"))
        };
        match flag.as_str() {
            "--catalog" => options.catalogs.push(PathBuf::from(&value)),
            "--machines" => options.machines = number()? as usize,
            "--batch" => options.batch = (number()? as usize).max(1),
            "--connections" => options.connections = (number()? as usize).max(1),
            "--duration" => options.duration = seconds()?,
            "--warmup" => options.warmup = seconds()?,
            "--max-requests" => options.max_requests = number()?,
            "--software" => options.software = value,
            "--seed" => options.seed = number()?,
            "--endpoints" => {
                options.endpoints = value.split(',').map(|e| e.trim().to_string()).collect();
                if let Some(unknown) = options
                    .endpoints
                    .iter()
                    .find(|e| !["healthz", "software", "machine"].contains(&e.as_str()))
                {
                    bail!("--endpoints: unknown endpoint {unknown:?} (healthz, software, machine)");
                }
            }
            "--time-limit" => options.time_limit = seconds()?,
            _ => bail!("unknown option {flag}\n\n{USAGE}"),
        }
    }
    if options.machines == 0 {
        bail!("--machines must be at least 1");
    }
    Ok(options)
}

/// The temporary database folder, removed when dropped unless kept.
struct TempDir(PathBuf, bool);

impl Drop for TempDir {
    fn drop(&mut self) {
        if self.1 {
            println!("database kept: {}", self.0.join("kbgap.db").display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn main() -> std::process::ExitCode {
    let options = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("kbgap-loadtest: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    let dir = std::env::temp_dir().join(format!("kbgap-loadtest-{}", std::process::id()));
    // The whole run is bounded: past the time limit the process removes its database and
    // exits, wherever it is.
    let limit = options.time_limit;
    let watchdog_dir = dir.clone();
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        eprintln!(
            "kbgap-loadtest: time limit of {} s reached, stopping",
            limit.as_secs()
        );
        let _ = std::fs::remove_dir_all(&watchdog_dir);
        std::process::exit(3);
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kbgap-loadtest: cannot start the async runtime: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    let result = runtime.block_on(run(&options, dir));
    runtime.shutdown_timeout(Duration::from_secs(5));
    match result {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("kbgap-loadtest: some requests failed (see above)");
            std::process::ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("kbgap-loadtest: {e:#}");
            std::process::ExitCode::from(1)
        }
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

async fn run(options: &Options, dir: PathBuf) -> anyhow::Result<bool> {
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let dir = TempDir(dir, options.keep_db);
    let url = format!("sqlite://{}", dir.0.join("kbgap.db").display());
    let store = SqliteStore::connect(&url).await?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "kbgap-loadtest: {} machines, {} connections, {} s per endpoint (+{} s warm-up), at most {} requests each; {cores} cores",
        options.machines,
        options.connections,
        secs(options.duration),
        secs(options.warmup),
        options.max_requests
    );

    // 1. The catalog.
    let started = Instant::now();
    let batches = if options.catalogs.is_empty() {
        kbgap_catalog::parse_bytes(DEFAULT_CATALOG_NAME, DEFAULT_CATALOG)
            .map_err(|e| anyhow::anyhow!("{DEFAULT_CATALOG_NAME}: {e}"))?
    } else {
        let mut batches = Vec::new();
        for path in &options.catalogs {
            batches.extend(kbgap_catalog::read_path(path)?);
        }
        batches
    };
    let parsed = started.elapsed();
    let summary = store.import_catalog(batches, &|_| {}).await?;
    let catalog_name = if options.catalogs.is_empty() {
        format!("crates/catalog/tests/data/{DEFAULT_CATALOG_NAME}")
    } else {
        options
            .catalogs
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" + ")
    };
    println!(
        "catalog {catalog_name}: {} updates, {} products, {} CVEs; parsed in {:.2} s, stored in {:.2} s",
        summary.updates,
        summary.products,
        summary.cves,
        secs(parsed),
        secs(started.elapsed() - parsed)
    );

    // 2. The fleet.
    let templates = fleet::templates(&store).await?;
    let machines = fleet::generate(&templates, options.machines, options.seed);
    let installed: usize = machines.iter().map(|m| m.installed_kbs.len()).sum();
    let started = Instant::now();
    let mut ids: Vec<MachineId> = Vec::with_capacity(machines.len());
    let mut batch_rates = Vec::new();
    for chunk in machines.chunks(options.batch) {
        let batch_started = Instant::now();
        let stored = store
            .ingest(
                chunk
                    .iter()
                    .map(|m| (m.clone(), format!("loadtest/{}", m.host)))
                    .collect(),
            )
            .await?;
        ids.extend(stored.into_iter().map(|s| s.id));
        batch_rates.push(chunk.len() as f64 / secs(batch_started.elapsed()));
    }
    let ingest = started.elapsed();
    println!(
        "ingest: {} machines ({} templates, {:.0} installed KBs each on average) in {:.2} s = {:.0} machines/s (batches of {})",
        ids.len(),
        templates.len(),
        installed as f64 / machines.len() as f64,
        secs(ingest),
        ids.len() as f64 / secs(ingest),
        options.batch
    );
    println!(
        "  first batch {:.0} machines/s, last batch {:.0} machines/s",
        batch_rates.first().copied().unwrap_or_default(),
        batch_rates.last().copied().unwrap_or_default()
    );
    for software in store
        .software_list(&ListQuery::default(), DeviceGroups::All)
        .await?
    {
        println!(
            "  {:<34} on {:>6} machines, {:>6} missing an update for it",
            software.id.to_string(),
            software.installed_machines,
            software.exposed_machines
        );
    }

    // 3. The API.
    let issuer = Issuer::from_pem(&generate_key_pem(), &generate_tenant_id(), &[])?;
    let token = issuer.issue(
        "kbgap-loadtest",
        &["Software.Read.All".into(), "Machine.Read.All".into()],
        Duration::from_secs(3600),
        DEFENDER_AUDIENCES[0],
    )?;
    let started = Instant::now();
    let verifications = 2_000;
    for _ in 0..verifications {
        issuer.verify(std::hint::black_box(&token))?;
    }
    let verify_micros = started.elapsed().as_secs_f64() * 1e6 / verifications as f64;
    println!(
        "token: one ES256 verification takes {verify_micros:.0} µs (in process, {verifications} runs)"
    );
    let state = kbgap_api::AppState {
        store: store.clone(),
        issuer: Arc::new(issuer),
        public_url: None,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(kbgap_api::serve(
        listener,
        kbgap_api::app(
            state,
            &kbgap_api::ServerOptions {
                throttle: None,
                metrics: Some(Arc::new(kbgap_api::Metrics::default())),
                ..Default::default()
            },
        ),
        async move {
            let _ = stopped.await;
        },
    ));
    println!("server: http://{addr}");

    // 4. The load.
    let token: Arc<str> = Arc::from(token);
    let software_path: Arc<str> =
        Arc::from(format!("/api/Software/{}/getmissingkbs", options.software));
    let ids: Arc<Vec<MachineId>> = Arc::new(ids);
    let all: Vec<(&str, Endpoint)> = vec![
        (
            "healthz",
            Endpoint {
                name: "/healthz",
                token: None,
                path: Arc::new(|_: &mut Rng| "/healthz".to_string()),
            },
        ),
        (
            "software",
            Endpoint {
                name: "software getmissingkbs",
                token: Some(token.clone()),
                path: Arc::new(move |_: &mut Rng| software_path.to_string()),
            },
        ),
        (
            "machine",
            Endpoint {
                name: "machine getmissingkbs",
                token: Some(token.clone()),
                path: Arc::new(move |rng: &mut Rng| {
                    format!("/api/machines/{}/getmissingkbs", ids[rng.below(ids.len())])
                }),
            },
        ),
    ];
    let endpoints: Vec<Endpoint> = all
        .into_iter()
        .filter(|(key, _)| options.endpoints.iter().any(|e| e == key))
        .map(|(_, endpoint)| endpoint)
        .collect();
    let mut results = Vec::new();
    for endpoint in &endpoints {
        check(addr, endpoint, options.seed).await?;
        results.push(drive(addr, endpoint, options).await);
    }
    let _ = stop.send(());
    match tokio::time::timeout(Duration::from_secs(5), server).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => eprintln!("server: {e}"),
        Ok(Err(e)) => eprintln!("server task: {e}"),
        Err(_) => eprintln!("server: did not stop within 5 s"),
    }
    store.close().await;

    report(&results, options, ingest, verify_micros);
    Ok(results.iter().all(|r| r.errors == 0))
}

type PathFn = dyn Fn(&mut Rng) -> String + Send + Sync;

struct Endpoint {
    name: &'static str,
    token: Option<Arc<str>>,
    path: Arc<PathFn>,
}

/// One request to an endpoint before the load, to show what it answers.
async fn check(addr: SocketAddr, endpoint: &Endpoint, seed: u64) -> anyhow::Result<()> {
    let mut connection = Connection::connect(addr).await?;
    let path = (endpoint.path)(&mut Rng::new(seed));
    let response = connection.get(&path, endpoint.token.as_deref()).await?;
    if response.status != 200 {
        bail!(
            "GET {path}: status {}: {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        );
    }
    let items = serde_json::from_slice::<serde_json::Value>(&response.body)
        .ok()
        .and_then(|v| v.get("value").and_then(|v| v.as_array()).map(Vec::len));
    println!(
        "check: GET {path} -> {} ({} bytes{})",
        response.status,
        response.body.len(),
        items.map_or(String::new(), |n| format!(", {n} KBs"))
    );
    Ok(())
}

struct PhaseResult {
    name: &'static str,
    requests: u64,
    errors: u64,
    bytes: u64,
    elapsed: Duration,
    /// Nanoseconds, sorted.
    latencies: Vec<u64>,
}

impl PhaseResult {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1] as f64 / 1e6
    }
}

struct ConnectionResult {
    latencies: Vec<u64>,
    errors: u64,
    bytes: u64,
    last: Option<Instant>,
}

/// Drives `options.connections` keep-alive connections against one endpoint: a warm-up, then
/// a measured period, bounded by time and by request count.
async fn drive(addr: SocketAddr, endpoint: &Endpoint, options: &Options) -> PhaseResult {
    let start = Instant::now();
    let measure_from = start + options.warmup;
    let deadline = measure_from + options.duration;
    let issued = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for i in 0..options.connections {
        let issued = issued.clone();
        let token = endpoint.token.clone();
        let path_of = endpoint.path.clone();
        let max = options.max_requests;
        let seed = options.seed ^ (i as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D);
        tasks.push(tokio::spawn(async move {
            let mut result = ConnectionResult {
                latencies: Vec::new(),
                errors: 0,
                bytes: 0,
                last: None,
            };
            let mut rng = Rng::new(seed);
            let mut connection = match Connection::connect(addr).await {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("connection {i}: {e}");
                    result.errors += 1;
                    return result;
                }
            };
            loop {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                let measured = now >= measure_from;
                if measured && issued.fetch_add(1, Ordering::Relaxed) >= max {
                    break;
                }
                let path = path_of(&mut rng);
                let sent = Instant::now();
                let answer = tokio::time::timeout(
                    Duration::from_secs(30),
                    connection.get(&path, token.as_deref()),
                )
                .await;
                let done = Instant::now();
                let reconnect = match answer {
                    Ok(Ok(response)) => {
                        if measured {
                            result.latencies.push((done - sent).as_nanos() as u64);
                            result.bytes += response.body.len() as u64;
                            result.last = Some(done);
                            if response.status != 200 {
                                result.errors += 1;
                            }
                        }
                        if response.status != 200 && result.errors <= 3 {
                            eprintln!(
                                "GET {path}: status {}: {}",
                                response.status,
                                String::from_utf8_lossy(&response.body)
                            );
                        }
                        response.close
                    }
                    Ok(Err(e)) => {
                        result.errors += 1;
                        eprintln!("GET {path}: {e}");
                        true
                    }
                    Err(_) => {
                        result.errors += 1;
                        eprintln!("GET {path}: no answer within 30 s");
                        true
                    }
                };
                if reconnect {
                    match Connection::connect(addr).await {
                        Ok(c) => connection = c,
                        Err(e) => {
                            eprintln!("connection {i}: {e}");
                            result.errors += 1;
                            break;
                        }
                    }
                }
            }
            result
        }));
    }
    let mut latencies = Vec::new();
    let (mut errors, mut bytes, mut last) = (0, 0, measure_from);
    for task in tasks {
        match task.await {
            Ok(r) => {
                latencies.extend(r.latencies);
                errors += r.errors;
                bytes += r.bytes;
                last = last.max(r.last.unwrap_or(measure_from));
            }
            Err(e) => {
                eprintln!("connection task: {e}");
                errors += 1;
            }
        }
    }
    latencies.sort_unstable();
    let result = PhaseResult {
        name: endpoint.name,
        requests: latencies.len() as u64,
        errors,
        bytes,
        elapsed: last.saturating_duration_since(measure_from),
        latencies,
    };
    println!(
        "load: {:<24} {} requests in {:.2} s",
        result.name,
        result.requests,
        secs(result.elapsed)
    );
    result
}

fn report(results: &[PhaseResult], options: &Options, ingest: Duration, verify_micros: f64) {
    println!();
    println!(
        "{:<24} {:>9} {:>6} {:>10} {:>8} {:>8} {:>8} {:>8} {:>9}",
        "endpoint",
        "requests",
        "errors",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "bytes/req"
    );
    for r in results {
        println!(
            "{:<24} {:>9} {:>6} {:>10.0} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>9.0}",
            r.name,
            r.requests,
            r.errors,
            r.rate(),
            r.percentile(50.0),
            r.percentile(90.0),
            r.percentile(99.0),
            r.percentile(100.0),
            r.bytes as f64 / r.requests.max(1) as f64
        );
    }
    let base = results.iter().find(|r| r.name == "/healthz");
    println!();
    for (r, base) in results
        .iter()
        .filter(|r| r.name != "/healthz")
        .filter_map(|r| base.map(|b| (r, b)))
    {
        println!(
            "{} vs {}: {:.3} of its throughput ({:.1} times fewer requests/s), p50 latency {:.1} times as long",
            r.name,
            base.name,
            r.rate() / base.rate(),
            base.rate() / r.rate(),
            r.percentile(50.0) / base.percentile(50.0)
        );
    }
    let summary = serde_json::json!({
        "machines": options.machines,
        "connections": options.connections,
        "duration_s": secs(options.duration),
        "ingest_s": secs(ingest),
        "ingest_machines_per_s": options.machines as f64 / secs(ingest),
        "token_verify_us": verify_micros,
        "endpoints": results.iter().map(|r| serde_json::json!({
            "name": r.name,
            "requests": r.requests,
            "errors": r.errors,
            "requests_per_s": r.rate(),
            "p50_ms": r.percentile(50.0),
            "p90_ms": r.percentile(90.0),
            "p99_ms": r.percentile(99.0),
            "max_ms": r.percentile(100.0),
            "ratio_to_healthz": base.map(|b| r.rate() / b.rate()),
        })).collect::<Vec<_>>(),
    });
    println!("summary: {summary}");
}
