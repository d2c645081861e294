//! Machine inventories, from the bytes an administrator collected to kbgap's domain types.
//!
//! kbgap answers "which security updates does this machine miss?", so it must first know the
//! machine: its Windows (family, release, build, architecture, service pack) and the updates
//! installed on it. Administrators have that knowledge in three shapes:
//!
//! - **`systeminfo` output** ([`Format::Systeminfo`]), the one every Windows since XP can
//!   produce without installing anything. Its labels are translated into the display
//!   language and it is written in whatever code page the shell used, so this crate reads it
//!   by the *position* of fields and the *shape* of their values (a dotted version, a product
//!   id, `x64-based PC`, `[01]: KB4486553`), never by English labels (see [`systeminfo`]).
//! - **`wmic qfe` / `Get-HotFix` tables** ([`Format::Qfe`]): only updates, no OS, but complete
//!   where systeminfo's hotfix list is cut short (see [`qfe`]).
//! - **kbgap JSON** ([`Format::KbgapJson`]), for agents written on purpose, documented in
//!   `docs/INVENTORY.md` (see [`json`]); `scripts/collect-inventory.ps1` writes it.
//! - **osquery results** ([`Format::Osquery`]): the tables of one host as `osqueryi --json`
//!   prints them, or `osqueryd`'s results log of a whole fleet (see [`osquery`]).
//!
//! The crate is pure: it takes bytes and returns values. Reading files, naming them in
//! errors, storing machines and talking HTTP belong to its callers, which keeps every
//! parser testable on real files and fuzzable.

mod csv;
mod decode;
mod error;
mod hotfix;
pub mod json;
pub mod osquery;
pub mod qfe;
pub mod systeminfo;
mod text;

use std::collections::BTreeSet;

use kbgap_domain::{Kb, MachineInventory};

pub use decode::decode;
pub use error::InventoryError;
pub use systeminfo::Systeminfo;

/// The inventory formats kbgap reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Output of Windows' `systeminfo` (`/fo list`, the default, or `/fo csv`), any language.
    Systeminfo,
    /// A `Win32_QuickFixEngineering` listing: `wmic qfe` (table, `list full`, `/format:csv`)
    /// or PowerShell's `Get-HotFix` (table, list or `Export-Csv`).
    Qfe,
    /// kbgap's own JSON inventory (one object, an array of objects, or JSON lines).
    KbgapJson,
    /// osquery results: one host's tables (an object keyed by table name) or an `osqueryd`
    /// results log (one event per line, many hosts).
    Osquery,
}

/// What one inventory file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Whole machines: one for a systeminfo list, one per data row of a systeminfo CSV, one
    /// per object of a kbgap JSON inventory, one per Windows host of osquery results.
    Machines(Vec<MachineInventory>),
    /// A hotfix table: updates without OS information, to be merged into a machine.
    /// `host` is the CSName / Source column when the table has one.
    Hotfixes {
        host: Option<String>,
        kbs: BTreeSet<Kb>,
    },
}

/// Decodes `bytes`; a file of nothing but whitespace is an error, whatever its format.
pub(crate) fn decode_nonempty(bytes: &[u8]) -> Result<String, InventoryError> {
    let text = decode(bytes);
    if text.trim().is_empty() {
        return Err(InventoryError::Empty);
    }
    Ok(text)
}

/// Which format `bytes` are in, or `None` when they are none of kbgap's.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    detect_text(&decode(bytes))
}

/// Decodes, detects the format and parses.
pub fn parse(bytes: &[u8]) -> Result<Parsed, InventoryError> {
    let text = decode_nonempty(bytes)?;
    match detect_text(&text) {
        Some(format) => parse_text(format, &text),
        None => Err(InventoryError::Unrecognized {
            hint: unrecognized_hint(&text),
        }),
    }
}

/// Decodes and parses `bytes` as `format`, without detection (for a caller that was told the
/// format on its command line).
pub fn parse_as(format: Format, bytes: &[u8]) -> Result<Parsed, InventoryError> {
    parse_text(format, &decode_nonempty(bytes)?)
}

fn parse_text(format: Format, text: &str) -> Result<Parsed, InventoryError> {
    match format {
        Format::Systeminfo => Ok(Parsed::Machines(
            systeminfo::parse_text(text)?
                .into_iter()
                .map(|s| s.machine)
                .collect(),
        )),
        Format::Qfe => {
            let table = qfe::parse_text(text)?;
            Ok(Parsed::Hotfixes {
                host: table.host,
                kbs: table.kbs,
            })
        }
        Format::KbgapJson => Ok(Parsed::Machines(json::parse_text(text)?)),
        Format::Osquery => Ok(Parsed::Machines(osquery::parse_text(text)?)),
    }
}

fn detect_text(text: &str) -> Option<Format> {
    let start = text.trim_start();
    if start.starts_with('{') && osquery::looks_like(text) {
        Some(Format::Osquery)
    } else if start.starts_with('{') || start.starts_with('[') {
        Some(Format::KbgapJson)
    } else if qfe::looks_like(text) {
        Some(Format::Qfe)
    } else if systeminfo::looks_like(text) {
        Some(Format::Systeminfo)
    } else {
        None
    }
}

/// A word on what unrecognised content looked like, for the error message.
fn unrecognized_hint(text: &str) -> String {
    let total = text.chars().count().max(1);
    let odd = text
        .chars()
        .filter(|&c| (c.is_control() && !matches!(c, '\r' | '\n' | '\t')) || c == '\u{FFFD}')
        .count();
    if odd * 20 > total {
        return "the content is binary or in an unknown encoding".into();
    }
    let first = text::lines(text).find(|l| !l.text.trim().is_empty());
    if let Some(first) = first.filter(|l| l.text.matches(',').count() >= 2) {
        return format!(
            "line {} looks like a CSV header, but no row holds an OS version like 10.0.17763 (systeminfo /fo csv) and no column is named HotFixID (wmic qfe)",
            first.no
        );
    }
    String::new()
}

/// Joins the files of one machine (`kbgap ingest --one-machine a_systeminfo.txt a_qfe.txt`):
/// exactly one machine plus any number of hotfix tables, whose KBs are added to it.
///
/// A systeminfo's hotfix list can be cut short (273 announced, 245 listed); the qfe table of
/// the same machine completes it. A table whose host (CSName / Source column) names another
/// machine is refused rather than merged.
pub fn merge_one_machine(parts: Vec<Parsed>) -> Result<MachineInventory, InventoryError> {
    let found: usize = parts
        .iter()
        .map(|p| {
            if let Parsed::Machines(m) = p {
                m.len()
            } else {
                0
            }
        })
        .sum();
    if found != 1 {
        return Err(InventoryError::NotOneMachine { found });
    }
    let mut tables = Vec::new();
    let mut machine = None;
    for (i, part) in parts.into_iter().enumerate() {
        match part {
            Parsed::Machines(mut m) => machine = m.pop(),
            Parsed::Hotfixes { host, kbs } => tables.push((i + 1, host, kbs)),
        }
    }
    let mut machine = machine.ok_or(InventoryError::NotOneMachine { found: 0 })?;
    for (part, host, kbs) in tables {
        if let Some(host) = host.filter(|h| !h.trim().eq_ignore_ascii_case(machine.host.trim())) {
            return Err(InventoryError::HostMismatch {
                part,
                table_host: host,
                machine_host: machine.host,
            });
        }
        machine.merge_kbs(kbs);
    }
    Ok(machine)
}
