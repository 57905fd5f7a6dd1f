//! The Amazon ECS wire shapes, generated from the AWS service model.
//!
//! Everything under `generated/` is written by `tools/codegen/gen_ecs.py` from botocore's
//! `ecs/2014-11-13/service-2.json`; this file holds the small runtime the generated code uses:
//!
//! - [`Validate`]: checks the model's constraints (required members, enum values, lengths and
//!   ranges) and collects every violation with the member's path, so the API layer can answer
//!   one AWS-shaped error listing all of them;
//! - [`string_enum!`]: serde for the generated enums, which keep unknown values
//!   (`Unrecognized(String)`) instead of failing to parse, so they are reported as parameter errors
//!   rather than as serialization errors.
//!
//! ```
//! use berth_ecs_model::{shapes::CreateClusterRequest, Validate};
//! let req: CreateClusterRequest = serde_json::from_str(r#"{"clusterName":"web"}"#).unwrap();
//! assert!(req.violations().is_empty());
//! ```

#[path = "generated/operations.rs"]
pub mod operations;
#[path = "generated/shapes.rs"]
pub mod shapes;
#[path = "generated/validate.rs"]
mod validate_impls;

/// The generated code's runtime, shared by every service model (berth-aws).
pub mod validate {
    pub use berth_aws::model::{Validate, Violations};
}
pub use berth_aws::string_enum;

pub use operations::Operation;
pub use validate::{Validate, Violations};
