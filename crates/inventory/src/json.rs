//! kbgap's JSON inventory, for agents written on purpose (format: `docs/INVENTORY.md`).
//!
//! systeminfo cannot say the update build revision nor list applications; an agent reading
//! the registry can. The format takes what such an agent naturally has (registry strings such
//! as `"CurrentBuild": "18363"`, `"64-bit"`) and checks it field by field, so that a mistake is
//! reported with its JSON path (`[2].os.build`, `line 3: installedKbs[0]`) rather than as a
//! machine silently missing its updates. Unknown fields are ignored so agents can send more.

use kbgap_domain::{Application, Arch, Kb, MachineInventory, OsFamily, OsInfo, release_for_build};
use serde_json::{Map, Value};

use crate::error::InventoryError;

/// Decodes and parses a kbgap JSON inventory.
pub fn parse(bytes: &[u8]) -> Result<Vec<MachineInventory>, InventoryError> {
    parse_text(&crate::decode_nonempty(bytes)?)
}

/// Parses one object, an array of objects, or JSON lines (one object per line).
pub fn parse_text(text: &str) -> Result<Vec<MachineInventory>, InventoryError> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut values = Vec::new();
    let (mut counted, mut line) = (0, 1);
    loop {
        let offset = stream.byte_offset();
        let start = offset + text[offset..].len() - text[offset..].trim_start().len();
        line += text[counted..start].matches('\n').count();
        counted = start;
        match stream.next() {
            None => break,
            Some(Ok(value)) => values.push((line, value)),
            Some(Err(e)) => return Err(syntax_error(&e, 1)),
        }
    }
    match values.len() {
        0 => Err(InventoryError::Empty),
        1 => match values.pop() {
            Some((_, Value::Array(items))) => items
                .iter()
                .enumerate()
                .map(|(i, v)| machine(v, &Path::root(Place::Index(i))))
                .collect(),
            Some((_, value)) => Ok(vec![machine(&value, &Path::root(Place::Whole))?]),
            None => Err(InventoryError::Empty),
        },
        _ => values
            .iter()
            .map(|(line, v)| machine(v, &Path::root(Place::Line(*line))))
            .collect(),
    }
}

/// A JSON syntax error of text that starts at line `first_line` of the input (1 for a whole
/// file, the line's number for one line of a results log): serde_json's message without its
/// position, which the error carries.
pub(crate) fn syntax_error(e: &serde_json::Error, first_line: usize) -> InventoryError {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    InventoryError::JsonSyntax {
        line: first_line + e.line() - 1,
        column: e.column(),
        message: full.strip_suffix(&suffix).unwrap_or(&full).to_string(),
    }
}

/// Where a machine object sits in the file.
#[derive(Debug, Clone, Copy)]
enum Place {
    Whole,
    Index(usize),
    Line(usize),
}

/// A JSON path inside one machine object, rendered for error messages.
#[derive(Debug, Clone)]
struct Path {
    place: Place,
    inner: String,
}

impl Path {
    fn root(place: Place) -> Path {
        Path {
            place,
            inner: String::new(),
        }
    }

    fn key(&self, key: &str) -> Path {
        let inner = if self.inner.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.inner)
        };
        Path {
            place: self.place,
            inner,
        }
    }

    fn index(&self, i: usize) -> Path {
        Path {
            place: self.place,
            inner: format!("{}[{i}]", self.inner),
        }
    }

    fn error(&self, message: impl Into<String>) -> InventoryError {
        let path = match (self.place, self.inner.is_empty()) {
            (Place::Whole, true) => "(root)".to_string(),
            (Place::Whole, false) => self.inner.clone(),
            (Place::Index(i), true) => format!("[{i}]"),
            (Place::Index(i), false) => format!("[{i}].{}", self.inner),
            (Place::Line(l), true) => format!("line {l}"),
            (Place::Line(l), false) => format!("line {l}: {}", self.inner),
        };
        InventoryError::json(path, message)
    }
}

/// A JSON value as an error message names what was found instead.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => crate::text::quote(s),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: Path,
}

impl<'a> Obj<'a> {
    fn new(value: &'a Value, path: Path) -> Result<Obj<'a>, InventoryError> {
        match value {
            Value::Object(map) => Ok(Obj { map, path }),
            other => Err(path.error(format!("expected an object, found {}", describe(other)))),
        }
    }

    /// The value of `key`, `None` when absent or null.
    fn get(&self, key: &str) -> Option<(&'a Value, Path)> {
        self.map
            .get(key)
            .filter(|v| !v.is_null())
            .map(|v| (v, self.path.key(key)))
    }

    fn required(&self, key: &str) -> Result<(&'a Value, Path), InventoryError> {
        self.get(key)
            .ok_or_else(|| self.path.key(key).error("missing"))
    }

    /// An optional non-empty string.
    fn string(&self, key: &str) -> Result<Option<String>, InventoryError> {
        self.get(key).map(|(v, p)| string(v, &p)).transpose()
    }

    fn required_string(&self, key: &str) -> Result<String, InventoryError> {
        let (v, p) = self.required(key)?;
        string(v, &p)
    }

    /// An optional whole number, given as a JSON number or a string of digits.
    fn number(&self, key: &str, max: u64) -> Result<Option<u64>, InventoryError> {
        self.get(key).map(|(v, p)| number(v, &p, max)).transpose()
    }
}

fn string(value: &Value, path: &Path) -> Result<String, InventoryError> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Value::String(_) => Err(path.error("must not be empty")),
        other => Err(path.error(format!("expected a string, found {}", describe(other)))),
    }
}

fn number(value: &Value, path: &Path, max: u64) -> Result<u64, InventoryError> {
    let n = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s)
            if !s.trim().is_empty() && s.trim().bytes().all(|b| b.is_ascii_digit()) =>
        {
            s.trim().parse().ok()
        }
        _ => None,
    };
    n.filter(|&n| n <= max).ok_or_else(|| {
        path.error(format!(
            "expected a whole number from 0 to {max}, found {}",
            describe(value)
        ))
    })
}

/// `10.0.17763` or `10.0.17763.1016` as an OS version: (build, revision).
fn dotted_version(value: &Value, path: &Path) -> Result<(u32, Option<u32>), InventoryError> {
    let text = string(value, path)?;
    let parts: Vec<&str> = text.split('.').collect();
    let parsed: Option<Vec<u32>> = parts.iter().map(|p| p.parse().ok()).collect();
    match parsed.as_deref() {
        Some([_, _, build]) => Ok((*build, None)),
        Some([_, _, build, revision]) => Ok((*build, Some(*revision))),
        _ => Err(path.error(format!(
            "expected a version like 10.0.17763 or 10.0.17763.1016, found {}",
            crate::text::quote(&text)
        ))),
    }
}

fn machine(value: &Value, root: &Path) -> Result<MachineInventory, InventoryError> {
    let obj = Obj::new(value, root.clone())?;
    let id = obj.string("id")?;
    let host = obj.required_string("host")?;
    let (os_value, os_path) = obj.required("os")?;
    let os = os_info(&Obj::new(os_value, os_path)?)?;

    let (kbs_value, kbs_path) = obj.required("installedKbs")?;
    let Value::Array(kb_items) = kbs_value else {
        return Err(kbs_path.error(format!(
            "expected an array of KB numbers, found {}",
            describe(kbs_value)
        )));
    };
    let mut installed_kbs = std::collections::BTreeSet::new();
    for (i, item) in kb_items.iter().enumerate() {
        let kb = match item {
            Value::String(s) => s.parse::<Kb>().ok(),
            Value::Number(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .and_then(|n| Kb::new(n).ok()),
            _ => None,
        };
        installed_kbs.insert(kb.ok_or_else(|| {
            kbs_path.index(i).error(format!(
                "expected a KB number like \"KB4532693\" or \"4532693\", found {}",
                describe(item)
            ))
        })?);
    }

    let mut applications = Vec::new();
    if let Some((apps_value, apps_path)) = obj.get("applications") {
        let Value::Array(apps) = apps_value else {
            return Err(apps_path.error(format!(
                "expected an array of applications, found {}",
                describe(apps_value)
            )));
        };
        for (i, app) in apps.iter().enumerate() {
            let app = Obj::new(app, apps_path.index(i))?;
            let arch = match app.get("architecture") {
                None => None,
                Some((value, path)) => {
                    Some(Arch::parse_loose(&string(value, &path)?).ok_or_else(|| {
                        path.error(format!(
                            "expected \"x64\", \"x86\" or \"arm64\", found {}",
                            describe(value)
                        ))
                    })?)
                }
            };
            applications.push(Application {
                name: app.required_string("name")?,
                version: app.string("version")?,
                publisher: app.string("publisher")?,
                arch,
                product_code: app.string("productCode")?,
            });
        }
    }

    let identity = id.unwrap_or_else(|| host.clone());
    let device_group = obj
        .string("deviceGroup")?
        .map(|group| group.trim().to_string())
        .filter(|group| !group.is_empty());
    Ok(MachineInventory {
        host,
        identity,
        os,
        installed_kbs,
        applications,
        device_group,
    })
}

fn os_info(os: &Obj<'_>) -> Result<OsInfo, InventoryError> {
    let name = crate::text::normalize_spaces(&os.required_string("name")?);
    let from_version = os
        .get("version")
        .map(|(v, p)| dotted_version(v, &p))
        .transpose()?;
    let build = match (os.number("build", u64::from(u32::MAX))?, from_version) {
        (Some(build), _) => build as u32,
        (None, Some((build, _))) => build,
        (None, None) => {
            return Err(os
                .path
                .key("build")
                .error("missing (give os.build, or os.version like 10.0.17763)"));
        }
    };
    let revision = os
        .number("revision", u64::from(u32::MAX))?
        .map(|r| r as u32)
        .or(from_version.and_then(|(_, r)| r));
    let family = OsFamily::from_name_and_build(&name, build).ok_or_else(|| {
        os.path.key("name").error(format!(
            "cannot tell which Windows {} with build {build} is",
            crate::text::quote(&name)
        ))
    })?;
    let release = match os.get("release") {
        None => release_for_build(family, build).map(str::to_string),
        Some((Value::Number(n), _)) => Some(n.to_string()),
        Some((v, p)) => Some(string(v, &p)?),
    };
    let (arch_value, arch_path) = os.required("architecture")?;
    let arch_text = string(arch_value, &arch_path)?;
    let arch = Arch::parse_loose(&arch_text).ok_or_else(|| {
        arch_path.error(format!(
            "expected \"x64\", \"x86\" or \"arm64\" (or \"64-bit\", \"32-bit\"), found {}",
            describe(arch_value)
        ))
    })?;
    let service_pack = os
        .number("servicePack", u64::from(u8::MAX))?
        .map(|n| n as u8)
        .filter(|&n| n > 0);
    Ok(OsInfo {
        name,
        family,
        release,
        build,
        revision,
        arch,
        service_pack,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"{"host": "DESKTOP-1", "os": {"name": "Microsoft Windows 10 Enterprise", "build": 18363, "revision": 1016, "architecture": "x64"}, "installedKbs": ["KB4532693", "4537759", 4528760]}"#;

    #[test]
    fn one_object() {
        let m = &parse_text(ONE).unwrap()[0];
        assert_eq!(m.host, "DESKTOP-1");
        assert_eq!(m.identity, "DESKTOP-1");
        assert_eq!(m.os.family, OsFamily::Windows10);
        assert_eq!(m.os.release.as_deref(), Some("1909"));
        assert_eq!(
            (m.os.build, m.os.revision, m.os.arch),
            (18363, Some(1016), Arch::X64)
        );
        assert_eq!(
            m.installed_kbs
                .iter()
                .map(|k| k.number())
                .collect::<Vec<_>>(),
            vec![4528760, 4532693, 4537759]
        );
    }

    #[test]
    fn registry_shaped_values_and_version_string() {
        let text = r#"{"id": "2339ad14a01bd0299afb93dfa2550136057bff96", "host": "srv", "os": {"name": "Microsoft Windows Server 2019 Datacenter", "version": "10.0.17763.1637", "architecture": "64-bit", "servicePack": "0"}, "installedKbs": [], "applications": [{"name": "Microsoft Office Professional Plus 2016", "version": "16.0.4266.1001", "publisher": "Microsoft Corporation"}], "extra": true}"#;
        let m = &parse_text(text).unwrap()[0];
        assert_eq!(m.identity, "2339ad14a01bd0299afb93dfa2550136057bff96");
        assert_eq!(m.os.family, OsFamily::WindowsServer2019);
        assert_eq!(
            (m.os.build, m.os.revision, m.os.service_pack),
            (17763, Some(1637), None)
        );
        assert_eq!(m.os.release.as_deref(), Some("1809"));
        assert_eq!(m.applications[0].version.as_deref(), Some("16.0.4266.1001"));
    }

    #[test]
    fn arrays_and_json_lines_locate_errors() {
        let bad = ONE.replace("18363", "\"eighteen\"");
        let err = parse_text(&format!("[{ONE}, {bad}]")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "[1].os.build: expected a whole number from 0 to 4294967295, found \"eighteen\""
        );
        let err = parse_text(&format!("{ONE}\n{ONE}\n{bad}\n")).unwrap_err();
        assert!(err.to_string().starts_with("line 3: os.build: "), "{err}");
        assert_eq!(parse_text(&format!("{ONE}\n\n{ONE}\n")).unwrap().len(), 2);
    }

    #[test]
    fn field_errors() {
        let cases = [
            (
                ONE.replace("\"KB4532693\"", "\"Release Notes\""),
                "installedKbs[0]: expected a KB number",
            ),
            (
                ONE.replace("\"x64\"", "\"sparc\""),
                "os.architecture: expected \"x64\"",
            ),
            (ONE.replace("\"host\": \"DESKTOP-1\",", ""), "host: missing"),
            (
                ONE.replace("\"host\": \"DESKTOP-1\"", "\"host\": 7"),
                "host: expected a string, found 7",
            ),
            (
                ONE.replace("Microsoft Windows 10 Enterprise", "Ubuntu")
                    .replace("18363", "4242"),
                "os.name: cannot tell which Windows",
            ),
            ("[1]".to_string(), "[0]: expected an object, found 1"),
        ];
        for (text, expected) in cases {
            let err = parse_text(&text).unwrap_err().to_string();
            assert!(
                err.starts_with(expected),
                "{err} does not start with {expected}"
            );
        }
    }

    #[test]
    fn syntax_errors_say_line_and_column() {
        let err = parse_text("{\n  \"host\": \"a\",\n  \"os\": }\n").unwrap_err();
        assert_eq!(err.line(), Some(3));
        assert!(
            err.to_string()
                .starts_with("line 3, column 9: invalid JSON: "),
            "{err}"
        );
    }
}
