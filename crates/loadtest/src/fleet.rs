//! A synthetic but realistic fleet: the machines of `demo/` (the Windows 10 1903/1909
//! workstations of `fleet-2020-03.json` and the Windows 7 SP1 systeminfo) cloned with other
//! host names and other installed updates, drawn from the real KBs the catalog has for each
//! machine's products. Deterministic for a given seed.

use std::collections::{BTreeSet, HashMap, HashSet};

use anyhow::{Context, bail};
use kbgap_domain::{Date, Kb, MachineInventory};
use kbgap_engine::select_products;
use kbgap_store::Store;
use kbgap_store_sqlite::SqliteStore;

use crate::rng::Rng;

const TEMPLATES: &[(&str, &[u8])] = &[
    (
        "demo/fleet-2020-03.json",
        include_bytes!("../../../demo/fleet-2020-03.json"),
    ),
    (
        "demo/7_sp1_x64_enterprise_en-us_A_systeminfo.txt",
        include_bytes!("../../../demo/7_sp1_x64_enterprise_en-us_A_systeminfo.txt"),
    ),
];

/// One machine of `demo/` and the real KBs the catalog has for its products, oldest first.
pub struct Template {
    pub machine: MachineInventory,
    kbs: Vec<(Date, Kb)>,
}

/// The machines of `demo/` (one per distinct OS), with their candidate KBs from the catalog
/// stored in `store`.
pub async fn templates(store: &SqliteStore) -> anyhow::Result<Vec<Template>> {
    let mut machines = Vec::new();
    for (name, bytes) in TEMPLATES {
        match kbgap_inventory::parse(bytes).map_err(|e| anyhow::anyhow!("{name}: {e}"))? {
            kbgap_inventory::Parsed::Machines(list) => machines.extend(list),
            kbgap_inventory::Parsed::Hotfixes { .. } => bail!("{name}: not a machine inventory"),
        }
    }
    let mut seen = HashSet::new();
    let mut templates = Vec::new();
    for machine in machines {
        let os = &machine.os;
        if !seen.insert((os.family, os.release.clone(), os.build, os.arch)) {
            continue;
        }
        let slice = store
            .catalog_slice(&machine)
            .await
            .context("loading a catalog slice")?;
        let products: HashSet<usize> = select_products(os, &slice.products).into_iter().collect();
        let kbs: BTreeSet<(Date, Kb)> = slice
            .fixes
            .iter()
            .filter(|f| products.contains(&f.product))
            .filter_map(|f| slice.updates.get(&f.kb).map(|u| (u.release_date, f.kb)))
            .collect();
        templates.push(Template {
            machine,
            kbs: kbs.into_iter().collect(),
        });
    }
    if templates.iter().all(|t| t.kbs.is_empty()) {
        bail!(
            "the catalog has no update for any demo machine's OS (Windows 10 1903/1909 x64, Windows 7 SP1 x64)"
        );
    }
    Ok(templates)
}

/// `count` machines cloned from `templates` in turn. Each is patched up to a random month
/// (the later half of its catalog history more often than the earlier), and misses a few
/// random updates of before then, as real machines do.
pub fn generate(templates: &[Template], count: usize, seed: u64) -> Vec<MachineInventory> {
    let mut rng = Rng::new(seed);
    let usable: Vec<&Template> = templates.iter().filter(|t| !t.kbs.is_empty()).collect();
    let mut serial: HashMap<String, usize> = HashMap::new();
    (0..count)
        .map(|i| {
            let template = usable[i % usable.len()];
            let mut machine = template.machine.clone();
            let base = host_base(&template.machine.host);
            let n = serial.entry(base.clone()).or_default();
            *n += 1;
            machine.host = format!("{base}-{n:05}");
            machine.identity = machine.host.clone();
            // Patched up to: the square root biases the cut towards recent updates.
            let cut = (rng.unit().sqrt() * template.kbs.len() as f64) as usize;
            let cut_date = template.kbs[cut.min(template.kbs.len() - 1)].0;
            let skip = 0.02 + 0.1 * rng.unit();
            machine.installed_kbs = template
                .kbs
                .iter()
                .filter(|(date, _)| *date <= cut_date)
                .filter(|_| rng.unit() >= skip)
                .map(|(_, kb)| *kb)
                .collect();
            machine
        })
        .collect()
}

/// `WS-1909-01` → `WS-1909`; a name without a numeric suffix stays as it is.
fn host_base(host: &str) -> String {
    match host.rsplit_once('-') {
        Some((base, n)) if !base.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            base.to_string()
        }
        _ => host.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::host_base;

    #[test]
    fn host_bases() {
        assert_eq!(host_base("WS-1909-01"), "WS-1909");
        assert_eq!(host_base("WIN7SP1X64"), "WIN7SP1X64");
        assert_eq!(host_base("A-B"), "A-B");
    }
}
