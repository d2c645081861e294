//! `Win32_QuickFixEngineering` listings: `wmic qfe`, `Get-HotFix`.
//!
//! They list installed updates only (no OS), but list all of them where systeminfo's hotfix
//! list is cut short. Column headers are WMI property names, which Windows never translates
//! (values such as Description or InstalledBy may be localized), so they are read by name:
//!
//! - fixed-width tables: `Caption CSName Description FixComments HotFixID InstallDate
//!   InstalledBy InstalledOn Name ServicePackInEffect Status` (or without Caption/CSName), and
//!   `Get-HotFix`'s `Source Description HotFixID InstalledBy InstalledOn` over a dashes line.
//!   Cells are cut at the header's column starts; a row out of line (wide characters before
//!   the HotFixID column) falls back to its first `KB...` word;
//! - `wmic qfe list full` (`Property=value` blocks) and `Get-HotFix | Format-List`
//!   (`Property : value`);
//! - CSV (`wmic qfe get /format:csv`, `Get-HotFix | Export-Csv`).
//!
//! XP quirks: output begins with "Please wait while WMIC is being installed." glued to the
//! header, and updates appear as HotFixID `File 1` with the KB in ServicePackInEffect; Vista
//! writes some ids without `KB` (`943729`).

use std::collections::BTreeSet;

use kbgap_domain::Kb;

use crate::error::InventoryError;
use crate::hotfix::kb_of_hotfix_id;
use crate::text::{self, Line};

/// A parsed hotfix table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HotfixTable {
    /// The machine the table is about (CSName, Source, PSComputerName or Node), when it says.
    pub host: Option<String>,
    pub kbs: BTreeSet<Kb>,
}

/// Decodes and parses a qfe table.
pub fn parse(bytes: &[u8]) -> Result<HotfixTable, InventoryError> {
    parse_text(&crate::decode_nonempty(bytes)?)
}

const HOTFIX_ID: &str = "HotFixID";
const SERVICE_PACK: &str = "ServicePackInEffect";
/// Columns naming the machine, by preference.
const HOST_COLUMNS: [&str; 4] = ["CSName", "Source", "PSComputerName", "Node"];
/// Every property a Win32_QuickFixEngineering listing may show.
const KNOWN_COLUMNS: [&str; 15] = [
    "Caption",
    "CSName",
    "Description",
    "FixComments",
    "HotFixID",
    "InstallDate",
    "InstalledBy",
    "InstalledOn",
    "Name",
    "ServicePackInEffect",
    "Status",
    "Source",
    "PSComputerName",
    "Node",
    "__SERVER",
];

fn words(line: &str) -> impl Iterator<Item = &str> {
    line.split(|c: char| c.is_whitespace() || matches!(c, ',' | '"' | '=' | ':' | ';'))
}

fn names_hotfix_id(line: &str) -> bool {
    words(line).any(|w| w.eq_ignore_ascii_case(HOTFIX_ID))
}

/// Whether `text` is a qfe listing: one of its first lines names the HotFixID property.
pub(crate) fn looks_like(text: &str) -> bool {
    text::lines(text).take(200).any(|l| names_hotfix_id(l.text))
}

/// `Key=value` or `Key : value` with a property-name key.
fn key_value(line: &str) -> Option<(&str, &str)> {
    let sep = line.find(['=', ':'])?;
    let key = line[..sep].trim();
    (!key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .then(|| (key, line[sep + 1..].trim()))
}

/// Parses decoded qfe text.
pub fn parse_text(text: &str) -> Result<HotfixTable, InventoryError> {
    let lines: Vec<Line<'_>> = text::lines(text).collect();
    let mut out = Collector::default();
    if lines
        .iter()
        .any(|l| key_value(l.text).is_some_and(|(k, _)| k.eq_ignore_ascii_case(HOTFIX_ID)))
    {
        parse_list(&lines, &mut out)?;
    } else if let Some(h) = lines.iter().position(|l| names_hotfix_id(l.text)) {
        if lines[h].text.contains(',') {
            parse_csv(text, &mut out)?;
        } else {
            parse_table(&lines[h..], &mut out)?;
        }
    } else {
        return Err(InventoryError::Unrecognized {
            hint: "no HotFixID column".into(),
        });
    }
    Ok(HotfixTable {
        host: out.host.map(|(h, _)| h),
        kbs: out.kbs,
    })
}

#[derive(Default)]
struct Collector {
    host: Option<(String, usize)>,
    kbs: BTreeSet<Kb>,
}

impl Collector {
    fn host(&mut self, host: &str, line: usize, column: &str) -> Result<(), InventoryError> {
        let host = host.trim();
        if host.is_empty() {
            return Ok(());
        }
        match &self.host {
            None => self.host = Some((host.to_string(), line)),
            Some((first, first_line)) if !first.eq_ignore_ascii_case(host) => {
                return Err(InventoryError::field(
                    line,
                    column,
                    format!(
                        "this table lists updates of two machines, {first} (line {first_line}) and {host}; give one table per machine"
                    ),
                ));
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// Records one update row: its HotFixID, else (XP's `File 1` rows) a `KB...` in
    /// ServicePackInEffect.
    fn update(&mut self, hotfix_id: &str, service_pack: Option<&str>) -> bool {
        let kb = kb_of_hotfix_id(hotfix_id, true)
            .or_else(|| service_pack.and_then(|sp| kb_of_hotfix_id(sp, false)));
        if let Some(kb) = kb {
            self.kbs.insert(kb);
        }
        kb.is_some()
    }
}

/// Where the properties kbgap reads sit in a header, found once per header.
struct Wanted {
    hotfix_id: Option<usize>,
    service_pack: Option<usize>,
    /// Host columns present, by preference.
    hosts: Vec<(usize, &'static str)>,
}

impl Wanted {
    fn of<'a>(names: impl IntoIterator<Item = &'a str>) -> Wanted {
        let names: Vec<&str> = names.into_iter().map(str::trim).collect();
        let find = |name: &str| names.iter().position(|n| n.eq_ignore_ascii_case(name));
        Wanted {
            hotfix_id: find(HOTFIX_ID),
            service_pack: find(SERVICE_PACK),
            hosts: HOST_COLUMNS
                .iter()
                .filter_map(|&c| find(c).map(|i| (i, c)))
                .collect(),
        }
    }
}

fn parse_list(lines: &[Line<'_>], out: &mut Collector) -> Result<(), InventoryError> {
    #[derive(Default)]
    struct Block<'a> {
        seen: std::collections::HashSet<String>,
        hotfix_id: Option<&'a str>,
        service_pack: Option<&'a str>,
        host: Option<(usize, &'static str, &'a str, usize)>, // (preference, column, value, line)
    }
    let flush = |block: &mut Block<'_>, out: &mut Collector| -> Result<(), InventoryError> {
        if let Some(id) = block.hotfix_id {
            out.update(id, block.service_pack);
        }
        if let Some((_, column, host, line)) = block.host {
            out.host(host, line, column)?;
        }
        *block = Block::default();
        Ok(())
    };
    let mut block = Block::default();
    for line in lines {
        if line.text.trim().is_empty() {
            flush(&mut block, out)?;
            continue;
        }
        let Some((key, value)) = key_value(line.text) else {
            continue;
        };
        if !block.seen.insert(key.to_ascii_lowercase()) {
            flush(&mut block, out)?; // blocks without blank lines between them
            block.seen.insert(key.to_ascii_lowercase());
        }
        if key.eq_ignore_ascii_case(HOTFIX_ID) {
            block.hotfix_id = Some(value);
        } else if key.eq_ignore_ascii_case(SERVICE_PACK) {
            block.service_pack = Some(value);
        } else if let Some(rank) = HOST_COLUMNS
            .iter()
            .position(|c| c.eq_ignore_ascii_case(key))
            .filter(|&rank| !value.is_empty() && block.host.is_none_or(|(r, ..)| rank < r))
        {
            block.host = Some((rank, HOST_COLUMNS[rank], value, line.no));
        }
    }
    flush(&mut block, out)
}

fn parse_csv(text: &str, out: &mut Collector) -> Result<(), InventoryError> {
    let mut wanted: Option<Wanted> = None;
    for record in crate::csv::records(text) {
        if record
            .cells
            .first()
            .is_some_and(|c| c.trim_start().starts_with('#'))
        {
            continue; // Export-Csv's "#TYPE ..." line
        }
        if record
            .cells
            .iter()
            .any(|c| c.trim().eq_ignore_ascii_case(HOTFIX_ID))
        {
            wanted = Some(Wanted::of(record.cells.iter().map(String::as_str)));
            continue;
        }
        let Some(w) = &wanted else { continue };
        let cell = |i: Option<usize>| i.and_then(|i| record.cells.get(i)).map(String::as_str);
        out.update(cell(w.hotfix_id).unwrap_or(""), cell(w.service_pack));
        if let Some((column, host)) = w.hosts.iter().find_map(|&(i, c)| {
            cell(Some(i))
                .filter(|v| !v.trim().is_empty())
                .map(|v| (c, v))
        }) {
            out.host(host, record.line, column)?;
        }
    }
    Ok(())
}

struct TableColumn {
    name: String,
    start: usize,
}

/// Column names and starts of a header line. Words before the first property name (XP's
/// "Please wait while WMIC is being installed.", glued to `Caption`) are cut off, and
/// positions count from the first name.
fn header_columns(line: &str) -> Vec<TableColumn> {
    let chars: Vec<char> = line.chars().collect();
    let mut columns = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        if columns.is_empty() {
            // Skip a banner up to the first property name, cutting it off a glued name.
            match KNOWN_COLUMNS.iter().find(|k| word.ends_with(*k)) {
                Some(known) => columns.push(TableColumn {
                    name: known.to_string(),
                    start: i - known.chars().count(),
                }),
                None => continue,
            }
        } else {
            columns.push(TableColumn { name: word, start });
        }
    }
    if let Some(offset) = columns.first().map(|c| c.start) {
        for c in &mut columns {
            c.start -= offset;
        }
    }
    columns
}

fn parse_table(lines: &[Line<'_>], out: &mut Collector) -> Result<(), InventoryError> {
    let mut columns = header_columns(lines[0].text);
    let mut wanted = Wanted::of(columns.iter().map(|c| c.name.as_str()));
    for line in &lines[1..] {
        let trimmed = line.text.trim();
        if trimmed.is_empty() || trimmed.chars().all(|c| c == '-' || c.is_whitespace()) {
            continue;
        }
        if names_hotfix_id(line.text) {
            // A second table appended to the first.
            columns = header_columns(line.text);
            wanted = Wanted::of(columns.iter().map(|c| c.name.as_str()));
            continue;
        }
        let chars: Vec<char> = line.text.chars().collect();
        // The cell of column `k`, and whether it is in line: bounded by blanks or the row's ends.
        let cell = |k: usize| -> (String, bool) {
            let start = columns[k].start.min(chars.len());
            let end = columns
                .get(k + 1)
                .map_or(chars.len(), |c| c.start)
                .clamp(start, chars.len());
            let clean = (start == 0 || chars[start - 1].is_whitespace())
                && (end == chars.len() || end == start || chars[end - 1].is_whitespace());
            (
                chars[start..end]
                    .iter()
                    .collect::<String>()
                    .trim()
                    .to_string(),
                clean,
            )
        };
        let (id, clean) = wanted.hotfix_id.map(cell).unwrap_or_default();
        let sp = wanted
            .service_pack
            .map(cell)
            .filter(|(_, clean)| *clean)
            .map(|(v, _)| v);
        let found = clean && out.update(&id, sp.as_deref());
        if !found && !clean {
            // Out of line: take the first word that is a KB number.
            if let Some(word) = trimmed
                .split_whitespace()
                .find(|w| kb_of_hotfix_id(w, false).is_some())
            {
                out.update(word, None);
            }
        }
        let host = wanted
            .hosts
            .iter()
            .find_map(|&(k, c)| Some((c, cell(k))).filter(|(_, (v, _))| !v.is_empty()));
        if let Some((column, (host, true))) = host {
            out.host(&host, line.no, column)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(t: &HotfixTable) -> Vec<u32> {
        t.kbs.iter().map(|k| k.number()).collect()
    }

    #[test]
    fn get_hotfix_table_with_dashes() {
        let text = "\r\nSource        Description      HotFixID      InstalledBy          InstalledOn\r\n------        -----------      --------      -----------          -----------\r\nDESKTOP-X     Update           KB4462930     NT AUTHORITY\\SYSTEM  3/2/2019 12:00:00 AM\r\nDESKTOP-X     Security Update  KB4485449     NT AUTHORITY\\SYSTEM  3/2/2019 12:00:00 AM\r\n";
        let t = parse_text(text).unwrap();
        assert_eq!(t.host.as_deref(), Some("DESKTOP-X"));
        assert_eq!(numbers(&t), vec![4462930, 4485449]);
    }

    #[test]
    fn list_full_and_format_list() {
        let text = "\r\n\r\nCaption=http://support.microsoft.com/?kbid=4486553\r\nCSName=DESKTOP-LOQ9L09\r\nDescription=Update\r\nHotFixID=KB4486553\r\nServicePackInEffect=\r\n\r\n\r\nCaption=\r\nCSName=DESKTOP-LOQ9L09\r\nHotFixID=File 1\r\nServicePackInEffect=KB2115168\r\n";
        let t = parse_text(text).unwrap();
        assert_eq!(t.host.as_deref(), Some("DESKTOP-LOQ9L09"));
        assert_eq!(numbers(&t), vec![2115168, 4486553]);
        let text = "Source        : WIN7\r\nDescription   : Update\r\nHotFixID      : KB2849697\r\nInstalledOn   : 5/22/2015 12:00:00 AM\r\n\r\nSource        : WIN7\r\nHotFixID      : KB2849696\r\n";
        assert_eq!(numbers(&parse_text(text).unwrap()), vec![2849696, 2849697]);
    }

    #[test]
    fn csv_forms() {
        let text = "\r\nNode,Caption,CSName,Description,FixComments,HotFixID,InstallDate,InstalledBy,InstalledOn,Name,ServicePackInEffect,Status\r\nWIN10,http://support.microsoft.com/?kbid=4486553,WIN10,Update,,KB4486553,,NT AUTHORITY\\SYSTEM,3/7/2019,,,\r\n";
        let t = parse_text(text).unwrap();
        assert_eq!(
            (t.host.as_deref(), numbers(&t)),
            (Some("WIN10"), vec![4486553])
        );
        let text = "#TYPE System.Management.ManagementObject#root\\cimv2\\Win32_QuickFixEngineering\r\n\"PSComputerName\",\"Source\",\"Description\",\"HotFixID\"\r\n\"WIN10\",\"WIN10\",\"Update\",\"KB4486553\"\r\n";
        assert_eq!(numbers(&parse_text(text).unwrap()), vec![4486553]);
    }

    #[test]
    fn two_hosts_in_one_table_are_refused() {
        let text = "Source  Description  HotFixID   \r\nA       Update       KB4462930  \r\nB       Update       KB4485449  \r\n";
        let err = parse_text(text).unwrap_err();
        assert_eq!(err.line(), Some(3));
        assert!(
            err.to_string().contains("two machines, A (line 2) and B"),
            "{err}"
        );
    }
}
