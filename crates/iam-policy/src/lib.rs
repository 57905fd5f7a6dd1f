//! AWS IAM policy documents (work in progress; the essay arrives with the evaluator).

mod error;
mod json;

pub use error::{Location, PolicyError, Problem};
