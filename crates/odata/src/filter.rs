//! The `$filter` parser: recursive descent over the tokens, checking every property against
//! the entity's field table and every literal against the property's type as it goes, so a
//! [`Filter`] that comes out is valid by construction.

use crate::lexer::{Kind, Token, tokenize};
use crate::{
    CompareOp, FieldDef, FieldType, Filter, Literal, MAX_CONDITIONS, MAX_DEPTH, MAX_FILTER_CHARS,
    QueryError, TextFunction, field, quote,
};

const OPTION: &str = "$filter";

/// Parses and validates a `$filter` expression against `fields`.
pub fn parse_filter(input: &str, fields: &[FieldDef]) -> Result<Filter, QueryError> {
    if input.chars().nth(MAX_FILTER_CHARS).is_some() {
        return Err(QueryError::at(
            OPTION,
            MAX_FILTER_CHARS + 1,
            format!("the expression is longer than {MAX_FILTER_CHARS} characters"),
        ));
    }
    let tokens = tokenize(input)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        fields,
        depth: 0,
        conditions: 0,
    };
    let filter = parser.or_expr()?;
    let next = parser.peek();
    if next.kind != Kind::End {
        let expected = if next.kind == Kind::Close {
            "')' without a matching '('"
        } else {
            "expected 'and', 'or' or the end of the expression"
        };
        return Err(parser.error_at(next, format!("{expected}, found {}", next.describe())));
    }
    Ok(filter)
}

struct Parser<'f> {
    tokens: Vec<Token>,
    pos: usize,
    fields: &'f [FieldDef],
    depth: usize,
    conditions: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        // The lexer always ends the list with `End`, and `advance` never moves past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn advance(&mut self) -> Token {
        let token = self.peek().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        token
    }

    fn error_at(&self, token: &Token, message: impl Into<String>) -> QueryError {
        QueryError::at(OPTION, token.column, message)
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if self.peek().is_word(word) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, kind: Kind, what: &str) -> Result<Token, QueryError> {
        let token = self.advance();
        if token.kind == kind {
            Ok(token)
        } else {
            Err(self.error_at(
                &token,
                format!("expected {what}, found {}", token.describe()),
            ))
        }
    }

    fn enter(&mut self, token: &Token) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_at(
                token,
                format!("the expression nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn count_condition(&mut self, token: &Token) -> Result<(), QueryError> {
        self.conditions += 1;
        if self.conditions > MAX_CONDITIONS {
            return Err(self.error_at(
                token,
                format!("the expression has more than {MAX_CONDITIONS} conditions"),
            ));
        }
        Ok(())
    }

    fn or_expr(&mut self) -> Result<Filter, QueryError> {
        let mut items = vec![self.and_expr()?];
        while self.eat_word("or") {
            items.push(self.and_expr()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Filter::Or(items)
        })
    }

    fn and_expr(&mut self) -> Result<Filter, QueryError> {
        let mut items = vec![self.unary()?];
        while self.eat_word("and") {
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Filter::And(items)
        })
    }

    fn unary(&mut self) -> Result<Filter, QueryError> {
        if self.peek().is_word("not") {
            let token = self.advance();
            self.enter(&token)?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Filter::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Filter, QueryError> {
        let token = self.advance();
        match &token.kind {
            Kind::Open => {
                self.enter(&token)?;
                let inner = self.or_expr()?;
                let close = self.advance();
                if close.kind != Kind::Close {
                    return Err(self.error_at(
                        &close,
                        format!(
                            "expected ')' to close the '(' at column {}, or 'and' / 'or', found {}",
                            token.column,
                            close.describe()
                        ),
                    ));
                }
                self.depth -= 1;
                Ok(inner)
            }
            Kind::Word(word) if self.peek().kind == Kind::Open => {
                let function = TextFunction::parse(word).ok_or_else(|| {
                    self.error_at(
                        &token,
                        format!(
                            "unknown function {} (supported: startswith, endswith, contains)",
                            quote(word)
                        ),
                    )
                })?;
                self.function(function, &token)
            }
            Kind::Word(word) if is_keyword(word) => Err(self.error_at(
                &token,
                format!(
                    "expected a property name, a function, 'not' or '(', found the keyword {}",
                    quote(word)
                ),
            )),
            Kind::Word(_) => self.comparison(&token),
            _ => Err(self.error_at(
                &token,
                format!(
                    "expected a property name, a function, 'not' or '(', found {}",
                    token.describe()
                ),
            )),
        }
    }

    /// The property named by `token`, which `$filter` must be allowed to use.
    fn property(&self, token: &Token) -> Result<FieldDef, QueryError> {
        let Kind::Word(name) = &token.kind else {
            return Err(self.error_at(
                token,
                format!("expected a property name, found {}", token.describe()),
            ));
        };
        let filterable = || {
            self.fields
                .iter()
                .filter(|f| f.filterable)
                .map(|f| f.name)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match field(self.fields, name) {
            Some(def) if def.filterable => Ok(*def),
            Some(def) => Err(self.error_at(
                token,
                format!(
                    "property '{}' cannot be used in $filter (filterable: {})",
                    def.name,
                    filterable()
                ),
            )),
            None => Err(self.error_at(
                token,
                format!(
                    "unknown property {} (filterable: {})",
                    quote(name),
                    filterable()
                ),
            )),
        }
    }

    fn comparison(&mut self, name: &Token) -> Result<Filter, QueryError> {
        let def = self.property(name)?;
        self.count_condition(name)?;
        let op_token = self.advance();
        let Kind::Word(op_word) = &op_token.kind else {
            return Err(self.error_at(
                &op_token,
                format!(
                    "expected an operator (eq, ne, gt, ge, lt, le, in) after '{}', found {}",
                    def.name,
                    op_token.describe()
                ),
            ));
        };
        if op_word.eq_ignore_ascii_case("in") {
            return self.in_list(def, &op_token);
        }
        let op = CompareOp::parse(op_word).ok_or_else(|| {
            self.error_at(
                &op_token,
                format!(
                    "expected an operator (eq, ne, gt, ge, lt, le, in) after '{}', found {}",
                    def.name,
                    op_token.describe()
                ),
            )
        })?;
        let allowed = match def.ty {
            FieldType::Bool => !op.is_ordering(),
            FieldType::Enum(_) => !op.is_ordering(),
            _ => true,
        };
        if !allowed {
            return Err(self.error_at(
                &op_token,
                format!(
                    "operator '{}' does not apply to '{}', {}; use eq, ne{}",
                    op.keyword(),
                    def.name,
                    def.ty.describe(),
                    if matches!(def.ty, FieldType::Enum(_)) {
                        " or in"
                    } else {
                        ""
                    }
                ),
            ));
        }
        let value_token = self.advance();
        let value = self.literal(&def, &value_token, op.keyword())?;
        if value == Literal::Null && op.is_ordering() {
            return Err(self.error_at(
                &value_token,
                format!(
                    "null can only be compared with eq or ne, not '{}'",
                    op.keyword()
                ),
            ));
        }
        Ok(Filter::Compare {
            field: def.name,
            op,
            value,
        })
    }

    fn in_list(&mut self, def: FieldDef, in_token: &Token) -> Result<Filter, QueryError> {
        if matches!(def.ty, FieldType::Bool) {
            return Err(self.error_at(
                in_token,
                format!(
                    "operator 'in' does not apply to '{}', a boolean; use eq or ne",
                    def.name
                ),
            ));
        }
        self.expect(Kind::Open, "'(' after 'in'")?;
        let mut values = Vec::new();
        loop {
            let token = self.advance();
            if !values.is_empty() {
                self.count_condition(&token)?;
            }
            let value = self.literal(&def, &token, "in")?;
            if value == Literal::Null {
                return Err(
                    self.error_at(&token, "null is not allowed in an 'in' list; use 'eq null'")
                );
            }
            values.push(value);
            let next = self.advance();
            match next.kind {
                Kind::Comma => continue,
                Kind::Close => break,
                _ => {
                    return Err(self.error_at(
                        &next,
                        format!(
                            "expected ',' or ')' in the 'in' list, found {}",
                            next.describe()
                        ),
                    ));
                }
            }
        }
        Ok(Filter::In {
            field: def.name,
            values,
        })
    }

    fn function(&mut self, function: TextFunction, name: &Token) -> Result<Filter, QueryError> {
        self.expect(Kind::Open, "'('")?;
        let field_token = self.advance();
        let def = self.property(&field_token)?;
        if !matches!(def.ty, FieldType::String | FieldType::Enum(_)) {
            return Err(self.error_at(
                &field_token,
                format!(
                    "{}() applies to string properties; '{}' is {}",
                    function.name(),
                    def.name,
                    def.ty.describe()
                ),
            ));
        }
        self.count_condition(name)?;
        self.expect(
            Kind::Comma,
            &format!("',' after the property in {}()", function.name()),
        )?;
        let text_token = self.advance();
        let Kind::Str(text) = &text_token.kind else {
            return Err(self.error_at(
                &text_token,
                format!(
                    "expected a quoted string as the second argument of {}(), found {}",
                    function.name(),
                    text_token.describe()
                ),
            ));
        };
        let text = text.clone();
        self.expect(Kind::Close, &format!("')' to close {}(", function.name()))?;
        let filter = Filter::Text {
            function,
            field: def.name,
            text,
        };
        // The OData v3 spelling: `startswith(name,'x') eq true`.
        let negate_op = if self.peek().is_word("eq") {
            Some(false)
        } else if self.peek().is_word("ne") {
            Some(true)
        } else {
            None
        };
        let Some(negate_op) = negate_op else {
            return Ok(filter);
        };
        self.advance();
        let value = self.advance();
        let truth = if value.is_word("true") {
            true
        } else if value.is_word("false") {
            false
        } else {
            return Err(self.error_at(
                &value,
                format!(
                    "a function result can only be compared with true or false, found {}",
                    value.describe()
                ),
            ));
        };
        Ok(if truth != negate_op {
            filter
        } else {
            Filter::Not(Box::new(filter))
        })
    }

    /// The literal in `token`, checked against the type of `def`; `after` names the operator
    /// for messages.
    fn literal(&self, def: &FieldDef, token: &Token, after: &str) -> Result<Literal, QueryError> {
        if token.is_word("null") {
            return Ok(Literal::Null);
        }
        let wrong = |expected: &str| {
            self.error_at(
                token,
                format!(
                    "expected {expected} after '{after}' ('{}' is {}), found {}",
                    def.name,
                    def.ty.describe(),
                    token.describe()
                ),
            )
        };
        match (def.ty, &token.kind) {
            (FieldType::String, Kind::Str(s)) => Ok(Literal::String(s.clone())),
            (FieldType::String, _) => Err(wrong("a quoted string")),
            (FieldType::Enum(values), Kind::Str(s)) => values
                .iter()
                .find(|v| v.eq_ignore_ascii_case(s))
                .map(|v| Literal::String(v.to_string()))
                .ok_or_else(|| {
                    self.error_at(
                        token,
                        format!(
                            "{} is not a value of '{}' (one of: {})",
                            quote(s),
                            def.name,
                            values.join(", ")
                        ),
                    )
                }),
            (FieldType::Enum(_), _) => Err(wrong("a quoted string")),
            (FieldType::Int, Kind::Int(n)) => Ok(Literal::Int(*n)),
            (FieldType::Int, _) => Err(wrong("an integer")),
            (FieldType::DateTime, Kind::DateTime(d)) => Ok(Literal::DateTime(*d)),
            (FieldType::DateTime, _) => Err(wrong(
                "an unquoted DateTimeOffset like 2024-01-01T00:00:00Z",
            )),
            (FieldType::Bool, _) if token.is_word("true") => Ok(Literal::Bool(true)),
            (FieldType::Bool, _) if token.is_word("false") => Ok(Literal::Bool(false)),
            (FieldType::Bool, _) => Err(wrong("true or false")),
            (FieldType::StringCollection | FieldType::Number, _) => Err(wrong("nothing")),
        }
    }
}

fn is_keyword(word: &str) -> bool {
    [
        "and", "or", "eq", "ne", "gt", "ge", "lt", "le", "in", "true", "false", "null",
    ]
    .iter()
    .any(|k| k.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DateTimeOffset;

    const PLATFORMS: &[&str] = &["Windows10", "Windows11"];
    const FIELDS: &[FieldDef] = &[
        FieldDef::filterable("id", FieldType::String),
        FieldDef::filterable("computerDnsName", FieldType::String),
        FieldDef::filterable("osBuild", FieldType::Int),
        FieldDef::filterable("lastSeen", FieldType::DateTime),
        FieldDef::filterable("isAadJoined", FieldType::Bool),
        FieldDef::filterable("osPlatform", FieldType::Enum(PLATFORMS)),
        FieldDef::selectable("installedKbs", FieldType::StringCollection),
    ];

    fn parse(text: &str) -> Filter {
        parse_filter(text, FIELDS).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn error(text: &str) -> String {
        parse_filter(text, FIELDS)
            .map(|f| panic!("{text} parsed as {f:?}"))
            .unwrap_err()
            .to_string()
    }

    fn s(text: &str) -> Literal {
        Literal::String(text.into())
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        let a = Filter::eq("id", s("a"));
        let b = Filter::eq("id", s("b"));
        let c = Filter::eq("id", s("c"));
        assert_eq!(
            parse("id eq 'a' or id eq 'b' and not id eq 'c'"),
            Filter::Or(vec![
                a.clone(),
                Filter::And(vec![b.clone(), Filter::Not(Box::new(c.clone()))])
            ])
        );
        assert_eq!(
            parse("(id eq 'a' or id eq 'b') and id eq 'c'"),
            Filter::And(vec![Filter::Or(vec![a, b]), c])
        );
    }

    #[test]
    fn names_and_keywords_ignore_case() {
        assert_eq!(
            parse("ComputerDnsName EQ 'X' AND OSBUILD Ge 18363"),
            Filter::And(vec![
                Filter::eq("computerDnsName", s("X")),
                Filter::Compare {
                    field: "osBuild",
                    op: CompareOp::Ge,
                    value: Literal::Int(18363)
                }
            ])
        );
    }

    #[test]
    fn functions_in_lists_and_typed_literals() {
        assert_eq!(
            parse("startswith(computerDnsName,'ws-')"),
            Filter::Text {
                function: TextFunction::StartsWith,
                field: "computerDnsName",
                text: "ws-".into()
            }
        );
        assert_eq!(
            parse("contains(computerDnsName, 'it''s') eq false"),
            Filter::Not(Box::new(Filter::Text {
                function: TextFunction::Contains,
                field: "computerDnsName",
                text: "it's".into()
            }))
        );
        assert_eq!(
            parse("osPlatform in ('windows10', 'Windows11')"),
            Filter::In {
                field: "osPlatform",
                values: vec![s("Windows10"), s("Windows11")]
            }
        );
        assert_eq!(
            parse("lastSeen ge 2024-01-01T00:00:00Z"),
            Filter::Compare {
                field: "lastSeen",
                op: CompareOp::Ge,
                value: Literal::DateTime(DateTimeOffset {
                    unix_seconds: 1_704_067_200,
                    nanos: 0
                })
            }
        );
        assert_eq!(
            parse("isAadJoined eq true and id ne null"),
            Filter::And(vec![
                Filter::eq("isAadJoined", Literal::Bool(true)),
                Filter::Compare {
                    field: "id",
                    op: CompareOp::Ne,
                    value: Literal::Null
                }
            ])
        );
    }

    #[test]
    fn errors_say_where_and_what_was_expected() {
        assert_eq!(
            error("computerDnsName eq 5"),
            "$filter: at column 20: expected a quoted string after 'eq' ('computerDnsName' is a string), found 5"
        );
        assert_eq!(
            error("osBuild eq '5'"),
            "$filter: at column 12: expected an integer after 'eq' ('osBuild' is an integer), found the string '5'"
        );
        assert!(error("foo eq 'x'").starts_with("$filter: at column 1: unknown property 'foo'"));
        assert!(error("installedKbs eq 'x'").contains("cannot be used in $filter"));
        assert!(error("id eq 'a' and").contains("found end of input"));
        assert!(error("(id eq 'a'").contains("expected ')' to close the '(' at column 1"));
        assert!(error("id eq 'a')").contains("')' without a matching '('"));
        assert!(error("id like 'a'").contains("expected an operator"));
        assert!(error("osPlatform eq 'Windows95'").contains("one of: Windows10, Windows11"));
        assert!(error("osPlatform gt 'Windows10'").contains("use eq, ne or in"));
        assert!(error("isAadJoined gt true").contains("use eq, ne"));
        assert!(error("osBuild gt null").contains("null can only be compared"));
        assert!(error("id in ()").contains("expected a quoted string"));
        assert!(error("id in ('a' 'b')").contains("expected ',' or ')'"));
        assert!(error("id in ('a', null)").contains("null is not allowed"));
        assert!(error("startswith(osBuild,'1')").contains("applies to string properties"));
        assert!(error("startswith(id, 5)").contains("second argument"));
        assert!(error("tolower(id) eq 'a'").contains("unknown function 'tolower'"));
        assert!(error("lastSeen gt '2024-01-01'").contains("unquoted DateTimeOffset"));
        assert!(error("eq eq 'a'").contains("found the keyword 'eq'"));
        assert!(error("").contains("at column 1: expected a property name"));
        assert!(error("id eq 'a' id eq 'b'").contains("expected 'and', 'or'"));
    }

    #[test]
    fn limits_are_errors_not_crashes() {
        let deep = format!("{}id eq 'a'{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(error(&deep).contains("longer than"));
        let deep = format!("{}id eq 'a'{}", "(".repeat(40), ")".repeat(40));
        assert!(error(&deep).contains("nests deeper than 32"));
        let nots = format!("{}id eq 'a'", "not ".repeat(40));
        assert!(error(&nots).contains("nests deeper than 32"));
        let ok = format!("{}id eq 'a'{}", "(".repeat(32), ")".repeat(32));
        parse(&ok);
        let many = vec!["osBuild eq 1"; MAX_CONDITIONS + 1].join(" or ");
        assert!(error(&many).contains("more than 1000 conditions"));
        let list: Vec<String> = (0..MAX_CONDITIONS + 1).map(|n| n.to_string()).collect();
        assert!(error(&format!("osBuild in ({})", list.join(","))).contains("conditions"));
        let long = format!("id eq '{}'", "x".repeat(MAX_FILTER_CHARS));
        assert!(error(&long).contains("at column 16385"));
    }
}
