//! Typed `$filter` expressions as SQL.
//!
//! The SQL text of a filter is built only from fixed pieces: a fixed column expression per
//! field (the `*_column` tables below; a field without one is an error) and fixed operator
//! text. Every literal goes through `push_bind`, so no input can change the statement.
//!
//! Every predicate is written so that it is true or false, never NULL (`col IS ?`,
//! `col IS NOT NULL AND col > ?`), which gives `not` OData's two-valued meaning. String
//! columns hold lower-case text (or are lower-cased by their expression) and literals are
//! lower-cased the same way, which makes every string comparison case-insensitive, as
//! Defender's `computerDnsName` comparison is. `and` / `or` chains are nested as balanced
//! trees so that a long chain stays far below SQLite's expression depth limit.

use kbgap_store::{CompareOp, Filter, Literal, Result, StoreError, TextFunction};
use sqlx::{Encode, QueryBuilder, Sqlite, Type};

/// How a string literal is lower-cased to meet a column's values.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fold {
    /// `str::to_lowercase`, as the column was written (host names, software ids).
    Unicode,
    /// ASCII only, as SQLite's `lower()` does.
    Ascii,
}

impl Fold {
    fn apply(self, text: &str) -> String {
        match self {
            Fold::Unicode => text.to_lowercase(),
            Fold::Ascii => text.to_ascii_lowercase(),
        }
    }
}

/// The SQL a field maps to. Each `&'static str` is a fixed column expression.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Column {
    /// Lower-case text.
    Text(&'static str, Fold),
    Integer(&'static str),
    /// An expression giving Unix seconds.
    UnixTime(&'static str),
}

pub(crate) type Columns = fn(&str) -> Option<Column>;

/// The machine list's fields (kbgap_store::MACHINE_FIELDS).
pub(crate) fn machine_column(field: &str) -> Option<Column> {
    Some(match field {
        // Machine ids are lower-case hex.
        "id" => Column::Text("id", Fold::Ascii),
        "computerDnsName" => Column::Text("host_lower", Fold::Unicode),
        "lastSeen" => Column::UnixTime("unixepoch(last_seen)"),
        "osPlatform" => Column::Text("lower(os_platform)", Fold::Ascii),
        "version" => Column::Text("lower(version)", Fold::Ascii),
        "osBuild" => Column::Integer("os_build"),
        "osArchitecture" => Column::Text("lower(os_architecture)", Fold::Ascii),
        "rbacGroupName" => Column::Text("lower(device_group)", Fold::Ascii),
        _ => return None,
    })
}

/// The software list's fields (kbgap_store::SOFTWARE_FIELDS); software ids, names and
/// vendors are stored lower-case.
pub(crate) fn software_column(field: &str) -> Option<Column> {
    Some(match field {
        "id" => Column::Text("s.id", Fold::Unicode),
        "name" => Column::Text("s.name", Fold::Unicode),
        "vendor" => Column::Text("s.vendor", Fold::Unicode),
        _ => return None,
    })
}

fn unsupported(what: String) -> StoreError {
    StoreError::UnsupportedFilter(what)
}

/// Appends ` AND (filter)` when there is a filter.
pub(crate) fn push_where(
    builder: &mut QueryBuilder<Sqlite>,
    filter: Option<&Filter>,
    columns: Columns,
) -> Result<()> {
    if let Some(filter) = filter {
        builder.push(" AND ");
        push_filter(builder, filter, columns)?;
    }
    Ok(())
}

/// Appends `filter` as one parenthesized SQL condition.
pub(crate) fn push_filter(
    builder: &mut QueryBuilder<Sqlite>,
    filter: &Filter,
    columns: Columns,
) -> Result<()> {
    match filter {
        Filter::And(items) => push_joined(builder, items, " AND ", columns),
        Filter::Or(items) => push_joined(builder, items, " OR ", columns),
        Filter::Not(inner) => {
            builder.push("(NOT ");
            push_filter(builder, inner, columns)?;
            builder.push(")");
            Ok(())
        }
        Filter::Compare { field, op, value } => {
            let column = columns(field).ok_or_else(|| unsupported(format!("field {field}")))?;
            push_compare(builder, column, *op, value)
                .ok_or_else(|| unsupported(format!("{field} {} {value:?}", op.keyword())))
        }
        Filter::In { field, values } => {
            let column = columns(field).ok_or_else(|| unsupported(format!("field {field}")))?;
            push_in(builder, column, values)
                .ok_or_else(|| unsupported(format!("{field} in {values:?}")))
        }
        Filter::Text {
            function,
            field,
            text,
        } => {
            let Some(Column::Text(sql, fold)) = columns(field) else {
                return Err(unsupported(format!("{}({field})", function.name())));
            };
            push_text(builder, sql, *function, &fold.apply(text));
            Ok(())
        }
    }
}

/// `(a AND b)` for two or more items, split in halves so that nesting grows with the
/// logarithm of the length.
fn push_joined(
    builder: &mut QueryBuilder<Sqlite>,
    items: &[Filter],
    separator: &str,
    columns: Columns,
) -> Result<()> {
    match items {
        [] => {
            builder.push(if separator == " AND " {
                "(1 = 1)"
            } else {
                "(1 = 0)"
            });
            Ok(())
        }
        [one] => push_filter(builder, one, columns),
        _ => {
            let (left, right) = items.split_at(items.len() / 2);
            builder.push("(");
            push_joined(builder, left, separator, columns)?;
            builder.push(separator);
            push_joined(builder, right, separator, columns)?;
            builder.push(")");
            Ok(())
        }
    }
}

fn operator(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => " IS ",
        CompareOp::Ne => " IS NOT ",
        CompareOp::Gt => " > ",
        CompareOp::Ge => " >= ",
        CompareOp::Lt => " < ",
        CompareOp::Le => " <= ",
    }
}

fn push_bound<'t, T: Encode<'t, Sqlite> + Type<Sqlite>>(
    builder: &mut QueryBuilder<Sqlite>,
    sql: &'static str,
    op: CompareOp,
    value: T,
) {
    builder.push("(");
    if op.is_ordering() {
        builder.push(sql).push(" IS NOT NULL AND ");
    }
    builder
        .push(sql)
        .push(operator(op))
        .push_bind(value)
        .push(")");
}

/// `None` when the literal's type does not fit the column.
fn push_compare(
    builder: &mut QueryBuilder<Sqlite>,
    column: Column,
    op: CompareOp,
    value: &Literal,
) -> Option<()> {
    let sql = match column {
        Column::Text(sql, _) | Column::Integer(sql) | Column::UnixTime(sql) => sql,
    };
    match (column, value) {
        (_, Literal::Null) => {
            let test = match op {
                CompareOp::Eq => " IS NULL)",
                CompareOp::Ne => " IS NOT NULL)",
                _ => return None,
            };
            builder.push("(").push(sql).push(test);
        }
        (Column::Text(_, fold), Literal::String(s)) => push_bound(builder, sql, op, fold.apply(s)),
        (Column::Integer(_), Literal::Int(n)) => push_bound(builder, sql, op, *n),
        (Column::Integer(_), Literal::Bool(b)) => push_bound(builder, sql, op, i64::from(*b)),
        (Column::UnixTime(_), Literal::DateTime(d)) => {
            push_bound(builder, sql, op, d.as_unix_f64())
        }
        _ => return None,
    }
    Some(())
}

/// `(col IS NOT NULL AND col IN (?, ...))`.
fn push_in(builder: &mut QueryBuilder<Sqlite>, column: Column, values: &[Literal]) -> Option<()> {
    if values.is_empty() {
        builder.push("(1 = 0)");
        return Some(());
    }
    let sql = match column {
        Column::Text(sql, _) | Column::Integer(sql) | Column::UnixTime(sql) => sql,
    };
    builder
        .push("(")
        .push(sql)
        .push(" IS NOT NULL AND ")
        .push(sql)
        .push(" IN (");
    let mut list = builder.separated(", ");
    for value in values {
        match (column, value) {
            (Column::Text(_, fold), Literal::String(s)) => {
                list.push_bind(fold.apply(s));
            }
            (Column::Integer(_), Literal::Int(n)) => {
                list.push_bind(*n);
            }
            (Column::UnixTime(_), Literal::DateTime(d)) => {
                list.push_bind(d.as_unix_f64());
            }
            _ => return None,
        }
    }
    builder.push("))");
    Some(())
}

/// `startswith` / `endswith` / `contains` by character positions (`substr`, `instr`), not
/// `LIKE`, so `%` and `_` in the text are plain characters.
fn push_text(
    builder: &mut QueryBuilder<Sqlite>,
    sql: &'static str,
    function: TextFunction,
    text: &str,
) {
    let length = text.chars().count() as i64;
    builder.push("(").push(sql).push(" IS NOT NULL");
    if length > 0 {
        match function {
            TextFunction::StartsWith => {
                builder
                    .push(" AND substr(")
                    .push(sql)
                    .push(", 1, ")
                    .push_bind(length);
                builder.push(") = ").push_bind(text.to_string());
            }
            TextFunction::EndsWith => {
                builder
                    .push(" AND substr(")
                    .push(sql)
                    .push(", -")
                    .push_bind(length);
                builder.push(") = ").push_bind(text.to_string());
            }
            TextFunction::Contains => {
                builder
                    .push(" AND instr(")
                    .push(sql)
                    .push(", ")
                    .push_bind(text.to_string());
                builder.push(") > 0");
            }
        }
    }
    builder.push(")");
}

#[cfg(test)]
mod tests {
    use kbgap_store::{MACHINE_FIELDS, SOFTWARE_FIELDS, odata};

    use super::*;

    fn sql(filter: &str) -> String {
        let filter = odata::parse_filter(filter, MACHINE_FIELDS).unwrap();
        let mut builder = QueryBuilder::<Sqlite>::new("");
        push_filter(&mut builder, &filter, machine_column).unwrap();
        builder.sql().as_str().to_string()
    }

    #[test]
    fn every_filterable_field_has_a_column() {
        for field in MACHINE_FIELDS.iter().filter(|f| f.filterable) {
            assert!(machine_column(field.name).is_some(), "{}", field.name);
        }
        for field in SOFTWARE_FIELDS.iter().filter(|f| f.filterable) {
            assert!(software_column(field.name).is_some(), "{}", field.name);
        }
    }

    #[test]
    fn literals_are_parameters_never_text() {
        let text = sql(
            "computerDnsName eq 'x''); DROP TABLE machines; --' or startswith(version,'%_') \
             or osBuild in (1, 2) or lastSeen gt 2024-01-01T00:00:00Z",
        );
        assert!(!text.contains("DROP"), "{text}");
        assert!(!text.contains('\''), "{text}");
        assert!(!text.contains("%_"), "{text}");
        assert_eq!(text.matches('?').count(), 6, "{text}");
    }

    #[test]
    fn long_chains_nest_logarithmically() {
        let chain = vec!["osBuild eq 1"; 1000].join(" or ");
        let text = sql(&chain);
        let mut depth = 0usize;
        let mut deepest = 0;
        for c in text.chars() {
            match c {
                '(' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                ')' => depth -= 1,
                _ => {}
            }
        }
        assert!(deepest <= 12, "{deepest}");
    }
}
