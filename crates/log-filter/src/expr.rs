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
    parse_or(lexer, condition, 0)
}

fn parse_or<C>(
    lexer: &mut Lexer<'_>,
    condition: &mut impl FnMut(&mut Lexer<'_>) -> Result<C>,
    depth: usize,
) -> Result<Expr<C>> {
    let mut parts = vec![parse_and(lexer, condition, depth)?];
    while lexer.peek()?.token == Token::Or {
        lexer.next()?;
        parts.push(parse_and(lexer, condition, depth)?);
    }
    Ok(collapse(parts, Expr::Any))
}

fn parse_and<C>(
    lexer: &mut Lexer<'_>,
    condition: &mut impl FnMut(&mut Lexer<'_>) -> Result<C>,
    depth: usize,
) -> Result<Expr<C>> {
    let mut parts = vec![parse_atom(lexer, condition, depth)?];
    while lexer.peek()?.token == Token::And {
        lexer.next()?;
        parts.push(parse_atom(lexer, condition, depth)?);
    }
    Ok(collapse(parts, Expr::All))
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
    let inner = parse_or(lexer, condition, depth + 1)?;
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

fn collapse<C>(mut parts: Vec<Expr<C>>, combine: fn(Vec<Expr<C>>) -> Expr<C>) -> Expr<C> {
    if parts.len() == 1 {
        if let Some(only) = parts.pop() {
            return only;
        }
    }
    combine(parts)
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
