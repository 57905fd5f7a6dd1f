//! A minimal signed client for the AWS JSON 1.1 and AWS Query protocols, used by `berth sim`,
//! `berth bench`, `berth explain` and the container agent (`berth agent`).

mod client;
mod sign;
pub mod xml;

pub use client::{
    ApiError, Client, Endpoint, Error, ECR_PREFIX, ECR_SERVICE, ECS_PREFIX, LOGS_PREFIX,
    LOGS_SERVICE,
};
pub use sign::{now_seconds, Signer, ECS_SERVICE};

/// An ECS attribute as JSON: `{"name"}` when the value is empty, else `{"name", "value"}`.
pub fn attribute(name: &str, value: &str) -> serde_json::Value {
    if value.is_empty() {
        serde_json::json!({ "name": name })
    } else {
        serde_json::json!({ "name": name, "value": value })
    }
}
