//! What can go wrong reading an inventory, said so that a person can fix the file.
//!
//! Messages name the place (1-based line, field label as the file spells it, JSON path) but
//! never the file: the caller knows the file name and prefixes it.

/// Why an inventory could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InventoryError {
    /// No bytes, or only whitespace.
    #[error("empty file")]
    Empty,

    /// Neither a systeminfo, a qfe table, a kbgap JSON inventory nor osquery results. `hint`
    /// says what the content looked like when that helps (empty when it does not).
    #[error("not a systeminfo, qfe, kbgap JSON or osquery inventory{}", if hint.is_empty() { String::new() } else { format!(": {hint}") })]
    Unrecognized { hint: String },

    /// The file ends before a field kbgap needs (a systeminfo cut after its OS Name line).
    /// `field` is the English name of the field.
    #[error("truncated: the {field} field is missing")]
    Truncated { field: &'static str },

    /// A field kbgap needs is absent although the fields around it are there (a systeminfo
    /// whose Host Name line was removed).
    #[error("the {field} field is missing{}", if detail.is_empty() { String::new() } else { format!(" ({detail})") })]
    MissingField { field: &'static str, detail: String },

    /// A field is there but its value has the wrong shape. `field` is the label as the file
    /// spells it (localized), or the column name of a table.
    #[error("line {line}: {field}: {message}")]
    Field {
        line: usize,
        field: String,
        message: String,
    },

    /// A kbgap JSON inventory or osquery results are not valid JSON.
    #[error("line {line}, column {column}: invalid JSON: {message}")]
    JsonSyntax {
        line: usize,
        column: usize,
        message: String,
    },

    /// A kbgap JSON inventory or osquery results are valid JSON but a field is missing or
    /// has the wrong type. `path` locates it: `os.build`, `[2].installedKbs[0]` (array),
    /// `line 3: host` (JSON lines), `line 3: snapshot[0].build` (osquery results log).
    #[error("{path}: {message}")]
    Json { path: String, message: String },

    /// `--one-machine` got no machine or several.
    #[error(
        "expected exactly one machine (a systeminfo or a kbgap JSON inventory) among the parts, found {found}"
    )]
    NotOneMachine { found: usize },

    /// `--one-machine` got a hotfix table of another host. `part` is 1-based, in the order given.
    #[error(
        "part {part}: the hotfix table is for host {table_host}, but the machine is {machine_host}"
    )]
    HostMismatch {
        part: usize,
        table_host: String,
        machine_host: String,
    },
}

impl InventoryError {
    /// The 1-based line the error is about, when it is about one.
    pub fn line(&self) -> Option<usize> {
        match self {
            InventoryError::Field { line, .. } | InventoryError::JsonSyntax { line, .. } => {
                Some(*line)
            }
            _ => None,
        }
    }

    pub(crate) fn field(line: usize, field: impl Into<String>, message: impl Into<String>) -> Self {
        InventoryError::Field {
            line,
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn json(path: impl Into<String>, message: impl Into<String>) -> Self {
        InventoryError::Json {
            path: path.into(),
            message: message.into(),
        }
    }
}
