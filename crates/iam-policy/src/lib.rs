//! AWS IAM policy documents (work in progress; the essay arrives with the evaluator).

mod condition;
mod error;
mod json;
mod operator;
mod pattern;
mod request;
mod values;

pub use error::{Location, PolicyError, Problem};
pub use request::{Context, ContextValue, Principal, Request};
