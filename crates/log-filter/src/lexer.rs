//! Tokens of the condition languages inside `{ … }` (JSON) and `[ … ]`
//! (space-delimited) patterns, and the quoted-string and `%regex%` readers that
//! unstructured patterns share.
//!
//! A *word* runs to the next whitespace or one of `( ) & | = ! < > " , [ ] { }`.
//! A run of `= ! < > & |` is one operator token, so `==` or `=>` is reported as
//! an unknown operator rather than as two tokens.

use crate::error::{position, PatternError, Result};
use crate::value::CmpOp;

/// One token of a condition language.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    LParen,
    RParen,
    And,
    Or,
    Cmp(CmpOp),
    Comma,
    /// `}` or `]`.
    Close(char),
    /// `$…`, as written: [`crate::json`] parses its steps.
    Selector(String),
    /// The text between double quotes, escapes still in place.
    Quoted(String),
    /// The text between `%` signs.
    Regex(String),
    Word(String),
    End,
}

impl Token {
    /// How an error message names this token.
    pub(crate) fn describe(&self) -> String {
        match self {
            Token::LParen => "'('".into(),
            Token::RParen => "')'".into(),
            Token::And => "'&&'".into(),
            Token::Or => "'||'".into(),
            Token::Cmp(op) => format!("'{}'", op.symbol()),
            Token::Comma => "','".into(),
            Token::Close(c) => format!("'{c}'"),
            Token::Selector(s) | Token::Word(s) => format!("'{s}'"),
            Token::Quoted(s) => format!("\"{s}\""),
            Token::Regex(s) => format!("%{s}%"),
            Token::End => "the end of the pattern".into(),
        }
    }
}

/// A token and the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spanned {
    pub token: Token,
    pub start: usize,
}

/// Characters that end a word (besides whitespace).
fn ends_word(c: char) -> bool {
    c.is_whitespace() || "()&|=!<>\",[]{}".contains(c)
}

fn is_operator_char(c: char) -> bool {
    "=!<>&|".contains(c)
}

/// Reads the quoted string whose opening `"` is at byte `start`: returns the
/// raw text between the quotes (a backslash escapes the next character) and
/// the byte offset just after the closing quote.
pub(crate) fn read_quoted(src: &str, start: usize) -> Result<(&str, usize)> {
    let body = start + 1;
    let mut chars = src.get(body..).unwrap_or("").char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '"' => return Ok((&src[body..body + i], body + i + 1)),
            _ => {}
        }
    }
    Err(PatternError::UnterminatedQuote {
        position: position(src, start),
    })
}

/// Removes the escapes from a quoted string's raw text: `\x` stands for `x`.
pub(crate) fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(escaped) = chars.next() {
                out.push(escaped);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads the `%regex%` whose opening `%` is at byte `start`: returns the text
/// between the signs and the byte offset just after the closing one.
pub(crate) fn read_regex(src: &str, start: usize) -> Result<(&str, usize)> {
    let body = start + 1;
    match src.get(body..).and_then(|rest| rest.find('%')) {
        Some(len) => Ok((&src[body..body + len], body + len + 1)),
        None => Err(PatternError::UnterminatedRegex {
            position: position(src, start),
        }),
    }
}

/// A tokenizer over `src` from a byte offset, with one token of lookahead.
#[derive(Clone)]
pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    peeked: Option<Spanned>,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str, pos: usize) -> Self {
        Lexer {
            src,
            pos,
            peeked: None,
        }
    }

    /// The 1-based character position of a byte offset, for errors.
    pub(crate) fn position(&self, byte: usize) -> usize {
        position(self.src, byte)
    }

    /// The byte offset just after the last token taken by [`Lexer::next`].
    pub(crate) fn offset(&self) -> usize {
        match &self.peeked {
            Some(spanned) => spanned.start,
            None => self.pos,
        }
    }

    pub(crate) fn peek(&mut self) -> Result<&Spanned> {
        let spanned = match self.peeked.take() {
            Some(spanned) => spanned,
            None => self.lex()?,
        };
        Ok(self.peeked.insert(spanned))
    }

    #[allow(clippy::should_implement_trait)] // fallible, unlike Iterator::next
    pub(crate) fn next(&mut self) -> Result<Spanned> {
        match self.peeked.take() {
            Some(spanned) => Ok(spanned),
            None => self.lex(),
        }
    }

    /// An error naming `spanned` as not what was `expected`.
    pub(crate) fn expected(&self, expected: &'static str, spanned: &Spanned) -> PatternError {
        PatternError::Expected {
            expected,
            found: spanned.token.describe(),
            position: self.position(spanned.start),
        }
    }

    /// Takes the `close` that ends the group `open` opened at byte `open_at`.
    pub(crate) fn expect_close(
        &mut self,
        open: char,
        close: char,
        open_at: usize,
        expected: &'static str,
    ) -> Result<()> {
        let next = self.next()?;
        match next.token {
            Token::Close(c) if c == close => Ok(()),
            Token::End => Err(self.unclosed(open, close, open_at)),
            _ => Err(self.expected(expected, &next)),
        }
    }

    /// The error for `open` at byte `open_at` never closed by `close`.
    pub(crate) fn unclosed(&self, open: char, close: char, open_at: usize) -> PatternError {
        PatternError::Unclosed {
            open,
            close,
            position: self.position(open_at),
        }
    }

    /// Checks that only whitespace follows the last token taken.
    pub(crate) fn finish(&self) -> Result<()> {
        let at = self.offset();
        let rest = self.src.get(at..).unwrap_or("");
        let trimmed = rest.trim_start();
        match trimmed.chars().next() {
            None => Ok(()),
            Some(c) => Err(PatternError::Unexpected {
                found: format!("'{c}' after the end of the pattern"),
                position: self.position(at + rest.len() - trimmed.len()),
            }),
        }
    }

    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn lex(&mut self) -> Result<Spanned> {
        let skipped = self.rest().len() - self.rest().trim_start().len();
        self.pos += skipped;
        let start = self.pos;
        let Some(c) = self.rest().chars().next() else {
            return Ok(Spanned {
                token: Token::End,
                start,
            });
        };
        let single = |token| Some((token, start + 1));
        let (token, end) = match c {
            '(' => single(Token::LParen),
            ')' => single(Token::RParen),
            ',' => single(Token::Comma),
            '}' | ']' => single(Token::Close(c)),
            '{' | '[' => None,
            '"' => {
                let (raw, end) = read_quoted(self.src, start)?;
                Some((Token::Quoted(raw.to_owned()), end))
            }
            '%' => {
                let (body, end) = read_regex(self.src, start)?;
                Some((Token::Regex(body.to_owned()), end))
            }
            '$' => {
                let end = self.selector_end(start)?;
                Some((Token::Selector(self.src[start..end].to_owned()), end))
            }
            c if is_operator_char(c) => Some(self.operator(start)?),
            _ => {
                let len = self.rest().find(ends_word).unwrap_or(self.rest().len());
                Some((Token::Word(self.rest()[..len].to_owned()), start + len))
            }
        }
        .ok_or_else(|| PatternError::Unexpected {
            found: format!("'{c}'"),
            position: self.position(start),
        })?;
        self.pos = end;
        Ok(Spanned { token, start })
    }

    fn operator(&self, start: usize) -> Result<(Token, usize)> {
        let rest = self.rest();
        let len = rest.find(|c| !is_operator_char(c)).unwrap_or(rest.len());
        let text = &rest[..len];
        let token = match text {
            "&&" => Token::And,
            "||" => Token::Or,
            _ => match CmpOp::from_symbol(text) {
                Some(op) => Token::Cmp(op),
                None => {
                    return Err(PatternError::UnknownOperator {
                        operator: text.to_owned(),
                        position: self.position(start),
                    })
                }
            },
        };
        Ok((token, start + len))
    }

    /// Where the selector starting at `start` ends: at the first character
    /// that ends a word, except that `[…]` belongs to the selector.
    fn selector_end(&self, start: usize) -> Result<usize> {
        let mut end = start;
        while let Some(c) = self.src[end..].chars().next() {
            if c == '[' {
                let close = self.src[end..]
                    .find(']')
                    .ok_or_else(|| self.unclosed('[', ']', end))?;
                end += close + 1;
            } else if ends_word(c) {
                break;
            } else {
                end += c.len_utf8();
            }
        }
        Ok(end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(src: &str) -> Result<Vec<Token>> {
        let mut lexer = Lexer::new(src, 0);
        let mut out = Vec::new();
        loop {
            let spanned = lexer.next()?;
            if spanned.token == Token::End {
                return Ok(out);
            }
            out.push(spanned.token);
        }
    }

    fn word(s: &str) -> Token {
        Token::Word(s.into())
    }

    #[test]
    fn lexes_a_json_condition() {
        assert_eq!(
            tokens(r#"($.a.b[0] != "x y") && $.c >= -1.5e3 || $.d[*].e = 4*}"#),
            Ok(vec![
                Token::LParen,
                Token::Selector("$.a.b[0]".into()),
                Token::Cmp(CmpOp::Ne),
                Token::Quoted("x y".into()),
                Token::RParen,
                Token::And,
                Token::Selector("$.c".into()),
                Token::Cmp(CmpOp::Ge),
                word("-1.5e3"),
                Token::Or,
                Token::Selector("$.d[*].e".into()),
                Token::Cmp(CmpOp::Eq),
                word("4*"),
                Token::Close('}'),
            ])
        );
    }

    #[test]
    fn lexes_delimited_fields_and_regexes() {
        assert_eq!(
            tokens("..., code=%4[0-9]{2}%, bytes]"),
            Ok(vec![
                word("..."),
                Token::Comma,
                word("code"),
                Token::Cmp(CmpOp::Eq),
                Token::Regex("4[0-9]{2}".into()),
                Token::Comma,
                word("bytes"),
                Token::Close(']'),
            ])
        );
    }

    #[test]
    fn adjacent_selector_steps_stay_one_token() {
        assert_eq!(
            tokens("$[0][1].a[2]=1"),
            Ok(vec![
                Token::Selector("$[0][1].a[2]".into()),
                Token::Cmp(CmpOp::Eq),
                word("1"),
            ])
        );
    }

    #[test]
    fn quoted_strings_keep_their_escapes_until_unescaped() {
        assert_eq!(
            tokens(r#""a \"b\" \\ c""#),
            Ok(vec![Token::Quoted(r#"a \"b\" \\ c"#.into())])
        );
        assert_eq!(unescape(r#"a \"b\" \\ c\*"#), r#"a "b" \ c*"#);
        assert_eq!(unescape("trailing\\"), "trailing");
    }

    #[test]
    fn unknown_operators_are_reported_whole() {
        for op in ["==", "=>", "=<", "!", "&", "|", "<>", "&&&"] {
            let err = tokens(&format!("$.a {op} 1"));
            assert_eq!(
                err,
                Err(PatternError::UnknownOperator {
                    operator: op.into(),
                    position: 5
                }),
                "{op}"
            );
        }
    }

    #[test]
    fn unterminated_things_are_errors() {
        assert_eq!(
            tokens(r#"$.a = "abc"#),
            Err(PatternError::UnterminatedQuote { position: 7 })
        );
        assert_eq!(
            tokens("$.a = %abc"),
            Err(PatternError::UnterminatedRegex { position: 7 })
        );
        assert_eq!(
            tokens("$.a[0"),
            Err(PatternError::Unclosed {
                open: '[',
                close: ']',
                position: 4
            })
        );
    }

    #[test]
    fn opening_braces_inside_a_condition_are_unexpected() {
        assert_eq!(
            tokens("$.a = {"),
            Err(PatternError::Unexpected {
                found: "'{'".into(),
                position: 7
            })
        );
    }
}
