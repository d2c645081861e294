//! `kbgap demo`: the newcomer's path. A real WES-NG catalog slice (Windows 10 1903/1909 and
//! Windows 7 x64, as known on 2020-03-11) and real or realistic inventories are compiled
//! into the binary, imported into a fresh temporary database, and served.

use anyhow::Context;
use kbgap_store::Store;

use crate::DemoArgs;
use crate::commands::{import_catalog, issuer, public_url, serve};

const CATALOG_NAME: &str = "wesng-2020-03-11.zip";
const CATALOG: &[u8] = include_bytes!("../../catalog/tests/data/wesng-2020-03-11.zip");
const INVENTORIES: &[(&str, &[u8])] = &[
    (
        "fleet-2020-03.json",
        include_bytes!("../../../demo/fleet-2020-03.json"),
    ),
    (
        "7_sp1_x64_enterprise_en-us_A_systeminfo.txt",
        include_bytes!("../../../demo/7_sp1_x64_enterprise_en-us_A_systeminfo.txt"),
    ),
];

pub async fn run(args: &DemoArgs, configured_url: Option<String>) -> anyhow::Result<()> {
    let path = std::env::temp_dir().join(format!("kbgap-demo-{}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let url = format!("sqlite://{}", path.display());
    let store = crate::commands::open_store(&url).await?;
    let batches = kbgap_catalog::parse_bytes(CATALOG_NAME, CATALOG)
        .map_err(|e| anyhow::anyhow!("{CATALOG_NAME}: {e}"))?;
    import_catalog(&store, batches, std::time::Instant::now()).await?;
    let mut machines = Vec::new();
    for (name, bytes) in INVENTORIES {
        match kbgap_inventory::parse(bytes).map_err(|e| anyhow::anyhow!("{name}: {e}"))? {
            kbgap_inventory::Parsed::Machines(list) => {
                machines.extend(list.into_iter().map(|m| (m, name.to_string())))
            }
            kbgap_inventory::Parsed::Hotfixes { .. } => {
                anyhow::bail!("{name}: demo inventories must be machines")
            }
        }
    }
    let stored = store
        .ingest(machines)
        .await
        .context("ingesting the demo machines")?;
    let base = public_url(&configured_url, Some(&args.listen));
    let token = issuer(&store, &configured_url).await?.issue(
        "kbgap-demo",
        &["Software.Read.All".into(), "Machine.Read.All".into()],
        std::time::Duration::from_secs(3600),
        kbgap_auth::DEFENDER_AUDIENCES[0],
    )?;
    println!("demo database: {}", path.display());
    println!("{} machines loaded:", stored.len());
    for m in &stored {
        println!("  {}  {}  {}", m.id, m.host, m.os_platform);
    }
    println!("\ntoken (1 h, Software.Read.All + Machine.Read.All):\n{token}\n");
    println!(
        "try:\n  curl -s -H \"Authorization: Bearer {token}\" {base}/api/Software/microsoft-_-edge/getmissingkbs\n"
    );
    if args.no_serve {
        return Ok(());
    }
    serve(
        store,
        &args.listen,
        configured_url,
        kbgap_api::ServerOptions::default(),
        None,
        None,
    )
    .await
}
