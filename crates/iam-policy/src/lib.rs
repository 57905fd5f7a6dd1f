//! AWS IAM policy documents (work in progress; the essay arrives with the evaluator).

mod error;
mod json;
mod pattern;
mod request;

pub use error::{Location, PolicyError, Problem};
pub use request::{Context, ContextValue, Principal, Request};
