//! The ECR wire shapes, generated from the AWS service model.
//!
//! Everything under `generated/` is written by `tools/codegen/gen_model.py ecr` from
//! botocore's `ecr/2015-09-21/service-2.json`; the runtime it uses is `berth_aws::model`.
//!
//! ```
//! use berth_ecr_model::Operation;
//! for op in Operation::ALL {
//!     assert_eq!(Operation::from_name(op.name()), Some(*op));
//! }
//! ```

#[path = "generated/operations.rs"]
pub mod operations;
#[path = "generated/schema.rs"]
pub mod schema;
#[path = "generated/shapes.rs"]
pub mod shapes;
#[path = "generated/validate.rs"]
mod validate_impls;

pub use berth_aws::model::{ErrorInfo, Validate, Violations};
pub use operations::Operation;

#[cfg(test)]
mod tests {
    #[test]
    fn the_generated_schema_is_consistent() {
        assert_eq!(crate::schema::SCHEMA.check(), Ok(()));
        for op in crate::Operation::ALL {
            let s = crate::schema::SCHEMA.operation(op.name());
            assert_eq!(s.map(|s| s.input.as_deref()), Some(op.input_shape()));
        }
    }
}
