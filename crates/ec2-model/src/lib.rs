//! The EC2 wire shapes, generated from the AWS service model, for the operations Berth
//! serves and nothing else.
//!
//! Everything under `generated/` is written by `tools/codegen/gen_model.py ec2` from
//! botocore's `ec2/2016-11-15/service-2.json`; the runtime it uses is `berth_aws::model`.
//! EC2's model has hundreds of operations and thousands of shapes, so its line in the
//! generator's table lists the operations to generate (VPCs, subnets, zones and regions,
//! security groups and their rules, tags, network interfaces): [`Operation`] holds those
//! alone, and the shapes are those reachable from their inputs and outputs.
//!
//! ```
//! use berth_ec2_model::Operation;
//! for op in Operation::ALL {
//!     assert_eq!(Operation::from_name(op.name()), Some(*op));
//! }
//! assert_eq!(Operation::from_name("RunInstances"), None);
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
        assert_eq!(
            crate::schema::SCHEMA.operations.len(),
            crate::Operation::ALL.len()
        );
        for op in crate::Operation::ALL {
            let s = crate::schema::SCHEMA.operation(op.name());
            assert_eq!(s.map(|s| s.input.as_deref()), Some(op.input_shape()));
            assert_eq!(s.map(|s| s.output.as_deref()), Some(op.output_shape()));
        }
    }
}
