//! Whatever text a client puts in `$filter` or `$select`, parsing must end in a typed
//! expression or an error pointing inside the input, never a panic, a stack overflow or a
//! hang: the fields are the real machine and software tables.
#![no_main]

use kbgap_odata::{FieldDef, FieldType, parse_filter, parse_select};
use libfuzzer_sys::fuzz_target;

const FIELDS: &[FieldDef] = &[
    FieldDef::filterable("id", FieldType::String),
    FieldDef::filterable("computerDnsName", FieldType::String),
    FieldDef::filterable("lastSeen", FieldType::DateTime),
    FieldDef::filterable("osPlatform", FieldType::Enum(&["Windows10", "Windows7"])),
    FieldDef::filterable("osBuild", FieldType::Int),
    FieldDef::filterable("isAadJoined", FieldType::Bool),
    FieldDef::selectable("installedKbs", FieldType::StringCollection),
];

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Err(e) = parse_filter(text, FIELDS) {
        let column = e.column.expect("filter errors have a column");
        assert!((1..=text.chars().count() + 1).contains(&column));
    }
    let _ = parse_select(text, FIELDS);
});
