//! Reading input files. Everything is read and parsed before anything is written, so one bad
//! file stops the whole command with a message naming it and the store stays as it was.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use kbgap_domain::MachineInventory;
use kbgap_inventory::Parsed;

/// The files under `paths` (folders walked recursively, in name order).
pub fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let meta =
            std::fs::metadata(path).with_context(|| format!("{}: cannot read", path.display()))?;
        if meta.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("{}: cannot list folder", path.display()))?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()
                .with_context(|| format!("{}: cannot list folder", path.display()))?;
            entries.sort();
            files.extend(expand(&entries)?);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))
}

/// Parses catalog files (WES-NG zip/CSV, CVRF XML/JSON, compressed or not).
pub fn read_catalog(paths: &[PathBuf]) -> anyhow::Result<Vec<kbgap_catalog::Batch>> {
    let mut batches = Vec::new();
    for path in paths {
        // The catalog crate walks folders itself (it knows which files are catalog documents
        // and names the file in its errors).
        batches.extend(kbgap_catalog::read_path(path)?);
    }
    if batches.is_empty() {
        bail!("no catalog documents found in {}", display(paths));
    }
    Ok(batches)
}

fn display(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses inventories. With `one_machine`, the files are one machine's systeminfo plus any
/// number of `wmic qfe` tables, merged.
pub fn read_inventories(
    paths: &[PathBuf],
    one_machine: bool,
) -> anyhow::Result<Vec<(MachineInventory, String)>> {
    let files = expand(paths)?;
    let mut parsed = Vec::new();
    for path in &files {
        let name = path.display().to_string();
        let result =
            kbgap_inventory::parse(&read(path)?).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        parsed.push((name, result));
    }
    if one_machine {
        let source = files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" + ");
        let merged =
            kbgap_inventory::merge_one_machine(parsed.into_iter().map(|(_, p)| p).collect())
                .map_err(|e| anyhow::anyhow!("{source}: {e}"))?;
        return Ok(vec![(merged, source)]);
    }
    let mut machines = Vec::new();
    for (name, result) in parsed {
        match result {
            Parsed::Machines(list) => machines.extend(list.into_iter().map(|m| (m, name.clone()))),
            Parsed::Hotfixes { .. } => bail!(
                "{name}: a wmic qfe / Get-HotFix table has no OS information; ingest it with --one-machine next to the same machine's systeminfo"
            ),
        }
    }
    if machines.is_empty() {
        bail!("no machines found in {}", display(paths));
    }
    Ok(machines)
}
