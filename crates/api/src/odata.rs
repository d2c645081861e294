//! The OData query options of kbgap's lists, as Defender supports them: `$filter`
//! (comparisons, `and` / `or` / `not`, `in`, `startswith` / `endswith` / `contains`, typed
//! literals), `$select`, `$count=true`, `$top` (at most 10,000, as Defender), `$skip`, and
//! kbgap's `asOf` for the machine getmissingkbs call.
//!
//! Option text is parsed by `kbgap-odata` into a typed filter checked against the entity's
//! field table, and the store binds every literal: filter text never reaches SQL. Anything
//! that cannot be honoured is a 400 `ODataError` whose message names the option, the column
//! and what was expected; nothing is silently ignored.
//!
//! Paging: `$top` is a total cap, as in Defender (no `@odata.nextLink` follows it). Without
//! `$top` the server returns pages of [`SERVER_PAGE_SIZE`] (10,000, Defender's maximum page)
//! and, when rows remain, an absolute `@odata.nextLink`: the same URL with `$skip` advanced
//! by one page, every other option kept as the client sent it.

use axum::http::Uri;
use axum::response::Response;
use kbgap_domain::Date;
use kbgap_store::odata::{self, FieldDef, QueryError};
use kbgap_store::{Filter, ListQuery};
use serde::ser::SerializeMap;

use crate::{ApiError, RequestId, json_response};

/// Largest `$top`, and Defender's maximum page size.
const MAX_TOP: u64 = 10_000;

/// Rows per page when the client gives no `$top`; more rows come with `@odata.nextLink`.
pub const SERVER_PAGE_SIZE: u64 = 10_000;

/// The server page size of one router (tests use a small one).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServerPage(pub u64);

#[derive(Debug, Default)]
pub(crate) struct ListOptions {
    filter: Option<String>,
    select: Option<String>,
    count: Option<bool>,
    top: Option<u64>,
    skip: Option<u64>,
    as_of: Option<String>,
    /// The raw `key=value` pairs except `$skip`, as sent, for `@odata.nextLink`.
    pairs_but_skip: Vec<String>,
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn odata_error(error: QueryError, id: &RequestId) -> ApiError {
    ApiError::odata(error.to_string(), id)
}

impl ListOptions {
    pub(crate) fn parse(query: &str, id: &RequestId) -> Result<Self, ApiError> {
        let mut options = ListOptions::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = percent_decode(raw_key)
                .ok_or_else(|| ApiError::bad_request("Malformed query string", id))?;
            let value = percent_decode(raw_value)
                .ok_or_else(|| ApiError::bad_request("Malformed query string", id))?;
            let number = |name: &str| {
                value.parse::<u64>().map_err(|_| {
                    ApiError::odata(
                        format!(
                            "{name} must be a non-negative integer, found {}",
                            short(&value)
                        ),
                        id,
                    )
                })
            };
            let once = |name: &str, present: bool| {
                if present {
                    Err(ApiError::odata(
                        format!("Query option '{name}' is given more than once"),
                        id,
                    ))
                } else {
                    Ok(())
                }
            };
            let lower = key.to_ascii_lowercase();
            if lower != "$skip" {
                options.pairs_but_skip.push(pair.to_string());
            }
            match lower.as_str() {
                "$filter" => {
                    once("$filter", options.filter.is_some())?;
                    options.filter = Some(value.clone());
                }
                "$select" => {
                    once("$select", options.select.is_some())?;
                    options.select = Some(value.clone());
                }
                "$count" => {
                    once("$count", options.count.is_some())?;
                    options.count = Some(match value.to_ascii_lowercase().as_str() {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(ApiError::odata(
                                format!("$count must be true or false, found {}", short(&value)),
                                id,
                            ));
                        }
                    });
                }
                "$top" => {
                    once("$top", options.top.is_some())?;
                    let top = number("$top")?;
                    if top > MAX_TOP {
                        return Err(ApiError::odata(
                            format!("$top must be at most {MAX_TOP}, found {top}"),
                            id,
                        ));
                    }
                    options.top = Some(top);
                }
                "$skip" => {
                    once("$skip", options.skip.is_some())?;
                    options.skip = Some(number("$skip")?);
                }
                "asof" => {
                    once("asOf", options.as_of.is_some())?;
                    options.as_of = Some(value.clone());
                }
                _ => {
                    return Err(ApiError::odata(
                        format!("Query option {} is not supported", short(&key)),
                        id,
                    ));
                }
            }
        }
        Ok(options)
    }

    fn any_list_option(&self) -> bool {
        self.filter.is_some()
            || self.select.is_some()
            || self.count.is_some()
            || self.top.is_some()
            || self.skip.is_some()
    }

    /// For single-entity and function calls, which take no list options.
    pub(crate) fn reject_any(&self, id: &RequestId) -> Result<(), ApiError> {
        if self.any_list_option() || self.as_of.is_some() {
            return Err(ApiError::odata("This resource takes no query options", id));
        }
        Ok(())
    }

    /// `asOf=YYYY-MM-DD` of the machine getmissingkbs call (no other option is accepted).
    pub(crate) fn as_of(&self, id: &RequestId) -> Result<Option<Date>, ApiError> {
        if self.any_list_option() {
            return Err(ApiError::odata(
                "getmissingkbs takes no $filter, $select, $count, $top or $skip",
                id,
            ));
        }
        self.as_of
            .as_deref()
            .map(|d| {
                d.parse().map_err(|_| {
                    ApiError::bad_request(
                        format!("asOf must be a date like 2020-03-11, found {}", short(d)),
                        id,
                    )
                })
            })
            .transpose()
    }

    /// Validates the list options against an entity's `fields`.
    pub(crate) fn to_list(
        &self,
        fields: &'static [FieldDef],
        page: ServerPage,
        id: &RequestId,
    ) -> Result<ListRequest, ApiError> {
        if self.as_of.is_some() {
            return Err(ApiError::odata("asOf applies to getmissingkbs only", id));
        }
        let filter = self
            .filter
            .as_deref()
            .map(|text| odata::parse_filter(text, fields))
            .transpose()
            .map_err(|e| odata_error(e, id))?;
        let select = self
            .select
            .as_deref()
            .map(|text| odata::parse_select(text, fields))
            .transpose()
            .map_err(|e| odata_error(e, id))?;
        let skip = self.skip.unwrap_or(0);
        // One row more than a server page tells whether another page follows.
        let server_page = self.top.is_none().then_some(page.0.max(1));
        Ok(ListRequest {
            query: ListQuery {
                filter,
                top: Some(self.top.unwrap_or_else(|| page.0.max(1).saturating_add(1))),
                skip,
            },
            select,
            count: self.count.unwrap_or(false),
            server_page,
            pairs_but_skip: self.pairs_but_skip.clone(),
        })
    }
}

/// Quotes a value for a message, shortened.
fn short(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if text.chars().nth(40).is_some() {
        out.push('…');
    }
    format!("'{out}'")
}

/// A validated list request: the store query and how to shape the answer.
#[derive(Debug)]
pub(crate) struct ListRequest {
    pub query: ListQuery,
    select: Option<Vec<&'static str>>,
    pub count: bool,
    server_page: Option<u64>,
    pairs_but_skip: Vec<String>,
}

impl ListRequest {
    pub(crate) fn filter(&self) -> Option<&Filter> {
        self.query.filter.as_ref()
    }

    /// The collection body: `@odata.context` (naming the selected properties),
    /// `@odata.count` when asked for, `@odata.nextLink` when the server cut the page, and
    /// `value` with only the selected properties.
    pub(crate) fn respond<T: serde::Serialize>(
        &self,
        base: &str,
        uri: &Uri,
        entity_set: &str,
        mut items: Vec<T>,
        total: Option<u64>,
    ) -> Response {
        let mut next_link = None;
        if let Some(page) = self.server_page
            && items.len() as u64 > page
        {
            items.truncate(page as usize);
            let mut pairs = self.pairs_but_skip.clone();
            pairs.push(format!("$skip={}", self.query.skip.saturating_add(page)));
            next_link = Some(format!("{base}{}?{}", uri.path(), pairs.join("&")));
        }
        let context = match &self.select {
            Some(names) => format!("{base}/api/$metadata#{entity_set}({})", names.join(",")),
            None => format!("{base}/api/$metadata#{entity_set}"),
        };
        let value: Vec<Selected<T>> = items
            .iter()
            .map(|item| Selected {
                item,
                names: self.select.as_deref(),
            })
            .collect();
        let body = ListBody {
            context,
            count: total,
            next_link,
            value,
        };
        json_response(serde_json::to_vec(&body).expect("DTOs serialize"))
    }
}

#[derive(serde::Serialize)]
struct ListBody<'a, T> {
    #[serde(rename = "@odata.context")]
    context: String,
    #[serde(rename = "@odata.count", skip_serializing_if = "Option::is_none")]
    count: Option<u64>,
    #[serde(rename = "@odata.nextLink", skip_serializing_if = "Option::is_none")]
    next_link: Option<String>,
    value: Vec<Selected<'a, T>>,
}

/// An item with only the `$select`ed properties, in the entity's order (all when `None`).
struct Selected<'a, T> {
    item: &'a T,
    names: Option<&'a [&'static str]>,
}

impl<T: serde::Serialize> serde::Serialize for Selected<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Some(names) = self.names else {
            return self.item.serialize(serializer);
        };
        let serde_json::Value::Object(mut all) =
            serde_json::to_value(self.item).map_err(serde::ser::Error::custom)?
        else {
            return Err(serde::ser::Error::custom(
                "an entity serializes as an object",
            ));
        };
        let mut map = serializer.serialize_map(Some(names.len()))?;
        for name in names {
            if let Some(value) = all.remove(*name) {
                map.serialize_entry(name, &value)?;
            }
        }
        map.end()
    }
}
