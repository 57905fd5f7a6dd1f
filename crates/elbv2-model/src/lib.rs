//! The Elastic Load Balancing v2 wire shapes, generated from the AWS service model.
//!
//! Everything under `generated/` is written by `tools/codegen/gen_model.py elbv2` from
//! botocore's `elbv2/2015-12-01/service-2.json`; the runtime it uses is `berth_aws::model`.
//!
//! ```
//! use berth_elbv2_model::Operation;
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
