//! The last good copy of every document, on disk.
//!
//! MSRC has served emptied and truncated documents for hours after a release, and revised old
//! months so that they say less. The cache keeps, per document, the newest copy that passed
//! the checks, so a bad answer is never the only copy there is, and a small JSON state file
//! with what the next sync needs (validators for conditional requests, the
//! `CurrentReleaseDate` the index gave, the vulnerability count that a new copy must reach, a
//! SHA-256 of the XML). Layout:
//!
//! ```text
//! DIR/state.json               what is known of each document and of the index
//! DIR/updates.json             the last /updates body (a 304 on the index reuses it)
//! DIR/documents/2019-Feb.xml.zst   one zstd-compressed XML per document, as served
//! ```
//!
//! Every write goes to a temporary file in the same folder and is renamed into place, so a
//! crash leaves either the old or the new file, never half of one. The state file is written
//! last: at worst a document is newer than its state says and is fetched again.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ruzstd::encoding::{CompressionLevel, compress_to_vec};
use sha2::{Digest, Sha256};

use crate::client::Validators;

/// What the cache knows of one document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DocumentState {
    pub title: String,
    /// The `/updates` `CurrentReleaseDate` this copy answered to.
    #[serde(default)]
    pub listed_date: Option<String>,
    /// The copy's own revision (its `CurrentReleaseDate`, as the catalog parser reports it).
    pub revision: String,
    /// Distinct vulnerability ids its vendor fixes address (see [`crate::vulnerability_count`]).
    pub vulnerabilities: u64,
    /// SHA-256 of the XML as served, lower-case hex.
    pub sha256: String,
    #[serde(flatten)]
    pub validators: Validators,
}

/// The state file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct State {
    /// Validators of the last `/updates` answer.
    #[serde(default)]
    pub index: Validators,
    #[serde(default)]
    pub documents: BTreeMap<String, DocumentState>,
}

/// A cache folder.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    pub state: State,
}

impl Cache {
    /// Opens (creating it when needed) the cache in `dir`.
    pub fn open(dir: impl Into<PathBuf>) -> io::Result<Cache> {
        let dir = dir.into();
        std::fs::create_dir_all(dir.join("documents"))?;
        let state = match std::fs::read(dir.join("state.json")) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: {e}", dir.join("state.json").display()),
                )
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => State::default(),
            Err(e) => return Err(e),
        };
        Ok(Cache { dir, state })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the copy of document `id` lives.
    pub fn document_path(&self, id: &str) -> PathBuf {
        self.dir.join("documents").join(format!("{id}.xml.zst"))
    }

    /// The stored copy of a document (zstd-compressed), if any.
    pub fn read_document(&self, id: &str) -> io::Result<Option<Vec<u8>>> {
        read_optional(&self.document_path(id))
    }

    /// The last `/updates` body, if any.
    pub fn read_index(&self) -> io::Result<Option<Vec<u8>>> {
        read_optional(&self.dir.join("updates.json"))
    }

    /// Stores a document's XML, compressed.
    pub fn write_document(&self, id: &str, xml: &[u8]) -> io::Result<()> {
        let bytes = if kbgap_catalog::is_zstd(xml) {
            xml.to_vec()
        } else {
            compress_to_vec(xml, CompressionLevel::Fastest)
        };
        write_atomic(&self.document_path(id), &bytes)
    }

    pub fn write_index(&self, bytes: &[u8]) -> io::Result<()> {
        write_atomic(&self.dir.join("updates.json"), bytes)
    }

    /// Writes the state file (after the documents it describes).
    pub fn save_state(&self) -> io::Result<()> {
        let json = serde_json::to_vec_pretty(&self.state).map_err(io::Error::other)?;
        write_atomic(&self.dir.join("state.json"), &json)
    }
}

/// SHA-256 of some bytes, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn read_optional(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip_compressed_and_state_persists() {
        let dir = std::env::temp_dir().join(format!("kbgap-sync-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut cache = Cache::open(&dir).unwrap();
        assert_eq!(cache.read_document("2019-Mar").unwrap(), None);
        let xml = b"<cvrf:cvrfdoc>some text, some text, some text</cvrf:cvrfdoc>";
        cache.write_document("2019-Mar", xml).unwrap();
        let stored = cache.read_document("2019-Mar").unwrap().unwrap();
        assert!(kbgap_catalog::is_zstd(&stored));
        let mut decoded = Vec::new();
        io::Read::read_to_end(
            &mut ruzstd::decoding::StreamingDecoder::new(stored.as_slice()).unwrap(),
            &mut decoded,
        )
        .unwrap();
        assert_eq!(decoded, xml);

        cache.state.documents.insert(
            "2019-Mar".into(),
            DocumentState {
                title: "March 2019 Security Updates".into(),
                listed_date: Some("2026-04-30T01:54:24Z".into()),
                revision: "2026-04-30T01:54:24Z".into(),
                vulnerabilities: 3,
                sha256: sha256_hex(xml),
                validators: Validators {
                    etag: Some("\"abc\"".into()),
                    last_modified: None,
                },
            },
        );
        cache.save_state().unwrap();
        let reopened = Cache::open(&dir).unwrap();
        assert_eq!(reopened.state, cache.state);
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sha256_is_the_standard_digest() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
