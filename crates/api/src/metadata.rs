//! `GET /api/$metadata`: the OData CSDL of every type kbgap's `@odata.context` values name.
//!
//! OData clients (and code generators such as the ones that read Defender's own `$metadata`)
//! resolve `$metadata#Machines` or `#Collection(...PublicProductFixDto)` against this
//! document. The entity types are generated from the field tables the lists parse `$filter`
//! and `$select` against (`kbgap_store::fields`); the other types are listed here, next to
//! their DTOs. A test checks that every key the API serializes is declared.
//!
//! The functions bound to an entity (`GetMissingKbs` on `Software` and on `Machine`,
//! `Distributions`, `MachineReferences`, `Vulnerabilities`, `Software`) are derived from the
//! route table, as `openapi.json` is.
//!
//! Namespaces are Defender's: `microsoft.windowsDefenderATP.api`, and
//! `Analytics.Contracts.PublicAPI` for the vulnerability lists under a software or a machine.
//! Defender declares `PublicDistributionDto` as a complex type; kbgap's answers name it through
//! the entity set `Distributions`, so it is an entity type keyed by `version` here.

use kbgap_store::odata::{FieldDef, FieldType};
use kbgap_store::{MACHINE_FIELDS, SOFTWARE_FIELDS, VULNERABILITY_FIELDS};

use crate::routes::{ROUTES, Returns};

pub(crate) const NAMESPACE: &str = "microsoft.windowsDefenderATP.api";
pub(crate) const ANALYTICS_NAMESPACE: &str = "Analytics.Contracts.PublicAPI";

/// One declared property.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Property {
    pub name: &'static str,
    /// `Edm.String`, `Edm.Int64`, `Collection(Edm.String)`, ...
    pub edm: &'static str,
    pub nullable: bool,
}

const fn prop(name: &'static str, edm: &'static str, nullable: bool) -> Property {
    Property {
        name,
        edm,
        nullable,
    }
}

/// One entity or complex type.
#[derive(Debug, Clone)]
pub(crate) struct TypeDef {
    pub namespace: &'static str,
    pub name: &'static str,
    /// The key property of an entity type; `None` for a complex type.
    pub key: Option<&'static str>,
    pub properties: Vec<Property>,
}

impl TypeDef {
    pub(crate) fn qualified(&self) -> String {
        format!("{}.{}", self.namespace, self.name)
    }
}

fn from_field(field: &FieldDef) -> Property {
    let (edm, nullable) = match field.ty {
        FieldType::String | FieldType::Enum(_) => ("Edm.String", true),
        FieldType::Int => ("Edm.Int64", false),
        FieldType::DateTime => ("Edm.DateTimeOffset", true),
        FieldType::Bool => ("Edm.Boolean", false),
        FieldType::StringCollection => ("Collection(Edm.String)", true),
        // Defender's `impactScore` is Edm.Single, `cvssV3` a nullable Edm.Double.
        FieldType::Number if field.name == "impactScore" => ("Edm.Single", false),
        FieldType::Number => ("Edm.Double", true),
    };
    prop(field.name, edm, nullable)
}

fn entity(namespace: &'static str, name: &'static str, fields: &[FieldDef]) -> TypeDef {
    TypeDef {
        namespace,
        name,
        key: Some("id"),
        properties: fields.iter().map(from_field).collect(),
    }
}

/// Every type the API's answers name.
pub(crate) fn types() -> Vec<TypeDef> {
    vec![
        entity(NAMESPACE, "Machine", MACHINE_FIELDS),
        entity(NAMESPACE, "Software", SOFTWARE_FIELDS),
        entity(NAMESPACE, "Vulnerability", VULNERABILITY_FIELDS),
        entity(
            ANALYTICS_NAMESPACE,
            "PublicVulnerabilityDto",
            VULNERABILITY_FIELDS,
        ),
        TypeDef {
            namespace: NAMESPACE,
            name: "MachineReference",
            key: Some("id"),
            properties: vec![
                prop("id", "Edm.String", false),
                prop("computerDnsName", "Edm.String", true),
                prop("osPlatform", "Edm.String", true),
                prop("rbacGroupName", "Edm.String", true),
            ],
        },
        TypeDef {
            namespace: NAMESPACE,
            name: "PublicDistributionDto",
            key: Some("version"),
            properties: vec![
                prop("version", "Edm.String", false),
                prop("installations", "Edm.Int64", false),
                prop("vulnerabilities", "Edm.Int64", false),
            ],
        },
        TypeDef {
            namespace: NAMESPACE,
            name: "PublicProductFixDto",
            key: None,
            properties: vec![
                prop("id", "Edm.String", true),
                prop("name", "Edm.String", true),
                prop("osBuild", "Edm.Int64", true),
                prop("productsNames", "Collection(Edm.String)", true),
                prop("url", "Edm.String", true),
                prop("machineMissedOn", "Edm.Int64", false),
                prop("cveAddressed", "Edm.Int64", false),
            ],
        },
    ]
}

/// The entity sets the contexts of lists and entities name, and their types.
pub(crate) const ENTITY_SETS: &[(&str, &str)] = &[
    ("Machines", "Machine"),
    ("Software", "Software"),
    ("Vulnerabilities", "Vulnerability"),
    ("MachineReferences", "MachineReference"),
    ("Distributions", "PublicDistributionDto"),
];

/// Defender's spelling of the bound functions whose path segment is not simply its name
/// with a capital first letter.
const FUNCTION_NAMES: &[(&str, &str)] = &[("getmissingkbs", "GetMissingKbs")];

/// The functions bound to an entity, from the route table: every `/{set}/{id}/{function}`
/// route that answers a collection, as (name, bound type, qualified returned type).
pub(crate) fn bound_functions() -> Vec<(String, &'static str, &'static str)> {
    ROUTES
        .iter()
        .filter_map(|route| {
            let [set, "{id}", function] = route
                .path
                .split('/')
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()[..]
            else {
                return None;
            };
            let Returns::Collection { ty, .. } = route.returns else {
                return None;
            };
            let (_, binding) = ENTITY_SETS
                .iter()
                .find(|(s, _)| s.eq_ignore_ascii_case(set))?;
            let name = FUNCTION_NAMES
                .iter()
                .find(|(segment, _)| segment.eq_ignore_ascii_case(function))
                .map(|(_, name)| name.to_string())
                .unwrap_or_else(|| {
                    let mut chars = function.chars();
                    chars
                        .next()
                        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                        .unwrap_or_default()
                });
            Some((name, *binding, ty))
        })
        .collect()
}

/// The CSDL document (OData 4.0 EDMX).
pub(crate) fn document() -> String {
    let types = types();
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <edmx:Edmx Version=\"4.0\" xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\">\n\
         <edmx:DataServices>\n",
    );
    for namespace in [NAMESPACE, ANALYTICS_NAMESPACE] {
        out.push_str(&format!(
            "<Schema Namespace=\"{namespace}\" xmlns=\"http://docs.oasis-open.org/odata/ns/edm\">\n"
        ));
        for ty in types.iter().filter(|t| t.namespace == namespace) {
            let kind = if ty.key.is_some() {
                "EntityType"
            } else {
                "ComplexType"
            };
            out.push_str(&format!("<{kind} Name=\"{}\">\n", ty.name));
            if let Some(key) = ty.key {
                out.push_str(&format!("<Key><PropertyRef Name=\"{key}\"/></Key>\n"));
            }
            for p in &ty.properties {
                let nullable = if p.nullable && Some(p.name) != ty.key {
                    ""
                } else {
                    " Nullable=\"false\""
                };
                out.push_str(&format!(
                    "<Property Name=\"{}\" Type=\"{}\"{nullable}/>\n",
                    p.name, p.edm
                ));
            }
            out.push_str(&format!("</{kind}>\n"));
        }
        if namespace == NAMESPACE {
            for (name, binding, returns) in bound_functions() {
                out.push_str(&format!(
                    "<Function Name=\"{name}\" IsBound=\"true\">\n\
                     <Parameter Name=\"bindingParameter\" Type=\"{NAMESPACE}.{binding}\"/>\n\
                     <ReturnType Type=\"Collection({returns})\"/>\n</Function>\n"
                ));
            }
            out.push_str("<EntityContainer Name=\"Container\">\n");
            for (set, ty) in ENTITY_SETS {
                out.push_str(&format!(
                    "<EntitySet Name=\"{set}\" EntityType=\"{NAMESPACE}.{ty}\"/>\n"
                ));
            }
            out.push_str("</EntityContainer>\n");
        }
        out.push_str("</Schema>\n");
    }
    out.push_str("</edmx:DataServices>\n</edmx:Edmx>\n");
    out
}
