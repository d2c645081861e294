//! Keeping the catalog fresh from MSRC's public CVRF API (`kbgap catalog sync`).
//!
//! Microsoft publishes one CVRF document per monthly release and revises old ones for years
//! (new CVEs, renamed products, KBs re-pointed). A sync asks `/updates` which documents exist
//! and when each was last revised, fetches only those whose date moved (with `If-None-Match` /
//! `If-Modified-Since`, so an unchanged body costs a 304), checks every new copy, and imports
//! the accepted ones into the store through the ordinary import path, all in one transaction.
//!
//! The check exists because the upstream API has served broken documents (truncated XML, HTTP
//! errors) and emptied ones (a valid document with no vulnerabilities, for hours after a
//! release). A copy is rejected, with the month named and the reason, when it does not parse as
//! a CVRF document, or when it addresses fewer vulnerabilities than the copy already kept; the
//! kept copy then stays in the [`Cache`] and in the catalog, and the next sync tries again.
//!
//! The work is split in two so that the network and the database are never held at once:
//! [`plan`] (blocking HTTP, parsing, checks; writes nothing) and [`apply`] (the store import,
//! then the cache writes). A failure in either leaves the store and the cache as they were.

mod cache;
mod client;
pub mod compare;
mod index;

use std::collections::BTreeSet;
use std::fmt;

use kbgap_catalog::{Batch, is_pseudo_document, parse_bytes};
use kbgap_store::{CatalogSummary, Progress, Store, StoreError};
use ruzstd::encoding::{CompressionLevel, compress_to_vec};

pub use cache::{Cache, DocumentState, State, sha256_hex};
pub use client::{CaError, DEFAULT_SOURCE, Fetch, FetchError, MsrcClient, Validators};
pub use index::{IndexEntry, parse_index};

/// Errors that stop a whole sync (a single bad document never does: it is rejected).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("cannot read the document list: {0}")]
    Index(FetchError),
    #[error("the document list from {url} is not valid: {message}")]
    BadIndex { url: String, message: String },
    #[error("cache {path}: {source}")]
    Cache {
        path: String,
        source: std::io::Error,
    },
    #[error("the cached copy of {id} does not parse: {message}")]
    CachedCopy { id: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Distinct vulnerability ids (CVE and advisory ids) that a document's vendor fixes address,
/// by KB or by version: the measure of how much a copy says, compared between copies of the
/// same month.
pub fn vulnerability_count(batch: &Batch) -> u64 {
    let by_kb = batch.fixes.iter().flat_map(|f| f.cves.iter());
    by_kb
        .chain(batch.version_fixes.iter().map(|f| &f.cve))
        .collect::<BTreeSet<_>>()
        .len() as u64
}

/// Why a fetched copy of a document was not taken.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rejection {
    /// The request failed (an HTTP error status, a transport error).
    Fetch { message: String },
    /// The body is not a CVRF document (truncated or malformed XML, something else).
    Unparsable { message: String },
    /// A valid document that addresses no vulnerability while the kept copy addresses some.
    Emptied { before: u64 },
    /// A valid document that addresses fewer vulnerabilities than the kept copy.
    Shorter { before: u64, after: u64 },
    /// A valid document older than the kept copy (a stale mirror or cache).
    Older { kept: String, served: String },
    /// The id is not a plain document id (letters, digits, `-`), so it names no file.
    UnsafeId,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::Fetch { message } => write!(f, "not fetched: {message}"),
            Rejection::Unparsable { message } => write!(f, "not a valid CVRF document: {message}"),
            Rejection::Emptied { before } => write!(
                f,
                "served empty (no vulnerabilities; the kept copy has {before})"
            ),
            Rejection::Shorter { before, after } => write!(
                f,
                "shorter than the kept copy ({after} vulnerabilities instead of {before})"
            ),
            Rejection::Older { kept, served } => write!(
                f,
                "an older revision ({served}) than the kept copy ({kept})"
            ),
            Rejection::UnsafeId => write!(f, "the id is not a plain document id"),
        }
    }
}

/// Checks a parsed copy against the kept copy, if there is one; returns the copy's
/// vulnerability count when it may replace the kept one. A first copy is always taken, even
/// an empty one (there is nothing to protect, and some real documents are empty: the
/// out-of-band `2017-May-B` lists no vulnerability).
pub fn check_copy(kept: Option<&DocumentState>, batch: &Batch) -> Result<u64, Rejection> {
    let after = vulnerability_count(batch);
    let Some(kept) = kept else {
        return Ok(after);
    };
    let before = kept.vulnerabilities;
    if before > 0 && after == 0 {
        return Err(Rejection::Emptied { before });
    }
    if after < before {
        return Err(Rejection::Shorter { before, after });
    }
    // Revisions are ISO dates written with or without a zone (`2019-09-10T07:00:00Z`,
    // `2026-04-30T01:54:24`): compare the date and time, as text.
    let instant = |r: &str| r.get(..19).unwrap_or(r).to_string();
    if instant(&batch.revision) < instant(&kept.revision) {
        return Err(Rejection::Older {
            kept: kept.revision.clone(),
            served: batch.revision.clone(),
        });
    }
    Ok(after)
}

/// A document first seen by this sync.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NewDocument {
    pub id: String,
    pub title: String,
    pub revision: String,
    pub vulnerabilities: u64,
}

/// A document whose kept copy this sync replaced.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChangedDocument {
    pub id: String,
    pub title: String,
    pub revision_before: String,
    pub revision_after: String,
    pub vulnerabilities_before: u64,
    pub vulnerabilities_after: u64,
}

/// A document whose fetched copy was not taken.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RejectedDocument {
    pub id: String,
    pub title: String,
    pub reason: Rejection,
    /// The revision of the copy that stays, if one was kept.
    pub kept_revision: Option<String>,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// The API base URL.
    pub source: String,
    /// Whether `/updates` answered 304 (nothing listed changed since the last sync).
    pub index_not_modified: bool,
    pub new: Vec<NewDocument>,
    pub changed: Vec<ChangedDocument>,
    /// Ids of documents whose kept copy is current.
    pub unchanged: Vec<String>,
    pub rejected: Vec<RejectedDocument>,
    /// Ids of listed documents that are not security releases ("Mariner Release Notes").
    pub not_security_updates: Vec<String>,
    /// The store's summary, when something was imported.
    pub catalog: Option<CatalogSummary>,
}

/// A fetched copy that passed the checks, ready to be imported and kept.
#[derive(Debug)]
struct Accepted {
    id: String,
    batch: Batch,
    compressed: Vec<u8>,
    state: DocumentState,
}

/// What [`plan`] found: the report so far, and what [`apply`] will write.
#[derive(Debug)]
pub struct Plan {
    report: Report,
    new_index: Option<(Vec<u8>, Validators)>,
    accepted: Vec<Accepted>,
    /// States of unchanged documents whose validators or listed date moved.
    refreshed: Vec<(String, DocumentState)>,
}

impl Plan {
    /// The report as it stands before the import.
    pub fn report(&self) -> &Report {
        &self.report
    }
}

/// Asks the API what changed and fetches and checks the changed documents. Blocking; reads
/// the cache, writes nothing. `progress(done, total, id)` is called before each document.
pub fn plan(
    client: &MsrcClient,
    cache: &Cache,
    progress: &dyn Fn(usize, usize, &str),
) -> Result<Plan, SyncError> {
    let cache_error = |source| SyncError::Cache {
        path: cache.dir().display().to_string(),
        source,
    };
    let mut report = Report {
        source: client.base().to_string(),
        ..Report::default()
    };
    let index_url = format!("{}/updates", client.base());
    let cached_index = cache.read_index().map_err(cache_error)?;
    let known = match cached_index {
        Some(_) => cache.state.index.clone(),
        None => Validators::default(),
    };
    let (index_bytes, new_index) = match client.updates(&known).map_err(SyncError::Index)? {
        Fetch::NotModified => match cached_index {
            Some(bytes) => {
                report.index_not_modified = true;
                (bytes, None)
            }
            None => {
                return Err(SyncError::BadIndex {
                    url: index_url,
                    message: "304 Not Modified to an unconditional request".into(),
                });
            }
        },
        Fetch::Body { bytes, validators } => (bytes.clone(), Some((bytes, validators))),
    };
    let entries = parse_index(&index_bytes).map_err(|e| SyncError::BadIndex {
        url: index_url,
        message: e.to_string(),
    })?;

    let mut accepted = Vec::new();
    let mut refreshed = Vec::new();
    let total = entries.len();
    for (done, entry) in entries.into_iter().enumerate() {
        progress(done, total, &entry.id);
        if is_pseudo_document(&entry.title) {
            report.not_security_updates.push(entry.id);
            continue;
        }
        let kept = if entry.has_safe_id() && cache.document_path(&entry.id).is_file() {
            cache.state.documents.get(&entry.id)
        } else {
            None
        };
        let reject = |report: &mut Report, reason| {
            tracing::warn!(document = %entry.id, "rejected: {reason}");
            report.rejected.push(RejectedDocument {
                id: entry.id.clone(),
                title: entry.title.clone(),
                reason,
                kept_revision: kept.map(|k| k.revision.clone()),
            });
        };
        if !entry.has_safe_id() {
            reject(&mut report, Rejection::UnsafeId);
            continue;
        }
        if let Some(kept) = kept
            && kept.listed_date == entry.current_release_date
        {
            report.unchanged.push(entry.id);
            continue;
        }
        let known = kept.map(|k| k.validators.clone()).unwrap_or_default();
        let (xml, validators) = match client.document(&entry.id, &known) {
            Err(e) => {
                reject(
                    &mut report,
                    Rejection::Fetch {
                        message: e.to_string(),
                    },
                );
                continue;
            }
            Ok(Fetch::NotModified) => match kept {
                Some(kept) => {
                    refreshed.push((
                        entry.id.clone(),
                        DocumentState {
                            listed_date: entry.current_release_date.clone(),
                            ..kept.clone()
                        },
                    ));
                    report.unchanged.push(entry.id);
                    continue;
                }
                None => {
                    reject(
                        &mut report,
                        Rejection::Fetch {
                            message: "304 Not Modified to an unconditional request".into(),
                        },
                    );
                    continue;
                }
            },
            Ok(Fetch::Body { bytes, validators }) => (bytes, validators),
        };
        let sha256 = sha256_hex(&xml);
        if let Some(kept) = kept
            && kept.sha256 == sha256
        {
            refreshed.push((
                entry.id.clone(),
                DocumentState {
                    listed_date: entry.current_release_date.clone(),
                    validators,
                    ..kept.clone()
                },
            ));
            report.unchanged.push(entry.id);
            continue;
        }
        let batch = match parse_document(&entry.id, &xml) {
            Ok(batch) => batch,
            Err(message) => {
                reject(&mut report, Rejection::Unparsable { message });
                continue;
            }
        };
        let vulnerabilities = match check_copy(kept, &batch) {
            Ok(n) => n,
            Err(reason) => {
                reject(&mut report, reason);
                continue;
            }
        };
        let state = DocumentState {
            title: entry.title.clone(),
            listed_date: entry.current_release_date.clone(),
            revision: batch.revision.clone(),
            vulnerabilities,
            sha256,
            validators,
        };
        match kept {
            Some(kept) => report.changed.push(ChangedDocument {
                id: entry.id.clone(),
                title: entry.title.clone(),
                revision_before: kept.revision.clone(),
                revision_after: state.revision.clone(),
                vulnerabilities_before: kept.vulnerabilities,
                vulnerabilities_after: vulnerabilities,
            }),
            None => report.new.push(NewDocument {
                id: entry.id.clone(),
                title: entry.title.clone(),
                revision: state.revision.clone(),
                vulnerabilities,
            }),
        }
        // Kept compressed: a first sync of the whole feed holds every document until the
        // import, about 2 GB as XML and 7 MB compressed.
        let compressed = if kbgap_catalog::is_zstd(&xml) {
            xml
        } else {
            compress_to_vec(xml.as_slice(), CompressionLevel::Fastest)
        };
        accepted.push(Accepted {
            id: entry.id,
            batch,
            compressed,
            state,
        });
    }
    progress(total, total, "");
    Ok(Plan {
        report,
        new_index,
        accepted,
        refreshed,
    })
}

/// One CVRF document from a body (XML or JSON, possibly zstd-compressed).
fn parse_document(id: &str, bytes: &[u8]) -> Result<Batch, String> {
    let mut batches = parse_bytes(&format!("{id}.xml"), bytes).map_err(|e| e.to_string())?;
    match (batches.pop(), batches.is_empty()) {
        (Some(batch), true) if batch.document.is_some() => Ok(batch),
        _ => Err("not a single CVRF document".into()),
    }
}

/// Imports the accepted documents into the store (one transaction), then keeps them in the
/// cache. With `reimport`, every other kept copy is imported too (for a fresh database next
/// to an existing cache). Returns the finished report.
pub async fn apply<S: Store>(
    plan: Plan,
    cache: &mut Cache,
    store: &S,
    reimport: bool,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Report, SyncError> {
    let Plan {
        mut report,
        new_index,
        accepted,
        refreshed,
    } = plan;
    let mut batches: Vec<Batch> = accepted.iter().map(|a| a.batch.clone()).collect();
    if reimport {
        let fresh: BTreeSet<&str> = accepted.iter().map(|a| a.id.as_str()).collect();
        for id in cache.state.documents.keys() {
            if fresh.contains(id.as_str()) {
                continue;
            }
            let Some(bytes) = cache.read_document(id).map_err(|source| SyncError::Cache {
                path: cache.document_path(id).display().to_string(),
                source,
            })?
            else {
                continue;
            };
            batches.push(
                parse_document(id, &bytes).map_err(|message| SyncError::CachedCopy {
                    id: id.clone(),
                    message,
                })?,
            );
        }
    }
    if !batches.is_empty() {
        report.catalog = Some(store.import_catalog(batches, progress).await?);
    }

    let cache_error = |path: String| move |source| SyncError::Cache { path, source };
    for doc in accepted {
        let path = cache.document_path(&doc.id);
        cache
            .write_document(&doc.id, &doc.compressed)
            .map_err(cache_error(path.display().to_string()))?;
        cache.state.documents.insert(doc.id, doc.state);
    }
    for (id, state) in refreshed {
        cache.state.documents.insert(id, state);
    }
    if let Some((bytes, validators)) = new_index {
        cache
            .write_index(&bytes)
            .map_err(cache_error(cache.dir().display().to_string()))?;
        cache.state.index = validators;
    }
    cache
        .save_state()
        .map_err(cache_error(cache.dir().display().to_string()))?;
    Ok(report)
}
