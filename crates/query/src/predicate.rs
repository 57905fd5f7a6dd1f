//! One `subject operator [argument]` comparison, checked and pre-typed.

use crate::ast::{Argument, Arity, Field, Operator};
use crate::date::Timestamp;
use crate::error::{ErrorKind, PredicateError};
use crate::lexer::is_word_char;
use crate::pattern::Pattern;
use crate::version::Version;

/// A checked predicate: the operator suits the subject, the argument has the
/// operator's shape, and every value has the subject's type (a date for
/// `registeredAt`, an integer for `runningTasksCount`, a version for
/// `agentVersion`, `true`/`false` for `agentConnected`, a valid regular
/// expression after `=~`/`!~`).
#[derive(Debug, Clone)]
pub struct Predicate {
    field: Field,
    op: Operator,
    arg: Argument,
    typed: Typed,
}

/// The argument values read as the subject's type, once, at parse time.
#[derive(Debug, Clone)]
pub(crate) enum Typed {
    /// No argument, or values compared as text.
    Text,
    Bools(Vec<bool>),
    Ints(Vec<i64>),
    Versions(Vec<Version>),
    Times(Vec<Timestamp>),
    Pattern(Pattern),
}

impl PartialEq for Predicate {
    fn eq(&self, other: &Self) -> bool {
        // `typed` is a function of the other three.
        self.field == other.field && self.op == other.op && self.arg == other.arg
    }
}

impl Eq for Predicate {}

impl Predicate {
    /// Checks and builds a predicate.
    pub fn new(field: Field, op: Operator, arg: Argument) -> Result<Predicate, PredicateError> {
        check_field(&field)?;
        check_operator(&field, op)?;
        check_shape(op, &arg)?;
        let typed = type_values(&field, op, arg.values())?;
        Ok(Predicate {
            field,
            op,
            arg,
            typed,
        })
    }

    /// Assembles a predicate whose parts the parser already checked.
    pub(crate) fn from_parts(field: Field, op: Operator, arg: Argument, typed: Typed) -> Self {
        Predicate {
            field,
            op,
            arg,
            typed,
        }
    }

    /// The subject.
    pub fn field(&self) -> &Field {
        &self.field
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.op
    }

    /// The argument as written.
    pub fn argument(&self) -> &Argument {
        &self.arg
    }

    pub(crate) fn typed(&self) -> &Typed {
        &self.typed
    }
}

/// An attribute name must be a non-empty unquoted word, as the parser reads it.
fn check_field(field: &Field) -> Result<(), PredicateError> {
    match field {
        Field::Attribute(name) if name.is_empty() || !name.chars().all(is_word_char) => {
            Err(PredicateError::new(
                ErrorKind::UnknownSubject,
                format!("'{name}' is not a valid attribute name"),
            ))
        }
        _ => Ok(()),
    }
}

/// Fails when the subject doesn't support the operator.
pub(crate) fn check_operator(field: &Field, op: Operator) -> Result<(), PredicateError> {
    if field.allows(op) {
        return Ok(());
    }
    let allowed: Vec<&str> = field
        .allowed_operators()
        .into_iter()
        .map(Operator::symbol)
        .collect();
    Err(PredicateError::new(
        ErrorKind::OperatorNotAllowed,
        format!(
            "operator '{}' can't be used with {}; valid operators: {}",
            op.symbol(),
            field_name(field),
            allowed.join(", ")
        ),
    ))
}

fn check_shape(op: Operator, arg: &Argument) -> Result<(), PredicateError> {
    let fits = matches!(
        (op.arity(), arg),
        (Arity::None, Argument::None)
            | (Arity::One, Argument::Value(_))
            | (Arity::List, Argument::List(_))
    );
    if !fits {
        let want = match op.arity() {
            Arity::None => "no argument",
            Arity::One => "one value",
            Arity::List => "a list like [a, b]",
        };
        return Err(PredicateError::new(
            ErrorKind::InvalidArgument,
            format!("operator '{}' takes {want}", op.symbol()),
        ));
    }
    if let Argument::List(values) = arg {
        if values.is_empty() {
            return Err(PredicateError::new(
                ErrorKind::InvalidArgument,
                "the argument list is empty",
            ));
        }
    }
    Ok(())
}

fn field_name(field: &Field) -> String {
    match field {
        Field::Attribute(_) => "attribute:<name>".to_string(),
        other => other.to_string(),
    }
}

/// Reads one value as the subject's type.
pub(crate) fn type_values(
    field: &Field,
    op: Operator,
    values: &[String],
) -> Result<Typed, PredicateError> {
    if op.takes_pattern() {
        let src = values.first().map(String::as_str).unwrap_or_default();
        return Pattern::new(src)
            .map(Typed::Pattern)
            .map_err(|e| PredicateError::new(ErrorKind::InvalidArgument, e));
    }
    fn each<T>(
        values: &[String],
        read: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Vec<T>, PredicateError> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                read(v).map_err(|message| PredicateError {
                    kind: ErrorKind::InvalidArgument,
                    message,
                    element: Some(i),
                })
            })
            .collect()
    }
    Ok(match field {
        Field::Attribute(_) | Field::Ec2InstanceId | Field::TaskGroup => Typed::Text,
        Field::AgentConnected => Typed::Bools(each(values, read_bool)?),
        Field::RunningTasksCount => Typed::Ints(each(values, read_int)?),
        Field::AgentVersion => Typed::Versions(each(values, |v| {
            Version::parse(v)
                .ok_or_else(|| format!("agentVersion needs a version like 1.14.5, not '{v}'"))
        })?),
        Field::RegisteredAt => Typed::Times(each(values, |v| {
            Timestamp::parse(v).ok_or_else(|| {
                format!(
                    "registeredAt needs a date like 2018-06-18, 2018-06-18T22:28:28, \
                     2018-06-18T22:28:28Z or 2018-06-18T22:28:28+00:00, not '{v}'"
                )
            })
        })?),
    })
}

fn read_bool(v: &str) -> Result<bool, String> {
    if v.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if v.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(format!("agentConnected needs true or false, not '{v}'"))
    }
}

fn read_int(v: &str) -> Result<i64, String> {
    v.parse::<i64>()
        .map_err(|_| format!("runningTasksCount needs a whole number, not '{v}'"))
}
