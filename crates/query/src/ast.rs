//! The syntax tree: expressions, subjects (fields), operators and arguments.

use crate::predicate::Predicate;

/// A parsed cluster query.
///
/// Build one with [`crate::parse`]; `Display` prints a normalized form that
/// parses back to an equal `Expr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// `subject operator [argument]`
    Predicate(Predicate),
    /// `not e`, `!e`
    Not(Box<Expr>),
    /// `a and b`, `a && b`
    And(Box<Expr>, Box<Expr>),
    /// `a or b`, `a || b`
    Or(Box<Expr>, Box<Expr>),
}

impl Expr {
    /// `not e`
    #[allow(clippy::should_implement_trait)]
    pub fn not(e: Expr) -> Expr {
        Expr::Not(Box::new(e))
    }

    /// `a and b`
    pub fn and(a: Expr, b: Expr) -> Expr {
        Expr::And(Box::new(a), Box::new(b))
    }

    /// `a or b`
    pub fn or(a: Expr, b: Expr) -> Expr {
        Expr::Or(Box::new(a), Box::new(b))
    }

    /// Names of the `attribute:<name>` subjects the expression mentions, in
    /// order of first mention, without repeats.
    ///
    /// Placement uses this to tell a missing attribute from a mismatch.
    pub fn attributes(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.visit(&mut |p| {
            if let Field::Attribute(name) = p.field() {
                if !out.contains(&name.as_str()) {
                    out.push(name.as_str());
                }
            }
        });
        out
    }

    /// Whether any predicate has the `task:group` subject.
    pub fn mentions_task_group(&self) -> bool {
        let mut found = false;
        self.visit(&mut |p| found |= *p.field() == Field::TaskGroup);
        found
    }

    /// Calls `f` on every predicate, left to right.
    pub fn visit<'a>(&'a self, f: &mut dyn FnMut(&'a Predicate)) {
        match self {
            Expr::Predicate(p) => f(p),
            Expr::Not(e) => e.visit(f),
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.visit(f);
                b.visit(f);
            }
        }
    }
}

impl From<Predicate> for Expr {
    fn from(p: Predicate) -> Self {
        Expr::Predicate(p)
    }
}

/// The subject of a predicate: what is evaluated on a container instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Field {
    /// `agentConnected`: whether the container agent is connected.
    AgentConnected,
    /// `agentVersion`: the container agent's version, compared as a version.
    AgentVersion,
    /// `attribute:<name>`: a built-in (`ecs.instance-type`, …) or custom attribute.
    Attribute(String),
    /// `ec2InstanceId`
    Ec2InstanceId,
    /// `registeredAt`: registration time, compared as a date.
    RegisteredAt,
    /// `runningTasksCount`, compared as an integer.
    RunningTasksCount,
    /// `task:group`: the groups of the tasks on the instance (any one may match).
    TaskGroup,
}

impl Field {
    /// Reads a subject word (`attribute:` needs a non-empty name after it).
    pub fn from_word(word: &str) -> Option<Field> {
        Some(match word {
            "agentConnected" => Field::AgentConnected,
            "agentVersion" => Field::AgentVersion,
            "ec2InstanceId" => Field::Ec2InstanceId,
            "registeredAt" => Field::RegisteredAt,
            "runningTasksCount" => Field::RunningTasksCount,
            "task:group" => Field::TaskGroup,
            _ => {
                let name = word.strip_prefix("attribute:")?;
                if name.is_empty() {
                    return None;
                }
                Field::Attribute(name.to_string())
            }
        })
    }

    /// The operators AWS documents for this subject. Attributes and task
    /// groups are not restricted.
    pub fn allows(&self, op: Operator) -> bool {
        use Operator::*;
        match self {
            Field::Attribute(_) | Field::TaskGroup => true,
            Field::AgentConnected | Field::Ec2InstanceId => {
                matches!(op, Equals | NotEquals | In | NotIn | Matches | NotMatches)
            }
            Field::AgentVersion | Field::RegisteredAt | Field::RunningTasksCount => matches!(
                op,
                Equals | NotEquals | GreaterThan | GreaterThanEqual | LessThan | LessThanEqual
            ),
        }
    }

    /// Every operator this subject allows, for error messages.
    pub fn allowed_operators(&self) -> Vec<Operator> {
        Operator::ALL
            .iter()
            .copied()
            .filter(|op| self.allows(*op))
            .collect()
    }
}

/// A comparison operator. Each has a symbol and a keyword spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `==`, `equals`: string equality (typed for typed subjects).
    Equals,
    /// `!=`, `not_equals`
    NotEquals,
    /// `>`, `greater_than`
    GreaterThan,
    /// `>=`, `greater_than_equal`
    GreaterThanEqual,
    /// `<`, `less_than`
    LessThan,
    /// `<=`, `less_than_equal`
    LessThanEqual,
    /// `exists`: the subject has a value.
    Exists,
    /// `!exists`, `not_exists`
    NotExists,
    /// `in`: value in the argument list.
    In,
    /// `!in`, `not_in`
    NotIn,
    /// `=~`, `matches`: the whole value matches a regular expression.
    Matches,
    /// `!~`, `not_matches`
    NotMatches,
}

/// What an operator takes after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    /// Nothing (`exists`, `!exists`).
    None,
    /// One value.
    One,
    /// A list `[a, b, …]` (`in`, `!in`).
    List,
}

impl Operator {
    /// Every operator, in documentation order.
    pub const ALL: [Operator; 12] = [
        Operator::Equals,
        Operator::NotEquals,
        Operator::GreaterThan,
        Operator::GreaterThanEqual,
        Operator::LessThan,
        Operator::LessThanEqual,
        Operator::Exists,
        Operator::NotExists,
        Operator::In,
        Operator::NotIn,
        Operator::Matches,
        Operator::NotMatches,
    ];

    /// The normalized spelling used by `Display`.
    pub fn symbol(self) -> &'static str {
        match self {
            Operator::Equals => "==",
            Operator::NotEquals => "!=",
            Operator::GreaterThan => ">",
            Operator::GreaterThanEqual => ">=",
            Operator::LessThan => "<",
            Operator::LessThanEqual => "<=",
            Operator::Exists => "exists",
            Operator::NotExists => "!exists",
            Operator::In => "in",
            Operator::NotIn => "!in",
            Operator::Matches => "=~",
            Operator::NotMatches => "!~",
        }
    }

    /// The keyword spelling.
    pub fn keyword(self) -> &'static str {
        match self {
            Operator::Equals => "equals",
            Operator::NotEquals => "not_equals",
            Operator::GreaterThan => "greater_than",
            Operator::GreaterThanEqual => "greater_than_equal",
            Operator::LessThan => "less_than",
            Operator::LessThanEqual => "less_than_equal",
            Operator::Exists => "exists",
            Operator::NotExists => "not_exists",
            Operator::In => "in",
            Operator::NotIn => "not_in",
            Operator::Matches => "matches",
            Operator::NotMatches => "not_matches",
        }
    }

    /// Reads either spelling.
    pub fn from_spelling(s: &str) -> Option<Operator> {
        Operator::ALL
            .iter()
            .copied()
            .find(|op| op.symbol() == s || op.keyword() == s)
    }

    /// What follows the operator.
    pub fn arity(self) -> Arity {
        match self {
            Operator::Exists | Operator::NotExists => Arity::None,
            Operator::In | Operator::NotIn => Arity::List,
            _ => Arity::One,
        }
    }

    /// For a negated operator (`!=`, `!exists`, `!in`, `!~`), its positive
    /// counterpart.
    pub fn negated_of(self) -> Option<Operator> {
        match self {
            Operator::NotEquals => Some(Operator::Equals),
            Operator::NotExists => Some(Operator::Exists),
            Operator::NotIn => Some(Operator::In),
            Operator::NotMatches => Some(Operator::Matches),
            _ => None,
        }
    }

    /// Whether the argument is a regular expression.
    pub fn takes_pattern(self) -> bool {
        matches!(self, Operator::Matches | Operator::NotMatches)
    }
}

/// The argument of a predicate, as written (quotes removed).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Argument {
    /// No argument (`exists`, `!exists`).
    None,
    /// One value.
    Value(String),
    /// `[a, b, …]`
    List(Vec<String>),
}

impl Argument {
    /// The values, whatever the shape.
    pub fn values(&self) -> &[String] {
        match self {
            Argument::None => &[],
            Argument::Value(v) => std::slice::from_ref(v),
            Argument::List(vs) => vs,
        }
    }
}
