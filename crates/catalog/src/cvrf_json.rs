//! CVRF documents in the API's JSON form (`Accept: application/json`).
//!
//! Same content as the XML with integer enums (Remediation `Type` 2 = Vendor Fix, Threat
//! `Type` 3 = Severity, verified by pairing the JSON and XML of the same revision of
//! 2020-Dec) and `{"Value": ...}` wrappers. Only the fields the model needs are deserialized;
//! the rest is skipped by serde.

use std::io::BufRead;

use serde::Deserialize;

use crate::cvrf::{self, RawDoc, RawFix, RawVuln};
use crate::error::{Error, Location, Result};
use crate::input;
use crate::model::Batch;

/// JSON `Remediation.Type` of a Vendor Fix.
const VENDOR_FIX: i64 = 2;
/// JSON `Threat.Type` of a Severity threat.
const SEVERITY: i64 = 3;

/// Parses one CVRF JSON document (UTF-8 with or without a byte-order mark, or UTF-16 with
/// one).
pub fn parse_cvrf_json<R: BufRead>(mut reader: R) -> Result<Batch> {
    let bytes = match input::utf16_text(&mut reader)? {
        Some(text) => text.into_bytes(),
        None => {
            let mut all = Vec::new();
            reader.read_to_end(&mut all)?;
            all
        }
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Empty);
    }
    let doc: Doc = serde_json::from_slice(bytes).map_err(json_error)?;
    if doc.document_tracking.is_none() {
        if doc.value.is_some() || doc.odata_context.is_some() {
            return Err(Error::UpdatesIndex);
        }
        return Err(Error::NotCvrf(
            "the JSON object has no DocumentTracking".into(),
        ));
    }
    cvrf::build(doc.into_raw())
}

fn json_error(e: serde_json::Error) -> Error {
    use serde_json::error::Category;
    let at = Location::LineColumn {
        line: e.line() as u64,
        column: e.column() as u64,
    };
    match e.classify() {
        Category::Io => Error::Io(e.into()),
        Category::Eof => Error::Truncated { at, inside: None },
        Category::Syntax => Error::Syntax {
            at,
            message: strip_position(&e.to_string()),
        },
        Category::Data => Error::NotCvrf(format!("{at}: {}", strip_position(&e.to_string()))),
    }
}

/// serde_json appends " at line L column C"; the location is reported separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Doc {
    document_title: Option<Wrapped>,
    document_tracking: Option<Tracking>,
    product_tree: Option<ProductTree>,
    vulnerability: Option<Vec<Vuln>>,
    /// Present in the `/updates` index, absent from documents.
    #[serde(rename = "@odata.context")]
    odata_context: Option<serde::de::IgnoredAny>,
    #[serde(rename = "value")]
    value: Option<serde::de::IgnoredAny>,
}

/// `{"Value": "..."}`.
#[derive(Deserialize)]
struct Wrapped {
    #[serde(rename = "Value")]
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Tracking {
    identification: Option<Identification>,
    initial_release_date: Option<String>,
    current_release_date: Option<String>,
}

#[derive(Deserialize)]
struct Identification {
    #[serde(rename = "ID")]
    id: Option<Wrapped>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProductTree {
    branch: Option<Vec<Node>>,
    full_product_name: Option<Vec<Node>>,
}

/// A branch (`Items`) or a product leaf (`ProductID`, `Value`) of the product tree.
#[derive(Deserialize)]
struct Node {
    #[serde(rename = "ProductID")]
    product_id: Option<String>,
    #[serde(rename = "Value")]
    value: Option<String>,
    #[serde(rename = "Items")]
    items: Option<Vec<Node>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Vuln {
    #[serde(rename = "CVE")]
    cve: Option<String>,
    threats: Option<Vec<Threat>>,
    remediations: Option<Vec<Remediation>>,
    revision_history: Option<Vec<Revision>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Revision {
    date: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Threat {
    #[serde(rename = "Type")]
    kind: Option<Enum>,
    description: Option<Wrapped>,
    #[serde(rename = "ProductID")]
    product_id: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Remediation {
    #[serde(rename = "Type")]
    kind: Option<Enum>,
    description: Option<Wrapped>,
    supercedence: Option<String>,
    #[serde(rename = "ProductID")]
    product_id: Option<Vec<String>>,
    sub_type: Option<String>,
    fixed_build: Option<String>,
}

/// An enum as the API writes it (an integer), or as a hand-converted file might (its name).
#[derive(Deserialize)]
#[serde(untagged)]
enum Enum {
    Number(i64),
    Name(String),
}

impl Enum {
    fn is(&self, number: i64, name: &str) -> bool {
        match self {
            Enum::Number(n) => *n == number,
            Enum::Name(s) => s.trim().eq_ignore_ascii_case(name),
        }
    }
}

fn collect_products(nodes: Vec<Node>, out: &mut std::collections::HashMap<String, String>) {
    for node in nodes {
        if let (Some(id), Some(name)) = (node.product_id, node.value) {
            out.entry(id.trim().to_string())
                .or_insert_with(|| name.trim().to_string());
        }
        if let Some(items) = node.items {
            collect_products(items, out);
        }
    }
}

impl Doc {
    fn into_raw(self) -> RawDoc {
        let mut raw = RawDoc {
            title: self.document_title.and_then(|t| t.value),
            ..RawDoc::default()
        };
        if let Some(t) = self.document_tracking {
            raw.id = t.identification.and_then(|i| i.id).and_then(|w| w.value);
            raw.initial_release = t.initial_release_date;
            raw.current_release = t.current_release_date;
        }
        if let Some(tree) = self.product_tree {
            collect_products(
                tree.full_product_name.unwrap_or_default(),
                &mut raw.products,
            );
            collect_products(tree.branch.unwrap_or_default(), &mut raw.products);
        }
        for v in self.vulnerability.unwrap_or_default() {
            let mut vuln = RawVuln {
                id: v.cve,
                ..RawVuln::default()
            };
            for r in v.revision_history.unwrap_or_default() {
                if let Some(date) = r.date {
                    vuln.revised(date);
                }
            }
            for t in v.threats.unwrap_or_default() {
                if !t.kind.is_some_and(|k| k.is(SEVERITY, "Severity")) {
                    continue;
                }
                if let Some(d) = t.description.and_then(|d| d.value) {
                    let d: std::rc::Rc<str> = d.trim().into();
                    for p in t.product_id.unwrap_or_default() {
                        vuln.severity.insert(p.trim().to_string(), d.clone());
                    }
                }
            }
            for r in v.remediations.unwrap_or_default() {
                raw.remediations += 1;
                if !r
                    .kind
                    .as_ref()
                    .is_some_and(|k| k.is(VENDOR_FIX, "Vendor Fix"))
                {
                    raw.not_vendor_fix += 1;
                    continue;
                }
                vuln.fixes.push(RawFix {
                    kb: r.description.and_then(|d| d.value).unwrap_or_default(),
                    product_ids: r.product_id.unwrap_or_default(),
                    supercedence: r.supercedence,
                    sub_type: r.sub_type,
                    fixed_build: r.fixed_build,
                });
            }
            raw.vulns.push(vuln);
        }
        raw
    }
}
