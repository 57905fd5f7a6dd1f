//! The Amazon ECS **cluster query language**: a parser and an evaluator.
//!
//! ECS uses small boolean expressions to pick container instances. The same
//! language filters `ListContainerInstances` (its `filter` parameter) and
//! restricts placement through `memberOf` placement constraints. Each simple
//! expression names a *subject* of the instance, an *operator*, and usually
//! an *argument*:
//!
//! ```text
//! attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d
//! ```
//!
//! # Subjects
//!
//! | subject | operators | compared as |
//! | --- | --- | --- |
//! | `agentConnected` | `==` `!=` `in` `!in` `=~` `!~` | `true` / `false` |
//! | `agentVersion` | `==` `!=` `>` `>=` `<` `<=` | dotted version (`1.14.5`) |
//! | `attribute:<name>` | all | text; numbers for `<`… when both are numbers |
//! | `ec2InstanceId` | `==` `!=` `in` `!in` `=~` `!~` | text |
//! | `registeredAt` | `==` `!=` `>` `>=` `<` `<=` | date, at the argument's precision |
//! | `runningTasksCount` | `==` `!=` `>` `>=` `<` `<=` | integer |
//! | `task:group` | all | text; any task on the instance may match |
//!
//! Dates are `2018-06-18T22:28:28+00:00`, `2018-06-18T22:28:28Z`,
//! `2018-06-18T22:28:28` (UTC) or `2018-06-18`. A date-only argument
//! compares whole UTC days: `registeredAt == 2018-02-13` holds all that day.
//!
//! # Operators
//!
//! Each has a symbol and a keyword: `==` `equals`, `!=` `not_equals`,
//! `>` `greater_than`, `>=` `greater_than_equal`, `<` `less_than`,
//! `<=` `less_than_equal`, `exists`, `!exists` `not_exists`, `in`,
//! `!in` `not_in`, `=~` `matches`, `!~` `not_matches`. `in` takes a list
//! `[a, b, c]`; `exists` takes nothing. `=~` takes a regular expression that
//! must match the whole value (AWS documents Java regex syntax; the common
//! subset is supported, look-around and back-references are not). A negated
//! operator needs the subject to be present: `attribute:stack != prod` skips
//! instances without a `stack` attribute. See [`Subject`] for the rest.
//!
//! Values are bare words (anything but whitespace and `()[],'"=!<>~&|`) or
//! quoted with `'…'` or `"…"` (`\\`, `\'`, `\"` escape). A bare pattern
//! after `=~` runs to the next whitespace and may hold brackets and balanced
//! parentheses.
//!
//! # Compound expressions
//!
//! `not`/`!` binds tightest, then `and`/`&&`, then `or`/`||`; both binary
//! operators group to the left. Parentheses override. Keywords are
//! lowercase. An expression may be at most [`MAX_EXPRESSION_LEN`]
//! characters (the documented `memberOf` limit) and nest at most
//! [`MAX_DEPTH`] levels.
//!
//! # Grammar (EBNF)
//!
//! ```text
//! expression = or-expr ;
//! or-expr    = and-expr , { ( "or" | "||" ) , and-expr } ;
//! and-expr   = unary , { ( "and" | "&&" ) , unary } ;
//! unary      = ( "not" | "!" ) , unary | primary ;
//! primary    = "(" , expression , ")" | predicate ;
//! predicate  = subject , ( unary-op
//!                        | value-op , value
//!                        | list-op , list
//!                        | match-op , pattern ) ;
//! subject    = "agentConnected" | "agentVersion" | "attribute:" , name
//!            | "ec2InstanceId" | "registeredAt" | "runningTasksCount"
//!            | "task:group" ;
//! unary-op   = "exists" | "!exists" | "not_exists" ;
//! value-op   = "==" | "equals" | "!=" | "not_equals"
//!            | ">" | "greater_than" | ">=" | "greater_than_equal"
//!            | "<" | "less_than" | "<=" | "less_than_equal" ;
//! list-op    = "in" | "!in" | "not_in" ;
//! match-op   = "=~" | "matches" | "!~" | "not_matches" ;
//! list       = "[" , value , { "," , value } , "]" ;
//! value      = word | quoted ;
//! pattern    = quoted | bare-pattern ;
//! ```
//!
//! # Example
//!
//! ```
//! use berth_query::{parse, Subject};
//!
//! struct Instance;
//! impl Subject for Instance {
//!     fn attribute(&self, name: &str) -> Option<&str> {
//!         match name {
//!             "ecs.instance-type" => Some("g2.2xlarge"),
//!             "ecs.availability-zone" => Some("us-east-1a"),
//!             _ => None,
//!         }
//!     }
//!     fn agent_connected(&self) -> bool { true }
//!     fn agent_version(&self) -> Option<&str> { Some("1.14.5") }
//!     fn ec2_instance_id(&self) -> Option<&str> { Some("i-abcd1234") }
//!     fn registered_at(&self) -> Option<f64> { Some(1_529_360_908.0) }
//!     fn running_tasks_count(&self) -> i64 { 1 }
//!     fn task_groups(&self) -> Vec<&str> { vec!["service:production"] }
//! }
//!
//! let expr = parse(
//!     "attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d",
//! )?;
//! assert!(expr.matches(&Instance));
//! assert_eq!(expr.attributes(), ["ecs.instance-type", "ecs.availability-zone"]);
//! assert_eq!(parse(&expr.to_string())?, expr);
//! # Ok::<(), berth_query::ParseError>(())
//! ```

mod ast;
mod date;
mod display;
mod error;
mod eval;
mod lexer;
mod parser;
mod pattern;
mod predicate;
mod version;

pub use ast::{Argument, Arity, Expr, Field, Operator};
pub use error::{ErrorKind, ParseError, PredicateError};
pub use eval::Subject;
pub use parser::parse;
pub use predicate::Predicate;

/// Longest accepted expression, in characters (AWS's `memberOf` limit).
pub const MAX_EXPRESSION_LEN: usize = 2000;

/// Deepest accepted nesting of parentheses and `not`.
pub const MAX_DEPTH: usize = 100;
