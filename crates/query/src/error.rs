//! Errors reported while reading an expression.

use std::fmt;

/// What went wrong, for callers that want to react to a class of error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The expression is empty or only whitespace.
    Empty,
    /// The expression is longer than [`crate::MAX_EXPRESSION_LEN`].
    TooLong,
    /// Parentheses or compound operators are nested too deeply.
    TooDeep,
    /// A `(` without its `)`, or a `)` without its `(`.
    UnbalancedParens,
    /// A quoted value without its closing quote.
    UnterminatedString,
    /// A character that can't start any token.
    UnexpectedCharacter,
    /// A word in subject position that names no subject.
    UnknownSubject,
    /// A subject with nothing after it.
    MissingOperator,
    /// A word in operator position that names no operator.
    UnknownOperator,
    /// An operator the subject doesn't support (e.g. `agentConnected > 1`).
    OperatorNotAllowed,
    /// An operator that needs an argument has none.
    MissingArgument,
    /// An argument of the wrong shape or type (bad date, number, list, pattern).
    InvalidArgument,
    /// A token that is valid somewhere, but not here.
    UnexpectedToken,
}

/// A parse failure, with a user-facing message and where it happened.
///
/// `Display` renders `<message> (at column <column>)`; columns count
/// characters from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    kind: ErrorKind,
    message: String,
    column: usize,
}

impl ParseError {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>, column: usize) -> Self {
        ParseError {
            kind,
            message: message.into(),
            column,
        }
    }

    /// The class of error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message without position.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// 1-based character column where the problem was found.
    pub fn column(&self) -> usize {
        self.column
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at column {})", self.message, self.column)
    }
}

impl std::error::Error for ParseError {}

/// Why a predicate's parts don't fit together; positions are added by the parser.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PredicateError {
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
    /// Index of the offending list element, when the argument is a list.
    pub(crate) element: Option<usize>,
}

impl PredicateError {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        PredicateError {
            kind,
            message: message.into(),
            element: None,
        }
    }

    /// The class of error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}
