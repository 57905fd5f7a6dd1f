//! AWS Query: form-encoded requests, XML answers, errors as `<ErrorResponse>`.
//!
//! [`parse_request`] turns a form body into the action it names and the JSON document of
//! that operation's input (member names as in the model, the shape the JSON protocols
//! carry), guided by the service's [`Schema`]; [`render_response`] turns the JSON document
//! of an output into the `<{Op}Response>` answer. So a Query service's handlers are written
//! in JSON terms like every other service's.
//!
//! The form: `Action=…&Version=…`, then one pair per scalar, keyed by its path:
//! structures nest with `.` (`Nested.Name=x`), lists number their items from 1 under
//! `member` (`Names.member.1=a`; the list member's `locationName` instead of `member`;
//! `Names.1=a` when flattened; `Names=` for an empty list), maps number their entries under
//! `entry` with `key` and `value` (`Tags.entry.1.key=k&Tags.entry.1.value=v`, renamed by the
//! key's and value's `locationName`s, without `entry` when flattened). A member's
//! `locationName` renames it. Timestamps are ISO 8601 (or as the shape's `timestampFormat`
//! says), blobs base64, booleans `true`/`false`.
//!
//! ```
//! use berth_aws::protocol::query;
//! use berth_aws::schema::Schema;
//! let schema = Schema::from_botocore(r#"{
//!     "metadata": {"xmlNamespace": "https://example.com/doc/2020-01-08/"},
//!     "operations": {"Tag": {"input": {"shape": "In"}, "output": {"shape": "Out"}}},
//!     "shapes": {
//!         "In": {"type": "structure", "members": {"Names": {"shape": "Names"}}},
//!         "Out": {"type": "structure", "members": {"Count": {"shape": "Int"}}},
//!         "Names": {"type": "list", "member": {"shape": "Str"}},
//!         "Str": {"type": "string"}, "Int": {"type": "integer"}
//!     }
//! }"#).unwrap();
//! let body = b"Action=Tag&Version=2020-01-08&Names.member.1=a&Names.member.2=b";
//! let (action, input) = query::parse_request(body, &schema).unwrap();
//! assert_eq!(action, "Tag");
//! assert_eq!(input, serde_json::json!({"Names": ["a", "b"]}));
//! let xml = query::render_response(&schema, "Tag", &serde_json::json!({"Count": 2}), "r-1");
//! assert_eq!(
//!     String::from_utf8(xml).unwrap(),
//!     "<TagResponse xmlns=\"https://example.com/doc/2020-01-08/\"><TagResult><Count>2</Count>\
//!      </TagResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></TagResponse>"
//! );
//! ```

use std::borrow::Cow;

use quick_xml::escape::escape;
use quick_xml::events::{BytesEnd, BytesStart, Event};
use quick_xml::Writer;
use serde_json::Value;

use super::form::{self, Dialect};
use super::xml::{emit, text_element, Xml};
use crate::schema::Schema;
use crate::AwsError;

/// The content type of Query answers and errors.
pub const CONTENT_TYPE: &str = "text/xml";

/// No parameter path is longer than this many `.`-separated parts (every level of nesting
/// takes at least one, so this bounds the decoder's recursion too).
pub const MAX_KEY_PARTS: usize = 128;

/// Why a Query request was refused before its handler ran. Each becomes a 400 (a 500 for
/// [`QueryError::Schema`]) through `AwsError::from`, rendered as `<ErrorResponse>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Not a well-formed form body: bad percent-encoding, not UTF-8, a key nested too deep.
    #[error("{0}")]
    Malformed(String),
    /// The body names no `Action`.
    #[error("The request must contain the parameter Action.")]
    MissingAction,
    /// The `Action` is not an operation of the service.
    #[error("The action {0} is not valid for this web service.")]
    InvalidAction(String),
    /// A parameter is not of its member's type (a number that is not one, a list index that
    /// is not a number, a value where a structure belongs…).
    #[error("{0}")]
    InvalidValue(String),
    /// The schema does not hold a shape it refers to (a generator bug, not the caller's).
    #[error("The service model has no shape {0}.")]
    Schema(String),
}

impl From<QueryError> for AwsError {
    fn from(e: QueryError) -> Self {
        let code = match &e {
            QueryError::Malformed(_) => "MalformedQueryString",
            QueryError::MissingAction => "MissingAction",
            QueryError::InvalidAction(_) => "InvalidAction",
            QueryError::InvalidValue(_) => "InvalidParameterValue",
            QueryError::Schema(_) => return AwsError::server(e.to_string()),
        };
        AwsError::client(code, e.to_string())
    }
}

// ------------------------------------------------------------------------------ requests

/// Parses a form-encoded Query request: the `Action` it names and the JSON document of
/// that operation's input (`{}` for an operation without one). `Version` is not checked.
/// Parameters that are no member of the input are ignored, as unknown JSON members are.
pub fn parse_request(body: &[u8], schema: &Schema) -> Result<(String, Value), QueryError> {
    form::parse(body, schema, Dialect::Query)
}

// ------------------------------------------------------------------------------- answers

/// Renders the JSON document of `op`'s output as its Query answer:
/// `<{op}Response xmlns="{the schema's namespace}"><{resultWrapper}>…</{resultWrapper}>
/// <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></{op}Response>`, the result
/// element left out for an operation without output. The result's members are written as
/// `protocol::xml` lays them out: in model order under their `locationName`s; lists as
/// `<member>` items (or the list member's name; repeated elements when flattened), maps as
/// `<entry><key/><value/></entry>`; timestamps ISO 8601 (or the shape's `timestampFormat`),
/// blobs as the document's base64, booleans `true`/`false`. Nulls and members the schema
/// does not know are left out.
pub fn render_response(schema: &Schema, op: &str, output: &Value, request_id: &str) -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    let root = format!("{op}Response");
    let mut start = BytesStart::new(root.as_str());
    if let Some(ns) = &schema.xml_namespace {
        start.push_attribute(("xmlns", ns.as_ref()));
    }
    emit(&mut w, Event::Start(start));
    if let Some(op_schema) = schema.operation(op) {
        if let Some(shape) = op_schema.output.as_deref().and_then(|s| schema.shape(s)) {
            let wrapper = match &op_schema.result_wrapper {
                Some(name) => Cow::Borrowed(name.as_ref()),
                None => Cow::Owned(format!("{op}Result")),
            };
            let xml = Xml { schema, w: &mut w };
            xml.structure(shape, &wrapper, None, output);
        }
    }
    emit(&mut w, Event::Start(BytesStart::new("ResponseMetadata")));
    text_element(&mut w, BytesStart::new("RequestId"), request_id);
    emit(&mut w, Event::End(BytesEnd::new("ResponseMetadata")));
    emit(&mut w, Event::End(BytesEnd::new(root.as_str())));
    w.into_inner()
}

// -------------------------------------------------------------------------------- errors

/// The XML body of an error answer.
pub fn error_body(e: &AwsError, request_id: &str) -> String {
    let fault = if e.is_sender_fault() {
        "Sender"
    } else {
        "Receiver"
    };
    format!(
        "<ErrorResponse><Error><Type>{fault}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        escape(e.code.as_str()),
        escape(e.message.as_str()),
        escape(request_id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Schema {
        let model = r#"{
            "metadata": {"xmlNamespace": "https://example.com/doc/2020-01-08/"},
            "operations": {
                "Op": {"input": {"shape": "In"},
                       "output": {"shape": "Out", "resultWrapper": "OpResult"}},
                "Bare": {}
            },
            "shapes": {
                "In": {"type": "structure", "members": {
                    "Name": {"shape": "Str"}, "Count": {"shape": "Int"},
                    "Big": {"shape": "Long"}, "On": {"shape": "Bool"},
                    "Ratio": {"shape": "Dbl"}, "At": {"shape": "Time"},
                    "Data": {"shape": "Blob"}, "Names": {"shape": "Strs"},
                    "Tags": {"shape": "Tags"}, "Inner": {"shape": "In"}}},
                "Out": {"type": "structure", "members": {
                    "Name": {"shape": "Str", "locationName": "TheName"},
                    "At": {"shape": "Time"}, "Names": {"shape": "Strs"},
                    "Flat": {"shape": "Strs", "flattened": true},
                    "Tags": {"shape": "Tags"}, "On": {"shape": "Bool"}}},
                "Str": {"type": "string"}, "Int": {"type": "integer"},
                "Long": {"type": "long"}, "Bool": {"type": "boolean"},
                "Dbl": {"type": "double"}, "Time": {"type": "timestamp"},
                "Blob": {"type": "blob"},
                "Strs": {"type": "list", "member": {"shape": "Str"}},
                "Tags": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Str"}}
            }
        }"#;
        match Schema::from_botocore(model) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    fn parse(body: &str) -> Result<Value, QueryError> {
        parse_request(body.as_bytes(), &schema()).map(|(_, v)| v)
    }

    #[test]
    fn every_kind_of_member_parses() {
        let v = parse(
            "Action=Op&Version=1&Name=a+b%21&Count=-3&Big=9000000000&On=true&Ratio=0.5\
             &At=2015-01-25T08%3A00%3A00.5Z&Data=dmFsdWU%3D&Names.member.2=y&Names.member.1=x\
             &Tags.entry.1.key=k&Tags.entry.1.value=v&Inner.Name=in&Inner.Names=&Unknown=1",
        );
        assert_eq!(
            v,
            Ok(json!({
                "Name": "a b!", "Count": -3, "Big": 9000000000i64, "On": true, "Ratio": 0.5,
                "At": 1422172800.5, "Data": "dmFsdWU=", "Names": ["x", "y"],
                "Tags": {"k": "v"}, "Inner": {"Name": "in", "Names": []}
            }))
        );
        assert_eq!(parse("Action=Bare"), Ok(json!({})));
    }

    #[test]
    fn malformed_requests_are_clear_errors() {
        let cases = [
            ("Action=Op&Name=%zz", "MalformedQueryString"),
            ("Action=Op&Name=%C3", "MalformedQueryString"),
            ("Action=Op&Name=%", "MalformedQueryString"),
            ("Version=1", "MissingAction"),
            ("Action=Nope", "InvalidAction"),
            ("Action=Op&Count=x", "InvalidParameterValue"),
            ("Action=Op&Count=3000000000", "InvalidParameterValue"),
            ("Action=Op&On=yes", "InvalidParameterValue"),
            ("Action=Op&At=yesterday", "InvalidParameterValue"),
            ("Action=Op&Data=not*base64", "InvalidParameterValue"),
            ("Action=Op&Names.member.one=x", "InvalidParameterValue"),
            ("Action=Op&Names.member.0=x", "InvalidParameterValue"),
            ("Action=Op&Names.member.1.x=y", "InvalidParameterValue"),
            ("Action=Op&Tags.entry.1.value=v", "InvalidParameterValue"),
            ("Action=Op&Inner=x", "InvalidParameterValue"),
            ("Action=Op&Names=x", "InvalidParameterValue"),
            ("Action=Op&Tags=x", "InvalidParameterValue"),
        ];
        for (body, code) in cases {
            let e = AwsError::from(parse(body).err().unwrap_or(QueryError::Schema("ok".into())));
            assert_eq!((body, e.code.as_str(), e.status), (body, code, 400), "{e}");
        }
        let deep = format!("Action=Op&{}Name=x", "Inner.".repeat(MAX_KEY_PARTS));
        assert!(matches!(parse(&deep), Err(QueryError::Malformed(_))));
    }

    #[test]
    fn answers_follow_the_model() {
        let out = json!({
            "Name": "a<b", "At": 1398796238.0, "Names": ["x"], "Flat": ["p", "q"],
            "Tags": {"k": "v"}, "On": false, "Unknown": 1
        });
        let xml = String::from_utf8(render_response(&schema(), "Op", &out, "r-1"));
        assert_eq!(
            xml.as_deref(),
            Ok(
                "<OpResponse xmlns=\"https://example.com/doc/2020-01-08/\"><OpResult>\
                <TheName>a&lt;b</TheName><At>2014-04-29T18:30:38Z</At>\
                <Names><member>x</member></Names><Flat>p</Flat><Flat>q</Flat>\
                <Tags><entry><key>k</key><value>v</value></entry></Tags><On>false</On>\
                </OpResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>\
                </OpResponse>"
            )
        );
        let bare = String::from_utf8(render_response(&schema(), "Bare", &json!({}), "r-2"));
        assert_eq!(
            bare.as_deref(),
            Ok(
                "<BareResponse xmlns=\"https://example.com/doc/2020-01-08/\"><ResponseMetadata>\
                <RequestId>r-2</RequestId></ResponseMetadata></BareResponse>"
            )
        );
    }

    #[test]
    fn errors_are_escaped_xml() {
        let e = AwsError::client("ValidationError", "a < b & \"c\"");
        let xml = error_body(&e, "r-1");
        assert!(xml.contains("<Type>Sender</Type><Code>ValidationError</Code>"));
        assert!(xml.contains("<Message>a &lt; b &amp; &quot;c&quot;</Message>"));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bodies_never_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = parse_request(&body, &schema());
        }

        #[test]
        fn arbitrary_forms_never_panic(
            pairs in proptest::collection::vec(
                ("(Action|Name|Count|Names|Tags|Inner|member|entry|key|value|1|2|x|\\.){1,8}",
                 "(Op|[a-z0-9%.=&+]{0,6})"), 0..12)
        ) {
            let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = parse_request(format!("Action=Op&{}", body.join("&")).as_bytes(), &schema());
        }
    }
}
