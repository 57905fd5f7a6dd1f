//! Evaluating an expression against one container instance.
//!
//! Each subject yields zero or more values: `task:group` one per task on the
//! instance, an absent attribute (or EC2 instance id, version, registration
//! time) none, the others exactly one. Then:
//!
//! - `exists` holds when there is a value, `!exists` when there is none;
//! - a positive operator (`==`, `>`, `>=`, `<`, `<=`, `in`, `=~`) holds when
//!   some value satisfies it;
//! - a negated operator (`!=`, `!in`, `!~`) holds when there is a value and
//!   none satisfies the positive operator. So `attribute:stack != prod`
//!   selects instances that have a `stack` attribute other than `prod`, as
//!   AWS documents, and `task:group != db` selects instances that run tasks,
//!   none of them in `db`. Use `not (…)` for plain negation.
//!
//! Comparison is typed: `runningTasksCount` as integers, `agentVersion` as
//! dotted versions, `registeredAt` as dates at the argument's precision,
//! `agentConnected` as booleans. Text subjects compare as exact strings for
//! `==`/`in`; for `<`, `>`… two numbers compare as numbers, anything else as
//! strings. `=~` matches the text form (`true`/`false` for `agentConnected`).

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::ast::{Expr, Field, Operator};
use crate::predicate::{Predicate, Typed};
use crate::version::Version;

/// What an expression is evaluated against: one container instance.
pub trait Subject {
    /// The value of attribute `name`, or `None` if the instance lacks it.
    /// An attribute that is present without a value should give `Some("")`.
    fn attribute(&self, name: &str) -> Option<&str>;
    /// Whether the container agent is connected.
    fn agent_connected(&self) -> bool;
    /// The agent version (e.g. `1.14.5`), if known.
    fn agent_version(&self) -> Option<&str>;
    /// The EC2 instance id, if any.
    fn ec2_instance_id(&self) -> Option<&str>;
    /// Registration time in epoch seconds, if known.
    fn registered_at(&self) -> Option<f64>;
    /// Number of tasks in the RUNNING state.
    fn running_tasks_count(&self) -> i64;
    /// The groups of the tasks currently on the instance (repeats allowed).
    fn task_groups(&self) -> Vec<&str>;
}

impl Expr {
    /// Whether the instance satisfies the expression.
    pub fn matches(&self, s: &dyn Subject) -> bool {
        match self {
            Expr::Predicate(p) => p.matches(s),
            Expr::Not(e) => !e.matches(s),
            Expr::And(a, b) => a.matches(s) && b.matches(s),
            Expr::Or(a, b) => a.matches(s) || b.matches(s),
        }
    }
}

/// One value of a subject.
#[derive(Debug, Clone, Copy)]
enum Val<'a> {
    Text(&'a str),
    Bool(bool),
    Int(i64),
    Version(&'a str),
    Time(f64),
}

impl Val<'_> {
    fn text(&self) -> Cow<'_, str> {
        match self {
            Val::Text(s) | Val::Version(s) => Cow::Borrowed(s),
            Val::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Val::Int(n) => Cow::Owned(n.to_string()),
            Val::Time(t) => Cow::Owned(t.to_string()),
        }
    }
}

fn values<'a>(field: &Field, s: &'a dyn Subject) -> Vec<Val<'a>> {
    match field {
        Field::AgentConnected => vec![Val::Bool(s.agent_connected())],
        Field::AgentVersion => s.agent_version().map(Val::Version).into_iter().collect(),
        Field::Attribute(name) => s.attribute(name).map(Val::Text).into_iter().collect(),
        Field::Ec2InstanceId => s.ec2_instance_id().map(Val::Text).into_iter().collect(),
        Field::RegisteredAt => s.registered_at().map(Val::Time).into_iter().collect(),
        Field::RunningTasksCount => vec![Val::Int(s.running_tasks_count())],
        Field::TaskGroup => s.task_groups().into_iter().map(Val::Text).collect(),
    }
}

impl Predicate {
    /// Whether the instance satisfies this one comparison.
    pub fn matches(&self, s: &dyn Subject) -> bool {
        let vals = values(self.field(), s);
        match self.operator() {
            Operator::Exists => !vals.is_empty(),
            Operator::NotExists => vals.is_empty(),
            op => match op.negated_of() {
                Some(positive) => !vals.is_empty() && !vals.iter().any(|v| self.holds(positive, v)),
                None => vals.iter().any(|v| self.holds(op, v)),
            },
        }
    }

    /// Whether one value satisfies a positive operator.
    fn holds(&self, op: Operator, v: &Val<'_>) -> bool {
        if let Typed::Pattern(p) = self.typed() {
            return p.is_match(&v.text());
        }
        let count = self.argument().values().len();
        let want = |o: Ordering| match op {
            Operator::Equals | Operator::In => o.is_eq(),
            Operator::GreaterThan => o.is_gt(),
            Operator::GreaterThanEqual => o.is_ge(),
            Operator::LessThan => o.is_lt(),
            Operator::LessThanEqual => o.is_le(),
            _ => false,
        };
        (0..count).any(|i| self.compare(op, v, i).is_some_and(want))
    }

    /// How value `v` compares to argument value `i`.
    fn compare(&self, op: Operator, v: &Val<'_>, i: usize) -> Option<Ordering> {
        match (self.typed(), v) {
            (Typed::Text, Val::Text(s)) => {
                let arg = self.argument().values().get(i)?;
                if matches!(op, Operator::Equals | Operator::In) {
                    Some(s.cmp(&arg.as_str()))
                } else {
                    Some(loose_cmp(s, arg))
                }
            }
            (Typed::Bools(args), Val::Bool(b)) => Some(b.cmp(args.get(i)?)),
            (Typed::Ints(args), Val::Int(n)) => Some(n.cmp(args.get(i)?)),
            (Typed::Versions(args), Val::Version(s)) => {
                Some(Version::parse_reported(s)?.compare(args.get(i)?))
            }
            (Typed::Times(args), Val::Time(t)) => args.get(i)?.compare_subject(*t),
            _ => None,
        }
    }
}

/// Numbers as numbers, anything else as strings.
fn loose_cmp(a: &str, b: &str) -> Ordering {
    let num = |s: &str| s.trim().parse::<f64>().ok().filter(|x| x.is_finite());
    match (num(a), num(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.cmp(b),
    }
}
