//! osquery results: what a fleet already running osquery knows about its Windows machines.
//!
//! osquery has every table kbgap needs (msrc-peers.md §5.4): `os_version` (name, build,
//! architecture), `patches` (`Win32_QuickFixEngineering`), `programs` (the `Uninstall` keys,
//! installed Office and SQL Server updates included) and `registry` (the update build
//! revision `UBR` and `DisplayVersion`, which `os_version` lacks). Two shapes are read:
//!
//! - **Tables of one host**: one JSON object keyed by table name, each value the array
//!   `osqueryi --json "SELECT ..."` prints for that table (docs/INVENTORY.md shows the
//!   wrapper). `os_version` is required; `system_info` gives the host name and a stable id.
//! - **The results log** of `osqueryd` (filesystem logger): one JSON object per line with the
//!   query `name`, the `hostIdentifier`, and `snapshot` rows, a differential `columns` row
//!   with its `action`, or batched `diffResults`; many hosts per file. Events are applied in
//!   order per host and query (a snapshot replaces, `added` adds, `removed` removes), so the
//!   latest state of each host is what is read.
//!
//! A row's table is its query's name when that names the table (`pack_kbgap_programs`), else
//! the columns it has (`hotfix_id` is `patches`, `platform` with `build` is `os_version`...),
//! so scheduled queries may be named freely. Hosts whose `os_version.platform` is not
//! `windows` are left out of a results log (a fleet log has Linux and macOS hosts too); a
//! log without any Windows host is an error. Values may be strings (osquery's default) or
//! numbers (`--logger_numerics`). Errors say the line, the row and the column:
//! `line 3: snapshot[0].build: expected a whole number, found "abc"`.

use std::collections::HashMap;

use kbgap_domain::{Application, Arch, Kb, MachineInventory, OsFamily, OsInfo, release_for_build};
use serde_json::{Map, Value};

use crate::error::InventoryError;
use crate::json::{describe, syntax_error};

/// The tables kbgap reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Table {
    OsVersion,
    SystemInfo,
    Patches,
    Programs,
    Registry,
}

const TABLES: [(&str, Table); 5] = [
    ("os_version", Table::OsVersion),
    ("system_info", Table::SystemInfo),
    ("patches", Table::Patches),
    ("programs", Table::Programs),
    ("registry", Table::Registry),
];

/// One result row and where it sits in the file, for error messages (`os_version[0]`,
/// `line 3: snapshot[2]`).
#[derive(Debug, Clone)]
struct Row {
    place: String,
    columns: Map<String, Value>,
}

impl Row {
    fn error(&self, column: &str, message: impl Into<String>) -> InventoryError {
        InventoryError::Json {
            path: format!("{}.{column}", self.place),
            message: message.into(),
        }
    }

    /// A column's text: strings trimmed, numbers written out; `None` when absent, null or
    /// empty.
    fn text(&self, column: &str) -> Option<String> {
        match self.columns.get(column)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    fn number(&self, column: &str) -> Result<Option<u32>, InventoryError> {
        let Some(text) = self.text(column) else {
            return Ok(None);
        };
        text.parse().map(Some).map_err(|_| {
            self.error(
                column,
                format!(
                    "expected a whole number from 0 to 4294967295, found {}",
                    crate::text::quote(&text)
                ),
            )
        })
    }

    fn has(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }
}

/// Whether the first JSON value of `text` is osquery output: a results-log line (it has a
/// `hostIdentifier`) or tables of one host (an object whose `os_version` is an array).
pub(crate) fn looks_like(text: &str) -> bool {
    let first_line = text.trim_start().lines().next().unwrap_or_default();
    if let Ok(Value::Object(line)) = serde_json::from_str::<Value>(first_line) {
        return line.contains_key("hostIdentifier") || is_tables(&line);
    }
    if !text.trim_start().starts_with('{') {
        return false;
    }
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    matches!(stream.next(), Some(Ok(Value::Object(o))) if is_tables(&o))
}

fn is_tables(object: &Map<String, Value>) -> bool {
    matches!(object.get("os_version"), Some(Value::Array(_)))
}

/// Decodes and parses osquery results (either shape).
pub fn parse(bytes: &[u8]) -> Result<Vec<MachineInventory>, InventoryError> {
    parse_text(&crate::decode_nonempty(bytes)?)
}

/// Parses osquery results (either shape) from text.
pub fn parse_text(text: &str) -> Result<Vec<MachineInventory>, InventoryError> {
    let first_line = text.trim_start().lines().next().unwrap_or_default();
    match serde_json::from_str::<Value>(first_line) {
        Ok(Value::Object(o)) if o.contains_key("hostIdentifier") => parse_log(text),
        _ => parse_tables(text).map(|m| vec![m]),
    }
}

/// The rows of an array of row objects at `place`.
fn rows(value: &Value, place: &str) -> Result<Vec<Row>, InventoryError> {
    let Value::Array(items) = value else {
        return Err(InventoryError::json(
            place,
            format!("expected an array of rows, found {}", describe(value)),
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, v)| row(v, format!("{place}[{i}]")))
        .collect()
}

fn row(value: &Value, place: String) -> Result<Row, InventoryError> {
    match value {
        Value::Object(columns) => Ok(Row {
            place,
            columns: columns.clone(),
        }),
        other => Err(InventoryError::json(
            place,
            format!("expected a row (an object), found {}", describe(other)),
        )),
    }
}

/// One host's tables, keyed by table name.
fn parse_tables(text: &str) -> Result<MachineInventory, InventoryError> {
    let value: Value = serde_json::from_str(text).map_err(|e| syntax_error(&e, 1))?;
    let Value::Object(object) = value else {
        return Err(InventoryError::json(
            "(root)",
            format!(
                "expected an object keyed by osquery table name (os_version, patches, programs, registry, system_info), found {}",
                describe(&value)
            ),
        ));
    };
    let mut tables: Vec<(Table, Row)> = Vec::new();
    for (name, table) in TABLES {
        if let Some(value) = object.get(name).filter(|v| !v.is_null()) {
            tables.extend(rows(value, name)?.into_iter().map(|r| (table, r)));
        }
    }
    let host = Hints::default();
    match machine(&tables, &host)? {
        Some(m) => Ok(m),
        None => Err(InventoryError::json(
            "os_version[0].platform",
            "kbgap assesses Windows machines; this is another platform",
        )),
    }
}

/// What a results log says about a host besides its rows.
#[derive(Debug, Clone, Default)]
struct Hints {
    host_identifier: Option<String>,
    decorations: Map<String, Value>,
}

/// One host of a results log: its rows per query name, in the order they stand.
#[derive(Default)]
struct HostLog {
    hints: Hints,
    queries: Vec<(String, Vec<Row>)>,
}

impl HostLog {
    fn query(&mut self, name: &str) -> &mut Vec<Row> {
        let i = match self.queries.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                self.queries.push((name.to_string(), Vec::new()));
                self.queries.len() - 1
            }
        };
        &mut self.queries[i].1
    }
}

fn remove(rows: &mut Vec<Row>, gone: &Row) {
    if let Some(i) = rows.iter().position(|r| r.columns == gone.columns) {
        rows.remove(i);
    }
}

fn parse_log(text: &str) -> Result<Vec<MachineInventory>, InventoryError> {
    let mut hosts: Vec<(String, HostLog)> = Vec::new();
    for line in crate::text::lines(text) {
        if line.text.trim().is_empty() {
            continue;
        }
        let no = line.no;
        let at = |field: &str| format!("line {no}: {field}");
        let value: Value = serde_json::from_str(line.text).map_err(|e| syntax_error(&e, no))?;
        let Value::Object(event) = value else {
            return Err(InventoryError::json(
                format!("line {no}"),
                format!("expected a results-log object, found {}", describe(&value)),
            ));
        };
        let text_of = |key: &str| -> Result<String, InventoryError> {
            match event.get(key) {
                Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
                Some(Value::Number(n)) => Ok(n.to_string()),
                None | Some(Value::Null) => Err(InventoryError::json(at(key), "missing")),
                Some(other) => Err(InventoryError::json(
                    at(key),
                    format!("expected a string, found {}", describe(other)),
                )),
            }
        };
        let host_id = text_of("hostIdentifier")?;
        let query = text_of("name")?;
        let i = match hosts.iter().position(|(h, _)| *h == host_id) {
            Some(i) => i,
            None => {
                hosts.push((host_id.clone(), HostLog::default()));
                hosts.len() - 1
            }
        };
        let host = &mut hosts[i].1;
        host.hints.host_identifier = Some(host_id);
        if let Some(Value::Object(d)) = event.get("decorations") {
            host.hints.decorations = d.clone();
        }
        let tagged = |mut r: Row| {
            r.place = format!("line {no}: {}", r.place);
            r
        };
        if let Some(snapshot) = event.get("snapshot") {
            let fresh: Vec<Row> = rows(snapshot, "snapshot")
                .map_err(|e| relocate(e, no))?
                .into_iter()
                .map(tagged)
                .collect();
            *host.query(&query) = fresh;
        } else if let Some(columns) = event.get("columns") {
            let r = tagged(row(columns, "columns".into()).map_err(|e| relocate(e, no))?);
            let action = event
                .get("action")
                .and_then(Value::as_str)
                .unwrap_or("added");
            match action {
                "removed" => remove(host.query(&query), &r),
                "added" | "snapshot" => host.query(&query).push(r),
                other => {
                    return Err(InventoryError::json(
                        at("action"),
                        format!(
                            "expected \"added\", \"removed\" or \"snapshot\", found {}",
                            crate::text::quote(other)
                        ),
                    ));
                }
            }
        } else if let Some(diff) = event.get("diffResults") {
            let Value::Object(diff) = diff else {
                return Err(InventoryError::json(
                    at("diffResults"),
                    format!("expected an object, found {}", describe(diff)),
                ));
            };
            for (key, adds) in [("removed", false), ("added", true)] {
                let Some(list) = diff.get(key).filter(|v| !v.is_null()) else {
                    continue;
                };
                let place = format!("diffResults.{key}");
                for r in rows(list, &place).map_err(|e| relocate(e, no))? {
                    let r = tagged(r);
                    if adds {
                        host.query(&query).push(r);
                    } else {
                        remove(host.query(&query), &r);
                    }
                }
            }
        } else {
            return Err(InventoryError::json(
                format!("line {no}"),
                "a results-log line needs \"snapshot\", \"columns\" or \"diffResults\"",
            ));
        }
    }
    let mut machines = Vec::new();
    for (_, host) in &hosts {
        let mut tables: Vec<(Table, Row)> = Vec::new();
        for (query, rows) in &host.queries {
            for r in rows {
                if let Some(table) = table_of(query, r) {
                    tables.push((table, r.clone()));
                }
            }
        }
        if let Some(m) = machine(&tables, &host.hints)? {
            machines.push(m);
        }
    }
    if machines.is_empty() {
        return Err(InventoryError::json(
            "(file)",
            format!(
                "no Windows host: {} host(s) in the log, none with os_version rows of platform \"windows\" (schedule SELECT * FROM os_version)",
                hosts.len()
            ),
        ));
    }
    Ok(machines)
}

/// Puts the line number in front of a path built without it.
fn relocate(e: InventoryError, line: usize) -> InventoryError {
    match e {
        InventoryError::Json { path, message } => InventoryError::Json {
            path: format!("line {line}: {path}"),
            message,
        },
        other => other,
    }
}

/// The table a logged row comes from: the one its query is named after, else the one its
/// columns say.
fn table_of(query: &str, r: &Row) -> Option<Table> {
    let lower = query.to_ascii_lowercase();
    if let Some((_, table)) = TABLES.iter().find(|(name, _)| lower.contains(name)) {
        return Some(*table);
    }
    if r.has("hotfix_id") {
        Some(Table::Patches)
    } else if r.has("platform") && r.has("build") {
        Some(Table::OsVersion)
    } else if r.has("path") && r.has("data") {
        Some(Table::Registry)
    } else if r.has("name")
        && [
            "identifying_number",
            "uninstall_string",
            "install_location",
            "install_source",
        ]
        .iter()
        .any(|c| r.has(c))
    {
        Some(Table::Programs)
    } else if r.has("hostname") || r.has("computer_name") {
        Some(Table::SystemInfo)
    } else {
        None
    }
}

/// The machine a host's rows describe; `None` when it is not a Windows machine.
fn machine(
    tables: &[(Table, Row)],
    hints: &Hints,
) -> Result<Option<MachineInventory>, InventoryError> {
    let of = |t: Table| {
        tables
            .iter()
            .filter(move |(table, _)| *table == t)
            .map(|(_, r)| r)
    };
    let Some(os) = of(Table::OsVersion).next_back() else {
        if hints.host_identifier.is_some() {
            return Ok(None);
        }
        return Err(InventoryError::json(
            "os_version",
            "missing (a Windows machine needs its os_version row: SELECT * FROM os_version)",
        ));
    };
    if let Some(platform) = os.text("platform")
        && !platform.eq_ignore_ascii_case("windows")
    {
        return Ok(None);
    }

    // Registry values of HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion (and MachineGuid).
    let registry: HashMap<String, (String, &Row)> = of(Table::Registry)
        .filter_map(|r| {
            let name = r.text("name")?;
            let data = r.text("data")?;
            Some((name.to_ascii_lowercase(), (data, r)))
        })
        .collect();
    let reg = |name: &str| registry.get(&name.to_ascii_lowercase());
    let reg_number = |name: &str| -> Result<Option<u32>, InventoryError> {
        match reg(name) {
            None => Ok(None),
            Some((data, r)) => data.parse().map(Some).map_err(|_| {
                r.error(
                    "data",
                    format!(
                        "{name}: expected a whole number, found {}",
                        crate::text::quote(data)
                    ),
                )
            }),
        }
    };

    let name = os
        .text("name")
        .map(|n| crate::text::normalize_spaces(&n))
        .ok_or_else(|| os.error("name", "missing"))?;
    let version = os.text("version");
    let version_parts: Vec<u32> = version
        .as_deref()
        .map(|v| v.split('.').filter_map(|p| p.parse().ok()).collect())
        .unwrap_or_default();
    let build = match os.number("build")? {
        Some(b) => b,
        None => match version_parts.get(2) {
            Some(&b) => b,
            None => reg_number("CurrentBuild")?
                .or(reg_number("CurrentBuildNumber")?)
                .ok_or_else(|| os.error("build", "missing (and no version like 10.0.19045)"))?,
        },
    };
    let revision = reg_number("UBR")?.or(version_parts.get(3).copied());
    let family = OsFamily::from_name_and_build(&name, build).ok_or_else(|| {
        os.error(
            "name",
            format!(
                "cannot tell which Windows {} with build {build} is",
                crate::text::quote(&name)
            ),
        )
    })?;
    let release = reg("DisplayVersion")
        .or(reg("ReleaseId"))
        .map(|(d, _)| d.clone())
        .or_else(|| release_for_build(family, build).map(str::to_string));
    let arch = architecture(os, of(Table::SystemInfo).next_back())?;
    let service_pack = match reg("CSDVersion") {
        Some((text, _)) => text
            .split_whitespace()
            .filter_map(|w| w.parse::<u8>().ok())
            .next_back(),
        None => match build {
            6001 | 7601 => Some(1),
            6002 | 6003 => Some(2),
            _ => None,
        },
    }
    .filter(|&sp| sp > 0);

    let system = of(Table::SystemInfo).next_back();
    let decoration = |key: &str| match hints.decorations.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    };
    let host = system
        .and_then(|s| s.text("computer_name").or_else(|| s.text("hostname")))
        .or_else(|| decoration("computer_name"))
        .or_else(|| decoration("hostname"))
        .or_else(|| of(Table::Patches).find_map(|p| p.text("csname")))
        .or_else(|| hints.host_identifier.clone())
        .ok_or_else(|| {
            InventoryError::json(
                "system_info",
                "missing: no host name (SELECT hostname, computer_name, uuid FROM system_info)",
            )
        })?;
    let identity = reg("MachineGuid")
        .map(|(d, _)| d.clone())
        .or_else(|| system.and_then(|s| s.text("uuid")))
        .or_else(|| decoration("host_uuid"))
        .or_else(|| hints.host_identifier.clone())
        .unwrap_or_else(|| host.clone());

    let installed_kbs = of(Table::Patches)
        .filter_map(|p| p.text("hotfix_id"))
        .filter_map(|id| Kb::find_in(&id))
        .collect();
    let mut applications: Vec<Application> = Vec::new();
    for p in of(Table::Programs) {
        let Some(name) = p.text("name") else {
            continue;
        };
        let product_code = p
            .text("identifying_number")
            .filter(|c| c.starts_with('{') && c.ends_with('}') && c.len() == 38);
        let app = Application {
            version: p.text("version"),
            publisher: p.text("publisher"),
            product_code,
            ..Application::named(&name)
        };
        if !applications.contains(&app) {
            applications.push(app);
        }
    }
    Ok(Some(MachineInventory {
        host,
        identity,
        os: OsInfo {
            name,
            family,
            release,
            build,
            revision,
            arch,
            service_pack,
        },
        installed_kbs,
        applications,
        device_group: None,
    }))
}

/// `os_version.arch` (`64-bit`, `32-bit`, `ARM 64-bit Processor`; from
/// `Win32_OperatingSystem.OSArchitecture`, so possibly translated), else
/// `system_info.cpu_type` (`x86_64`, `AMD64`).
fn architecture(os: &Row, system: Option<&Row>) -> Result<Arch, InventoryError> {
    let loose = |text: &str| {
        if text.to_ascii_lowercase().contains("arm") {
            Some(Arch::Arm64)
        } else {
            Arch::parse_loose(text)
        }
    };
    if let Some(arch) = os.text("arch").as_deref().and_then(loose) {
        return Ok(arch);
    }
    if let Some(arch) = system
        .and_then(|s| s.text("cpu_type"))
        .as_deref()
        .and_then(loose)
    {
        return Ok(arch);
    }
    Err(match os.text("arch") {
        Some(text) => os.error(
            "arch",
            format!(
                "expected \"64-bit\", \"32-bit\" or an ARM processor, found {} (add system_info.cpu_type)",
                crate::text::quote(&text)
            ),
        ),
        None => os.error("arch", "missing (and no system_info.cpu_type)"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLES_ONE: &str = r#"{
  "os_version": [{"name": "Microsoft Windows 10 Pro", "version": "10.0.19045", "build": "19045", "platform": "windows", "arch": "64-bit"}],
  "system_info": [{"hostname": "ws-01.example.org", "computer_name": "WS-01", "uuid": "4C4C4544-0042-3510-8052-B4C04F4E4B32"}],
  "patches": [{"csname": "WS-01", "hotfix_id": "KB5034122"}, {"csname": "WS-01", "hotfix_id": "File 1"}],
  "programs": [{"name": "Microsoft Office Professional Plus 2016", "version": "16.0.4266.1001", "publisher": "Microsoft Corporation", "identifying_number": "{90160000-0011-0000-1000-0000000FF1CE}"}],
  "registry": [{"path": "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\UBR", "name": "UBR", "data": "3930", "type": "REG_DWORD"},
               {"path": "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\DisplayVersion", "name": "DisplayVersion", "data": "22H2", "type": "REG_SZ"}]
}"#;

    #[test]
    fn tables_of_one_host() {
        let m = &parse_text(TABLES_ONE).unwrap()[0];
        assert_eq!(m.host, "WS-01");
        assert_eq!(m.identity, "4C4C4544-0042-3510-8052-B4C04F4E4B32");
        assert_eq!(
            (
                m.os.family,
                m.os.build,
                m.os.revision,
                m.os.release.as_deref()
            ),
            (OsFamily::Windows10, 19045, Some(3930), Some("22H2"))
        );
        assert_eq!(m.os.arch, Arch::X64);
        assert_eq!(m.installed_kbs.len(), 1);
        assert_eq!(
            m.applications[0].product_code.as_deref(),
            Some("{90160000-0011-0000-1000-0000000FF1CE}")
        );
    }

    #[test]
    fn errors_name_the_row_and_column() {
        let bad = TABLES_ONE.replace("\"build\": \"19045\"", "\"build\": \"abc\"");
        assert_eq!(
            parse_text(&bad).unwrap_err().to_string(),
            "os_version[0].build: expected a whole number from 0 to 4294967295, found \"abc\""
        );
        let bad = TABLES_ONE.replace("\"data\": \"3930\"", "\"data\": \"x\"");
        assert!(
            parse_text(&bad)
                .unwrap_err()
                .to_string()
                .starts_with("registry[0].data: UBR: expected a whole number"),
        );
        let err = parse_text(r#"{"os_version": {"name": "x"}}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "os_version: expected an array of rows, found an object"
        );
        let err = parse_text(r#"{"os_version": [], "patches": []}"#).unwrap_err();
        assert!(err.to_string().starts_with("os_version: missing"), "{err}");
    }

    #[test]
    fn log_events_apply_in_order() {
        let log = [
            r#"{"name":"pack_kbgap_os_version","hostIdentifier":"WS-02","calendarTime":"Mon Mar  4 10:00:00 2019 UTC","unixTime":1551693600,"epoch":0,"counter":0,"numerics":false,"snapshot":[{"name":"Microsoft Windows 7 Enterprise","version":"6.1.7601","build":"7601","platform":"windows","arch":"64-bit"}],"action":"snapshot"}"#,
            r#"{"name":"pack_kbgap_patches","hostIdentifier":"WS-02","columns":{"hotfix_id":"KB4486563","csname":"WS-02"},"action":"added"}"#,
            r#"{"name":"pack_kbgap_patches","hostIdentifier":"WS-02","columns":{"hotfix_id":"KB4480970","csname":"WS-02"},"action":"added"}"#,
            r#"{"name":"pack_kbgap_patches","hostIdentifier":"WS-02","columns":{"hotfix_id":"KB4480970","csname":"WS-02"},"action":"removed"}"#,
            r#"{"name":"linux_os","hostIdentifier":"db-01","snapshot":[{"name":"Ubuntu","version":"22.04","build":"","platform":"ubuntu","arch":"x86_64"}],"action":"snapshot"}"#,
        ]
        .join("\n");
        let machines = parse_text(&log).unwrap();
        assert_eq!(machines.len(), 1);
        let m = &machines[0];
        assert_eq!((m.host.as_str(), m.os.service_pack), ("WS-02", Some(1)));
        assert_eq!(
            m.installed_kbs
                .iter()
                .map(|k| k.number())
                .collect::<Vec<_>>(),
            [4486563]
        );
    }

    #[test]
    fn log_errors_say_the_line() {
        let log = "{\"name\":\"q\",\"hostIdentifier\":\"h\",\"snapshot\":[]}\n{\"name\":\"os\",\"hostIdentifier\":\"h\",\"snapshot\":[{\"name\":\"Microsoft Windows 10 Pro\",\"build\":\"x\",\"platform\":\"windows\",\"arch\":\"64-bit\"}]}\n";
        assert_eq!(
            parse_text(log).unwrap_err().to_string(),
            "line 2: snapshot[0].build: expected a whole number from 0 to 4294967295, found \"x\""
        );
        let log = "{\"name\":\"q\",\"hostIdentifier\":\"h\",\"snapshot\":[]}\n{\"name\":\"q\",\n";
        let err = parse_text(log).unwrap_err();
        assert_eq!(err.line(), Some(2), "{err}");
        let log = "{\"name\":\"q\",\"hostIdentifier\":\"h\",\"columns\":{\"a\":\"b\"},\"action\":\"changed\"}\n";
        assert!(
            parse_text(log)
                .unwrap_err()
                .to_string()
                .starts_with("line 1: action: expected"),
        );
        let log = "{\"name\":\"q\",\"hostIdentifier\":\"h\",\"snapshot\":[]}\n";
        assert!(
            parse_text(log)
                .unwrap_err()
                .to_string()
                .contains("no Windows host")
        );
    }
}
