//! `$select`: a comma-separated list of properties (or `*`), validated against the entity's
//! field table and returned in the table's order, which is the order the API writes them.

use crate::{FieldDef, QueryError, field, quote};

const OPTION: &str = "$select";
const MAX_SELECT_CHARS: usize = 4_096;

/// The canonical names of the selected properties, in the entity's order, without repeats.
pub fn parse_select(input: &str, fields: &[FieldDef]) -> Result<Vec<&'static str>, QueryError> {
    if input.chars().nth(MAX_SELECT_CHARS).is_some() {
        return Err(QueryError::at(
            OPTION,
            MAX_SELECT_CHARS + 1,
            format!("the list is longer than {MAX_SELECT_CHARS} characters"),
        ));
    }
    let mut wanted = vec![false; fields.len()];
    let mut column = 1;
    for item in input.split(',') {
        let leading = item.chars().take_while(|c| c.is_whitespace()).count();
        let name = item.trim();
        let at = column + leading;
        column += item.chars().count() + 1;
        if name.is_empty() {
            return Err(QueryError::at(OPTION, at, "expected a property name"));
        }
        if name == "*" {
            wanted.iter_mut().for_each(|w| *w = true);
            continue;
        }
        let def = field(fields, name).ok_or_else(|| {
            QueryError::at(
                OPTION,
                at,
                format!(
                    "unknown property {} (one of: {})",
                    quote(name),
                    fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
                ),
            )
        })?;
        if let Some(index) = fields.iter().position(|f| f.name == def.name) {
            wanted[index] = true;
        }
    }
    Ok(fields
        .iter()
        .zip(wanted)
        .filter(|(_, w)| *w)
        .map(|(f, _)| f.name)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FieldType;

    const FIELDS: &[FieldDef] = &[
        FieldDef::filterable("id", FieldType::String),
        FieldDef::filterable("computerDnsName", FieldType::String),
        FieldDef::selectable("installedKbs", FieldType::StringCollection),
    ];

    #[test]
    fn returns_canonical_names_in_entity_order() {
        assert_eq!(
            parse_select("installedkbs, ID,id", FIELDS).unwrap(),
            ["id", "installedKbs"]
        );
        assert_eq!(
            parse_select("*", FIELDS).unwrap(),
            ["id", "computerDnsName", "installedKbs"]
        );
    }

    #[test]
    fn errors_point_at_the_item() {
        assert_eq!(
            parse_select("id, nope", FIELDS).unwrap_err().to_string(),
            "$select: at column 5: unknown property 'nope' (one of: id, computerDnsName, installedKbs)"
        );
        assert_eq!(parse_select("id,,x", FIELDS).unwrap_err().column, Some(4));
        assert_eq!(parse_select("", FIELDS).unwrap_err().column, Some(1));
    }
}
