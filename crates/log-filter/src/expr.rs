//! Boolean combinations of conditions, shared by JSON and space-delimited
//! patterns: `&&` binds tighter than `||`, parentheses group.
//!
//! ```text
//! or   = and , { "||" , and } ;
//! and  = atom , { "&&" , atom } ;
//! atom = "(" , or , ")" | condition ;
//! ```

use crate::error::{PatternError, Result};
use crate::lexer::{Lexer, Token};

/// Parentheses nest at most this deep.
pub(crate) const MAX_DEPTH: usize = 32;

/// A tree of conditions `C`.
#[derive(Debug, Clone)]
pub(crate) enum Expr<C> {
    Condition(C),
    All(Vec<Expr<C>>),
    Any(Vec<Expr<C>>),
}

impl<C> Expr<C> {
    /// Evaluates with `test` deciding each condition, left to right, stopping
    /// as soon as the result is known.
    pub(crate) fn eval(&self, test: &mut impl FnMut(&C) -> bool) -> bool {
        match self {
            Expr::Condition(c) => test(c),
            Expr::All(parts) => parts.iter().all(|p| p.eval(test)),
            Expr::Any(parts) => parts.iter().any(|p| p.eval(test)),
        }
    }

    /// Calls `visit` on every condition, left to right.
    pub(crate) fn for_each(&self, visit: &mut impl FnMut(&C)) {
        match self {
            Expr::Condition(c) => visit(c),
            Expr::All(parts) | Expr::Any(parts) => parts.iter().for_each(|p| p.for_each(visit)),
        }
    }
}

/// Parses an expression from `lexer`, reading each condition with
/// `condition`. Stops before the first token that cannot continue it.
pub(crate) fn parse<C>(
    lexer: &mut Lexer<'_>,
    condition: &mut impl FnMut(&mut Lexer<'_>) -> Result<C>,
) -> Result<Expr<C>> {
    parse_joined(lexer, condition, 0, &Token::Or)
}

/// Parses operands joined by `joiner`: `||` joins `&&` lists, `&&` joins atoms.
fn parse_joined<C>(
    lexer: &mut Lexer<'_>,
    condition: &mut impl FnMut(&mut Lexer<'_>) -> Result<C>,
    depth: usize,
    joiner: &Token,
) -> Result<Expr<C>> {
    let mut parts = Vec::new();
    loop {
        parts.push(match joiner {
            Token::Or => parse_joined(lexer, condition, depth, &Token::And)?,
            _ => parse_atom(lexer, condition, depth)?,
        });
        if lexer.peek()?.token != *joiner {
            break;
        }
        lexer.next()?;
    }
    if parts.len() == 1 {
        if let Some(only) = parts.pop() {
            return Ok(only);
        }
    }
    Ok(match joiner {
        Token::Or => Expr::Any(parts),
        _ => Expr::All(parts),
    })
}

fn parse_atom<C>(
    lexer: &mut Lexer<'_>,
    condition: &mut impl FnMut(&mut Lexer<'_>) -> Result<C>,
    depth: usize,
) -> Result<Expr<C>> {
    if lexer.peek()?.token != Token::LParen {
        return condition(lexer).map(Expr::Condition);
    }
    if depth == MAX_DEPTH {
        return Err(PatternError::TooDeep { limit: MAX_DEPTH });
    }
    let open = lexer.next()?;
    let inner = parse_joined(lexer, condition, depth + 1, &Token::Or)?;
    let close = lexer.next()?;
    match close.token {
        Token::RParen => Ok(inner),
        Token::End | Token::Close(_) => Err(PatternError::Unclosed {
            open: '(',
            close: ')',
            position: lexer.position(open.start),
        }),
        _ => Err(lexer.expected("'&&', '||' or ')'", &close)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Conditions are single words; a word is true when it is `t`.
    fn parse_words(src: &str) -> Result<Expr<String>> {
        let mut lexer = Lexer::new(src, 0);
        let expr = parse(&mut lexer, &mut |lexer: &mut Lexer<'_>| {
            let next = lexer.next()?;
            match next.token {
                Token::Word(w) => Ok(w),
                _ => Err(lexer.expected("a word", &next)),
            }
        })?;
        let end = lexer.next()?;
        match end.token {
            Token::End => Ok(expr),
            _ => Err(lexer.expected("the end", &end)),
        }
    }

    fn eval(src: &str) -> bool {
        match parse_words(src) {
            Ok(expr) => expr.eval(&mut |w: &String| w == "t"),
            Err(e) => panic!("{src}: {e}"),
        }
    }

    #[test]
    fn and_binds_tighter_than_or() {
        assert!(eval("t || f && f"));
        assert!(!eval("(t || f) && f"));
        assert!(eval("f && f || t"));
        assert!(!eval("f && (f || t)"));
    }

    #[test]
    fn nested_parentheses() {
        assert!(eval("((t))"));
        assert!(eval("(f || (t && (t || f)))"));
    }

    #[test]
    fn stops_evaluating_once_the_result_is_known() {
        let expr = parse_words("t || boom").unwrap_or_else(|e| panic!("{e}"));
        let mut seen = Vec::new();
        assert!(expr.eval(&mut |w: &String| {
            seen.push(w.clone());
            w == "t"
        }));
        assert_eq!(seen, ["t"]);
    }

    #[test]
    fn visits_every_condition() {
        let expr = parse_words("a && (b || c) || d").unwrap_or_else(|e| panic!("{e}"));
        let mut seen = Vec::new();
        expr.for_each(&mut |w: &String| seen.push(w.clone()));
        assert_eq!(seen, ["a", "b", "c", "d"]);
    }

    #[test]
    fn unbalanced_parentheses() {
        assert_eq!(
            parse_words("(t && (f)").map(|_| ()),
            Err(PatternError::Unclosed {
                open: '(',
                close: ')',
                position: 1
            })
        );
        assert!(matches!(
            parse_words("t)"),
            Err(PatternError::Expected { .. })
        ));
        assert!(matches!(
            parse_words("(t f)"),
            Err(PatternError::Expected { .. })
        ));
        assert!(matches!(
            parse_words("t &&"),
            Err(PatternError::Expected { .. })
        ));
        assert!(matches!(
            parse_words("()"),
            Err(PatternError::Expected { .. })
        ));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}t{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(eval(&deep));
        let too_deep = format!(
            "{}t{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(
            parse_words(&too_deep).map(|_| ()),
            Err(PatternError::TooDeep { limit: MAX_DEPTH })
        );
        let huge = "(".repeat(100_000);
        assert!(parse_words(&huge).is_err());
    }
}
