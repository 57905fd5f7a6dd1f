//! AWS's `ec2` protocol (Amazon EC2): a variant of AWS Query.
//!
//! Requests are form-encoded like Query's (`Action=…&Version=…`), with two differences
//! ([`parse_request`]): a member's name is its `queryName` if it has one, else its
//! `locationName` with the first letter upper-cased, else its member name so (`DryRun`,
//! `Filter`, `GroupId`); and every list is numbered directly, flattened whatever the model
//! says (`SubnetId.1=…`, `Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-…`). An empty list is not
//! sent at all.
//!
//! Answers ([`render_response`]) are `<{Op}Response xmlns="…"><requestId>…</requestId>…`
//! with the output's members directly under the root (no result wrapper), laid out as in
//! Query answers: by `locationName` (`<subnetSet><item>…</item></subnetSet>`). EC2 answers in
//! the namespace `http://ec2.amazonaws.com/doc/<version>/`; the model's `xmlNamespace` lacks
//! the final `/`, which is added. Errors ([`error_body`]) are
//! `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`.
//!
//! ```
//! use berth_aws::protocol::ec2;
//! use berth_aws::schema::Schema;
//! let schema = Schema::from_botocore(r#"{
//!     "metadata": {"xmlNamespace": "http://ec2.amazonaws.com/doc/2016-11-15"},
//!     "operations": {"DescribeThings": {"input": {"shape": "In"}, "output": {"shape": "Out"}}},
//!     "shapes": {
//!         "In": {"type": "structure", "members": {
//!             "Ids": {"shape": "Ids", "locationName": "ThingId"},
//!             "DryRun": {"shape": "Bool", "locationName": "dryRun"}}},
//!         "Out": {"type": "structure", "members": {
//!             "Things": {"shape": "Ids", "locationName": "thingSet"}}},
//!         "Ids": {"type": "list", "member": {"shape": "Str", "locationName": "item"}},
//!         "Str": {"type": "string"}, "Bool": {"type": "boolean"}
//!     }
//! }"#).unwrap();
//! let body = b"Action=DescribeThings&Version=2016-11-15&ThingId.1=a&ThingId.2=b&DryRun=false";
//! let (action, input) = ec2::parse_request(body, &schema).unwrap();
//! assert_eq!(action, "DescribeThings");
//! assert_eq!(input, serde_json::json!({"Ids": ["a", "b"], "DryRun": false}));
//! let out = serde_json::json!({"Things": ["a"]});
//! let xml = ec2::render_response(&schema, "DescribeThings", &out, "r-1");
//! assert_eq!(
//!     String::from_utf8(xml).unwrap(),
//!     "<DescribeThingsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\
//!      <requestId>r-1</requestId><thingSet><item>a</item></thingSet></DescribeThingsResponse>"
//! );
//! ```

use std::borrow::Cow;

use quick_xml::events::{BytesEnd, BytesStart, Event};
use quick_xml::Writer;
use serde_json::Value;

use super::form::{self, Dialect};
use super::query::QueryError;
use super::xml::{emit, text_element, Xml};
use crate::schema::Schema;
use crate::AwsError;

/// The content type of EC2's answers and errors.
pub const CONTENT_TYPE: &str = "text/xml;charset=UTF-8";

/// Parses a form-encoded EC2 request: the `Action` it names and the JSON document of that
/// operation's input (`{}` for an operation without one). `Version` is not checked;
/// parameters that are no member of the input are ignored. Malformed bodies are the same
/// [`QueryError`]s as AWS Query's.
pub fn parse_request(body: &[u8], schema: &Schema) -> Result<(String, Value), QueryError> {
    form::parse(body, schema, Dialect::Ec2)
}

/// The namespace EC2 answers in: the model's, ending in `/`.
fn namespace(schema: &Schema) -> Option<Cow<'_, str>> {
    let ns = schema.xml_namespace.as_deref()?;
    Some(if ns.ends_with('/') {
        Cow::Borrowed(ns)
    } else {
        Cow::Owned(format!("{ns}/"))
    })
}

/// Renders the JSON document of `op`'s output as its EC2 answer:
/// `<{op}Response xmlns="…"><requestId>…</requestId>{the output's members}</{op}Response>`.
pub fn render_response(schema: &Schema, op: &str, output: &Value, request_id: &str) -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    let root = format!("{op}Response");
    let mut start = BytesStart::new(root.as_str());
    let ns = namespace(schema);
    if let Some(ns) = &ns {
        start.push_attribute(("xmlns", ns.as_ref()));
    }
    let output_shape = schema
        .operation(op)
        .and_then(|o| o.output.as_deref())
        .and_then(|s| schema.shape(s));
    if let Some(shape) = output_shape {
        start = Xml { schema, w: &mut w }.with_attributes(start, shape, output);
    }
    emit(&mut w, Event::Start(start));
    text_element(&mut w, BytesStart::new("requestId"), request_id);
    if let Some(shape) = output_shape {
        Xml { schema, w: &mut w }.members(shape, output);
    }
    emit(&mut w, Event::End(BytesEnd::new(root.as_str())));
    w.into_inner()
}

/// The XML body of an error answer.
pub fn error_body(e: &AwsError, request_id: &str) -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    for name in ["Response", "Errors", "Error"] {
        emit(&mut w, Event::Start(BytesStart::new(name)));
    }
    text_element(&mut w, BytesStart::new("Code"), &e.code);
    text_element(&mut w, BytesStart::new("Message"), &e.message);
    for name in ["Error", "Errors"] {
        emit(&mut w, Event::End(BytesEnd::new(name)));
    }
    text_element(&mut w, BytesStart::new("RequestID"), request_id);
    emit(&mut w, Event::End(BytesEnd::new("Response")));
    w.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Schema {
        let model = r#"{
            "metadata": {"xmlNamespace": "http://ec2.amazonaws.com/doc/2016-11-15"},
            "operations": {
                "Op": {"input": {"shape": "In"}, "output": {"shape": "Out"}},
                "Bare": {"input": {"shape": "Empty"}}
            },
            "shapes": {
                "In": {"type": "structure", "members": {
                    "Filters": {"shape": "Filters", "locationName": "Filter"},
                    "Ids": {"shape": "Strs", "locationName": "GroupId"},
                    "DryRun": {"shape": "Bool", "locationName": "dryRun"},
                    "lower": {"shape": "Str"},
                    "Named": {"shape": "Str", "locationName": "other", "queryName": "Q"},
                    "Perms": {"shape": "Perms"},
                    "Count": {"shape": "Int"}}},
                "Filters": {"type": "list", "member": {"shape": "Filter", "locationName": "Filter"}},
                "Filter": {"type": "structure", "members": {
                    "Name": {"shape": "Str"},
                    "Values": {"shape": "Strs", "locationName": "Value"}}},
                "Perms": {"type": "list", "member": {"shape": "Perm", "locationName": "item"}},
                "Perm": {"type": "structure", "members": {
                    "Pairs": {"shape": "Pairs", "locationName": "groups"}}},
                "Pairs": {"type": "list", "member": {"shape": "Pair", "locationName": "item"}},
                "Pair": {"type": "structure", "members": {
                    "GroupId": {"shape": "Str", "locationName": "groupId"}}},
                "Out": {"type": "structure", "members": {
                    "Perms": {"shape": "Perms", "locationName": "ipPermissions"},
                    "Return": {"shape": "Bool", "locationName": "return"}}},
                "Empty": {"type": "structure", "members": {}},
                "Str": {"type": "string"}, "Int": {"type": "integer"},
                "Bool": {"type": "boolean"},
                "Strs": {"type": "list", "member": {"shape": "Str", "locationName": "item"}}
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
    fn members_are_named_and_lists_flattened_as_ec2_says() {
        let v = parse(
            "Action=Op&Version=2016-11-15&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-1\
             &Filter.1.Value.2=vpc-2&Filter.2.Name=tag%3AName&GroupId.2=sg-2&GroupId.1=sg-1\
             &DryRun=true&Lower=x&Q=q&Other=ignored&Perms.1.Groups.1.GroupId=sg-3&Count=2",
        );
        assert_eq!(
            v,
            Ok(json!({
                "Filters": [{"Name": "vpc-id", "Values": ["vpc-1", "vpc-2"]},
                            {"Name": "tag:Name"}],
                "Ids": ["sg-1", "sg-2"], "DryRun": true, "lower": "x", "Named": "q",
                "Perms": [{"Pairs": [{"GroupId": "sg-3"}]}], "Count": 2
            }))
        );
        assert_eq!(parse("Action=Bare"), Ok(json!({})));
    }

    #[test]
    fn query_layouts_are_not_ec2s() {
        // `member` and the list member's name are no part of an EC2 list's keys.
        assert!(parse("Action=Op&GroupId.member.1=sg-1").is_err());
        assert!(parse("Action=Op&GroupId.item.1=sg-1").is_err());
        // Names are upper-cased: the locationName as the model writes it is not one.
        assert_eq!(parse("Action=Op&dryRun=true"), Ok(json!({})));
    }

    #[test]
    fn malformed_requests_are_query_errors() {
        for (body, code) in [
            ("Action=Op&DryRun=%zz", "MalformedQueryString"),
            ("Version=1", "MissingAction"),
            ("Action=Nope", "InvalidAction"),
            ("Action=Op&Count=x", "InvalidParameterValue"),
            ("Action=Op&DryRun=maybe", "InvalidParameterValue"),
            ("Action=Op&GroupId.0=sg-1", "InvalidParameterValue"),
            ("Action=Op&Filter=x", "InvalidParameterValue"),
        ] {
            let e = parse(body).map_err(AwsError::from).err();
            assert_eq!(
                e.map(|e| (e.code, e.status)),
                Some((code.into(), 400)),
                "{body}"
            );
        }
    }

    #[test]
    fn answers_have_no_wrapper_and_a_request_id() {
        let out = json!({"Perms": [{"Pairs": [{"GroupId": "sg-1"}]}], "Return": true});
        let xml = String::from_utf8(render_response(&schema(), "Op", &out, "r-1"));
        assert_eq!(
            xml.as_deref(),
            Ok(
                "<OpResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\
                 <requestId>r-1</requestId><ipPermissions><item><groups><item>\
                 <groupId>sg-1</groupId></item></groups></item></ipPermissions>\
                 <return>true</return></OpResponse>"
            )
        );
        let bare = String::from_utf8(render_response(&schema(), "Bare", &json!({}), "r-2"));
        assert_eq!(
            bare.as_deref(),
            Ok(
                "<BareResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\
                <requestId>r-2</requestId></BareResponse>"
            )
        );
    }

    #[test]
    fn errors_are_escaped_xml() {
        let e = AwsError::client("InvalidVpcID.NotFound", "The vpc 'a<b' does not exist");
        let xml = String::from_utf8(error_body(&e, "r-1"));
        assert_eq!(
            xml.as_deref(),
            Ok(
                "<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code>\
                <Message>The vpc &apos;a&lt;b&apos; does not exist</Message></Error></Errors>\
                <RequestID>r-1</RequestID></Response>"
            )
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_forms_never_panic(
            pairs in proptest::collection::vec(
                ("(Filter|Value|Name|GroupId|Perms|Groups|DryRun|Q|1|2|0|x|é|\\.){1,8}",
                 "(Op|[a-z0-9%.=&+]{0,6})"), 0..12)
        ) {
            let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = parse_request(format!("Action=Op&{}", body.join("&")).as_bytes(), &schema());
        }
    }
}
