//! **AWS IAM policy documents**: parsing, validation and evaluation, with no IO.
//!
//! Every Berth service that takes a policy — ECR repository policies first,
//! then IAM's identity policies and role trust policies, Secrets Manager,
//! SSM — hands the document to [`Policy::parse`] with the [`Kind`] of place
//! it is attached to. A rejected document gives a [`PolicyError`] whose
//! message names the statement and the element at fault, ready for the
//! service's parameter error. At request time the service builds a
//! [`Request`] (principal, action, resource ARN, context keys — the caller
//! supplies `aws:CurrentTime`, `aws:SourceIp` and the rest; this crate reads
//! no clock) and asks [`evaluate`] or [`authorize`] for a [`Decision`] that
//! says which statement decided, for the AccessDenied message.
//!
//! ```
//! use berth_iam_policy::{authorize, Decision, Kind, Policy, Principal, Request};
//!
//! let repository_policy = Policy::parse(r#"{
//!     "Version": "2012-10-17",
//!     "Statement": [
//!         {"Sid": "PullFromCi", "Effect": "Allow",
//!          "Principal": {"AWS": "arn:aws:iam::444455556666:role/ci"},
//!          "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]},
//!         {"Sid": "OfficeOnly", "Effect": "Deny", "Principal": "*", "Action": "ecr:*",
//!          "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}
//!     ]}"#, Kind::Resource).unwrap();
//! let ci_policy = Policy::parse(r#"{"Version": "2012-10-17", "Statement":
//!     {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}}"#, Kind::Identity).unwrap();
//!
//! let session = Principal::from_arn("arn:aws:sts::444455556666:assumed-role/ci/build-17");
//! let repo = "arn:aws:ecr:us-east-1:111122223333:repository/web";
//! let pull = Request::new(session, "ecr:BatchGetImage", repo).with("aws:SourceIp", "203.0.113.8");
//!
//! // Cross-account: the role's own policy and the repository policy both allow.
//! let decision = authorize(&[&ci_policy], Some(&repository_policy), "111122223333", &pull);
//! assert!(decision.is_allowed());
//!
//! // From elsewhere, the Deny wins over every Allow, and says which statement it was.
//! let away = pull.with("aws:SourceIp", "198.51.100.1");
//! let decision = authorize(&[&ci_policy], Some(&repository_policy), "111122223333", &away);
//! assert!(matches!(decision, Decision::ExplicitDeny(_)));
//! assert_eq!(decision.to_string(),
//!            "explicitly denied by Statement[1] (Sid \"OfficeOnly\") of resource-based policy 0");
//!
//! // Validation messages name the statement.
//! let err = Policy::parse(r#"{"Statement": {"Effect": "Allow", "Action": "ecr:*"}}"#, Kind::Resource);
//! assert_eq!(err.unwrap_err().to_string(),
//!            "Statement[0]: a statement must have a Principal or a NotPrincipal element");
//! ```
//!
//! # The grammar accepted (`policy.rs`, `statement.rs`)
//!
//! A document is an object of `Version` (`"2012-10-17"`, `"2008-10-17"`, or
//! absent, which means 2008-10-17), `Id` (a string) and `Statement` (one
//! statement object or a non-empty list). A statement holds `Sid`, `Effect`
//! (`Allow` or `Deny`), exactly one of `Action`/`NotAction`, at most one of
//! `Resource`/`NotResource`, at most one of `Principal`/`NotPrincipal`, and
//! `Condition`. Element names are case-sensitive; any other key, at either
//! level, is an error. So is:
//! - malformed JSON, or a key given twice in one object (IAM's JSON parsing
//!   is lenient there; Berth refuses rather than keep one silently);
//! - in an identity-based policy: a Principal or NotPrincipal, a statement
//!   without Resource/NotResource, a Sid other than letters and digits;
//! - in a resource-based policy: a statement without Principal/NotPrincipal,
//!   NotPrincipal with Allow (Resource may be left out: the attached resource);
//! - two statements of one policy with the same non-empty Sid;
//! - an action that is not `*` nor `prefix:name`; a resource that is not `*`
//!   nor a six-field ARN; an empty Action or Resource list;
//! - a principal that is not `"*"` nor an object of `AWS` (`"*"`, account
//!   ids, ARNs of account roots, users, roles, sessions, federated users —
//!   no wildcards), `Service`, `Federated`, `CanonicalUser`;
//! - an unknown condition operator, a condition key without a `prefix:`, a
//!   value an operator can never compare with (`NumericLessThan` of `"ten"`,
//!   a malformed CIDR, date or base64, a `Bool`/`Null` value other than
//!   true/false), and a `${` policy variable left unclosed.
//!
//! # Matching (`statement.rs`, `pattern.rs`, `principal.rs`)
//!
//! Actions match case-insensitively with `*` and `?`. Resources match
//! case-sensitively; a `*` that ends an ARN segment may span colons, other
//! wildcards stay inside their segment. Principals: `"*"` is everyone; an
//! account id or `arn:aws:iam::ACCOUNT:root` is every principal of that
//! account; a user or role ARN is that principal, and a role ARN also names
//! the role's assumed-role sessions (`arn:aws:sts::ACCOUNT:assumed-role/NAME/…`);
//! a session ARN names that session; `{"AWS": "*"}` names every IAM
//! principal, `{"Service": ...}` a service acting as itself (see
//! [`Principal::service`]). NotPrincipal applies unless all of the
//! caller's identities (session, role, account) are listed, as in IAM.
//!
//! # Conditions (`condition.rs`, `operator.rs`, `values.rs`)
//!
//! `String(Not)Equals`, `String(Not)EqualsIgnoreCase`, `String(Not)Like`,
//! `Numeric(Not)Equals`, `NumericLessThan(Equals)`, `NumericGreaterThan(Equals)`,
//! the same six for `Date`, `Bool`, `BinaryEquals`, `IpAddress`/`NotIpAddress`
//! (IPv4 and IPv6 CIDR), `Arn(Not)Equals`, `Arn(Not)Like`, `Null`; every one
//! but `Null` takes the `IfExists` suffix and the `ForAnyValue:` /
//! `ForAllValues:` qualifiers. Operators and keys are ANDed, a key's values
//! ORed; `condition.rs` sets out the missing-key and set rules. As in IAM,
//! `ArnEquals` and `ArnLike` are the same operator (wildcards per segment).
//! A request value of the wrong type for its operator (a `Numeric` key
//! holding `"abc"`) matches none of the policy's values.
//!
//! # Policy variables
//!
//! Supported in policies at version 2012-10-17, in Resource/NotResource and
//! in the values of String, ARN and Bool operators: `${key}` is the request's
//! single value for that context key (as literal text, never a wildcard),
//! `${key, 'default'}` falls back to a default, `${*}`, `${?}`, `${$}` write
//! those characters. A variable whose key is absent or multi-valued, with no
//! default, makes its value match nothing. [`Request::new`] fills in
//! `aws:username`, `aws:PrincipalArn`, `aws:PrincipalAccount` and
//! `aws:PrincipalServiceName`; other keys are the caller's. Variables are
//! not read in Action or Principal (IAM does not either), nor in Numeric,
//! Date, IP or Binary values.
//!
//! # Not supported
//!
//! Permissions boundaries, session policies, SCPs and RCPs; the root user's
//! implicit full access; anonymous callers; matching `CanonicalUser`;
//! principals written as unique ids (`AIDA…`); the service-specific rules
//! some services add (KMS key policies, IAM trust policies that must be the
//! only grant). Numbers compare as `f64`.

mod authorize;
mod condition;
mod error;
mod evaluate;
mod json;
mod operator;
mod pattern;
mod policy;
mod principal;
mod request;
mod statement;
mod values;

pub use authorize::{authorize, resource_grant, Grant};
pub use error::{Location, PolicyError, Problem};
pub use evaluate::{evaluate, Decision, StatementRef};
pub use policy::{Kind, Policy, Version};
pub use request::{Context, ContextValue, Principal, Request};
pub use statement::{Effect, Statement};
