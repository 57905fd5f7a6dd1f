//! The AWS plumbing every Berth service shares, so that each service crate holds only its
//! own operations and records.
//!
//! - [`model`]: the runtime of the models generated from botocore (`tools/codegen`):
//!   constraint validation and string enums.

pub mod model;
