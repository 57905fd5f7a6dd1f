//! Why a policy document was rejected.
//!
//! Every message is written for the person who wrote the policy: it names the
//! statement (by index and, when it has one, by Sid) and the element at fault,
//! so a service can put it as it is into its parameter error (ECR's
//! `InvalidParameterException`, IAM's `MalformedPolicyDocument`).

use std::fmt;

/// A policy document that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The text is not JSON, or one object holds the same key twice.
    #[error("the policy document is not valid JSON: {0}")]
    Json(String),
    /// The document is JSON, but not an object.
    #[error("the policy document must be a JSON object")]
    NotAnObject,
    /// A top-level key other than Version, Id and Statement.
    #[error("unknown element \"{0}\" in the policy document (only Version, Id and Statement are allowed)")]
    UnknownElement(String),
    /// A Version other than the two the policy language has.
    #[error("the Version element must be \"2012-10-17\" or \"2008-10-17\", not {0}")]
    Version(String),
    /// An Id that is not a string.
    #[error("the Id element must be a string")]
    Id,
    /// No Statement at all.
    #[error("the policy document has no Statement element")]
    MissingStatement,
    /// A Statement that is neither an object nor a non-empty list.
    #[error("the Statement element must be an object or a non-empty list of objects")]
    StatementShape,
    /// One statement is wrong.
    #[error("{at}: {problem}")]
    Statement {
        /// Which statement.
        at: Location,
        /// What is wrong with it.
        problem: Problem,
    },
}

/// Where a statement sits in its policy: `Statement[1] (Sid "AllowPull")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Its index in the Statement list, from 0 (0 when Statement is one object).
    pub index: usize,
    /// Its Sid, when it has one.
    pub sid: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Statement[{}]", self.index)?;
        match &self.sid {
            Some(sid) if !sid.is_empty() => write!(f, " (Sid {sid:?})"),
            _ => Ok(()),
        }
    }
}

/// What is wrong with one statement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// A statement that is not an object.
    #[error("a statement must be a JSON object")]
    NotAnObject,
    /// A key that is not a statement element.
    #[error("unknown element \"{0}\" (a statement holds Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource and Condition)")]
    UnknownElement(String),
    /// A Sid that is not a string.
    #[error("the Sid element must be a string")]
    SidType,
    /// Identity-based policies take letters and digits only in a Sid.
    #[error("the Sid {0:?} must contain only letters and digits")]
    SidCharacters(String),
    /// Two statements of one policy share a Sid.
    #[error(
        "the Sid {0:?} is used by more than one statement; Sids must be unique within a policy"
    )]
    DuplicateSid(String),
    /// No Effect.
    #[error("the Effect element is missing")]
    MissingEffect,
    /// An Effect other than "Allow" or "Deny".
    #[error("the Effect element must be \"Allow\" or \"Deny\", not {0}")]
    Effect(String),
    /// Both `X` and `NotX` (Principal, Action, Resource).
    #[error("a statement cannot have both {0} and Not{0}")]
    Both(&'static str),
    /// Neither `X` nor `NotX` where one is required.
    #[error("a statement must have a {0} or a Not{0} element")]
    Missing(&'static str),
    /// Principal or NotPrincipal in an identity-based policy.
    #[error("an identity-based policy cannot have a Principal or NotPrincipal element: its principal is the identity it is attached to")]
    PrincipalInIdentityPolicy,
    /// NotPrincipal with "Effect": "Allow".
    #[error("NotPrincipal can only be used with \"Effect\": \"Deny\"")]
    NotPrincipalWithAllow,
    /// Action, Resource or a principal list that is not a string or a list of strings.
    #[error("the {0} element must be a string or a non-empty list of strings")]
    Shape(&'static str),
    /// An action that is not `*` nor `service:name`.
    #[error("the action {0:?} must be \"*\" or a service prefix and an action name, like \"ecr:BatchGetImage\"")]
    Action(String),
    /// A resource that is not `*` nor an ARN.
    #[error("the resource {0:?} must be \"*\" or an ARN (arn:partition:service:region:account:resource)")]
    Resource(String),
    /// A Principal that is neither `"*"` nor an object.
    #[error("the {0} element must be \"*\" or an object whose keys are AWS, Service, Federated or CanonicalUser")]
    PrincipalShape(&'static str),
    /// A principal type other than AWS, Service, Federated, CanonicalUser.
    #[error("unknown principal type \"{0}\" (expected AWS, Service, Federated or CanonicalUser)")]
    PrincipalType(String),
    /// A principal value IAM would not accept.
    #[error("invalid principal \"{kind}\": {value:?} ({expected})")]
    Principal {
        /// AWS, Service, Federated or CanonicalUser.
        kind: String,
        /// The value as written.
        value: String,
        /// What is accepted there.
        expected: &'static str,
    },
    /// `${` without its `}`.
    #[error("the policy variable in {0:?} is not closed with \"}}\"")]
    Variable(String),
    /// A Condition that is not an object of objects.
    #[error("the Condition element must be an object mapping condition operators to objects of condition keys")]
    ConditionShape,
    /// An operator this crate does not know.
    #[error("unknown condition operator \"{0}\"")]
    Operator(String),
    /// A condition key without its service prefix.
    #[error(
        "the condition key {0:?} must be a service prefix and a key name, like \"aws:SourceIp\""
    )]
    ConditionKey(String),
    /// A condition value that is an object or null.
    #[error("the values of {key} under {operator} must be strings, numbers or booleans (or a list of them)")]
    ConditionValues {
        /// The operator as written.
        operator: String,
        /// The key as written.
        key: String,
    },
    /// A value the operator can never compare with (a Numeric operator with "abc").
    #[error("{operator} cannot compare with {value:?}: expected {expected}")]
    ConditionValue {
        /// The operator as written.
        operator: String,
        /// The value as written.
        value: String,
        /// What the operator takes.
        expected: &'static str,
    },
}
