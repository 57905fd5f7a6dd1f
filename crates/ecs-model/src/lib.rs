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

pub mod validate;

pub use operations::Operation;
pub use validate::{Validate, Violations};

/// Implements `Serialize`/`Deserialize` for a generated string enum through its
/// `as_str`/`parse` pair.
#[macro_export]
macro_rules! string_enum {
    ($name:ident) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Ok(Self::parse(&s))
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
