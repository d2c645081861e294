//! Splits a `$filter` into tokens, each with the 1-based character column it starts at, so
//! that every later error can say where it is.

use crate::{DateTimeOffset, QueryError, quote};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// A name: property, keyword (`and`, `eq`, `null`) or function.
    Word(String),
    Str(String),
    Int(i64),
    DateTime(DateTimeOffset),
    Open,
    Close,
    Comma,
    End,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub kind: Kind,
    pub column: usize,
    /// The source text of the token, for messages.
    pub text: String,
}

impl Token {
    /// How an error message shows this token ("found 5", "found end of input").
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::End => "end of input".to_string(),
            Kind::Str(s) => format!("the string {}", quote(s)),
            Kind::Word(_) => quote(&self.text),
            Kind::Int(_) | Kind::DateTime(_) => {
                let short: String = self.text.chars().take(40).collect();
                short
            }
            Kind::Open | Kind::Close | Kind::Comma => format!("'{}'", self.text),
        }
    }

    pub fn is_word(&self, word: &str) -> bool {
        matches!(&self.kind, Kind::Word(w) if w.eq_ignore_ascii_case(word))
    }
}

const OPTION: &str = "$filter";

pub(crate) fn tokenize(input: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let kind = match c {
            '(' => {
                i += 1;
                Kind::Open
            }
            ')' => {
                i += 1;
                Kind::Close
            }
            ',' => {
                i += 1;
                Kind::Comma
            }
            '\'' => {
                let mut text = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(QueryError::at(
                                OPTION,
                                column,
                                "unterminated string literal (a quote inside a string is written '')",
                            ));
                        }
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            text.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(&other) => {
                            text.push(other);
                            i += 1;
                        }
                    }
                }
                Kind::Str(text)
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                i += 1;
                while chars.get(i).is_some_and(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '+' | '-')
                }) {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                number_or_date(&text, column)?
            }
            c if c.is_alphabetic() || c == '_' => {
                while chars
                    .get(i)
                    .is_some_and(|c| c.is_alphanumeric() || *c == '_')
                {
                    i += 1;
                }
                Kind::Word(chars[start..i].iter().collect())
            }
            other => {
                let hint = match other {
                    '"' => " (string literals are written in single quotes)",
                    '=' | '<' | '>' | '!' => " (comparisons are written eq, ne, gt, ge, lt, le)",
                    '&' | '|' => " (conditions are joined with and, or)",
                    _ => "",
                };
                return Err(QueryError::at(
                    OPTION,
                    column,
                    format!("unexpected character {}{hint}", quote(&other.to_string())),
                ));
            }
        };
        tokens.push(Token {
            kind,
            column,
            text: chars[start..i].iter().collect(),
        });
    }
    tokens.push(Token {
        kind: Kind::End,
        column: chars.len() + 1,
        text: String::new(),
    });
    Ok(tokens)
}

fn number_or_date(text: &str, column: usize) -> Result<Kind, QueryError> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<i64>().map(Kind::Int).map_err(|_| {
            QueryError::at(
                OPTION,
                column,
                format!("integer {} is out of range", quote(text)),
            )
        });
    }
    if let Some(instant) = DateTimeOffset::parse(text) {
        return Ok(Kind::DateTime(instant));
    }
    let hint = if text.contains(['T', 't']) && !text.ends_with(['Z', 'z']) {
        " (a time needs 'Z' or an offset like +02:00; in a URL '+' is sent as %2B)"
    } else {
        ""
    };
    Err(QueryError::at(
        OPTION,
        column,
        format!(
            "malformed literal {}: expected an integer or a DateTimeOffset like 2024-01-01T00:00:00Z{hint}",
            quote(text)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(input: &str) -> Vec<Kind> {
        tokenize(input)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn splits_words_strings_numbers_and_dates() {
        assert_eq!(
            kinds("name eq 'it''s' and osBuild ge -5 or lastSeen gt 2024-01-01T00:00:00Z"),
            [
                Kind::Word("name".into()),
                Kind::Word("eq".into()),
                Kind::Str("it's".into()),
                Kind::Word("and".into()),
                Kind::Word("osBuild".into()),
                Kind::Word("ge".into()),
                Kind::Int(-5),
                Kind::Word("or".into()),
                Kind::Word("lastSeen".into()),
                Kind::Word("gt".into()),
                Kind::DateTime(DateTimeOffset::parse("2024-01-01T00:00:00Z").unwrap()),
                Kind::End,
            ]
        );
        assert_eq!(
            kinds("f(a,'')"),
            [
                Kind::Word("f".into()),
                Kind::Open,
                Kind::Word("a".into()),
                Kind::Comma,
                Kind::Str(String::new()),
                Kind::Close,
                Kind::End
            ]
        );
    }

    #[test]
    fn columns_count_characters() {
        let tokens = tokenize("é eq 'ü' x").unwrap();
        let columns: Vec<usize> = tokens.iter().map(|t| t.column).collect();
        assert_eq!(columns, [1, 3, 6, 10, 11]);
    }

    #[test]
    fn errors_point_at_the_problem() {
        let err = tokenize("name eq 'abc").unwrap_err();
        assert_eq!(err.column, Some(9));
        assert!(err.message.contains("unterminated"), "{err}");
        let err = tokenize("name = 'x'").unwrap_err();
        assert_eq!(err.column, Some(6));
        assert!(err.message.contains("eq, ne"), "{err}");
        let err = tokenize("osBuild eq 99999999999999999999").unwrap_err();
        assert!(err.message.contains("out of range"), "{err}");
        let err = tokenize("lastSeen gt 2024-01-01T00:00:00 02:00").unwrap_err();
        assert!(err.message.contains("%2B"), "{err}");
    }
}
