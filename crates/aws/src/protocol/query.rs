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
use std::collections::BTreeMap;

use quick_xml::escape::escape;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

use super::document::{self, path};
use crate::schema::{Member, Schema, Shape, ShapeKind, TimestampFormat, XmlNamespace};
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
    check_encoding(body)?;
    let mut action = None;
    let mut root = Node::default();
    for (key, value) in form_urlencoded::parse(body) {
        match key.as_ref() {
            "Action" => action = Some(value.into_owned()),
            "Version" => {}
            _ => root.insert(&key, value.into_owned())?,
        }
    }
    let action = action
        .filter(|a| !a.is_empty())
        .ok_or(QueryError::MissingAction)?;
    let op = schema
        .operation(&action)
        .ok_or_else(|| QueryError::InvalidAction(action.clone()))?;
    let input = match op.input.as_deref() {
        Some(input) => {
            let shape = lookup(schema, input)?;
            match &shape.kind {
                ShapeKind::Structure { members } => decode_structure(schema, members, &root, "")?,
                _ => return Err(QueryError::Schema(format!("{input} (as a structure)"))),
            }
        }
        None => Value::Object(Map::new()),
    };
    Ok((action, input))
}

/// Refuses what `form_urlencoded` would let through silently: a `%` not followed by two
/// hex digits, and bytes that do not decode to UTF-8.
fn check_encoding(body: &[u8]) -> Result<(), QueryError> {
    if let Some(at) = body.iter().enumerate().position(|(i, &b)| {
        b == b'%'
            && !body
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    }) {
        return Err(QueryError::Malformed(format!(
            "The request body has an invalid percent-encoding at byte {at}."
        )));
    }
    percent_encoding::percent_decode(body)
        .decode_utf8()
        .map(drop)
        .map_err(|_| QueryError::Malformed("The request body does not decode to UTF-8.".into()))
}

/// The parameters as a tree of their `.`-separated paths.
#[derive(Default, Debug)]
struct Node {
    value: Option<String>,
    children: BTreeMap<String, Node>,
}

impl Node {
    fn insert(&mut self, key: &str, value: String) -> Result<(), QueryError> {
        let mut node = self;
        for (i, part) in key.split('.').enumerate() {
            if i >= MAX_KEY_PARTS {
                return Err(QueryError::Malformed(format!(
                    "The parameter name {}… nests deeper than {MAX_KEY_PARTS} levels.",
                    &key[..key.len().min(64)]
                )));
            }
            node = node.children.entry(part.to_owned()).or_default();
        }
        node.value = Some(value);
        Ok(())
    }

    /// The value of a scalar parameter.
    fn scalar(&self, at: &str) -> Result<&str, QueryError> {
        self.value.as_deref().ok_or_else(|| {
            QueryError::InvalidValue(format!(
                "The parameter {at} must be a value, not a group of parameters."
            ))
        })
    }

    /// The numbered children of a list or map (`1`, `2`, …), in their order.
    fn numbered(&self, at: &str) -> Result<Vec<(String, &Node)>, QueryError> {
        let mut items = Vec::with_capacity(self.children.len());
        for (k, child) in &self.children {
            match k.parse::<u32>() {
                Ok(n) if n >= 1 && n.to_string() == *k => items.push((n, k, child)),
                _ => {
                    return Err(QueryError::InvalidValue(format!(
                        "{} is not a valid parameter: {k:?} is not an index (1, 2, …).",
                        path(at, k)
                    )))
                }
            }
        }
        items.sort_by_key(|(n, _, _)| *n);
        Ok(items
            .into_iter()
            .map(|(_, k, child)| (path(at, k), child))
            .collect())
    }
}

fn lookup<'s>(schema: &'s Schema, name: &str) -> Result<&'s Shape, QueryError> {
    schema
        .shape(name)
        .ok_or_else(|| QueryError::Schema(name.to_owned()))
}

/// The name a member goes by on the wire: its `locationName`; for a list flattened on the
/// shape (older models), the list member's `locationName`; else its member name.
fn wire_name<'m>(m: &'m Member, target: &'m Shape) -> &'m str {
    if let Some(name) = &m.location_name {
        return name;
    }
    match &target.kind {
        ShapeKind::List {
            member,
            flattened: true,
        } => member.location_name.as_deref().unwrap_or(&m.name),
        _ => &m.name,
    }
}

fn is_flattened(m: &Member, target: &Shape) -> bool {
    m.flattened
        || matches!(
            target.kind,
            ShapeKind::List {
                flattened: true,
                ..
            } | ShapeKind::Map {
                flattened: true,
                ..
            }
        )
}

fn decode_structure(
    schema: &Schema,
    members: &[Member],
    node: &Node,
    at: &str,
) -> Result<Value, QueryError> {
    if node.children.is_empty() {
        if let Some(v) = node.value.as_deref().filter(|v| !v.is_empty()) {
            return Err(invalid(at, v, "a structure"));
        }
    }
    let mut out = Map::new();
    for m in members {
        let target = lookup(schema, &m.target)?;
        let name = wire_name(m, target);
        if let Some(child) = node.children.get(name) {
            let value = decode(schema, m, target, child, &path(at, name))?;
            out.insert(m.name.to_string(), value);
        }
    }
    Ok(Value::Object(out))
}

fn decode(
    schema: &Schema,
    m: &Member,
    shape: &Shape,
    node: &Node,
    at: &str,
) -> Result<Value, QueryError> {
    let grouped = matches!(shape.kind, ShapeKind::List { .. } | ShapeKind::Map { .. });
    if grouped && node.children.is_empty() {
        if let Some(v) = node.value.as_deref().filter(|v| !v.is_empty()) {
            return Err(invalid(at, v, "a list or map of numbered parameters"));
        }
    }
    Ok(match &shape.kind {
        ShapeKind::Structure { members } => decode_structure(schema, members, node, at)?,
        ShapeKind::List { member, .. } => {
            let (items, at) = if is_flattened(m, shape) {
                (Some(node), at.to_owned())
            } else {
                let name = member.location_name.as_deref().unwrap_or("member");
                (node.children.get(name), path(at, name))
            };
            let target = lookup(schema, &member.target)?;
            let mut out = Vec::new();
            for (at, item) in items
                .map(|n| n.numbered(&at))
                .transpose()?
                .unwrap_or_default()
            {
                out.push(decode(schema, member, target, item, &at)?);
            }
            Value::Array(out)
        }
        ShapeKind::Map { key, value, .. } => {
            let (entries, at) = if is_flattened(m, shape) {
                (Some(node), at.to_owned())
            } else {
                (node.children.get("entry"), path(at, "entry"))
            };
            let target = lookup(schema, &value.target)?;
            let key_name = key.location_name.as_deref().unwrap_or("key");
            let value_name = value.location_name.as_deref().unwrap_or("value");
            let mut out = Map::new();
            for (at, entry) in entries
                .map(|n| n.numbered(&at))
                .transpose()?
                .unwrap_or_default()
            {
                let missing = |what: &str| {
                    QueryError::InvalidValue(format!("The map entry {at} has no {what}."))
                };
                let k = entry
                    .children
                    .get(key_name)
                    .ok_or_else(|| missing(key_name))?
                    .scalar(&path(&at, key_name))?;
                let v = entry
                    .children
                    .get(value_name)
                    .ok_or_else(|| missing(value_name))?;
                let v = decode(schema, value, target, v, &path(&at, value_name))?;
                out.insert(k.to_owned(), v);
            }
            Value::Object(out)
        }
        kind => scalar(kind, node.scalar(at)?, at)?,
    })
}

fn invalid(at: &str, value: &str, what: &str) -> QueryError {
    let shown: String = value.chars().take(64).collect();
    QueryError::InvalidValue(format!(
        "Value '{shown}' at '{at}' failed to parse: it must be {what}."
    ))
}

fn scalar(kind: &ShapeKind, v: &str, at: &str) -> Result<Value, QueryError> {
    Ok(match kind {
        ShapeKind::String => Value::String(v.to_owned()),
        ShapeKind::Integer => Value::from(
            v.parse::<i32>()
                .map_err(|_| invalid(at, v, "a 32-bit integer"))?,
        ),
        ShapeKind::Long => Value::from(
            v.parse::<i64>()
                .map_err(|_| invalid(at, v, "a 64-bit integer"))?,
        ),
        ShapeKind::Float | ShapeKind::Double => {
            document::float(v.parse::<f64>().map_err(|_| invalid(at, v, "a number"))?)
        }
        ShapeKind::Boolean => match v {
            _ if v.eq_ignore_ascii_case("true") => Value::Bool(true),
            _ if v.eq_ignore_ascii_case("false") => Value::Bool(false),
            _ => return Err(invalid(at, v, "true or false")),
        },
        ShapeKind::Timestamp { format } => {
            let format = format.unwrap_or(TimestampFormat::Iso8601);
            document::epoch(parse_time(v, format).ok_or_else(|| {
                invalid(
                    at,
                    v,
                    match format {
                        TimestampFormat::Iso8601 => "an ISO 8601 time (2015-01-25T08:00:00Z)",
                        TimestampFormat::UnixTimestamp => "epoch seconds",
                        TimestampFormat::Rfc822 => "an HTTP date (Sun, 25 Jan 2015 08:00:00 GMT)",
                    },
                )
            })?)
        }
        ShapeKind::Blob => {
            document::base64_decode(v).ok_or_else(|| invalid(at, v, "base64"))?;
            Value::String(v.to_owned())
        }
        ShapeKind::Document => {
            return Err(QueryError::InvalidValue(format!(
                "The parameter {at} is a document, which AWS Query does not carry."
            )))
        }
        ShapeKind::Structure { .. } | ShapeKind::List { .. } | ShapeKind::Map { .. } => {
            return Err(invalid(at, v, "a group of parameters"))
        }
    })
}

const HTTP_DATE: &[time::format_description::BorrowedFormatItem<'static>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);
const ISO_SECONDS: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
const ISO_MILLIS: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Epoch seconds of a timestamp parameter.
fn parse_time(v: &str, format: TimestampFormat) -> Option<f64> {
    let t = match format {
        TimestampFormat::UnixTimestamp => {
            return v.parse::<f64>().ok().filter(|f| f.is_finite());
        }
        TimestampFormat::Iso8601 => OffsetDateTime::parse(v, &Rfc3339).ok()?,
        TimestampFormat::Rfc822 => time::PrimitiveDateTime::parse(v, HTTP_DATE)
            .ok()?
            .assume_utc(),
    };
    Some(t.unix_timestamp_nanos() as f64 / 1e9)
}

/// A timestamp as the answer carries it; None if it is no time (out of range).
fn format_time(seconds: f64, format: TimestampFormat) -> Option<String> {
    if !seconds.is_finite() {
        return None;
    }
    if format == TimestampFormat::UnixTimestamp {
        return Some(match document::epoch(seconds) {
            Value::Number(n) => n.to_string(),
            _ => return None,
        });
    }
    let millis = (seconds * 1000.0).round();
    if millis.abs() > 2.5e14 {
        return None;
    }
    let t = OffsetDateTime::from_unix_timestamp_nanos(millis as i128 * 1_000_000).ok()?;
    match format {
        TimestampFormat::Rfc822 => t.format(HTTP_DATE).ok(),
        _ if t.millisecond() == 0 => t.format(ISO_SECONDS).ok(),
        _ => t.format(ISO_MILLIS).ok(),
    }
}

// ------------------------------------------------------------------------------- answers

/// Renders the JSON document of `op`'s output as its Query answer:
/// `<{op}Response xmlns="{the schema's namespace}"><{resultWrapper}>…</{resultWrapper}>
/// <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></{op}Response>`, the result
/// element left out for an operation without output. Members are written in model order
/// under their `locationName`s; lists as `<member>` items (or the list member's name;
/// repeated elements when flattened), maps as `<entry><key/><value/></entry>`; timestamps
/// ISO 8601 (or the shape's `timestampFormat`), blobs as the document's base64, booleans
/// `true`/`false`. Nulls and members the schema does not know are left out; a value of the
/// wrong JSON type for its shape is written as its JSON text (the document comes from the
/// service's own generated shapes, so neither happens in practice).
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

/// Writing to a `Vec` cannot fail.
fn emit(w: &mut Writer<Vec<u8>>, event: Event<'_>) {
    let _ = w.write_event(event);
}

fn text_element(w: &mut Writer<Vec<u8>>, start: BytesStart<'_>, text: &str) {
    let end = start.to_end().into_owned();
    emit(w, Event::Start(start));
    emit(w, Event::Text(BytesText::new(text)));
    emit(w, Event::End(end));
}

fn element<'a>(name: &'a str, ns: Option<&XmlNamespace>) -> BytesStart<'a> {
    let mut start = BytesStart::new(name);
    if let Some(ns) = ns {
        match &ns.prefix {
            Some(prefix) => start.push_attribute((format!("xmlns:{prefix}").as_str(), &*ns.uri)),
            None => start.push_attribute(("xmlns", &*ns.uri)),
        }
    }
    start
}

struct Xml<'a> {
    schema: &'a Schema,
    w: &'a mut Writer<Vec<u8>>,
}

impl Xml<'_> {
    /// `<name>` with the structure's members (attributes among them on the element).
    fn structure(mut self, shape: &Shape, name: &str, ns: Option<&XmlNamespace>, value: &Value) {
        let (ShapeKind::Structure { members }, Value::Object(obj)) = (&shape.kind, value) else {
            return self.scalar(shape, name, ns, value);
        };
        let present = |m: &Member| obj.get(m.name.as_ref()).filter(|v| !v.is_null());
        let mut start = element(name, ns);
        for m in members.iter().filter(|m| m.xml_attribute) {
            if let (Some(v), Some(target)) = (present(m), self.schema.shape(&m.target)) {
                let name = wire_name(m, target);
                start.push_attribute((name, scalar_text(&target.kind, v).as_ref()));
            }
        }
        emit(self.w, Event::Start(start));
        for m in members.iter().filter(|m| !m.xml_attribute) {
            if let (Some(v), Some(target)) = (present(m), self.schema.shape(&m.target)) {
                let name = wire_name(m, target);
                self.reborrow()
                    .value(m, target, name, m.xml_namespace.as_ref(), v);
            }
        }
        emit(self.w, Event::End(BytesEnd::new(name)));
    }

    fn reborrow(&mut self) -> Xml<'_> {
        Xml {
            schema: self.schema,
            w: self.w,
        }
    }

    /// A value of shape `shape`, referred to by `m`, as element `name`.
    fn value(
        mut self,
        m: &Member,
        shape: &Shape,
        name: &str,
        ns: Option<&XmlNamespace>,
        v: &Value,
    ) {
        match (&shape.kind, v) {
            (ShapeKind::Structure { .. }, _) => self.structure(shape, name, ns, v),
            (ShapeKind::List { member, .. }, Value::Array(items)) => {
                let Some(target) = self.schema.shape(&member.target) else {
                    return;
                };
                let items = items.iter().filter(|v| !v.is_null());
                if is_flattened(m, shape) {
                    let ns = member.xml_namespace.as_ref().or(ns);
                    for item in items {
                        self.reborrow().value(member, target, name, ns, item);
                    }
                    return;
                }
                emit(self.w, Event::Start(element(name, ns)));
                let item_name = member.location_name.as_deref().unwrap_or("member");
                for item in items {
                    let ns = member.xml_namespace.as_ref();
                    self.reborrow().value(member, target, item_name, ns, item);
                }
                emit(self.w, Event::End(BytesEnd::new(name)));
            }
            (ShapeKind::Map { key, value, .. }, Value::Object(entries)) => {
                let Some(target) = self.schema.shape(&value.target) else {
                    return;
                };
                let flattened = is_flattened(m, shape);
                if !flattened {
                    emit(self.w, Event::Start(element(name, ns)));
                }
                let key_name = key.location_name.as_deref().unwrap_or("key");
                let value_name = value.location_name.as_deref().unwrap_or("value");
                for (k, v) in entries.iter().filter(|(_, v)| !v.is_null()) {
                    let entry = if flattened {
                        element(name, ns)
                    } else {
                        BytesStart::new("entry")
                    };
                    let end = entry.to_end().into_owned();
                    emit(self.w, Event::Start(entry));
                    text_element(self.w, element(key_name, key.xml_namespace.as_ref()), k);
                    let ns = value.xml_namespace.as_ref();
                    self.reborrow().value(value, target, value_name, ns, v);
                    emit(self.w, Event::End(end));
                }
                if !flattened {
                    emit(self.w, Event::End(BytesEnd::new(name)));
                }
            }
            _ => self.scalar(shape, name, ns, v),
        }
    }

    fn scalar(self, shape: &Shape, name: &str, ns: Option<&XmlNamespace>, v: &Value) {
        text_element(self.w, element(name, ns), &scalar_text(&shape.kind, v));
    }
}

/// A scalar's text in an answer.
fn scalar_text<'v>(kind: &ShapeKind, v: &'v Value) -> Cow<'v, str> {
    match (kind, v) {
        (_, Value::String(s)) => Cow::Borrowed(s),
        (_, Value::Bool(b)) => Cow::Borrowed(if *b { "true" } else { "false" }),
        (ShapeKind::Timestamp { format }, Value::Number(n)) => n
            .as_f64()
            .and_then(|s| format_time(s, format.unwrap_or(TimestampFormat::Iso8601)))
            .map_or_else(|| Cow::Owned(n.to_string()), Cow::Owned),
        (_, other) => Cow::Owned(other.to_string()),
    }
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
    fn timestamps_keep_milliseconds() {
        assert_eq!(
            format_time(946845296.123, TimestampFormat::Iso8601).as_deref(),
            Some("2000-01-02T20:34:56.123Z")
        );
        assert_eq!(
            format_time(1398796238.0, TimestampFormat::Rfc822).as_deref(),
            Some("Tue, 29 Apr 2014 18:30:38 GMT")
        );
        assert_eq!(
            parse_time("Tue, 29 Apr 2014 18:30:38 GMT", TimestampFormat::Rfc822),
            Some(1398796238.0)
        );
        assert_eq!(format_time(1e300, TimestampFormat::Iso8601), None);
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
