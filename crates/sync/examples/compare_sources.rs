//! Compares the missing KBs that the CVRF catalog and the WES-NG catalog give for the same
//! machines, and classifies every difference (`kbgap_sync::compare`). It produced the tables of
//! `docs/SOURCES.md`:
//!
//! ```sh
//! cargo run --release -p kbgap-sync --example compare_sources -- \
//!     --wesng ../shared/data/catalog/wesng/definitions.zip \
//!     --cvrf ../shared/data/catalog/msrc/cvrf-xml-2026-07-06 \
//!     --as-of 2019-03-07 ../shared/data/systeminfo/*systeminfo*.txt
//! ```
//!
//! `--json` prints one JSON object per machine instead of the Markdown tables; `--rows KB`
//! prints both sources' fix rows of one KB on each machine's products (to see a cause).

use std::collections::BTreeMap;

use kbgap_domain::{Date, MachineInventory};
use kbgap_store::Store;
use kbgap_store_sqlite::SqliteStore;
use kbgap_sync::compare::{Cause, SourceFacts, compare};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut wesng = None;
    let mut cvrf = None;
    let mut as_of = None;
    let mut json = false;
    let mut rows_of = None;
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--wesng" => wesng = args.next(),
            "--cvrf" => cvrf = args.next(),
            "--as-of" => as_of = args.next(),
            "--json" => json = true,
            "--rows" => rows_of = args.next(),
            _ => files.push(arg),
        }
    }
    let (Some(wesng), Some(cvrf), Some(as_of)) = (wesng, cvrf, as_of) else {
        return Err("usage: compare_sources --wesng PATH --cvrf PATH --as-of DATE FILES...".into());
    };
    let as_of: Date = as_of.parse()?;
    let wesng_batches = kbgap_catalog::read_path(&wesng)?;
    let cvrf_batches = kbgap_catalog::read_path(&cvrf)?;
    let facts = SourceFacts::new(&wesng_batches, &cvrf_batches);
    let wesng_store = SqliteStore::connect("sqlite::memory:").await?;
    wesng_store.import_catalog(wesng_batches, &|_| {}).await?;
    let cvrf_store = SqliteStore::connect("sqlite::memory:").await?;
    cvrf_store.import_catalog(cvrf_batches, &|_| {}).await?;

    let mut machines: Vec<(String, MachineInventory)> = Vec::new();
    for file in &files {
        if let kbgap_inventory::Parsed::Machines(found) =
            kbgap_inventory::parse(&std::fs::read(file)?)?
        {
            let name = file.rsplit('/').next().unwrap_or(file).to_string();
            machines.extend(found.into_iter().map(|m| (name.clone(), m)));
        }
    }
    if let Some(kb) = rows_of {
        let kb: kbgap_domain::Kb = kb.parse()?;
        for (file, machine) in &machines {
            for (name, store) in [("WES-NG", &wesng_store), ("CVRF", &cvrf_store)] {
                let slice = store.catalog_slice(machine).await?;
                for fix in slice.fixes.iter().filter(|f| f.kb == kb) {
                    println!(
                        "{file} {name} {kb} released {:?} | {} | {:?} | cves {} | supersedes {:?}",
                        slice.updates.get(&kb).map(|u| u.release_date.to_string()),
                        slice.products[fix.product].name,
                        fix.sub_type,
                        fix.cves.join(" "),
                        fix.supersedes
                            .iter()
                            .map(|k| k.to_string())
                            .collect::<Vec<_>>()
                    );
                }
            }
        }
        return Ok(());
    }
    let inventories: Vec<_> = machines.iter().map(|(_, m)| m.clone()).collect();
    let results = compare(&wesng_store, &cvrf_store, &facts, &inventories, as_of).await?;

    if json {
        for ((file, _), result) in machines.iter().zip(&results) {
            let mut value = serde_json::to_value(result)?;
            value["file"] = file.as_str().into();
            println!("{value}");
        }
        return Ok(());
    }
    println!("| machine | both | only WES-NG | only CVRF |");
    println!("|---|---|---|---|");
    let mut causes: BTreeMap<&str, usize> = BTreeMap::new();
    for ((file, _), result) in machines.iter().zip(&results) {
        let list = |side| {
            result
                .differences
                .iter()
                .filter(|d| d.only_in == side)
                .map(|d| format!("{} ({})", d.kb, label(&d.cause)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!(
            "| `{file}` | {} | {} | {} |",
            result.agreed.len(),
            list(kbgap_sync::compare::Side::Wesng),
            list(kbgap_sync::compare::Side::Cvrf)
        );
        for d in &result.differences {
            *causes.entry(d.cause.name()).or_default() += 1;
        }
    }
    println!();
    println!("| cause | differences |");
    println!("|---|---|");
    for (cause, n) in causes {
        println!("| {cause} | {n} |");
    }
    Ok(())
}

fn label(cause: &Cause) -> String {
    let kbs = |kbs: &mut dyn Iterator<Item = String>| kbs.collect::<Vec<_>>().join(" ");
    match cause {
        Cause::BeforeCvrf { released } => format!("before CVRF, {released}"),
        Cause::WesngCustom => "WES-NG custom".into(),
        Cause::NotInOther => "not in the other".into(),
        Cause::ReleasedLaterInOther { here, other } => format!("dated {here} here, {other} there"),
        Cause::KbDiffers { aspects } => format!("KB differs: {}", aspects.join(", ")),
        Cause::DecisionRestsOnDifferingKb { verdict, differing } => format!(
            "{verdict} there; differ: {}",
            kbs(&mut differing
                .iter()
                .map(|d| format!("{} [{}]", d.kb, d.aspects.join(", "))))
        ),
        Cause::Unexplained { verdict } => format!("UNEXPLAINED ({verdict} there)"),
    }
}
