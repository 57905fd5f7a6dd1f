//! Placement constraints and strategies: reading and validating what the
//! caller sent.
//!
//! [`validate`] turns the API's loose `{type, expression}` and
//! `{type, field}` objects into a [`Policy`], or a [`PolicyError`] that the
//! caller reports as `InvalidParameterException`. Validating first means
//! placement itself never fails on bad input.

use std::fmt;

use berth_query::{Expr, ParseError};

/// At most this many constraints per task, counting the task definition's
/// and the request's together.
pub const MAX_CONSTRAINTS: usize = 10;

/// At most this many strategy rules per task or service.
pub const MAX_STRATEGIES: usize = 5;

/// Longest strategy `field`.
pub const MAX_FIELD_LEN: usize = 255;

/// One `placementConstraints` entry as received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConstraintSpec<'a> {
    /// `type`: `distinctInstance` or `memberOf`.
    pub kind: Option<&'a str>,
    /// `expression`: a cluster query, for `memberOf` only.
    pub expression: Option<&'a str>,
}

/// One `placementStrategy` entry as received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StrategySpec<'a> {
    /// `type`: `binpack`, `spread` or `random`.
    pub kind: Option<&'a str>,
    /// `field`: what to binpack or spread on.
    pub field: Option<&'a str>,
}

/// A validated placement constraint. Constraints are binding: an instance
/// that fails one never gets the task.
#[derive(Debug, Clone, PartialEq)]
pub enum Constraint {
    /// Each task of the group on a different container instance.
    DistinctInstance,
    /// Only instances that satisfy a cluster query expression.
    MemberOf {
        /// The expression as given.
        expression: String,
        /// The parsed expression.
        expr: Expr,
    },
}

impl Constraint {
    /// A `memberOf` constraint, parsing `expression`.
    pub fn member_of(expression: &str) -> Result<Self, ParseError> {
        Ok(Constraint::MemberOf {
            expression: expression.to_owned(),
            expr: berth_query::parse(expression)?,
        })
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Constraint::DistinctInstance => f.write_str("distinctInstance"),
            Constraint::MemberOf { expression, .. } => write!(f, "memberOf({expression})"),
        }
    }
}

/// The resource a `binpack` strategy packs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// `cpu`.
    Cpu,
    /// `memory`.
    Memory,
}

/// What a `spread` strategy balances over.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SpreadField {
    /// `instanceId` or `host`: each instance is its own bucket.
    Instance,
    /// `attribute:<name>`: one bucket per value; instances without the
    /// attribute share one more bucket.
    Attribute(String),
}

/// A validated placement strategy. Strategies are best effort: they order
/// the feasible instances, they never exclude all of them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Least remaining amount of the resource first.
    Binpack(Resource),
    /// Fewest tasks of the group in the instance's bucket first.
    Spread(SpreadField),
    /// Any feasible instance, uniformly at random (seeded).
    Random,
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Strategy::Binpack(Resource::Cpu) => f.write_str("binpack(cpu)"),
            Strategy::Binpack(Resource::Memory) => f.write_str("binpack(memory)"),
            Strategy::Spread(SpreadField::Instance) => f.write_str("spread(instanceId)"),
            Strategy::Spread(SpreadField::Attribute(a)) => write!(f, "spread(attribute:{a})"),
            Strategy::Random => f.write_str("random"),
        }
    }
}

/// Constraints and strategies for one placement.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Policy {
    /// All must hold on the chosen instance.
    pub constraints: Vec<Constraint>,
    /// Applied in order; empty means the RunTask default, `random`.
    pub strategies: Vec<Strategy>,
}

impl Policy {
    /// No constraints, no strategies: RunTask's default (random placement).
    pub fn run_task_default() -> Self {
        Policy::default()
    }

    /// The service scheduler's default: spread over Availability Zones, then
    /// over instances (the instance with the fewest of the service's tasks).
    pub fn service_default() -> Self {
        Policy {
            constraints: Vec::new(),
            strategies: vec![
                Strategy::Spread(SpreadField::Attribute("ecs.availability-zone".into())),
                Strategy::Spread(SpreadField::Instance),
            ],
        }
    }

    /// Adds a constraint (builder style).
    pub fn with_constraint(mut self, c: Constraint) -> Self {
        self.constraints.push(c);
        self
    }

    /// Adds a strategy (builder style).
    pub fn with_strategy(mut self, s: Strategy) -> Self {
        self.strategies.push(s);
        self
    }

    /// Whether `distinctInstance` is among the constraints.
    pub fn distinct_instance(&self) -> bool {
        self.constraints
            .iter()
            .any(|c| matches!(c, Constraint::DistinctInstance))
    }
}

/// Why constraints or strategies were refused: the caller's
/// `InvalidParameterException`. Indexes count from 0 in the slice given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyError {
    /// More than [`MAX_CONSTRAINTS`].
    #[error("at most {MAX_CONSTRAINTS} placement constraints are allowed per task (task definition and request together); got {0}")]
    TooManyConstraints(usize),
    /// More than [`MAX_STRATEGIES`].
    #[error("at most {MAX_STRATEGIES} placement strategy rules are allowed; got {0}")]
    TooManyStrategies(usize),
    /// A constraint without `type`.
    #[error("placement constraint {0}: type is required (distinctInstance or memberOf)")]
    MissingConstraintType(usize),
    /// A constraint `type` other than the two known ones.
    #[error("placement constraint {index}: unknown type '{kind}' (expected distinctInstance or memberOf)")]
    UnknownConstraintType {
        /// Position in the list.
        index: usize,
        /// The type given.
        kind: String,
    },
    /// `memberOf` without an expression.
    #[error("placement constraint {0}: memberOf requires an expression")]
    MissingExpression(usize),
    /// `distinctInstance` with an expression.
    #[error("placement constraint {0}: an expression cannot be specified with distinctInstance")]
    UnexpectedExpression(usize),
    /// An expression that is not valid cluster query language.
    #[error("placement constraint {index}: invalid expression: {source}")]
    InvalidExpression {
        /// Position in the list.
        index: usize,
        /// What the query parser said.
        source: ParseError,
    },
    /// A strategy without `type`.
    #[error("placement strategy {0}: type is required (binpack, spread or random)")]
    MissingStrategyType(usize),
    /// A strategy `type` other than the three known ones.
    #[error(
        "placement strategy {index}: unknown type '{kind}' (expected binpack, spread or random)"
    )]
    UnknownStrategyType {
        /// Position in the list.
        index: usize,
        /// The type given.
        kind: String,
    },
    /// A `binpack` field other than `cpu` or `memory`.
    #[error("placement strategy {index}: binpack field must be cpu or memory, not '{field}'")]
    InvalidBinpackField {
        /// Position in the list.
        index: usize,
        /// The field given (empty when absent).
        field: String,
    },
    /// A `spread` field that is neither `instanceId`/`host` nor `attribute:<name>`.
    #[error("placement strategy {index}: spread field must be instanceId, host or attribute:<name>, not '{field}'")]
    InvalidSpreadField {
        /// Position in the list.
        index: usize,
        /// The field given (empty when absent).
        field: String,
    },
    /// A `field` longer than [`MAX_FIELD_LEN`].
    #[error("placement strategy {0}: field is longer than {MAX_FIELD_LEN} characters")]
    FieldTooLong(usize),
}

/// Validates constraints and strategies. Empty strategies stay empty (the
/// engine then places at random, as RunTask does by default); a service
/// without strategies should use [`Policy::service_default`] instead.
pub fn validate(
    constraints: &[ConstraintSpec<'_>],
    strategies: &[StrategySpec<'_>],
) -> Result<Policy, PolicyError> {
    if constraints.len() > MAX_CONSTRAINTS {
        return Err(PolicyError::TooManyConstraints(constraints.len()));
    }
    if strategies.len() > MAX_STRATEGIES {
        return Err(PolicyError::TooManyStrategies(strategies.len()));
    }
    Ok(Policy {
        constraints: constraints
            .iter()
            .enumerate()
            .map(|(i, c)| constraint(i, c))
            .collect::<Result<_, _>>()?,
        strategies: strategies
            .iter()
            .enumerate()
            .map(|(i, s)| strategy(i, s))
            .collect::<Result<_, _>>()?,
    })
}

fn constraint(index: usize, spec: &ConstraintSpec<'_>) -> Result<Constraint, PolicyError> {
    let expression = spec.expression.filter(|e| !e.trim().is_empty());
    match spec.kind {
        None | Some("") => Err(PolicyError::MissingConstraintType(index)),
        Some("distinctInstance") => match expression {
            Some(_) => Err(PolicyError::UnexpectedExpression(index)),
            None => Ok(Constraint::DistinctInstance),
        },
        Some("memberOf") => {
            let e = expression.ok_or(PolicyError::MissingExpression(index))?;
            Constraint::member_of(e)
                .map_err(|source| PolicyError::InvalidExpression { index, source })
        }
        Some(other) => Err(PolicyError::UnknownConstraintType {
            index,
            kind: other.to_owned(),
        }),
    }
}

fn strategy(index: usize, spec: &StrategySpec<'_>) -> Result<Strategy, PolicyError> {
    let field = spec.field.unwrap_or("");
    if field.chars().count() > MAX_FIELD_LEN {
        return Err(PolicyError::FieldTooLong(index));
    }
    match spec.kind {
        None | Some("") => Err(PolicyError::MissingStrategyType(index)),
        // "For the random placement strategy, this field is not used."
        Some("random") => Ok(Strategy::Random),
        Some("binpack") => {
            if field.eq_ignore_ascii_case("cpu") {
                Ok(Strategy::Binpack(Resource::Cpu))
            } else if field.eq_ignore_ascii_case("memory") {
                Ok(Strategy::Binpack(Resource::Memory))
            } else {
                Err(PolicyError::InvalidBinpackField {
                    index,
                    field: field.to_owned(),
                })
            }
        }
        Some("spread") => {
            if field.eq_ignore_ascii_case("instanceId") || field.eq_ignore_ascii_case("host") {
                return Ok(Strategy::Spread(SpreadField::Instance));
            }
            match field.strip_prefix("attribute:").map(str::trim) {
                Some(name) if !name.is_empty() => {
                    Ok(Strategy::Spread(SpreadField::Attribute(name.to_owned())))
                }
                _ => Err(PolicyError::InvalidSpreadField {
                    index,
                    field: field.to_owned(),
                }),
            }
        }
        Some(other) => Err(PolicyError::UnknownStrategyType {
            index,
            kind: other.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c<'a>(kind: &'a str, expression: Option<&'a str>) -> ConstraintSpec<'a> {
        ConstraintSpec {
            kind: Some(kind),
            expression,
        }
    }

    fn s<'a>(kind: &'a str, field: Option<&'a str>) -> StrategySpec<'a> {
        StrategySpec {
            kind: Some(kind),
            field,
        }
    }

    #[test]
    fn documented_examples_validate() {
        let p = validate(
            &[
                c("memberOf", Some("attribute:ecs.instance-type =~ t2.*")),
                c("memberOf", Some("task:group == databases")),
                c("distinctInstance", None),
            ],
            &[
                s("spread", Some("attribute:ecs.availability-zone")),
                s("binpack", Some("memory")),
                s("spread", Some("instanceId")),
                s("spread", Some("host")),
                s("random", None),
            ],
        )
        .expect("valid");
        assert_eq!(p.constraints.len(), 3);
        assert!(p.distinct_instance());
        assert_eq!(
            p.strategies,
            [
                Strategy::Spread(SpreadField::Attribute("ecs.availability-zone".into())),
                Strategy::Binpack(Resource::Memory),
                Strategy::Spread(SpreadField::Instance),
                Strategy::Spread(SpreadField::Instance),
                Strategy::Random,
            ]
        );
    }

    #[test]
    fn constraint_errors() {
        let err = |spec| validate(&[spec], &[]).expect_err("invalid");
        assert_eq!(err(c("memberOf", None)), PolicyError::MissingExpression(0));
        assert_eq!(
            err(c("memberOf", Some("  "))),
            PolicyError::MissingExpression(0)
        );
        assert_eq!(
            err(c("distinctInstance", Some("attribute:a exists"))),
            PolicyError::UnexpectedExpression(0)
        );
        assert!(matches!(
            err(c("sameInstance", None)),
            PolicyError::UnknownConstraintType { index: 0, .. }
        ));
        assert_eq!(
            err(ConstraintSpec::default()),
            PolicyError::MissingConstraintType(0)
        );
        let bad = err(c("memberOf", Some("attribute:a ==")));
        assert!(matches!(
            bad,
            PolicyError::InvalidExpression { index: 0, .. }
        ));
        assert!(bad.to_string().contains("invalid expression"), "{bad}");
    }

    #[test]
    fn strategy_errors() {
        let err = |spec| validate(&[], &[spec]).expect_err("invalid");
        assert!(matches!(
            err(s("binpack", Some("disk"))),
            PolicyError::InvalidBinpackField { .. }
        ));
        assert!(matches!(
            err(s("binpack", None)),
            PolicyError::InvalidBinpackField { .. }
        ));
        assert!(matches!(
            err(s("spread", Some("attribute:"))),
            PolicyError::InvalidSpreadField { .. }
        ));
        assert!(matches!(
            err(s("spread", Some("zone"))),
            PolicyError::InvalidSpreadField { .. }
        ));
        assert!(matches!(
            err(s("pack", None)),
            PolicyError::UnknownStrategyType { .. }
        ));
        assert_eq!(
            err(StrategySpec::default()),
            PolicyError::MissingStrategyType(0)
        );
        let long = format!("attribute:{}", "a".repeat(300));
        assert_eq!(err(s("spread", Some(&long))), PolicyError::FieldTooLong(0));
        // random ignores its field.
        assert_eq!(
            validate(&[], &[s("random", Some("whatever"))]).map(|p| p.strategies),
            Ok(vec![Strategy::Random])
        );
    }

    #[test]
    fn limits() {
        let many_c = vec![c("distinctInstance", None); 11];
        assert_eq!(
            validate(&many_c, &[]),
            Err(PolicyError::TooManyConstraints(11))
        );
        let many_s = vec![s("random", None); 6];
        assert_eq!(
            validate(&[], &many_s),
            Err(PolicyError::TooManyStrategies(6))
        );
        assert!(validate(&many_c[..10], &many_s[..5]).is_ok());
    }

    #[test]
    fn defaults() {
        assert!(Policy::run_task_default().strategies.is_empty());
        let svc = Policy::service_default();
        assert_eq!(
            svc.strategies[0].to_string(),
            "spread(attribute:ecs.availability-zone)"
        );
        assert_eq!(svc.strategies[1].to_string(), "spread(instanceId)");
    }
}
