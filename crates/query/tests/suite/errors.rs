//! Rejected expressions: the kind of error, where, and a readable message.

use berth_query::{parse, ErrorKind, ParseError, MAX_DEPTH, MAX_EXPRESSION_LEN};

fn error(src: &str) -> ParseError {
    match parse(src) {
        Ok(e) => panic!("{src:?} parsed as {e}"),
        Err(err) => err,
    }
}

/// Fails with `kind` at `column`, and the message mentions `needle`.
fn check(src: &str, kind: ErrorKind, column: usize, needle: &str) {
    let err = error(src);
    assert_eq!(err.kind(), kind, "{src:?}: {err}");
    assert_eq!(err.column(), column, "{src:?}: {err}");
    assert!(err.to_string().contains(needle), "{src:?}: {err}");
    assert!(
        err.to_string().ends_with(&format!("(at column {column})")),
        "{err}"
    );
}

#[test]
fn empty() {
    check("", ErrorKind::Empty, 1, "empty");
    check("   \t", ErrorKind::Empty, 1, "empty");
}

#[test]
fn unbalanced_parens() {
    check(
        "(attribute:a exists",
        ErrorKind::UnbalancedParens,
        20,
        "missing ')'",
    );
    check(
        "((attribute:a exists)",
        ErrorKind::UnbalancedParens,
        22,
        "column 1",
    );
    check(
        "attribute:a exists)",
        ErrorKind::UnbalancedParens,
        19,
        "')'",
    );
    check(
        "not(task:group == db))",
        ErrorKind::UnbalancedParens,
        22,
        "')'",
    );
    check(")", ErrorKind::UnexpectedToken, 1, "found ')'");
    check("()", ErrorKind::UnexpectedToken, 2, "found ')'");
}

#[test]
fn unknown_operator() {
    check("attribute:a is b", ErrorKind::UnknownOperator, 13, "'is'");
    check("attribute:a = b", ErrorKind::UnknownOperator, 13, "'=='");
    check("attribute:a ~ b", ErrorKind::UnknownOperator, 13, "'=~'");
    check(
        "attribute:a EQUALS b",
        ErrorKind::UnknownOperator,
        13,
        "'EQUALS'",
    );
    check("attribute:a !foo", ErrorKind::UnknownOperator, 13, "'!'");
    check("attribute:a (b)", ErrorKind::UnknownOperator, 13, "'('");
    check(
        "attribute:a",
        ErrorKind::MissingOperator,
        12,
        "needs an operator",
    );
}

#[test]
fn missing_argument() {
    check("attribute:a ==", ErrorKind::MissingArgument, 15, "'=='");
    check(
        "attribute:a == and attribute:b exists",
        ErrorKind::UnexpectedToken,
        20,
        "'attribute:b'",
    );
    check(
        "(attribute:a != )",
        ErrorKind::MissingArgument,
        17,
        "found ')'",
    );
    check("attribute:a =~", ErrorKind::MissingArgument, 15, "pattern");
    check(
        "(attribute:a =~ )",
        ErrorKind::MissingArgument,
        17,
        "pattern",
    );
    check("attribute:a in", ErrorKind::MissingArgument, 15, "list");
    check(
        "runningTasksCount >= && a",
        ErrorKind::MissingArgument,
        22,
        "'&&'",
    );
}

#[test]
fn unknown_subject() {
    check("foo == bar", ErrorKind::UnknownSubject, 1, "'foo'");
    check("a and b", ErrorKind::UnknownSubject, 1, "'a'");
    check(
        "agentconnected == true",
        ErrorKind::UnknownSubject,
        1,
        "agentConnected",
    );
    check(
        "attribute: exists",
        ErrorKind::UnknownSubject,
        1,
        "needs a name",
    );
    check(
        "agentConnected == true and task:groups exists",
        ErrorKind::UnknownSubject,
        28,
        "task:groups",
    );
}

#[test]
fn wrong_operator_for_subject() {
    check(
        "runningTasksCount =~ 1",
        ErrorKind::OperatorNotAllowed,
        19,
        "valid operators: ==, !=, >, >=, <, <=",
    );
    check(
        "agentConnected >= true",
        ErrorKind::OperatorNotAllowed,
        16,
        "'>='",
    );
}

#[test]
fn invalid_arguments() {
    check(
        "runningTasksCount > x",
        ErrorKind::InvalidArgument,
        21,
        "whole number",
    );
    check(
        "registeredAt in [2018-01-01]",
        ErrorKind::OperatorNotAllowed,
        14,
        "registeredAt",
    );
    check(
        "agentConnected in [true, maybe]",
        ErrorKind::InvalidArgument,
        26,
        "'maybe'",
    );
    check(
        "registeredAt > 2018-13-01",
        ErrorKind::InvalidArgument,
        16,
        "2018-06-18",
    );
    check(
        "attribute:a == [b]",
        ErrorKind::InvalidArgument,
        16,
        "use 'in'",
    );
    check("attribute:a in b", ErrorKind::InvalidArgument, 16, "[a, b]");
    check("attribute:a in []", ErrorKind::InvalidArgument, 16, "empty");
    check(
        "attribute:a in [b,]",
        ErrorKind::InvalidArgument,
        19,
        "found ']'",
    );
    check(
        "attribute:a in [b c]",
        ErrorKind::InvalidArgument,
        19,
        "',' or ']'",
    );
    check(
        "attribute:a in [b, c",
        ErrorKind::InvalidArgument,
        21,
        "missing ']'",
    );
    check(
        "attribute:a =~ 'a('",
        ErrorKind::InvalidArgument,
        16,
        "invalid pattern",
    );
    check(
        "attribute:a =~ (?<=x)y",
        ErrorKind::InvalidArgument,
        16,
        "invalid pattern",
    );
}

#[test]
fn strings_and_characters() {
    check(
        "attribute:a == 'abc",
        ErrorKind::UnterminatedString,
        16,
        "missing closing '",
    );
    check(
        "attribute:a == \"abc\\\"",
        ErrorKind::UnterminatedString,
        16,
        "\"",
    );
    check(
        "attribute:a == b & c",
        ErrorKind::UnexpectedCharacter,
        18,
        "'&&'",
    );
    check(
        "attribute:a == b | c",
        ErrorKind::UnexpectedCharacter,
        18,
        "'||'",
    );
    check(
        "attribute:a exists attribute:b exists",
        ErrorKind::UnexpectedToken,
        20,
        "expected 'and'",
    );
    check(
        "attribute:a exists and",
        ErrorKind::UnexpectedToken,
        23,
        "end of the expression",
    );
    check(
        "'attribute:a' exists",
        ErrorKind::UnexpectedToken,
        1,
        "quoted",
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    check("attribute:é == 'ü", ErrorKind::UnterminatedString, 16, "'");
}

#[test]
fn too_long() {
    let pad = "a".repeat(MAX_EXPRESSION_LEN - "attribute: exists".len());
    let ok = format!("attribute:{pad} exists");
    assert_eq!(ok.chars().count(), MAX_EXPRESSION_LEN);
    assert!(parse(&ok).is_ok());
    let long = format!("attribute:{pad}a exists");
    check(&long, ErrorKind::TooLong, MAX_EXPRESSION_LEN + 1, "2000");
    // Characters, not bytes: 2000 two-byte characters are fine.
    let wide = format!("attribute:x == '{}'", "é".repeat(MAX_EXPRESSION_LEN - 17));
    assert_eq!(wide.chars().count(), MAX_EXPRESSION_LEN);
    assert!(parse(&wide).is_ok());
}

#[test]
fn too_deep() {
    let ok = format!(
        "{}attribute:a exists{}",
        "(".repeat(MAX_DEPTH),
        ")".repeat(MAX_DEPTH)
    );
    assert!(parse(&ok).is_ok());
    let deep = format!(
        "{}attribute:a exists{}",
        "(".repeat(MAX_DEPTH + 1),
        ")".repeat(MAX_DEPTH + 1)
    );
    check(&deep, ErrorKind::TooDeep, MAX_DEPTH + 1, "nests");
    let nots = format!("{}attribute:a exists", "!".repeat(MAX_EXPRESSION_LEN - 20));
    assert_eq!(error(&nots).kind(), ErrorKind::TooDeep);
}
