//! Microsoft's security-update catalogs, parsed into one model.
//!
//! kbgap answers "which security updates does this machine miss" from the data Microsoft
//! publishes: the MSRC Security Update Guide's CVRF documents (XML or JSON, one per monthly
//! release) and WES-NG's `definitions.zip`, a CSV flattening of the same feed plus the older
//! security bulletins. This crate turns either into [`Batch`]es of the same shape, one per
//! imported unit, and classifies MSRC product names into Defender software ids
//! ([`classify_product`]).
//!
//! The parsers are pure: they read a stream and return data, with no database, network or
//! file-system access; [`read_path`] is a separate convenience that opens files and folders.
//! Every deliberate omission (rows without a KB, "Release Notes" pseudo-KBs, Known Issue
//! remediations, Mariner pseudo-months, ...) is counted in [`SkipCounts`], so nothing is
//! dropped by accident and a CLI can say what it left out.
//!
//! Entry points:
//! - [`parse_wesng_zip`], [`parse_wesng_csv`]: WES-NG definitions.
//! - [`parse_cvrf_xml`], [`parse_cvrf_json`]: one CVRF document.
//! - [`parse_bytes`], [`parse_reader`]: any of those, recognised by content, optionally
//!   zstd-compressed (`.xml.zst` as published by msrc-cvrf-watch).
//! - [`read_path`]: a file, or every catalog file under a folder.
//! - [`applications`]: installed programs (an inventory's `Uninstall` entries) → the catalog
//!   products they make a machine run.
//! - [`release_dates`]: the release (date, title) of each KB across batches: the document
//!   where it fixes the most vulnerabilities, not the earliest one that mentions it.
//! - [`builds`]: the OS build revision each Windows cumulative update brings (security,
//!   preview and out-of-band), shipped as `data/os-builds.csv`.

pub mod applications;
pub mod builds;
mod classify;
mod cvrf;
mod cvrf_json;
mod cvrf_xml;
mod error;
mod fs;
mod input;
mod model;
mod names;
mod release;
mod wesng;

pub use classify::{OS_FAMILIES, PRODUCT_RULES, Rule, classify_product, parse_os_target};
pub use cvrf::is_pseudo_document;
pub use cvrf_json::parse_cvrf_json;
pub use cvrf_xml::parse_cvrf_xml;
pub use error::{Error, Location, Result};
pub use fs::read_path;
pub use input::{Format, is_zstd, parse_bytes, parse_reader, sniff};
pub use model::{Batch, DocumentInfo, ProductFix, SkipCounts, UpdateInfo, VersionFix};
pub use names::normalize_product_name;
pub use release::{ReleaseEvidence, pick_release, release_dates};
pub use wesng::{WESNG_COLUMNS, parse_wesng_csv, parse_wesng_zip};
