//! Recursive-descent parser: `or` binds loosest, then `and`, then `not`.

use crate::ast::{Argument, Arity, Expr, Field, Operator};
use crate::error::{ErrorKind, ParseError, PredicateError};
use crate::lexer::{Lexer, Tok, Token};
use crate::predicate::{self, Predicate};
use crate::{MAX_DEPTH, MAX_EXPRESSION_LEN};

/// Parses a cluster query expression.
///
/// Fails with a positioned [`ParseError`] on bad syntax, an unknown subject
/// or operator, an operator the subject doesn't support, an argument of the
/// wrong type, or an expression over [`MAX_EXPRESSION_LEN`] characters.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let len = src.chars().count();
    if len > MAX_EXPRESSION_LEN {
        return Err(ParseError::new(
            ErrorKind::TooLong,
            format!("expression is {len} characters long; the limit is {MAX_EXPRESSION_LEN}"),
            MAX_EXPRESSION_LEN + 1,
        ));
    }
    if src.trim().is_empty() {
        return Err(ParseError::new(ErrorKind::Empty, "expression is empty", 1));
    }
    let mut p = Parser {
        lx: Lexer::new(src),
        peeked: None,
        depth: 0,
    };
    let expr = p.or_expr()?;
    let t = p.next()?;
    match t.tok {
        Tok::End => Ok(expr),
        Tok::RParen => Err(p.error(
            ErrorKind::UnbalancedParens,
            "')' without a matching '('",
            &t,
        )),
        _ => Err(p.error(
            ErrorKind::UnexpectedToken,
            format!(
                "unexpected {}; expected 'and', 'or' or the end of the expression",
                describe(&t.tok)
            ),
            &t,
        )),
    }
}

struct Parser<'a> {
    lx: Lexer<'a>,
    peeked: Option<Token>,
    depth: usize,
}

impl Parser<'_> {
    fn next(&mut self) -> Result<Token, ParseError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lx.next_token(),
        }
    }

    fn peek(&mut self) -> Result<&Tok, ParseError> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lx.next_token()?);
        }
        Ok(self.peeked.as_ref().map_or(&Tok::End, |t| &t.tok))
    }

    fn error(&self, kind: ErrorKind, message: impl Into<String>, at: &Token) -> ParseError {
        ParseError::new(kind, message, self.lx.column(at.start))
    }

    fn enter(&mut self, at: &Token) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(
                ErrorKind::TooDeep,
                format!("expression nests more than {MAX_DEPTH} levels deep"),
                at,
            ));
        }
        Ok(())
    }

    fn or_expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.and_expr()?;
        while matches!(self.peek()?, Tok::OrOr) || is_word(self.peek()?, "or") {
            self.next()?;
            let right = self.and_expr()?;
            left = Expr::or(left, right);
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        while matches!(self.peek()?, Tok::AndAnd) || is_word(self.peek()?, "and") {
            self.next()?;
            let right = self.unary()?;
            left = Expr::and(left, right);
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if matches!(self.peek()?, Tok::Bang) || is_word(self.peek()?, "not") {
            let t = self.next()?;
            self.enter(&t)?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::not(inner));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let t = self.next()?;
        match &t.tok {
            Tok::LParen => {
                self.enter(&t)?;
                let inner = self.or_expr()?;
                let close = self.next()?;
                match &close.tok {
                    Tok::RParen => {}
                    Tok::End => {
                        return Err(self.error(
                            ErrorKind::UnbalancedParens,
                            format!(
                                "missing ')' for the '(' at column {}",
                                self.lx.column(t.start)
                            ),
                            &close,
                        ))
                    }
                    other => {
                        return Err(self.error(
                            ErrorKind::UnexpectedToken,
                            format!(
                                "unexpected {}; expected 'and', 'or' or ')'",
                                describe(other)
                            ),
                            &close,
                        ))
                    }
                }
                self.depth -= 1;
                Ok(inner)
            }
            Tok::Word(w) => {
                let w = w.clone();
                self.predicate(&w, &t).map(Expr::Predicate)
            }
            other => Err(self.error(
                ErrorKind::UnexpectedToken,
                format!("expected a condition, found {}", describe(other)),
                &t,
            )),
        }
    }

    fn predicate(&mut self, word: &str, at: &Token) -> Result<Predicate, ParseError> {
        let field = Field::from_word(word).ok_or_else(|| {
            let message = if word == "attribute:" {
                "'attribute:' needs a name, like attribute:ecs.instance-type".to_string()
            } else {
                format!(
                    "unknown subject '{word}'; expected agentConnected, agentVersion, \
                     attribute:<name>, ec2InstanceId, registeredAt, runningTasksCount \
                     or task:group"
                )
            };
            self.error(ErrorKind::UnknownSubject, message, at)
        })?;

        let op_tok = self.next()?;
        let op = match &op_tok.tok {
            Tok::Op(op) => *op,
            Tok::Word(w) => Operator::from_spelling(w).ok_or_else(|| {
                self.error(
                    ErrorKind::UnknownOperator,
                    format!("unknown operator '{w}' after '{word}'"),
                    &op_tok,
                )
            })?,
            Tok::End => {
                return Err(self.error(
                    ErrorKind::MissingOperator,
                    format!("'{word}' needs an operator, like '==' or 'exists'"),
                    &op_tok,
                ))
            }
            other => {
                return Err(self.error(
                    ErrorKind::UnknownOperator,
                    format!(
                        "expected an operator after '{word}', found {}",
                        describe(other)
                    ),
                    &op_tok,
                ))
            }
        };
        predicate::check_operator(&field, op).map_err(|e| self.locate(e, &op_tok, &[]))?;

        let (arg, starts) = match op.arity() {
            Arity::None => (Argument::None, Vec::new()),
            Arity::One => {
                let t = self.value(op)?;
                let start = t.start;
                (Argument::Value(token_text(t)), vec![start])
            }
            Arity::List => self.list(op)?,
        };
        let typed = predicate::type_values(&field, op, arg.values()).map_err(|e| {
            let fallback = Token {
                tok: Tok::End,
                start: starts.first().copied().unwrap_or(op_tok.start),
            };
            self.locate(e, &fallback, &starts)
        })?;
        Ok(Predicate::from_parts(field, op, arg, typed))
    }

    /// Places a predicate error at the offending list element, else at `at`.
    fn locate(&self, e: PredicateError, at: &Token, starts: &[usize]) -> ParseError {
        let start = e
            .element
            .and_then(|i| starts.get(i).copied())
            .unwrap_or(at.start);
        ParseError::new(e.kind, e.message, self.lx.column(start))
    }

    /// The single value after `op`.
    fn value(&mut self, op: Operator) -> Result<Token, ParseError> {
        if op.takes_pattern() {
            let start = self.lx.offset();
            return self.lx.pattern()?.ok_or_else(|| {
                ParseError::new(
                    ErrorKind::MissingArgument,
                    format!("operator '{}' needs a pattern after it", op.symbol()),
                    self.lx.column(start),
                )
            });
        }
        let t = self.next()?;
        match &t.tok {
            Tok::Word(_) | Tok::Quoted(_) => Ok(t),
            Tok::LBracket => Err(self.error(
                ErrorKind::InvalidArgument,
                format!(
                    "operator '{}' takes one value, not a list; use 'in' for lists",
                    op.symbol()
                ),
                &t,
            )),
            _ => Err(self.error(
                ErrorKind::MissingArgument,
                format!(
                    "operator '{}' needs a value after it, found {}",
                    op.symbol(),
                    describe(&t.tok)
                ),
                &t,
            )),
        }
    }

    /// `[a, b, …]` after `in` / `!in`, with each element's offset.
    fn list(&mut self, op: Operator) -> Result<(Argument, Vec<usize>), ParseError> {
        let open = self.next()?;
        match &open.tok {
            Tok::LBracket => {}
            Tok::Word(_) | Tok::Quoted(_) => {
                return Err(self.error(
                    ErrorKind::InvalidArgument,
                    format!("operator '{}' needs a list like [a, b]", op.symbol()),
                    &open,
                ))
            }
            other => {
                return Err(self.error(
                    ErrorKind::MissingArgument,
                    format!(
                        "operator '{}' needs a list like [a, b] after it, found {}",
                        op.symbol(),
                        describe(other)
                    ),
                    &open,
                ))
            }
        }
        let mut values = Vec::new();
        let mut starts = Vec::new();
        loop {
            let t = self.next()?;
            match &t.tok {
                Tok::Word(_) | Tok::Quoted(_) => {
                    starts.push(t.start);
                    values.push(token_text(t));
                }
                Tok::RBracket if values.is_empty() => {
                    return Err(self.error(
                        ErrorKind::InvalidArgument,
                        "the argument list is empty",
                        &open,
                    ))
                }
                other => return Err(self.list_error(other, &t, &open, "a value")),
            }
            let sep = self.next()?;
            match &sep.tok {
                Tok::Comma => {}
                Tok::RBracket => return Ok((Argument::List(values), starts)),
                other => return Err(self.list_error(other, &sep, &open, "',' or ']'")),
            }
        }
    }

    fn list_error(&self, found: &Tok, at: &Token, open: &Token, wanted: &str) -> ParseError {
        let message = if *found == Tok::End {
            format!(
                "missing ']' for the '[' at column {}",
                self.lx.column(open.start)
            )
        } else {
            format!("expected {wanted} in the list, found {}", describe(found))
        };
        self.error(ErrorKind::InvalidArgument, message, at)
    }
}

fn is_word(tok: &Tok, word: &str) -> bool {
    matches!(tok, Tok::Word(w) if w == word)
}

fn token_text(t: Token) -> String {
    match t.tok {
        Tok::Word(s) | Tok::Quoted(s) => s,
        _ => String::new(),
    }
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::LBracket => "'['".into(),
        Tok::RBracket => "']'".into(),
        Tok::Comma => "','".into(),
        Tok::AndAnd => "'&&'".into(),
        Tok::OrOr => "'||'".into(),
        Tok::Bang => "'!'".into(),
        Tok::Op(op) => format!("'{}'", op.symbol()),
        Tok::Word(w) => format!("'{w}'"),
        Tok::Quoted(q) => format!("quoted value '{q}'"),
        Tok::End => "the end of the expression".into(),
    }
}
