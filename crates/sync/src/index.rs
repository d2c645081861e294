//! The `/updates` list: which CVRF documents exist and when each was last revised.
//!
//! MSRC answers `GET /cvrf/v3.0/updates` with an OData envelope whose `value[]` names every
//! document (`ID` such as `2020-Mar`, `2018-FEB`, `2017-May-B`), its title and its
//! `CurrentReleaseDate`. That date moves whenever Microsoft revises a document, so comparing it
//! with the date of the cached copy tells which documents to ask for without downloading them.

use serde::Deserialize;

/// One document listed by `/updates`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IndexEntry {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "DocumentTitle", default)]
    pub title: String,
    #[serde(rename = "InitialReleaseDate", default)]
    pub initial_release_date: Option<String>,
    /// As written (`2026-02-18T01:02:08Z`); compared as text with the cached copy's.
    #[serde(rename = "CurrentReleaseDate", default)]
    pub current_release_date: Option<String>,
}

impl IndexEntry {
    /// Whether the id is safe as a file name and a URL path segment (letters, digits, `-`).
    /// The id comes from the network; anything else is refused rather than escaped.
    pub fn has_safe_id(&self) -> bool {
        !self.id.is_empty()
            && self.id.len() <= 32
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    }
}

#[derive(Deserialize)]
struct Envelope {
    value: Vec<IndexEntry>,
}

/// Parses the body of `/updates`.
pub fn parse_index(bytes: &[u8]) -> Result<Vec<IndexEntry>, serde_json::Error> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    Ok(serde_json::from_slice::<Envelope>(bytes)?.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_shipped_index() {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/updates.json"
        ))
        .unwrap();
        let entries = parse_index(&bytes).unwrap();
        assert_eq!(entries.len(), 5);
        assert!(entries.iter().all(IndexEntry::has_safe_id));
        let mar = entries.iter().find(|e| e.id == "2019-Mar").unwrap();
        assert_eq!(mar.title, "March 2019 Security Updates");
        assert_eq!(
            mar.current_release_date.as_deref(),
            Some("2026-04-30T01:54:24Z")
        );
    }

    #[test]
    fn unsafe_ids_are_refused() {
        let entry = |id: &str| IndexEntry {
            id: id.into(),
            title: String::new(),
            initial_release_date: None,
            current_release_date: None,
        };
        assert!(entry("2018-FEB").has_safe_id());
        assert!(!entry("../etc").has_safe_id());
        assert!(!entry("a/b").has_safe_id());
        assert!(!entry("").has_safe_id());
    }
}
