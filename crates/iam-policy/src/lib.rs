//! AWS IAM policy documents (work in progress; the essay arrives with the evaluator).

mod condition;
mod error;
mod json;
mod operator;
mod pattern;
mod policy;
mod principal;
mod request;
mod statement;
mod values;

pub use error::{Location, PolicyError, Problem};
pub use policy::{Kind, Policy, Version};
pub use request::{Context, ContextValue, Principal, Request};
pub use statement::{Effect, Statement};
