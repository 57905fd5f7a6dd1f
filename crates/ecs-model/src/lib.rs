//! The Amazon ECS wire shapes, generated from the AWS service model.
//!
//! Everything under `generated/` is written by `tools/codegen/gen_model.py ecs` from
//! botocore's `ecs/2014-11-13/service-2.json`: the shapes, the [`Operation`] enum with the
//! protocol facts and the exception table (`operations`), and the [`Validate`] impls. The
//! runtime they use is shared by every service model (`berth_aws::model`):
//!
//! - [`Validate`]: checks the model's constraints (required members, enum values, lengths and
//!   ranges) and collects every violation with the member's path, so the API layer can answer
//!   one AWS-shaped error listing all of them;
//! - `berth_aws::string_enum!`: serde for the generated enums, which keep unknown values
//!   (`Unrecognized(String)`) instead of failing to parse, so they are reported as parameter
//!   errors rather than as serialization errors.
//!
//! ```
//! use berth_ecs_model::{shapes::CreateClusterRequest, Validate};
//! let req: CreateClusterRequest = serde_json::from_str(r#"{"clusterName":"web"}"#).unwrap();
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
