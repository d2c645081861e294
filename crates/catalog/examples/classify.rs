//! Classifies product names read from standard input, one a line, and prints a TSV of name,
//! software id, kind, versions and platform: a way to review the product table against a
//! list of real names.
//!
//! ```text
//! cargo run -p kbgap-catalog --example classify < names.txt
//! ```

use std::io::BufRead;

fn main() {
    for line in std::io::stdin().lock().lines() {
        let Ok(name) = line else { break };
        let info = kbgap_catalog::classify_product(&name);
        let platform = info
            .platform
            .map(|p| {
                format!(
                    "{:?} {} {} sp{} {}",
                    p.family,
                    p.release.as_deref().unwrap_or("-"),
                    p.arch.map_or("-".to_string(), |a| a.to_string()),
                    p.service_pack.unwrap_or(0),
                    if p.server_core { "core" } else { "" }
                )
            })
            .unwrap_or_default();
        println!(
            "{}\t{}\t{:?}\t{}\t{}",
            info.name,
            info.software,
            info.kind,
            info.versions.join(","),
            platform
        );
    }
}
