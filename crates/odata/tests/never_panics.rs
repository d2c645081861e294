//! The parsers are total: arbitrary text and grammar-shaped random expressions give a filter
//! or an error that points inside the input, never a panic.

use kbgap_odata::{FieldDef, FieldType, Filter, parse_filter, parse_select};
use proptest::prelude::*;

const FIELDS: &[FieldDef] = &[
    FieldDef::filterable("id", FieldType::String),
    FieldDef::filterable("computerDnsName", FieldType::String),
    FieldDef::filterable("osBuild", FieldType::Int),
    FieldDef::filterable("lastSeen", FieldType::DateTime),
    FieldDef::filterable("isAadJoined", FieldType::Bool),
    FieldDef::filterable("osPlatform", FieldType::Enum(&["Windows10", "Windows7"])),
    FieldDef::selectable("installedKbs", FieldType::StringCollection),
];

fn check(input: &str) {
    match parse_filter(input, FIELDS) {
        Ok(filter) => assert_valid(&filter),
        Err(e) => {
            let column = e.column.expect("filter errors have a column");
            assert!(
                (1..=input.chars().count() + 1).contains(&column),
                "{input:?}: column {column} out of range: {e}"
            );
            assert!(e.to_string().starts_with("$filter: at column "), "{e}");
        }
    }
}

/// Every property of a parsed filter is a filterable field of the table.
fn assert_valid(filter: &Filter) {
    for name in filter.fields() {
        assert!(
            FIELDS.iter().any(|f| f.name == name && f.filterable),
            "{name}"
        );
    }
}

fn atom() -> impl Strategy<Value = String> {
    let field = prop::sample::select(vec![
        "id",
        "computerDnsName",
        "OSBUILD",
        "lastSeen",
        "isAadJoined",
        "osPlatform",
        "installedKbs",
        "nope",
        "",
    ]);
    let op = prop::sample::select(vec![
        "eq", "ne", "gt", "ge", "lt", "le", "in", "EQ", "like", "=", "",
    ]);
    let literal = prop_oneof![
        "'[^']{0,8}'".prop_map(|s| s),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("true".to_string()),
        Just("null".to_string()),
        Just("2024-01-01T00:00:00Z".to_string()),
        Just("2024-02-30".to_string()),
        Just("('a','b')".to_string()),
        Just("(1, 2,3)".to_string()),
        Just("'unterminated".to_string()),
        "[ -~]{0,6}".prop_map(|s| s),
    ];
    let function = (
        prop::sample::select(vec!["startswith", "endswith", "contains", "substringof"]),
        prop::sample::select(vec!["id", "osBuild", "computerDnsName", "x"]),
        "'[a-z']{0,5}'",
        prop::sample::select(vec!["", " eq true", " ne false", " eq 1"]),
    )
        .prop_map(|(f, a, t, tail)| format!("{f}({a},{t}){tail}"));
    prop_oneof![
        (field, op, literal).prop_map(|(f, o, l)| format!("{f} {o} {l}")),
        function,
    ]
}

fn expression() -> impl Strategy<Value = String> {
    atom().prop_recursive(6, 64, 4, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} or {b}")),
            inner.clone().prop_map(|a| format!("not {a}")),
            inner.clone().prop_map(|a| format!("({a})")),
            inner.clone().prop_map(|a| format!("(({a})")),
            inner.prop_map(|a| format!("{a})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn arbitrary_text_never_panics(input in any::<String>()) {
        check(&input);
        let _ = parse_select(&input, FIELDS);
    }

    #[test]
    fn filter_alphabet_text_never_panics(input in "[a-zA-Z0-9 '(),.:+TZ-]{0,80}") {
        check(&input);
    }

    #[test]
    fn grammar_shaped_expressions_never_panic(input in expression()) {
        check(&input);
    }

    #[test]
    fn valid_comparisons_parse(n in any::<i64>(), text in "[^']{0,20}") {
        let quoted = text.replace('\'', "''");
        let input = format!("osBuild le {n} and (computerDnsName eq '{quoted}' or not startswith(id,'{quoted}'))");
        prop_assert!(parse_filter(&input, FIELDS).is_ok(), "{}", input);
    }
}
