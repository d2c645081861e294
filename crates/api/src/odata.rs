//! The OData query options kbgap understands: `$filter` with `eq` (joined by `and`) on the
//! documented fields, `$top` (at most 10,000, as Defender), `$skip`, and kbgap's `asOf`.
//! Anything else is a 400 that names the problem, never silently ignored.

use kbgap_domain::Date;
use kbgap_store::ListQuery;

use crate::{ApiError, RequestId};

const MAX_TOP: u64 = 10_000;

#[derive(Debug, Default)]
pub(crate) struct ListOptions {
    filter: Option<String>,
    top: Option<u64>,
    skip: Option<u64>,
    as_of: Option<String>,
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

impl ListOptions {
    pub(crate) fn parse(query: &str, id: &RequestId) -> Result<Self, ApiError> {
        let mut options = ListOptions::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = percent_decode(key)
                .ok_or_else(|| ApiError::bad_request("Malformed query string", id))?;
            let value = percent_decode(value)
                .ok_or_else(|| ApiError::bad_request("Malformed query string", id))?;
            let number = |name: &str| {
                value.parse::<u64>().map_err(|_| {
                    ApiError::bad_request(
                        format!("{name} must be a non-negative integer, found '{value}'"),
                        id,
                    )
                })
            };
            match key.as_str() {
                "$filter" => options.filter = Some(value.clone()),
                "$top" => {
                    let top = number("$top")?;
                    if top > MAX_TOP {
                        return Err(ApiError::bad_request(
                            format!("$top must be at most {MAX_TOP}, found {top}"),
                            id,
                        ));
                    }
                    options.top = Some(top);
                }
                "$skip" => options.skip = Some(number("$skip")?),
                "asOf" => options.as_of = Some(value.clone()),
                other => {
                    return Err(ApiError::bad_request(
                        format!("Query option '{other}' is not supported"),
                        id,
                    ));
                }
            }
        }
        Ok(options)
    }

    /// For single-entity and function calls, which take no list options.
    pub(crate) fn reject_any(&self, id: &RequestId) -> Result<(), ApiError> {
        if self.filter.is_some()
            || self.top.is_some()
            || self.skip.is_some()
            || self.as_of.is_some()
        {
            return Err(ApiError::bad_request(
                "This resource takes no query options",
                id,
            ));
        }
        Ok(())
    }

    /// `asOf=YYYY-MM-DD` of the machine getmissingkbs call (no other option is accepted).
    pub(crate) fn as_of(&self, id: &RequestId) -> Result<Option<Date>, ApiError> {
        if self.filter.is_some() || self.top.is_some() || self.skip.is_some() {
            return Err(ApiError::bad_request(
                "getmissingkbs takes no $filter, $top or $skip",
                id,
            ));
        }
        self.as_of
            .as_deref()
            .map(|d| {
                d.parse().map_err(|_| {
                    ApiError::bad_request(
                        format!("asOf must be a date like 2020-03-11, found '{d}'"),
                        id,
                    )
                })
            })
            .transpose()
    }

    /// Converts `$filter=field eq 'value' and ...`, `$top`, `$skip` for a list of `fields`.
    pub(crate) fn to_list_query(
        &self,
        fields: &[&str],
        id: &RequestId,
    ) -> Result<ListQuery, ApiError> {
        if self.as_of.is_some() {
            return Err(ApiError::bad_request(
                "asOf applies to getmissingkbs only",
                id,
            ));
        }
        let mut equals = Vec::new();
        if let Some(filter) = &self.filter {
            for clause in split_and(filter) {
                let clause = clause.trim();
                let mut parts = clause.splitn(3, ' ');
                let (field, op, value) = (
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or("").trim(),
                );
                let field = fields
                    .iter()
                    .find(|f| f.eq_ignore_ascii_case(field))
                    .ok_or_else(|| ApiError::bad_request(format!("$filter: unknown or unsupported property '{field}' (supported: {})", fields.join(", ")), id))?;
                if op != "eq" {
                    return Err(ApiError::bad_request(
                        format!("$filter: operator '{op}' is not supported here; use 'eq'"),
                        id,
                    ));
                }
                let literal = value
                    .strip_prefix('\'')
                    .and_then(|v| v.strip_suffix('\''))
                    .ok_or_else(|| {
                        ApiError::bad_request(
                            format!(
                                "$filter: expected a quoted string after 'eq', found '{value}'"
                            ),
                            id,
                        )
                    })?;
                if literal.replace("''", "").contains('\'') {
                    return Err(ApiError::bad_request(
                        "$filter: unbalanced quote in string literal",
                        id,
                    ));
                }
                equals.push((field.to_string(), literal.replace("''", "'")));
            }
        }
        Ok(ListQuery {
            equals,
            top: self.top,
            skip: self.skip.unwrap_or(0),
        })
    }
}

/// Splits on ` and ` outside string literals.
fn split_and(filter: &str) -> Vec<String> {
    let mut clauses = vec![String::new()];
    let mut in_string = false;
    let mut rest = filter;
    while let Some(c) = rest.chars().next() {
        if c == '\'' {
            in_string = !in_string;
        }
        if !in_string && rest.len() >= 5 && rest[..5].eq_ignore_ascii_case(" and ") {
            clauses.push(String::new());
            rest = &rest[5..];
            continue;
        }
        clauses.last_mut().expect("never empty").push(c);
        rest = &rest[c.len_utf8()..];
    }
    clauses
}
