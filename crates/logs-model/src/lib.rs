//! The Amazon CloudWatch Logs wire shapes, generated from the AWS service model.
//!
//! Everything under `generated/` is written by `tools/codegen/gen_model.py logs` from
//! botocore's `logs/2014-03-28/service-2.json`: the shapes, the [`Operation`] enum with the
//! protocol facts and the exception table (`operations`), and the [`Validate`] impls, on the
//! runtime every service model shares (`berth_aws::model`).
//!
//! Every member is an `Option`, numbers and booleans too: in this model a number left out
//! means something else than 0 (`limit`, `retentionInDays`, `endTime`). Times are what the
//! model says they are, mostly `i64` epoch milliseconds.
//!
//! ```
//! use berth_logs_model::{shapes::CreateLogGroupRequest, Validate};
//! let req: CreateLogGroupRequest =
//!     serde_json::from_str(r#"{"logGroupName":"/berth/web","tags":{"team":"a"}}"#).unwrap();
//! assert_eq!(req.log_group_name.as_deref(), Some("/berth/web"));
//! assert!(req.violations().is_empty());
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
