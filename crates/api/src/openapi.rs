//! `GET /api/openapi.json`: an OpenAPI 3.0 description generated from the route table and
//! the `$metadata` types, so that it lists exactly the routes dispatch answers, with the
//! permissions dispatch enforces and the schemas of the bodies the DTOs serialize.

use serde_json::{Map, Value, json};

use crate::metadata::{self, Property};
use axum::http::Method;

use crate::routes::{Options, ROUTES, Returns, Route};

/// A property's JSON schema.
fn schema_of(p: &Property) -> Value {
    let mut schema = match p.edm {
        "Edm.String" => json!({"type": "string"}),
        "Edm.Int64" => json!({"type": "integer", "format": "int64"}),
        "Edm.Boolean" => json!({"type": "boolean"}),
        "Edm.Double" => json!({"type": "number", "format": "double"}),
        "Edm.Single" => json!({"type": "number", "format": "float"}),
        "Edm.DateTimeOffset" => json!({"type": "string", "format": "date-time"}),
        "Collection(Edm.String)" => json!({"type": "array", "items": {"type": "string"}}),
        other => unreachable!("metadata declares no {other} property"),
    };
    if p.nullable {
        schema["nullable"] = Value::Bool(true);
    }
    schema
}

/// The component name of a qualified type (`microsoft.windowsDefenderATP.api.Machine` →
/// `Machine`; the vulnerability DTO of the other namespace keeps its prefix).
fn component(qualified: &str) -> String {
    qualified
        .strip_prefix(metadata::NAMESPACE)
        .map(|name| name.trim_start_matches('.').to_string())
        .unwrap_or_else(|| qualified.replace('.', "_"))
}

fn reference(qualified: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{}", component(qualified))})
}

fn parameters(route: &Route) -> Vec<Value> {
    let mut out: Vec<Value> = route
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}})
        })
        .collect();
    let query = |name: &str, schema: Value, description: &str| {
        json!({"name": name, "in": "query", "required": false, "schema": schema,
               "description": description})
    };
    match route.options {
        Options::None => {}
        Options::AsOf => out.push(query(
            "asOf",
            json!({"type": "string", "format": "date"}),
            "Evaluate against the catalog as it stood on this date (YYYY-MM-DD).",
        )),
        Options::List(fields) => {
            let filterable: Vec<&str> = fields
                .iter()
                .filter(|f| f.filterable)
                .map(|f| f.name)
                .collect();
            out.push(query(
                "$filter",
                json!({"type": "string"}),
                &format!("OData filter on {}.", filterable.join(", ")),
            ));
            out.push(query(
                "$select",
                json!({"type": "string"}),
                "Comma-separated properties to return.",
            ));
            out.push(query(
                "$top",
                json!({"type": "integer", "minimum": 0, "maximum": 10000}),
                "At most this many rows in all (no @odata.nextLink follows).",
            ));
            out.push(query(
                "$skip",
                json!({"type": "integer", "minimum": 0}),
                "Rows to skip.",
            ));
            out.push(query(
                "$count",
                json!({"type": "boolean"}),
                "Add @odata.count.",
            ));
        }
    }
    out
}

fn success(route: &Route) -> Value {
    let json_body = |schema: Value| json!({"application/json": {"schema": schema}});
    let content = match route.returns {
        Returns::Collection { ty, .. } => json_body(json!({
            "type": "object",
            "required": ["@odata.context", "value"],
            "properties": {
                "@odata.context": {"type": "string"},
                "@odata.count": {"type": "integer"},
                "@odata.nextLink": {"type": "string"},
                "value": {"type": "array", "items": reference(ty)},
            },
        })),
        Returns::Entity { ty, .. } => json_body(json!({
            "allOf": [
                {"type": "object", "properties": {"@odata.context": {"type": "string"}}},
                reference(ty),
            ],
        })),
        Returns::Explanation => json_body(json!({
            "type": "object",
            "description": "The verdict, the products and vulnerabilities, the installed updates and supersedence steps considered (as `kbgap explain --json`).",
        })),
        Returns::Metadata => json!({"application/xml": {"schema": {"type": "string"}}}),
        Returns::OpenApi => json_body(json!({"type": "object"})),
    };
    json!({"description": "OK", "content": content})
}

fn operation(route: &Route) -> Value {
    let error = |description: &str| json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let mut responses = Map::new();
    responses.insert("200".into(), success(route));
    responses.insert("400".into(), error("Invalid query option"));
    let mut op = json!({
        "operationId": format!("{:?}", route.handler),
        "summary": route.summary,
        "parameters": parameters(route),
    });
    if route.permissions.is_empty() {
        op["description"] = json!("No token required.");
        op["security"] = json!([]);
    } else {
        op["description"] = json!(format!(
            "Requires one of the permissions {} (a ReadWrite permission implies its Read).",
            route.permissions.join(", ")
        ));
        op["security"] = json!([{"bearer": []}]);
        responses.insert("401".into(), error("Missing, invalid or expired token"));
        responses.insert("403".into(), error("Missing application roles"));
        responses.insert("404".into(), error("Resource not found"));
        responses.insert("429".into(), error("Too many requests"));
    }
    if route.method == Method::POST {
        op["requestBody"] = json!({
            "required": true,
            "description": "One inventory in any format `kbgap ingest` reads: systeminfo output (any language and encoding), a kbgap JSON inventory, or osquery results.",
            "content": {
                "application/json": {"schema": {}},
                "text/plain": {"schema": {"type": "string"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        });
        responses.insert(
            "413".into(),
            error("The body is larger than the server accepts"),
        );
    }
    op["responses"] = Value::Object(responses);
    op
}

/// The OpenAPI document, with `base` as the server URL.
pub(crate) fn document(base: &str) -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let item = paths
            .entry(format!("/api{}", route.path))
            .or_insert_with(|| json!({}));
        item[route.method.as_str().to_ascii_lowercase()] = operation(route);
    }
    let mut schemas = Map::new();
    for ty in metadata::types() {
        let properties: Map<String, Value> = ty
            .properties
            .iter()
            .map(|p| (p.name.to_string(), schema_of(p)))
            .collect();
        schemas.insert(
            component(&ty.qualified()),
            json!({"type": "object", "properties": properties}),
        );
    }
    schemas.insert(
        "Error".into(),
        json!({
            "type": "object",
            "properties": {"error": {"type": "object", "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "target": {"type": "string"},
            }}},
        }),
    );
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "kbgap",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Defender for Endpoint's TVM API (getmissingkbs, software, machines, vulnerabilities), self-hosted.",
        },
        "servers": [{"url": base}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": schemas,
        },
    })
}
