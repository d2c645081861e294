//! One error type for every catalog format.
//!
//! Errors name the problem and, where the format has them, the line or record; they never
//! name the file, because the parsers only see a stream. The caller that opened the file
//! prefixes its name ([`Error::in_file`]), as [`crate::read_path`] does, so a message reads
//! `definitions.zip: CVEs_20260628.csv: record 17 (line 18): DatePosted "2020-13-01" is not a date`.

use std::fmt;

/// Where in the input a problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A line of a text document (1-based).
    Line(u64),
    /// A CSV record (1-based, the header is record 0) and the line it starts on.
    Record { record: u64, line: u64 },
    /// A line and column of a JSON document (1-based).
    LineColumn { line: u64, column: u64 },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(line) => write!(f, "line {line}"),
            Location::Record { record, line } => write!(f, "record {record} (line {line})"),
            Location::LineColumn { line, column } => write!(f, "line {line}, column {column}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("read error: {0}")]
    Io(#[from] std::io::Error),

    /// Nothing to parse (zero bytes, or only a byte-order mark and white space).
    #[error("the input is empty")]
    Empty,

    /// The input is well-formed but is not the kind of document expected (an HTML error page,
    /// some other XML, a JSON object without `DocumentTracking`).
    #[error("not a CVRF document: {0}")]
    NotCvrf(String),

    /// The MSRC `/updates` list (`index.json`): a list of documents, not a document.
    #[error("this is the MSRC updates index (a list of CVRF documents), not a CVRF document")]
    UpdatesIndex,

    /// The input could not be recognised as any catalog format.
    #[error("unrecognised catalog format: {0}")]
    UnknownFormat(String),

    /// Malformed XML, JSON or CSV.
    #[error("{at}: {message}")]
    Syntax { at: Location, message: String },

    /// The document ended before it was complete.
    #[error("{at}: the document is truncated (unexpected end of input{})", inside.as_ref().map(|e| format!(" inside <{e}>")).unwrap_or_default())]
    Truncated {
        at: Location,
        inside: Option<String>,
    },

    /// A WES-NG CSV whose header is not the one WES-NG writes.
    #[error("line 1: not a WES-NG CSV header: expected {expected:?}, found {found:?}")]
    Header { expected: String, found: String },

    /// A value that the format requires and that is missing or wrong.
    #[error("{}{message}", at.map(|a| format!("{a}: ")).unwrap_or_default())]
    Invalid {
        at: Option<Location>,
        message: String,
    },

    /// A zip archive that cannot be read, or that lacks what a WES-NG definitions.zip holds.
    #[error("zip archive: {0}")]
    Zip(String),

    /// A zstd stream that cannot be decoded.
    #[error("zstd stream: {0}")]
    Zstd(String),

    /// An error inside a named file or archive member; the name comes first.
    #[error("{file}: {source}")]
    InFile { file: String, source: Box<Error> },
}

impl Error {
    /// Prefixes the error with the name of the file (or archive member) it came from.
    pub fn in_file(self, file: impl Into<String>) -> Error {
        Error::InFile {
            file: file.into(),
            source: Box::new(self),
        }
    }

    /// The error without any file-name wrappers.
    pub fn root(&self) -> &Error {
        match self {
            Error::InFile { source, .. } => source.root(),
            other => other,
        }
    }

    pub(crate) fn invalid(at: Option<Location>, message: impl Into<String>) -> Error {
        Error::Invalid {
            at,
            message: message.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
