//! Why a filter pattern was rejected.
//!
//! Every message starts with "Invalid filter pattern" so that the Logs service
//! can hand it back unchanged as an `InvalidParameterException`. Positions are
//! 1-based character positions in the pattern text.

/// A filter pattern that [`FilterPattern::parse`](crate::FilterPattern::parse)
/// refused, with what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// A `"` with no closing `"`.
    #[error("Invalid filter pattern: the quoted string at position {position} is never closed")]
    UnterminatedQuote { position: usize },
    /// A `%` opening a regular expression with no closing `%`.
    #[error(
        "Invalid filter pattern: the regular expression at position {position} is never closed \
         (write it as %regex%)"
    )]
    UnterminatedRegex { position: usize },
    /// A `{`, `[` or `(` with no matching close.
    #[error(
        "Invalid filter pattern: '{open}' at position {position} is never closed by '{close}'"
    )]
    Unclosed {
        open: char,
        close: char,
        position: usize,
    },
    /// Something that cannot stand where it stands: a stray `)`, text after the
    /// closing `}` or `]`, two terms with no space between them.
    #[error("Invalid filter pattern: unexpected {found} at position {position}")]
    Unexpected { found: String, position: usize },
    /// The parser wanted one thing and found another.
    #[error("Invalid filter pattern: expected {expected} at position {position}, found {found}")]
    Expected {
        expected: &'static str,
        found: String,
        position: usize,
    },
    /// An unquoted term with characters other than letters, digits and `_`.
    #[error(
        "Invalid filter pattern: the term '{term}' at position {position} has characters other \
         than letters, digits and '_': enclose it in double quotes"
    )]
    UnquotedTerm { term: String, position: usize },
    /// `?` or `-` with no term after it.
    #[error(
        "Invalid filter pattern: '{prefix}' at position {position} must be followed by a term"
    )]
    DanglingPrefix { prefix: char, position: usize },
    /// A comparison operator that is not one of `=`, `!=`, `<`, `<=`, `>`, `>=`
    /// (or a lone `&` or `|`).
    #[error(
        "Invalid filter pattern: unknown operator '{operator}' at position {position} \
         (use =, !=, <, <=, >, >=, && or ||)"
    )]
    UnknownOperator { operator: String, position: usize },
    /// `$` or `$.` with no property named.
    #[error(
        "Invalid filter pattern: empty JSON selector at position {position}: name a property, \
         as in $.field"
    )]
    EmptySelector { position: usize },
    /// A JSON selector that is not `$` followed by `.name`, `[n]` or `[*]` steps.
    #[error(
        "Invalid filter pattern: bad JSON selector '{selector}' at position {position}: {reason}"
    )]
    InvalidSelector {
        selector: String,
        reason: &'static str,
        position: usize,
    },
    /// `<`, `<=`, `>` or `>=` with something other than a number.
    #[error(
        "Invalid filter pattern: '{operator}' at position {position} compares numbers, \
         but '{value}' is not a number"
    )]
    NotANumber {
        operator: &'static str,
        value: String,
        position: usize,
    },
    /// A regular expression after an operator other than `=` or `!=`.
    #[error(
        "Invalid filter pattern: '{operator}' at position {position} cannot take a regular \
         expression (only = and != can)"
    )]
    RegexOperator {
        operator: &'static str,
        position: usize,
    },
    /// A `%regex%` that uses what CloudWatch Logs does not support, or does not compile.
    #[error(
        "Invalid filter pattern: regular expression %{regex}% at position {position}: {reason}"
    )]
    InvalidRegex {
        regex: String,
        reason: String,
        position: usize,
    },
    /// More `%regex%` values in one JSON or space-delimited pattern than allowed.
    #[error(
        "Invalid filter pattern: a JSON or space-delimited pattern may hold at most {limit} \
         regular expressions"
    )]
    TooManyRegexes { limit: usize },
    /// `{ }` or `[ ]`.
    #[error("Invalid filter pattern: empty {what}")]
    Empty { what: &'static str },
    /// `...` twice in one space-delimited pattern.
    #[error("Invalid filter pattern: '...' may appear only once in a space-delimited pattern")]
    RepeatedEllipsis,
    /// The same field name twice in one space-delimited pattern.
    #[error("Invalid filter pattern: the field name '{name}' is used more than once")]
    DuplicateField { name: String },
    /// A space-delimited field name with characters other than letters, digits, `_` and `-`.
    #[error(
        "Invalid filter pattern: '{name}' at position {position} is not a field name \
         (letters, digits, '_' and '-')"
    )]
    InvalidFieldName { name: String, position: usize },
    /// A condition in a space-delimited field that tests another field.
    #[error(
        "Invalid filter pattern: the condition for field '{field}' tests '{other}' at position \
         {position}: a condition may only test its own field"
    )]
    ForeignField {
        field: String,
        other: String,
        position: usize,
    },
    /// Parentheses nested deeper than the parser follows.
    #[error("Invalid filter pattern: parentheses nested more than {limit} deep")]
    TooDeep { limit: usize },
}

/// The 1-based character position of byte offset `byte` in `text`.
pub(crate) fn position(text: &str, byte: usize) -> usize {
    text.get(..byte).map_or(0, |before| before.chars().count()) + 1
}

pub(crate) type Result<T> = std::result::Result<T, PatternError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_from_one() {
        assert_eq!(position("abc", 0), 1);
        assert_eq!(position("abc", 2), 3);
        assert_eq!(position("éa", 2), 2);
    }

    #[test]
    fn every_message_says_invalid_filter_pattern() {
        let errors = [
            PatternError::RepeatedEllipsis,
            PatternError::TooDeep { limit: 3 },
            PatternError::Empty {
                what: "JSON pattern",
            },
            PatternError::EmptySelector { position: 3 },
        ];
        for e in errors {
            assert!(e.to_string().starts_with("Invalid filter pattern: "), "{e}");
        }
    }
}
