//! How lists and enums are spelled in the database: space-separated for ids (KBs and CVE ids
//! never contain spaces), newline-separated for free text such as FixedBuild values.

use kbgap_domain::{Kb, OsFamily};

pub(crate) fn join_kbs<'a>(kbs: impl IntoIterator<Item = &'a Kb>) -> String {
    kbs.into_iter()
        .map(|k| k.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn split_kbs(text: &str) -> Vec<Kb> {
    text.split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect()
}

pub(crate) fn join_ids<'a>(ids: impl IntoIterator<Item = &'a String>) -> String {
    ids.into_iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn split_ids(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

pub(crate) fn join_lines<'a>(values: impl IntoIterator<Item = &'a String>) -> String {
    values
        .into_iter()
        .map(|v| v.replace('\n', " "))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn split_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The key products and machines are grouped by.
pub(crate) fn family_key(family: OsFamily) -> String {
    format!("{family:?}")
}
