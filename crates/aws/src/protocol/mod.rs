//! The wire protocols Berth's services speak, and how a request says which it uses.
//!
//! Every service handles JSON documents (serde over its generated shapes), whatever the
//! protocol its clients speak; this module turns other protocols into those documents and
//! back, guided by the service's generated [`crate::schema::Schema`], and renders errors for
//! the protocol the client spoke.
//!
//! - [`json`]: AWS JSON 1.0 and 1.1, the document itself. `json::parse` (the body into its
//!   generated shape, with model validation), `json::error_body`, `json::error_headers`.
//! - [`query`]: AWS Query (ELBv2, IAM, STS, CloudWatch's older clients): a form-encoded
//!   request, an XML answer.
//!   - `query::parse_request(body: &[u8], schema: &Schema) -> Result<(String, Value),
//!     QueryError>`: the `Action` the form names and its input's document (the action comes
//!     from the body, so the server routes after parsing; unknown actions are
//!     `QueryError::InvalidAction`);
//!   - `query::render_response(schema: &Schema, op: &str, output: &Value, request_id: &str)
//!     -> Vec<u8>`: `<{op}Response xmlns=…><{op}Result>…</{op}Result><ResponseMetadata>…`;
//!   - `query::error_body(&AwsError, request_id) -> String`: `<ErrorResponse>`;
//!   - `AwsError::from(QueryError)`: 400 `MalformedQueryString`, `MissingAction`,
//!     `InvalidAction`, `InvalidParameterValue` (500 for a schema missing a shape);
//!   - `query::CONTENT_TYPE` (`text/xml`).
//! - [`ec2`]: AWS's `ec2` protocol (Amazon EC2), a variant of Query: every list flattened
//!   (`Filter.1.Value.1=…`), members by `queryName` or their upper-cased `locationName`;
//!   answers without a result wrapper, `<requestId>` first; errors as
//!   `<Response><Errors><Error>…`.
//!   - `ec2::parse_request(body: &[u8], schema: &Schema) -> Result<(String, Value),
//!     QueryError>` (the same errors as Query's);
//!   - `ec2::render_response(schema, op, output, request_id) -> Vec<u8>`;
//!   - `ec2::error_body(&AwsError, request_id) -> Vec<u8>`;
//!   - `ec2::CONTENT_TYPE` (`text/xml;charset=UTF-8`).
//!
//!   Both form protocols share `form.rs` (the body as a tree of keys walked over the input
//!   shape, in either dialect), `xml.rs` (answers written over the output shape) and
//!   `timestamps.rs`.
//! - [`cbor`]: Smithy RPC v2 CBOR (CloudWatch's current SDKs), `POST
//!   /service/<Service>/operation/<Op>` with `smithy-protocol: rpc-v2-cbor`.
//!   - `cbor::decode_request(schema: &Schema, op: &str, body: &[u8]) -> Result<Value,
//!     CborError>` (the operation comes from the path);
//!   - `cbor::encode_response(schema: &Schema, op: &str, output: &Value) -> Vec<u8>` (empty
//!     for an operation without output);
//!   - `cbor::error_body(&AwsError) -> Vec<u8>`: `{"__type", "message"}` (headers as
//!     `json::error_headers`);
//!   - `AwsError::from(CborError)`: 400 `SerializationException` (`UnknownOperationException`
//!     for an operation the schema lacks);
//!   - `cbor::CONTENT_TYPE` (`application/cbor`).
//!
//! For a service that speaks Query, `ec2` or CBOR, the server finds its schema with
//! [`crate::service::Service::schema`], decodes the request into a document, hands the
//! service that document's JSON as the call's body, and encodes the JSON the service answers
//! (parsed into a `serde_json::Value`) in the client's protocol. In the document, timestamps
//! are epoch seconds, blobs base64 text, and non-finite floats `"NaN"`, `"Infinity"`,
//! `"-Infinity"`, as in the JSON protocols.

pub mod cbor;
mod document;
pub mod ec2;
mod form;
pub mod json;
pub mod query;
mod timestamps;
mod xml;

/// A protocol a request can arrive in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `X-Amz-Target: <prefix>.<Operation>` with an `application/x-amz-json-1.0` body.
    Json10,
    /// As `Json10`, with `application/x-amz-json-1.1`.
    Json11,
    /// AWS Query: a form-encoded body with `Action=`, answered in XML ([`query`]).
    Query,
    /// AWS's `ec2` protocol: Query's variant that EC2 speaks ([`ec2`]).
    Ec2,
    /// Smithy RPC v2 CBOR ([`cbor`]).
    RpcV2Cbor,
}

impl Protocol {
    pub fn content_type(self) -> &'static str {
        match self {
            Protocol::Json10 => "application/x-amz-json-1.0",
            Protocol::Json11 => "application/x-amz-json-1.1",
            Protocol::Query => query::CONTENT_TYPE,
            Protocol::Ec2 => ec2::CONTENT_TYPE,
            Protocol::RpcV2Cbor => cbor::CONTENT_TYPE,
        }
    }
}
