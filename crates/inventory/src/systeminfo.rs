//! Windows' `systeminfo` output, in any display language.
//!
//! Labels are translated ("OS Version", "Versión del sistema operativo", "Version du
//! système", "Betriebssystemversion", "OS バージョン"...) and even the English ones contain
//! colons ("Virtual Memory: Max Size:"), so this reader never looks at a label's words. It
//! relies on what Windows does not translate:
//!
//! - **Layout.** Each field is one line `Label:<spaces>value` with values aligned at one
//!   column for the whole file; a multi-valued field continues on lines indented to that
//!   column (`[01]: KB4486553`). The column is found by vote: the position, after a colon and
//!   spaces, where most lines start their value (counted in characters, or in display columns
//!   for CJK labels padded by width). Trailing spaces may have been stripped.
//! - **Order.** Host Name, OS Name, OS Version, ... Product ID (6 after the version), ...
//!   System Type (11 after), ... Hotfix(s), Network Card(s). The OS Version is the anchor: the
//!   first field whose value is a Windows version (`10.0.17763 N/A Build 17763`,
//!   `6.1.7601 Service Pack 1 version 7601`); host name and OS name are the two fields before.
//! - **Shapes.** A product id looks like `00330-50000-00000-AAOEM`, a system type holds `x64`
//!   / `X86` / `ARM64` and `PC`, the hotfix field is the one whose entries are `[NN]: KB...`.
//!   The service pack is the small number between the version and the repeated build number.
//!
//! `systeminfo /fo csv` (a header row of the same labels and one data row per machine, the
//! multi-valued cells comma-joined) is read into the same fields.
//!
//! systeminfo cuts long hotfix lists short (273 announced, 245 listed, the last one cut
//! mid-line, `[240]: KB2862`); the cut entry is dropped and [`Systeminfo`] says how many were
//! announced, so a caller can ask for the machine's qfe table too.

use std::collections::BTreeSet;

use kbgap_domain::{Arch, Kb, MachineInventory, OsFamily, OsInfo, release_for_build};

use crate::error::InventoryError;
use crate::hotfix::kb_of_hotfix_id;
use crate::text::{self, Line, quote, trim};

/// One machine read from a systeminfo, with how complete its hotfix list was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Systeminfo {
    pub machine: MachineInventory,
    /// The count systeminfo announced ("273 Hotfix(s) Installed."), when it printed one.
    pub hotfixes_announced: Option<usize>,
    /// How many `[NN]` entries it actually listed (KBs, `File 1` and cut entries included).
    pub hotfixes_listed: usize,
}

impl Systeminfo {
    /// Whether systeminfo listed fewer hotfixes than it announced: the machine's qfe table
    /// should be merged in ([`crate::merge_one_machine`]).
    pub fn hotfix_list_truncated(&self) -> bool {
        self.hotfixes_announced
            .is_some_and(|n| n > self.hotfixes_listed)
    }
}

/// Decodes and parses a systeminfo (list or CSV form), keeping the hotfix-list counts.
pub fn parse(bytes: &[u8]) -> Result<Vec<Systeminfo>, InventoryError> {
    parse_text(&crate::decode_nonempty(bytes)?)
}

/// Parses decoded systeminfo text: one machine for the list form, one per data row for CSV.
pub fn parse_text(text: &str) -> Result<Vec<Systeminfo>, InventoryError> {
    if is_csv(text) {
        let machines = csv_machines(text)?;
        if machines.is_empty() {
            return Err(InventoryError::Unrecognized {
                hint: crate::unrecognized_hint(text),
            });
        }
        Ok(machines)
    } else {
        Ok(vec![machine(&list_fields(text))?])
    }
}

/// Whether `text` looks like a systeminfo: a field holding a Windows version among the first
/// ones, or (for a file cut short) aligned `label: value` lines whose first values name Windows.
pub(crate) fn looks_like(text: &str) -> bool {
    if is_csv(text) {
        return crate::csv::records(text)
            .iter()
            .any(|r| version_cell(&r.cells).is_some());
    }
    let fields = list_fields(text);
    fields
        .iter()
        .take(ANCHOR_WINDOW)
        .any(|f| OsVersion::parse(&f.value).is_some())
        || (fields.len() >= 2
            && fields
                .iter()
                .take(3)
                .any(|f| f.value.to_lowercase().contains("windows")))
}

/// The OS Version is looked for among this many first fields.
const ANCHOR_WINDOW: usize = 8;
/// Positions after the OS Version: Product ID, System Type.
const PRODUCT_ID_OFFSET: usize = 6;
const SYSTEM_TYPE_OFFSET: usize = 11;
/// A complete systeminfo has at least this many fields after its OS Version: 25 up to Page
/// File Location(s), then Domain and Logon Server (absent in some hand-edited copies),
/// Hotfix(s), Network Card(s) and, from Windows 8 on, Hyper-V Requirements. With fewer, and no
/// hotfix entry seen, the file was cut before its hotfix list.
const MIN_FIELDS_AFTER_VERSION: usize = 28;

/// One `Label: value` field and its continuation lines.
#[derive(Debug, Clone)]
struct Field {
    line: usize,
    label: String,
    value: String,
    items: Vec<Item>,
}

#[derive(Debug, Clone)]
struct Item {
    text: String,
}

fn is_csv(text: &str) -> bool {
    text::lines(text)
        .find(|l| !l.text.trim().is_empty())
        .is_some_and(|l| l.text.trim_start().starts_with('"'))
}

// ---------------------------------------------------------------------------------------
// The list form: columns and fields.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Metric {
    Chars,
    Width,
}

#[derive(Debug, Clone, Copy)]
struct Column {
    metric: Metric,
    at: usize,
}

/// The column at which each character of `line` starts, under `metric`, plus the end column.
fn columns(line: &[char], metric: Metric) -> Vec<usize> {
    let mut cols = Vec::with_capacity(line.len() + 1);
    let mut at = 0;
    for &c in line {
        cols.push(at);
        at += match metric {
            Metric::Chars => 1,
            Metric::Width => text::width(c),
        };
    }
    cols.push(at);
    cols
}

fn is_colon(c: char) -> bool {
    c == ':' || c == '\u{FF1A}'
}

/// Character indices where a value could start: after a colon and at least one space.
fn split_points(line: &[char]) -> Vec<usize> {
    let mut points = Vec::new();
    let mut last_visible: Option<char> = None;
    for i in 0..line.len() {
        if !line[i].is_whitespace() {
            if i > 0 && line[i - 1].is_whitespace() && last_visible.is_some_and(is_colon) {
                points.push(i);
            }
            last_visible = Some(line[i]);
        }
    }
    points
}

/// The value column of a file: the split point most header lines share.
fn value_column(headers: &[&[char]]) -> Option<Column> {
    let mut votes: std::collections::BTreeMap<(Metric, usize), usize> = Default::default();
    for line in headers {
        let points = split_points(line);
        for metric in [Metric::Chars, Metric::Width] {
            let cols = columns(line, metric);
            for &i in &points {
                *votes.entry((metric, cols[i])).or_default() += 1;
            }
        }
    }
    // Most votes wins; on a tie, characters before width and the leftmost column.
    votes
        .into_iter()
        .max_by(|(ka, va), (kb, vb)| va.cmp(vb).then(kb.cmp(ka)))
        .map(|((metric, at), _)| Column { metric, at })
}

/// Splits a header line into label and value at the file's value column, or at the split
/// point nearest to it when this line is out of line.
fn split(line: &[char], column: Option<Column>) -> Option<(String, String)> {
    let points = split_points(line);
    let trimmed = trim(line);
    let ends_with_colon = trimmed.last().is_some_and(|&c| is_colon(c));
    let at = match column {
        Some(column) => {
            let cols = columns(line, column.metric);
            if let Some(&i) = points.iter().find(|&&i| cols[i] == column.at) {
                Some(i)
            } else if ends_with_colon && cols[trimmed.len()] <= column.at {
                None // a label with an empty value ("Registered Organization:")
            } else {
                points
                    .iter()
                    .copied()
                    .min_by_key(|&i| cols[i].abs_diff(column.at))
            }
        }
        None => points.first().copied(),
    };
    let (label, value): (&[char], &[char]) = match at {
        Some(i) => (&line[..i], &line[i..]),
        None if ends_with_colon => (line, &[]),
        None => return None,
    };
    let label = trim(label);
    let label = label
        .strip_suffix(&[':'])
        .or_else(|| label.strip_suffix(&['\u{FF1A}']))
        .unwrap_or(label);
    Some((trim(label).iter().collect(), trim(value).iter().collect()))
}

/// The fields of a list-form systeminfo. Lines before the first field (a prompt, a banner)
/// are skipped; an indented line continues the field above.
fn list_fields(text: &str) -> Vec<Field> {
    let lines: Vec<(Line<'_>, Vec<char>)> = text::lines(text)
        .filter(|l| !l.text.trim().is_empty())
        .map(|l| (l, l.text.chars().collect()))
        .collect();
    let headers: Vec<&[char]> = lines
        .iter()
        .filter(|(_, c)| !c[0].is_whitespace())
        .map(|(_, c)| c.as_slice())
        .collect();
    let column = value_column(&headers);
    let mut fields: Vec<Field> = Vec::new();
    for (line, chars) in &lines {
        let continuation = || Item {
            text: trim(chars).iter().collect(),
        };
        if chars[0].is_whitespace() {
            if let Some(field) = fields.last_mut() {
                field.items.push(continuation());
            }
            continue;
        }
        match split(chars, column) {
            Some((label, value)) => fields.push(Field {
                line: line.no,
                label,
                value,
                items: Vec::new(),
            }),
            None => {
                if let Some(field) = fields.last_mut() {
                    field.items.push(continuation());
                }
            }
        }
    }
    fields
}

// ---------------------------------------------------------------------------------------
// The CSV form.

fn version_cell(cells: &[String]) -> Option<usize> {
    cells
        .iter()
        .take(ANCHOR_WINDOW)
        .position(|c| OsVersion::parse(c).is_some())
}

/// Splits a multi-valued CSV cell, `"5 Hotfix(s) Installed.,[01]: KB4486553,[02]: ..."`, at
/// each comma followed by `[digit`.
fn split_multi(cell: &str) -> (String, Vec<Item>) {
    let chars: Vec<char> = cell.chars().collect();
    let mut parts = Vec::new();
    let mut start = 0;
    for i in 0..chars.len() {
        if chars[i] == ','
            && chars.get(i + 1) == Some(&'[')
            && chars.get(i + 2).is_some_and(char::is_ascii_digit)
        {
            parts.push(chars[start..i].iter().collect::<String>());
            start = i + 1;
        }
    }
    parts.push(chars[start..].iter().collect());
    let head = parts.remove(0).trim().to_string();
    (
        head,
        parts
            .into_iter()
            .map(|p| Item {
                text: p.trim().to_string(),
            })
            .collect(),
    )
}

fn csv_machines(text: &str) -> Result<Vec<Systeminfo>, InventoryError> {
    let records = crate::csv::records(text);
    let mut machines = Vec::new();
    for (r, record) in records.iter().enumerate() {
        if version_cell(&record.cells).is_none() {
            continue;
        }
        let header = r
            .checked_sub(1)
            .map(|h| &records[h])
            .filter(|h| version_cell(&h.cells).is_none());
        let fields: Vec<Field> = record
            .cells
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let label = header
                    .and_then(|h| h.cells.get(i))
                    .map_or_else(|| format!("column {}", i + 1), |l| l.trim().to_string());
                let (value, items) = split_multi(cell);
                Field {
                    line: record.line,
                    label,
                    value,
                    items,
                }
            })
            .collect();
        machines.push(machine(&fields)?);
    }
    Ok(machines)
}

// ---------------------------------------------------------------------------------------
// Values.

/// The OS Version value: `10.0.17763 N/A Build 17763`, `6.1.7601 Service Pack 1 Build 7601`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OsVersion {
    build: u32,
    service_pack: Option<u8>,
}

impl OsVersion {
    /// A leading `major.minor.build` with an NT major (5, 6, 10, 11), a one-digit minor and a
    /// build of four or more digits, followed by a space or the end. The service pack is a
    /// number from 1 to 9 standing alone between that and a final repeat of the build number.
    fn parse(value: &str) -> Option<OsVersion> {
        let v = value.trim_start();
        let end = v
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(v.len());
        let (token, rest) = v.split_at(end);
        if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
            return None;
        }
        let parts: Vec<&str> = token.split('.').collect();
        if !(3..=4).contains(&parts.len()) || parts.iter().any(|p| p.is_empty() || p.len() > 6) {
            return None;
        }
        let major: u32 = parts[0].parse().ok()?;
        let build: u32 = parts[2].parse().ok()?;
        if !matches!(major, 5 | 6 | 10 | 11) || parts[1].len() != 1 || parts[2].len() < 4 {
            return None;
        }
        let numbers = standalone_numbers(rest);
        let before_build = match numbers.split_last() {
            Some((&last, init)) if last == u64::from(build) => init,
            _ => &numbers[..],
        };
        let service_pack = before_build
            .iter()
            .find(|&&n| (1..=9).contains(&n))
            .map(|&n| n as u8);
        Some(OsVersion {
            build,
            service_pack,
        })
    }
}

/// Runs of ASCII digits not glued to ASCII letters or digits (`1` in `Service Pack 1`, not `64`
/// in `x64`).
fn standalone_numbers(text: &str) -> Vec<u64> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let glued = i < b.len() && b[i].is_ascii_alphanumeric();
            if let Some(n) = (!glued && i - start <= 10)
                .then(|| text[start..i].parse().ok())
                .flatten()
            {
                out.push(n);
            }
        } else {
            i += 1;
        }
    }
    out
}

/// `00330-50000-00000-AAOEM`, `00392-918-5000002-85428`, `00426-OEM-xxxxxxxxx`: five digits,
/// then two or three more dash-separated groups of letters and digits.
fn is_product_id(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    (3..=4).contains(&groups.len())
        && groups[0].len() == 5
        && groups[0].bytes().all(|b| b.is_ascii_digit())
        && groups[1..]
            .iter()
            .all(|g| !g.is_empty() && g.len() <= 10 && g.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// A System Type value: an architecture and the token `PC` (`x64-based PC`, `PC basado en
/// x64`, `x64-basierter PC`).
fn system_type(value: &str) -> Option<Arch> {
    let lower = value.to_ascii_lowercase();
    let has_pc = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|t| t == "pc");
    has_pc.then(|| Arch::parse_loose(value)).flatten()
}

/// A hotfix entry (`[01]: KB4486553`, `[03]: File 1`, a cut `[246]`): `Some(kb or None)` for
/// an entry, `None` for any other line.
fn hotfix_entry(item: &str) -> Option<Option<Kb>> {
    let rest = item.strip_prefix('[')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &rest[digits..];
    let kb = rest
        .strip_prefix(']')
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix(':').or_else(|| r.strip_prefix('\u{FF1A}')))
        .and_then(|r| kb_of_hotfix_id(r, false));
    Some(kb)
}

/// The count in "273 Hotfix(s) Installed.", "93 Corrections installées.", "安装了 5 个修补程序。".
fn announced_count(value: &str) -> Option<usize> {
    standalone_numbers(value)
        .first()
        .and_then(|&n| usize::try_from(n).ok())
}

// ---------------------------------------------------------------------------------------
// Fields to a machine.

fn machine(fields: &[Field]) -> Result<Systeminfo, InventoryError> {
    let Some(v) = fields
        .iter()
        .take(ANCHOR_WINDOW)
        .position(|f| OsVersion::parse(&f.value).is_some())
    else {
        return Err(match fields.get(2) {
            None => InventoryError::Truncated {
                field: "OS Version",
            },
            Some(f) => InventoryError::field(
                f.line,
                &f.label,
                format!(
                    "expected a version like 10.0.17763, found {}",
                    quote(&f.value)
                ),
            ),
        });
    };
    let version_field = &fields[v];
    if v == 0 {
        return Err(InventoryError::MissingField {
            field: "OS Name",
            detail: format!(
                "line {}: the OS Version is the first field",
                version_field.line
            ),
        });
    }
    let version = OsVersion::parse(&version_field.value).expect("the anchor parses");
    let name_field = &fields[v - 1];
    // A published file may have had its Host Name line removed (the es-ar sample): the
    // machine is then known by its product id alone, and its host name is empty.
    let host = match v.checked_sub(2).map(|i| &fields[i]) {
        Some(host_field) => {
            let host = host_field.value.trim().to_string();
            if host.is_empty() {
                return Err(InventoryError::field(
                    host_field.line,
                    &host_field.label,
                    "the host name is empty",
                ));
            }
            host
        }
        None => String::new(),
    };
    let name = text::normalize_spaces(&name_field.value);
    if name.is_empty() {
        return Err(InventoryError::field(
            name_field.line,
            &name_field.label,
            "the OS name is empty",
        ));
    }
    let family = OsFamily::from_name_and_build(&name, version.build).ok_or_else(|| {
        InventoryError::field(
            name_field.line,
            &name_field.label,
            format!(
                "cannot tell which Windows {} with build {} is",
                quote(&name),
                version.build
            ),
        )
    })?;

    let after = &fields[v + 1..];
    let arch = fields
        .get(v + SYSTEM_TYPE_OFFSET)
        .and_then(|f| Arch::parse_loose(&f.value))
        .or_else(|| after.iter().find_map(|f| system_type(&f.value)));
    let Some(arch) = arch else {
        return Err(match fields.get(v + SYSTEM_TYPE_OFFSET) {
            None => InventoryError::Truncated {
                field: "System Type",
            },
            Some(f) => InventoryError::field(
                f.line,
                &f.label,
                format!(
                    "expected a system type like x64-based PC, found {}",
                    quote(&f.value)
                ),
            ),
        });
    };

    let product_id = after
        .iter()
        .take(SYSTEM_TYPE_OFFSET + 1)
        .enumerate()
        .filter(|(_, f)| is_product_id(f.value.trim()))
        .min_by_key(|(i, _)| (i + 1).abs_diff(PRODUCT_ID_OFFSET))
        .map(|(_, f)| f.value.trim().to_string())
        .or_else(|| {
            fields
                .get(v + PRODUCT_ID_OFFSET)
                .map(|f| f.value.trim().to_string())
                .filter(|p| !p.is_empty())
        });

    let hotfix_field = after.iter().find(|f| {
        f.items
            .iter()
            .any(|i| hotfix_entry(&i.text).is_some_and(|kb| kb.is_some()))
    });
    let (kbs, announced, listed) = match hotfix_field {
        Some(field) => {
            let mut entries: Vec<Option<Kb>> = field
                .items
                .iter()
                .filter_map(|i| hotfix_entry(&i.text))
                .collect();
            let listed = entries.len();
            let announced = announced_count(&field.value);
            // A list shorter than announced was cut, possibly inside its last entry.
            if announced.is_some_and(|n| n > listed) {
                entries.pop();
            }
            (
                entries.into_iter().flatten().collect::<BTreeSet<Kb>>(),
                announced,
                listed,
            )
        }
        None if after.len() < MIN_FIELDS_AFTER_VERSION => {
            return Err(InventoryError::Truncated { field: "Hotfix(s)" });
        }
        None => (BTreeSet::new(), None, 0),
    };

    let identity = match &product_id {
        Some(pid) => format!("{host}|{pid}"),
        None if host.is_empty() => {
            return Err(InventoryError::MissingField {
                field: "Host Name",
                detail: "and no Product ID either: nothing identifies the machine".into(),
            });
        }
        None => host.clone(),
    };
    let release = release_for_build(family, version.build).map(str::to_string);
    let os = OsInfo {
        name,
        family,
        release,
        build: version.build,
        revision: None,
        arch,
        service_pack: version.service_pack,
    };
    Ok(Systeminfo {
        machine: MachineInventory {
            host,
            identity,
            os,
            installed_kbs: kbs,
            applications: Vec::new(),
            device_group: None,
        },
        hotfixes_announced: announced,
        hotfixes_listed: listed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        let v = |s| OsVersion::parse(s);
        assert_eq!(
            v("10.0.17763 N/A Build 17763"),
            Some(OsVersion {
                build: 17763,
                service_pack: None
            })
        );
        assert_eq!(
            v("6.1.7601 Service Pack 1 Build 7601"),
            Some(OsVersion {
                build: 7601,
                service_pack: Some(1)
            })
        );
        assert_eq!(
            v("6.1.7601 Service Pack 1 version 7601"),
            Some(OsVersion {
                build: 7601,
                service_pack: Some(1)
            })
        );
        assert_eq!(
            v("10.0.17763 N/D Compilación 17763"),
            Some(OsVersion {
                build: 17763,
                service_pack: None
            })
        );
        assert_eq!(
            v("6.1.7601 Service Pack 1 ビルド 7601"),
            Some(OsVersion {
                build: 7601,
                service_pack: Some(1)
            })
        );
        assert_eq!(
            v("5.1.2600 Build 2600"),
            Some(OsVersion {
                build: 2600,
                service_pack: None
            })
        );
        assert_eq!(
            v("5.2.3790 Service Pack 2 Build 3790"),
            Some(OsVersion {
                build: 3790,
                service_pack: Some(2)
            })
        );
        assert_eq!(v("15.06.2016, 18:34:33"), None);
        assert_eq!(v("10.01.2016"), None);
        assert_eq!(v("Microsoft Windows 10 Pro"), None);
        assert_eq!(v("6.00"), None);
        assert_eq!(v("192.168.1.57"), None);
    }

    #[test]
    fn shapes() {
        assert!(is_product_id("00330-50000-00000-AAOEM"));
        assert!(is_product_id("00392-918-5000002-85428"));
        assert!(is_product_id("00426-OEM-xxxxxxxxx"));
        assert!(!is_product_id("..."));
        assert!(!is_product_id("Windows User"));
        assert_eq!(system_type("PC basado en x64"), Some(Arch::X64));
        assert_eq!(system_type("x64-basierter PC"), Some(Arch::X64));
        assert_eq!(system_type("HP EliteBook x360"), None);
        assert_eq!(
            hotfix_entry("[01]: KB4486553"),
            Some(Some(Kb::new(4486553).unwrap()))
        );
        assert_eq!(
            hotfix_entry("[01]\u{A0}: KB4486553"),
            Some(Some(Kb::new(4486553).unwrap()))
        );
        assert_eq!(hotfix_entry("[03]: File 1"), Some(None));
        assert_eq!(hotfix_entry("[246]"), Some(None));
        assert_eq!(hotfix_entry("Connection Name: Ethernet"), None);
        assert_eq!(announced_count("273 Hotfix(s) Installed."), Some(273));
        assert_eq!(announced_count("安装了 5 个修补程序。"), Some(5));
        assert_eq!(announced_count("N/A"), None);
    }

    #[test]
    fn value_column_ignores_colons_inside_labels_and_values() {
        let text = "Host Name:                 H\nVirtual Memory: Max Size:  18.697 MB\nHyper-V Requirements:      VM Monitor Mode Extensions: Yes\nRegistered Organization:\n";
        let fields = list_fields(text);
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|f| (f.label.as_str(), f.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("Host Name", "H"),
                ("Virtual Memory: Max Size", "18.697 MB"),
                ("Hyper-V Requirements", "VM Monitor Mode Extensions: Yes"),
                ("Registered Organization", ""),
            ]
        );
    }

    #[test]
    fn cjk_labels_padded_by_display_width() {
        // Japanese labels padded to display column 26 (a wide character counts 2).
        let pad = |label: &str, value: &str| {
            let width: usize = label.chars().map(text::width).sum();
            format!("{label}{}{value}\n", " ".repeat(26 - width))
        };
        let text = [
            pad("ホスト名:", "WIN10"),
            pad("OS 名:", "Microsoft Windows 10 Pro"),
            pad("OS バージョン:", "10.0.19045 N/A ビルド 19045"),
            pad("仮想メモリ: 最大サイズ:", "18,000 MB"),
            pad("登録されている組織:", ""),
        ]
        .concat();
        let fields = list_fields(&text);
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|f| (f.label.as_str(), f.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("ホスト名", "WIN10"),
                ("OS 名", "Microsoft Windows 10 Pro"),
                ("OS バージョン", "10.0.19045 N/A ビルド 19045"),
                ("仮想メモリ: 最大サイズ", "18,000 MB"),
                ("登録されている組織", ""),
            ]
        );
    }
}
