//! `$metadata` and `openapi.json` against what the server really answers: every route
//! `openapi.json` lists answers (no 404) and nothing else does, every `@odata.context` an
//! answer carries names a type `$metadata` defines, and every key an answer serializes is a
//! property declared on that type.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use support::TestServer;

/// The CSDL read just enough: qualified type name -> declared properties, and entity set
/// name -> qualified type name.
struct Csdl {
    types: BTreeMap<String, BTreeSet<String>>,
    sets: BTreeMap<String, String>,
    /// (function, bound type) -> returned type.
    functions: BTreeMap<(String, String), String>,
}

/// The value of `name="..."` in an XML start tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[start..].find('"')? + start;
    Some(&tag[start..end])
}

fn parse_csdl(xml: &str) -> Csdl {
    let mut types: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut sets = BTreeMap::new();
    let mut functions = BTreeMap::new();
    let mut function: Option<(String, String)> = None;
    let mut namespace = String::new();
    let mut current: Option<String> = None;
    for tag in xml.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap();
        let element = tag.split_whitespace().next().unwrap_or("");
        match element {
            "Schema" => namespace = attribute(tag, "Namespace").unwrap().to_string(),
            "EntityType" | "ComplexType" => {
                let name = format!("{namespace}.{}", attribute(tag, "Name").unwrap());
                types.insert(name.clone(), BTreeSet::new());
                current = Some(name);
            }
            "Property" => {
                let owner = current.as_ref().expect("a property inside a type");
                types
                    .get_mut(owner)
                    .unwrap()
                    .insert(attribute(tag, "Name").unwrap().to_string());
            }
            "Function" => {
                function = Some((attribute(tag, "Name").unwrap().to_string(), String::new()));
            }
            "Parameter" => {
                let f = function.as_mut().expect("a parameter inside a function");
                f.1 = attribute(tag, "Type").unwrap().to_string();
            }
            "ReturnType" => {
                let f = function.take().expect("a return type inside a function");
                functions.insert(f, attribute(tag, "Type").unwrap().to_string());
            }
            "EntitySet" => {
                sets.insert(
                    attribute(tag, "Name").unwrap().to_string(),
                    attribute(tag, "EntityType").unwrap().to_string(),
                );
            }
            _ => {}
        }
    }
    Csdl {
        types,
        sets,
        functions,
    }
}

impl Csdl {
    /// The type a context (`Machines`, `Machines(id,osBuild)`, `Software/$entity`,
    /// `Collection(ns.Type)`) names.
    fn resolve(&self, context: &str) -> &BTreeSet<String> {
        let name = match context
            .strip_prefix("Collection(")
            .and_then(|c| c.strip_suffix(')'))
        {
            Some(qualified) => qualified.to_string(),
            None => {
                let set = context.split(['/', '(']).next().expect("an entity set");
                self.sets
                    .get(set)
                    .unwrap_or_else(|| panic!("entity set {set} is not declared"))
                    .clone()
            }
        };
        self.types
            .get(&name)
            .unwrap_or_else(|| panic!("type {name} is not declared"))
    }
}

#[tokio::test]
async fn every_listed_route_answers_and_every_key_is_declared() {
    let server = TestServer::start("metadata").await;
    let token = server.reader();
    let metadata = server.get("/api/$metadata", None).await;
    assert_eq!(metadata.status, 200);
    assert!(
        metadata
            .header("content-type")
            .unwrap()
            .starts_with("application/xml")
    );
    let csdl = parse_csdl(&metadata.body);
    let document = server.get("/api/openapi.json", None).await.json();
    assert_eq!(document["openapi"], "3.0.3");
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() >= 15, "{:?}", paths.keys());

    let mut contexts = BTreeSet::new();
    for (template, item) in paths {
        // Every schema reference resolves to a component.
        for reference in references(item) {
            let name = reference.trim_start_matches("#/components/schemas/");
            assert!(
                document["components"]["schemas"].get(name).is_some(),
                "{template}: {reference}"
            );
        }
        let path = server.fill(template).await;
        let answer = if item.get("get").is_some() {
            server.get(&path, Some(&token)).await
        } else {
            // The one written resource: a real inventory, with the write permission.
            assert!(item.get("post").is_some(), "{template}");
            let writer = server.token(&["Machine.ReadWrite.All"]);
            let inventory = std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../demo/fleet-2020-03.json"
            ))
            .unwrap();
            server.send("POST", &path, Some(&writer), &inventory).await
        };
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        let Ok(body) = serde_json::from_str::<Value>(&answer.body) else {
            continue; // $metadata
        };
        let Some(context) = body["@odata.context"].as_str() else {
            continue; // openapi.json, explain
        };
        let fragment = context.split_once('#').expect("a fragment").1.to_string();
        let declared = csdl.resolve(&fragment);
        let items: Vec<&Value> = match body.get("value") {
            Some(Value::Array(items)) => items.iter().collect(),
            _ => vec![&body],
        };
        assert!(!items.is_empty(), "{path} gave no item to check");
        for item in items {
            for key in item.as_object().unwrap().keys() {
                if key.starts_with("@odata.") {
                    continue;
                }
                assert!(declared.contains(key), "{path}: {key} not in {fragment}");
            }
        }
        contexts.insert(fragment);
    }
    // $select narrows the context; it still resolves.
    let selected = server
        .get("/api/machines?$select=id,osBuild", Some(&token))
        .await
        .json();
    let context = selected["@odata.context"].as_str().unwrap();
    csdl.resolve(context.split_once('#').unwrap().1);
    assert!(contexts.len() >= 8, "{contexts:?}");

    // A path the document does not list is not answered.
    let answer = server.get("/api/alerts", Some(&token)).await;
    assert_eq!(answer.status, 404);
}

/// The functions Defender's `$metadata` binds to the entities kbgap serves (mde-api.md §7),
/// with what they return.
#[tokio::test]
async fn metadata_declares_defenders_bound_functions() {
    let server = TestServer::start("functions").await;
    let csdl = parse_csdl(&server.get("/api/$metadata", None).await.body);
    let ns = "microsoft.windowsDefenderATP.api";
    let fix = format!("Collection({ns}.PublicProductFixDto)");
    let vulnerabilities = "Collection(Analytics.Contracts.PublicAPI.PublicVulnerabilityDto)";
    let expected: BTreeMap<(String, String), String> = [
        ("GetMissingKbs", "Software", fix.clone()),
        ("GetMissingKbs", "Machine", fix),
        (
            "Distributions",
            "Software",
            format!("Collection({ns}.PublicDistributionDto)"),
        ),
        (
            "MachineReferences",
            "Software",
            format!("Collection({ns}.MachineReference)"),
        ),
        (
            "MachineReferences",
            "Vulnerability",
            format!("Collection({ns}.MachineReference)"),
        ),
        ("Vulnerabilities", "Software", vulnerabilities.to_string()),
        ("Vulnerabilities", "Machine", vulnerabilities.to_string()),
        ("Software", "Machine", format!("Collection({ns}.Software)")),
    ]
    .into_iter()
    .map(|(name, bound, returns)| ((name.to_string(), format!("{ns}.{bound}")), returns))
    .collect();
    assert_eq!(csdl.functions, expected);
    for returns in csdl.functions.values() {
        csdl.resolve(returns);
    }
}

fn references(value: &Value) -> Vec<String> {
    match value {
        Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| match (k.as_str(), v) {
                ("$ref", Value::String(r)) => vec![r.clone()],
                _ => references(v),
            })
            .collect(),
        Value::Array(items) => items.iter().flat_map(references).collect(),
        _ => Vec::new(),
    }
}
