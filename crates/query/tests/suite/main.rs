//! Integration tests for the cluster query language.

mod errors;
mod examples;
mod instance;
mod operators;
mod precedence;
mod props;
mod subjects;
