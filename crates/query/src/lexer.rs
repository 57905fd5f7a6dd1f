//! Splits an expression into tokens, on demand.
//!
//! The parser pulls tokens one at a time because the argument of `=~`/`!~`
//! is read differently: as a bare run up to whitespace, so a pattern may hold
//! `[`, `]`, `,` and balanced parentheses without quotes.

use crate::ast::Operator;
use crate::error::{ErrorKind, ParseError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    /// `&&`
    AndAnd,
    /// `||`
    OrOr,
    /// `!` used as boolean negation.
    Bang,
    /// A symbolic operator: `==`, `!=`, `>`, `>=`, `<`, `<=`, `=~`, `!~`,
    /// `!in`, `!exists`. Keyword operators arrive as [`Tok::Word`].
    Op(Operator),
    /// An unquoted word: subject, keyword or value.
    Word(String),
    /// A quoted value, escapes resolved.
    Quoted(String),
    End,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    /// Byte offset of the first character.
    pub(crate) start: usize,
}

/// Characters that end an unquoted word.
const DELIMITERS: &str = "()[],'\"=!<>~&|";

/// Whether `c` may appear in an unquoted word.
pub(crate) fn is_word_char(c: char) -> bool {
    !c.is_whitespace() && !DELIMITERS.contains(c)
}

pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Lexer { src, pos: 0 }
    }

    /// 1-based character column of a byte offset.
    pub(crate) fn column(&self, byte: usize) -> usize {
        self.src.get(..byte).map_or(0, |s| s.chars().count()) + 1
    }

    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn skip_whitespace(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn error(&self, kind: ErrorKind, message: impl Into<String>, byte: usize) -> ParseError {
        ParseError::new(kind, message, self.column(byte))
    }

    /// Byte offset of the next token.
    pub(crate) fn offset(&mut self) -> usize {
        self.skip_whitespace();
        self.pos
    }

    pub(crate) fn next_token(&mut self) -> Result<Token, ParseError> {
        self.skip_whitespace();
        let start = self.pos;
        let rest = self.rest();
        let mut chars = rest.chars();
        let Some(c) = chars.next() else {
            return Ok(Token {
                tok: Tok::End,
                start,
            });
        };
        let next = chars.next();
        let (tok, len) = match (c, next) {
            ('(', _) => (Tok::LParen, 1),
            (')', _) => (Tok::RParen, 1),
            ('[', _) => (Tok::LBracket, 1),
            (']', _) => (Tok::RBracket, 1),
            (',', _) => (Tok::Comma, 1),
            ('&', Some('&')) => (Tok::AndAnd, 2),
            ('|', Some('|')) => (Tok::OrOr, 2),
            ('=', Some('=')) => (Tok::Op(Operator::Equals), 2),
            ('=', Some('~')) => (Tok::Op(Operator::Matches), 2),
            ('!', Some('=')) => (Tok::Op(Operator::NotEquals), 2),
            ('!', Some('~')) => (Tok::Op(Operator::NotMatches), 2),
            ('>', Some('=')) => (Tok::Op(Operator::GreaterThanEqual), 2),
            ('<', Some('=')) => (Tok::Op(Operator::LessThanEqual), 2),
            ('>', _) => (Tok::Op(Operator::GreaterThan), 1),
            ('<', _) => (Tok::Op(Operator::LessThan), 1),
            ('!', _) => self.bang(rest),
            ('\'' | '"', _) => return self.quoted(c),
            ('&' | '|', _) => {
                let (word, doubled) = if c == '&' {
                    ("and", "&&")
                } else {
                    ("or", "||")
                };
                return Err(self.error(
                    ErrorKind::UnexpectedCharacter,
                    format!("unexpected '{c}'; use '{doubled}' or '{word}'"),
                    start,
                ));
            }
            ('=', _) => {
                return Err(self.error(
                    ErrorKind::UnknownOperator,
                    "'=' is not an operator; use '==' (equals) or '=~' (matches)",
                    start,
                ))
            }
            ('~', _) => {
                return Err(self.error(
                    ErrorKind::UnknownOperator,
                    "'~' is not an operator; use '=~' (matches) or '!~' (not_matches)",
                    start,
                ))
            }
            _ => {
                let len = rest.find(|c| !is_word_char(c)).unwrap_or(rest.len());
                if len == 0 {
                    return Err(self.error(
                        ErrorKind::UnexpectedCharacter,
                        format!("unexpected character '{c}'"),
                        start,
                    ));
                }
                (Tok::Word(rest[..len].to_string()), len)
            }
        };
        self.pos += len;
        Ok(Token { tok, start })
    }

    /// `!` alone is negation; `!in` and `!exists` are operators.
    fn bang(&self, rest: &str) -> (Tok, usize) {
        let after = &rest[1..];
        let word_len = after.find(|c| !is_word_char(c)).unwrap_or(after.len());
        match &after[..word_len] {
            "in" => (Tok::Op(Operator::NotIn), 1 + word_len),
            "exists" => (Tok::Op(Operator::NotExists), 1 + word_len),
            _ => (Tok::Bang, 1),
        }
    }

    /// A quoted value. `\\`, `\'` and `\"` are escapes; any other backslash
    /// is kept as written (so `'\d+'` is the pattern `\d+`).
    fn quoted(&mut self, quote: char) -> Result<Token, ParseError> {
        let start = self.pos;
        let mut out = String::new();
        let mut chars = self.rest().char_indices().skip(1);
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, e @ ('\\' | '\'' | '"'))) => out.push(e),
                    Some((_, e)) => {
                        out.push('\\');
                        out.push(e);
                    }
                    None => break,
                },
                c if c == quote => {
                    self.pos += i + c.len_utf8();
                    return Ok(Token {
                        tok: Tok::Quoted(out),
                        start,
                    });
                }
                c => out.push(c),
            }
        }
        Err(self.error(
            ErrorKind::UnterminatedString,
            format!("missing closing {quote} for the value that starts here"),
            start,
        ))
    }

    /// The argument of `=~`/`!~`: a quoted value, or a bare run up to
    /// whitespace or an unbalanced `)`. `None` when there is none.
    pub(crate) fn pattern(&mut self) -> Result<Option<Token>, ParseError> {
        self.skip_whitespace();
        let start = self.pos;
        let rest = self.rest();
        match rest.chars().next() {
            None => return Ok(None),
            Some(q @ ('\'' | '"')) => return self.quoted(q).map(Some),
            Some(_) => {}
        }
        let len = bare_pattern_len(rest);
        if len == 0 {
            return Ok(None);
        }
        self.pos += len;
        Ok(Some(Token {
            tok: Tok::Word(rest[..len].to_string()),
            start,
        }))
    }
}

/// Length in bytes of a bare pattern at the start of `s`.
fn bare_pattern_len(s: &str) -> usize {
    let mut groups = 0usize;
    let mut classes = 0usize;
    let mut class_start = false;
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        let at_class_start = std::mem::take(&mut class_start);
        match c {
            c if c.is_whitespace() => return i,
            '\\' => {
                chars.next();
            }
            '[' => {
                classes += 1;
                class_start = true;
            }
            '^' if at_class_start => class_start = true,
            ']' if classes > 0 && !at_class_start => classes -= 1,
            '(' if classes == 0 => groups += 1,
            ')' if classes == 0 => {
                if groups == 0 {
                    return i;
                }
                groups -= 1;
            }
            _ => {}
        }
    }
    s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        let mut lx = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let t = lx.next_token().expect("lexes").tok;
            if t == Tok::End {
                return out;
            }
            out.push(t);
        }
    }

    fn word(s: &str) -> Tok {
        Tok::Word(s.to_string())
    }

    #[test]
    fn symbols_without_spaces() {
        assert_eq!(
            toks("runningTasksCount>=2&&!(a!=b)||c!in[x,'y']"),
            vec![
                word("runningTasksCount"),
                Tok::Op(Operator::GreaterThanEqual),
                word("2"),
                Tok::AndAnd,
                Tok::Bang,
                Tok::LParen,
                word("a"),
                Tok::Op(Operator::NotEquals),
                word("b"),
                Tok::RParen,
                Tok::OrOr,
                word("c"),
                Tok::Op(Operator::NotIn),
                Tok::LBracket,
                word("x"),
                Tok::Comma,
                Tok::Quoted("y".into()),
                Tok::RBracket,
            ]
        );
    }

    #[test]
    fn bang_words() {
        assert_eq!(toks("!exists"), vec![Tok::Op(Operator::NotExists)]);
        assert_eq!(toks("!existsx"), vec![Tok::Bang, word("existsx")]);
        assert_eq!(
            toks("!agentConnected"),
            vec![Tok::Bang, word("agentConnected")]
        );
    }

    #[test]
    fn quoted_escapes() {
        assert_eq!(
            toks(r#"'it\'s' "a\"b" '\d\\' 'x y'"#),
            vec![
                Tok::Quoted("it's".into()),
                Tok::Quoted("a\"b".into()),
                Tok::Quoted("\\d\\".into()),
                Tok::Quoted("x y".into()),
            ]
        );
        let err = Lexer::new("  'abc").next_token().expect_err("unterminated");
        assert_eq!(err.kind(), ErrorKind::UnterminatedString);
        assert_eq!(err.column(), 3);
    }

    #[test]
    fn bare_patterns() {
        assert_eq!(bare_pattern_len("t[23].* and"), 7);
        assert_eq!(bare_pattern_len("(t2|m5).*) and"), 9);
        assert_eq!(bare_pattern_len("[()].*)"), 6);
        assert_eq!(bare_pattern_len("[]a]x)"), 5);
        assert_eq!(bare_pattern_len(r"\).*)"), 4);
        assert_eq!(bare_pattern_len(")"), 0);
    }

    #[test]
    fn columns_count_characters() {
        let lx = Lexer::new("é == x");
        assert_eq!(lx.column(0), 1);
        assert_eq!(lx.column(3), 3);
    }
}
