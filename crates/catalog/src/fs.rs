//! Reading catalog files from disk: the one place in this crate that touches the file system.
//!
//! A folder is walked recursively in name order; files whose extension is not a catalog
//! extension (`.zip`, `.csv`, `.xml`, `.json`, each optionally `.zst`) are not read, so
//! `LICENSE.txt`, `README.md` and WES-NG's `Version_*.txt` are passed over, and the MSRC
//! `/updates` index (`index.json`) is recognised and passed over too. Any other file that
//! fails to parse fails the whole read, with its path in the message: a catalog import should
//! not silently miss a month.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use crate::error::{Error, Result};
use crate::input::parse_reader;
use crate::model::Batch;

const EXTENSIONS: [&str; 4] = [".zip", ".csv", ".xml", ".json"];

/// Parses a catalog file, or every catalog file under a folder.
pub fn read_path(path: impl AsRef<Path>) -> Result<Vec<Batch>> {
    let path = path.as_ref();
    let mut batches = Vec::new();
    if path.is_dir() {
        walk(path, &mut batches)?;
    } else {
        batches.extend(read_file(path).map_err(|e| e.in_file(path.display().to_string()))?);
    }
    Ok(batches)
}

fn walk(dir: &Path, batches: &mut Vec<Batch>) -> Result<()> {
    let mut entries = std::fs::read_dir(dir)
        .map_err(|e| Error::from(e).in_file(dir.display().to_string()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| Error::from(e).in_file(dir.display().to_string()))?;
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(&path, batches)?;
            continue;
        }
        let base = name.strip_suffix(".zst").unwrap_or(&name);
        if !EXTENSIONS.iter().any(|e| base.ends_with(e)) {
            continue;
        }
        match read_file(&path) {
            Ok(b) => batches.extend(b),
            Err(e) if matches!(e.root(), Error::UpdatesIndex) => {}
            Err(e) => return Err(e.in_file(path.display().to_string())),
        }
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<Vec<Batch>> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = File::open(path)?;
    parse_reader(&name, BufReader::with_capacity(1 << 16, file))
}
