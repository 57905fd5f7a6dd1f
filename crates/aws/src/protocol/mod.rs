//! The wire protocols Berth's services speak, and how a request says which it uses.
//!
//! A service answers in a JSON document form whatever its protocol; this module renders
//! answers and errors for the protocol the client spoke. Today: AWS JSON 1.0 and 1.1
//! ([`json`]). AWS Query (XML) and Smithy RPC v2 CBOR arrive with the first services that
//! speak them (ELBv2/IAM/STS, CloudWatch).

pub mod cbor;
mod document;
pub mod json;
pub mod query;

/// A protocol a request can arrive in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `X-Amz-Target: <prefix>.<Operation>` with an `application/x-amz-json-1.0` body.
    Json10,
    /// As `Json10`, with `application/x-amz-json-1.1`.
    Json11,
}

impl Protocol {
    pub fn content_type(self) -> &'static str {
        match self {
            Protocol::Json10 => "application/x-amz-json-1.0",
            Protocol::Json11 => "application/x-amz-json-1.1",
        }
    }
}
