//! The OData query options of kbgap's entity lists, parsed into typed values.
//!
//! Defender's list endpoints take `$filter` expressions (`computerDnsName eq 'x'`,
//! `startswith(computerDnsName,'ws-')`, `lastSeen gt 2024-01-01T00:00:00Z`, ...). Text like
//! that must never reach a database as text: this crate turns it into a [`Filter`] tree whose
//! every property is checked against the entity's field table ([`FieldDef`]) and whose every
//! literal is a typed [`Literal`] of the property's type. A backend then maps each property
//! to a fixed column and binds each literal as a parameter, so there is no SQL to inject into.
//!
//! Parsing is total: any input yields a tree or a [`QueryError`] whose message names the
//! column of the problem and what was expected; input size, nesting depth and the number of
//! conditions are bounded ([`MAX_FILTER_CHARS`], [`MAX_DEPTH`], [`MAX_CONDITIONS`]) so that
//! neither the parser nor the database can be made to work without limit.
//!
//! The crate knows nothing of HTTP or SQL (it has no dependencies), so the API, the store
//! interface and every backend share the same types.
//!
//! # `$filter` grammar
//!
//! ```text
//! filter     = or-expr
//! or-expr    = and-expr *( "or" and-expr )
//! and-expr   = unary *( "and" unary )
//! unary      = "not" unary / primary
//! primary    = "(" or-expr ")"
//!            / property ( "eq" / "ne" / "gt" / "ge" / "lt" / "le" ) literal
//!            / property "in" "(" literal *( "," literal ) ")"
//!            / function "(" property "," string ")" [ ( "eq" / "ne" ) ( "true" / "false" ) ]
//! function   = "startswith" / "endswith" / "contains"
//! literal    = string / integer / "true" / "false" / "null" / datetime
//! string     = "'" *( any character except "'" / "''" ) "'"
//! integer    = [ "-" ] 1*DIGIT
//! datetime   = YYYY-MM-DD [ "T" hh:mm [ ":" ss [ "." fraction ] ] ( "Z" / ("+" / "-") hh:mm ) ]
//! ```
//!
//! Keywords, function and property names match case-insensitively (Defender's API accepts
//! `ComputerDnsName`); `not` binds tighter than `and`, which binds tighter than `or`. A bare
//! date (`2024-01-01`) means midnight UTC. The optional `eq true` after a function is the
//! OData v3 spelling older clients still send.

mod datetime;
mod filter;
mod lexer;
mod select;

use std::fmt;

pub use datetime::DateTimeOffset;
pub use filter::parse_filter;
pub use select::parse_select;

/// Longest `$filter` accepted, in characters.
pub const MAX_FILTER_CHARS: usize = 16_384;
/// Deepest nesting of parentheses and `not` accepted in a `$filter`.
pub const MAX_DEPTH: usize = 32;
/// Most conditions (comparisons, function calls, `in` list items) in one `$filter`: bounded
/// so that the statement a backend builds stays within its expression and parameter limits.
pub const MAX_CONDITIONS: usize = 1_000;

/// The type of an entity property, which decides the literals and operators it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Text. Comparisons, `in`, `startswith`, `endswith`, `contains`.
    String,
    /// A whole number (`osBuild`). Comparisons and `in`.
    Int,
    /// An instant (`lastSeen`), compared with unquoted DateTimeOffset literals.
    DateTime,
    /// `true` / `false`: `eq` and `ne` only.
    Bool,
    /// Text from a closed set of values (`osPlatform`): `eq`, `ne` and `in` take only those
    /// values (matched case-insensitively); the text functions take any text.
    Enum(&'static [&'static str]),
    /// A list of strings (`installedKbs`): selectable, never filterable.
    StringCollection,
    /// A floating-point number (`impactScore`, `cvssV3`): selectable, never filterable
    /// (kbgap has no such data to filter on; it writes a constant).
    Number,
}

impl FieldType {
    fn describe(self) -> &'static str {
        match self {
            FieldType::String => "a string",
            FieldType::Int => "an integer",
            FieldType::DateTime => "a DateTimeOffset",
            FieldType::Bool => "a boolean",
            FieldType::Enum(_) => "an enumeration",
            FieldType::StringCollection => "a collection",
            FieldType::Number => "a number",
        }
    }
}

/// One property of an entity as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDef {
    /// The JSON name (`computerDnsName`); the canonical spelling [`Filter`] carries.
    pub name: &'static str,
    pub ty: FieldType,
    /// Whether `$filter` may use it (every field may be `$select`ed).
    pub filterable: bool,
}

impl FieldDef {
    /// A property `$filter` and `$select` accept.
    pub const fn filterable(name: &'static str, ty: FieldType) -> FieldDef {
        FieldDef {
            name,
            ty,
            filterable: true,
        }
    }

    /// A property only `$select` accepts.
    pub const fn selectable(name: &'static str, ty: FieldType) -> FieldDef {
        FieldDef {
            name,
            ty,
            filterable: false,
        }
    }
}

/// Finds a field by name, ignoring ASCII case.
pub fn field<'a>(fields: &'a [FieldDef], name: &str) -> Option<&'a FieldDef> {
    fields.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

/// `eq ne gt ge lt le`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    fn parse(word: &str) -> Option<CompareOp> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            _ => return None,
        })
    }

    /// The OData keyword (`eq`).
    pub fn keyword(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    /// Whether this is `gt`, `ge`, `lt` or `le`.
    pub fn is_ordering(self) -> bool {
        !matches!(self, CompareOp::Eq | CompareOp::Ne)
    }
}

/// `startswith`, `endswith`, `contains`: each takes a string property and a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFunction {
    StartsWith,
    EndsWith,
    Contains,
}

impl TextFunction {
    fn parse(word: &str) -> Option<TextFunction> {
        Some(match word.to_ascii_lowercase().as_str() {
            "startswith" => TextFunction::StartsWith,
            "endswith" => TextFunction::EndsWith,
            "contains" => TextFunction::Contains,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            TextFunction::StartsWith => "startswith",
            TextFunction::EndsWith => "endswith",
            TextFunction::Contains => "contains",
        }
    }
}

/// A literal, already checked against the type of the property it is compared with: a
/// `String` literal only ever meets a string or enumeration property, an `Int` an integer
/// property, and so on. `Null` appears only with `eq` and `ne`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    Null,
    String(String),
    Int(i64),
    Bool(bool),
    DateTime(DateTimeOffset),
}

/// A validated `$filter` expression. Property names are the canonical spellings of the
/// entity's [`FieldDef`]s; `And` and `Or` hold two or more operands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Compare {
        field: &'static str,
        op: CompareOp,
        value: Literal,
    },
    /// `field in (v1, v2, ...)`: at least one value, none of them `null`.
    In {
        field: &'static str,
        values: Vec<Literal>,
    },
    Text {
        function: TextFunction,
        field: &'static str,
        text: String,
    },
}

impl Filter {
    /// `field eq value`, for callers that build a filter without parsing one.
    pub fn eq(field: &'static str, value: Literal) -> Filter {
        Filter::Compare {
            field,
            op: CompareOp::Eq,
            value,
        }
    }

    /// The properties the expression mentions, in order of appearance, with repeats.
    pub fn fields(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        self.collect_fields(&mut out);
        out
    }

    fn collect_fields(&self, out: &mut Vec<&'static str>) {
        match self {
            Filter::And(items) | Filter::Or(items) => {
                items.iter().for_each(|f| f.collect_fields(out))
            }
            Filter::Not(inner) => inner.collect_fields(out),
            Filter::Compare { field, .. }
            | Filter::In { field, .. }
            | Filter::Text { field, .. } => out.push(field),
        }
    }
}

/// A query option that could not be accepted: which option, where in its text (1-based
/// character column, when the problem has a place) and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub option: &'static str,
    pub column: Option<usize>,
    pub message: String,
}

impl QueryError {
    pub(crate) fn at(option: &'static str, column: usize, message: impl Into<String>) -> Self {
        QueryError {
            option,
            column: Some(column),
            message: message.into(),
        }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(column) => write!(f, "{}: at column {column}: {}", self.option, self.message),
            None => write!(f, "{}: {}", self.option, self.message),
        }
    }
}

impl std::error::Error for QueryError {}

/// Quotes user text for an error message, shortened so a huge input gives a short message.
pub(crate) fn quote(text: &str) -> String {
    const MAX: usize = 40;
    let mut out: String = text.chars().take(MAX).collect();
    if text.chars().nth(MAX).is_some() {
        out.push('…');
    }
    format!("'{}'", out.replace('\'', "''"))
}
