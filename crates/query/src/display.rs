//! The normalized text form of an expression.
//!
//! Symbolic operators (`==`, `!in`, `=~`…), lowercase `and`/`or`/`not`,
//! parentheses only where precedence needs them (plus around the operand of
//! `not`), and values quoted only when they must be: `'…'` with `\\` and
//! `\'` escapes. The output parses back to an equal [`Expr`].

use std::fmt::{self, Display, Formatter, Write};

use crate::ast::{Argument, Expr, Field, Operator};
use crate::lexer::is_word_char;
use crate::predicate::Predicate;

/// Words quoted when they appear as values, so they read as values.
fn is_keyword(v: &str) -> bool {
    matches!(v, "and" | "or" | "not") || Operator::from_spelling(v).is_some()
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Predicate(p) => p.fmt(f),
            Expr::Not(e) => match **e {
                Expr::Not(_) => write!(f, "not {e}"),
                _ => write!(f, "not ({e})"),
            },
            Expr::And(a, b) => {
                operand(f, a, matches!(**a, Expr::Or(..)))?;
                f.write_str(" and ")?;
                operand(f, b, matches!(**b, Expr::Or(..) | Expr::And(..)))
            }
            Expr::Or(a, b) => {
                operand(f, a, false)?;
                f.write_str(" or ")?;
                operand(f, b, matches!(**b, Expr::Or(..)))
            }
        }
    }
}

fn operand(f: &mut Formatter<'_>, e: &Expr, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

impl Display for Predicate {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field(), self.operator())?;
        match self.argument() {
            Argument::None => Ok(()),
            Argument::Value(v) => {
                f.write_char(' ')?;
                write_value(f, v)
            }
            Argument::List(vs) => {
                f.write_str(" [")?;
                for (i, v) in vs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_value(f, v)?;
                }
                f.write_char(']')
            }
        }
    }
}

impl Display for Field {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Field::AgentConnected => f.write_str("agentConnected"),
            Field::AgentVersion => f.write_str("agentVersion"),
            Field::Attribute(name) => write!(f, "attribute:{name}"),
            Field::Ec2InstanceId => f.write_str("ec2InstanceId"),
            Field::RegisteredAt => f.write_str("registeredAt"),
            Field::RunningTasksCount => f.write_str("runningTasksCount"),
            Field::TaskGroup => f.write_str("task:group"),
        }
    }
}

impl Display for Operator {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

fn needs_quotes(v: &str) -> bool {
    v.is_empty() || is_keyword(v) || v.chars().any(|c| !is_word_char(c) || c.is_control())
}

fn write_value(f: &mut Formatter<'_>, v: &str) -> fmt::Result {
    if !needs_quotes(v) {
        return f.write_str(v);
    }
    f.write_char('\'')?;
    for c in v.chars() {
        if c == '\\' || c == '\'' {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char('\'')
}
