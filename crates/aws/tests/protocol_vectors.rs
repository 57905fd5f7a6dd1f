//! The AWS Query, EC2 and Smithy RPC v2 CBOR codecs against AWS's protocol test vectors, as
//! `tools/codegen/protocol_vectors.py` extracts them from botocore's sources into
//! `vectors/protocol_vectors.json` (the fixture names the botocore version). Each suite's
//! schema is built from the vector's own shapes, so no generated service is involved.
//!
//! The vectors are a client's: Berth plays the other side of each.
//! - Request vectors: the body a client sends must parse into the document a handler expects.
//! - Response vectors: the document a handler answers must render into a body equivalent to
//!   the vector's (XML compared as trees, whitespace between elements ignored, timestamps as
//!   instants; CBOR compared as decoded items, lengths and float widths aside, nulls as
//!   absent), and for CBOR the vector's body must also decode into the document, since
//!   clients may write every form these bodies use.
//! - Error vectors: a client must read the vector's code and message from Berth's error body.

use std::collections::BTreeMap;

use base64::Engine;
use berth_aws::protocol::{cbor, ec2, json, query};
use berth_aws::schema::{Schema, Shape, ShapeKind};
use berth_aws::AwsError;
use quick_xml::events::Event;
use serde::Deserialize;
use serde_json::Value;

/// Cases not run, each with why: only what Berth will not serve, or what the vector cannot
/// show a server.
const SKIPPED: &[(&str, &str)] = &[
    (
        "SDKAppliedContentEncoding_awsQuery",
        "client-side gzip request compression; the vector has no body",
    ),
    (
        "SDKAppendsGzipAndIgnoresHttpProvidedEncoding_awsQuery",
        "client-side gzip request compression; the vector has no body",
    ),
    (
        "QueryProtocolIdempotencyTokenAutoFill",
        "the client fills in the idempotency token; the body carries it like any string \
         (QueryProtocolIdempotencyTokenAutoFillIsSet runs)",
    ),
    (
        "QueryComplexError",
        "error members beyond Code and Message: Berth's errors carry only a code and a message",
    ),
    (
        "SDKAppliedContentEncoding_ec2Query",
        "client-side gzip request compression; the vector has no body",
    ),
    (
        "SDKAppendsGzipAndIgnoresHttpProvidedEncoding_ec2Query",
        "client-side gzip request compression; the vector has no body",
    ),
    (
        "Ec2ProtocolIdempotencyTokenAutoFill",
        "the client fills in the idempotency token; the body carries it like any string \
         (Ec2ProtocolIdempotencyTokenAutoFillIsSet runs)",
    ),
    (
        "Ec2ComplexError",
        "error members beyond Code and Message: Berth's errors carry only a code and a message",
    ),
    (
        "RpcV2CborComplexError",
        "error members beyond __type and message: Berth's errors carry only a code and a message",
    ),
];

/// CBOR answer vectors whose body is not what a server writes for the document, so only the
/// decoding half runs.
const DECODE_ONLY: &[(&str, &str)] = &[
    (
        "RpcV2CborExtraFieldsInTheBodyShouldBeSkippedByClients",
        "the body carries members the model does not have",
    ),
    (
        "RpcV2CborPayloadWithUnsetUnion",
        "the body carries members the model does not have",
    ),
];

#[derive(Deserialize)]
struct Fixture {
    botocore: String,
    files: Vec<File>,
}

#[derive(Deserialize)]
struct File {
    file: String,
    protocol: String,
    direction: String,
    suites: Vec<Suite>,
}

#[derive(Deserialize)]
struct Suite {
    model: Schema,
    /// The model's metadata has `awsQueryCompatible` (a schema keeps no metadata but the XML
    /// namespace).
    #[serde(default)]
    query_compatible: bool,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    operation: String,
    body: Option<String>,
    #[serde(default)]
    document: Value,
    status: Option<u16>,
    error: Option<ErrorCase>,
    query_error_header: Option<String>,
}

#[derive(Deserialize)]
struct ErrorCase {
    code: String,
    message: Option<String>,
    #[serde(default)]
    members: BTreeMap<String, Value>,
}

fn fixture() -> Fixture {
    let text = include_str!("vectors/protocol_vectors.json");
    match serde_json::from_str(text) {
        Ok(f) => f,
        Err(e) => panic!("vectors/protocol_vectors.json: {e}"),
    }
}

#[test]
fn every_vector_case_passes_or_is_skipped_with_a_reason() {
    let fixture = fixture();
    let mut ran = Vec::new();
    let mut failures = Vec::new();
    let mut seen = Vec::new();
    for file in &fixture.files {
        for suite in &file.suites {
            for case in &suite.cases {
                seen.push(case.id.clone());
                if SKIPPED.iter().any(|(id, _)| *id == case.id) {
                    continue;
                }
                let outcome = match (file.protocol.as_str(), file.direction.as_str()) {
                    ("query", "input") => query_request(&suite.model, case),
                    ("query", _) => query_response(&suite.model, case),
                    ("ec2", "input") => ec2_request(&suite.model, case),
                    ("ec2", _) => ec2_response(&suite.model, case),
                    (_, "input") => cbor_request(&suite.model, case),
                    _ => cbor_response(&suite.model, case, suite.query_compatible),
                };
                match outcome {
                    Ok(()) => ran.push(case.id.clone()),
                    Err(e) => failures.push(format!("{} ({}): {e}", case.id, file.file)),
                }
            }
        }
    }
    for (id, _) in SKIPPED.iter().chain(DECODE_ONLY) {
        assert!(
            seen.iter().any(|s| s == id),
            "{id} is listed but not in the fixture"
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} vector cases (botocore {}) failed:\n{}",
        failures.len(),
        ran.len() + failures.len(),
        fixture.botocore,
        failures.join("\n")
    );
    assert_eq!(ran.len() + SKIPPED.len(), seen.len());
    println!(
        "{} vector cases of botocore {} passed, {} skipped",
        ran.len(),
        fixture.botocore,
        SKIPPED.len()
    );
}

// ------------------------------------------------------------------------------- Query

fn query_request(schema: &Schema, case: &Case) -> Result<(), String> {
    let body = case.body.as_deref().ok_or("no body")?;
    let (action, doc) = query::parse_request(body.as_bytes(), schema).map_err(|e| e.to_string())?;
    if action != case.operation {
        return Err(format!("action {action}, want {}", case.operation));
    }
    same_document(&doc, &case.document)
}

fn query_response(schema: &Schema, case: &Case) -> Result<(), String> {
    if let Some(error) = &case.error {
        let e = error_of(case, error)?;
        let ours = parse_xml(&query::error_body(&e, "foo-id"))?;
        let theirs = parse_xml(case.body.as_deref().ok_or("no body")?)?;
        return same_xml(&ours, &theirs, "");
    }
    let rendered = query::render_response(schema, &case.operation, &case.document, "rid-1");
    let rendered = String::from_utf8(rendered).map_err(|e| e.to_string())?;
    let mut ours = parse_xml(&rendered)?;
    if ours.name != format!("{}Response", case.operation) {
        return Err(format!("root {}", ours.name));
    }
    let metadata = ours.children.pop().ok_or("no ResponseMetadata")?;
    let request_id = metadata
        .children
        .first()
        .map(|r| (r.name.as_str(), r.text.as_str()));
    if metadata.name != "ResponseMetadata" || request_id != Some(("RequestId", "rid-1")) {
        return Err(format!(
            "the answer ends in {metadata:?}, not its ResponseMetadata"
        ));
    }
    match case.body.as_deref().filter(|b| !b.trim().is_empty()) {
        Some(body) => {
            let mut theirs = parse_xml(body)?;
            // A JSON document's maps are sorted by key; map entries have no order in XML.
            let output = schema
                .operation(&case.operation)
                .and_then(|o| o.output.clone());
            if let Some(result) = output.as_deref().and_then(|s| schema.shape(s)) {
                for tree in [&mut ours, &mut theirs] {
                    if let Some(wrapper) = tree.children.first_mut() {
                        sort_map_entries(schema, result, wrapper);
                    }
                }
            }
            same_xml(&ours, &theirs, "")
        }
        // No body in the vector (an empty result): ours is at most an empty result element.
        None if ours
            .children
            .iter()
            .all(|c| c.children.is_empty() && c.text.is_empty()) =>
        {
            Ok(())
        }
        None => Err(format!("an empty answer, rendered as {rendered}")),
    }
}

fn error_of(case: &Case, error: &ErrorCase) -> Result<AwsError, String> {
    if error
        .members
        .keys()
        .any(|k| !k.eq_ignore_ascii_case("message"))
    {
        return Err("the error has members Berth does not carry".into());
    }
    let status = case.status.ok_or("no status")?;
    Ok(AwsError::new(
        status,
        error.code.clone(),
        error.message.clone().unwrap_or_default(),
    ))
}

/// An XML element: name, attributes, trimmed text, child elements.
#[derive(Debug, PartialEq)]
struct Element {
    name: String,
    attributes: BTreeMap<String, String>,
    text: String,
    children: Vec<Element>,
}

fn parse_xml(text: &str) -> Result<Element, String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let open = |e: &quick_xml::events::BytesStart| -> Result<Element, String> {
        let mut attributes = BTreeMap::new();
        for a in e.attributes() {
            let a = a.map_err(|e| e.to_string())?;
            let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            let value = a.unescape_value().map_err(|e| e.to_string())?;
            attributes.insert(key, value.into_owned());
        }
        Ok(Element {
            name: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
            attributes,
            text: String::new(),
            children: Vec::new(),
        })
    };
    let close = |stack: &mut Vec<Element>| -> Option<Element> {
        let mut done = stack.pop()?;
        done.text = done.text.trim().to_owned();
        match stack.last_mut() {
            Some(parent) => {
                parent.children.push(done);
                None
            }
            None => Some(done),
        }
    };
    loop {
        match reader.read_event().map_err(|e| format!("{e} in {text}"))? {
            Event::Start(e) => stack.push(open(&e)?),
            Event::Empty(e) => {
                stack.push(open(&e)?);
                if let Some(root) = close(&mut stack) {
                    return Ok(root);
                }
            }
            Event::End(_) => {
                if let Some(root) = close(&mut stack) {
                    return Ok(root);
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.decode().map_err(|e| e.to_string())?);
                }
            }
            Event::GeneralRef(r) => {
                let entity = format!("&{};", r.decode().map_err(|e| e.to_string())?);
                let resolved = quick_xml::escape::unescape(&entity).map_err(|e| e.to_string())?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&resolved);
                }
            }
            Event::Eof => return Err(format!("unterminated XML: {text}")),
            _ => {}
        }
    }
}

/// Sorts the entries of every map under a structure element by their key's text, walking
/// the XML as the schema lays it out.
fn sort_map_entries(schema: &Schema, shape: &Shape, element: &mut Element) {
    let ShapeKind::Structure { members } = &shape.kind else {
        return;
    };
    for m in members.iter() {
        let Some(target) = schema.shape(&m.target) else {
            continue;
        };
        let name = m.location_name.as_deref().unwrap_or(&m.name);
        match &target.kind {
            ShapeKind::Map {
                key,
                value,
                flattened,
            } => {
                let key_name = key.location_name.as_deref().unwrap_or("key").to_owned();
                let value_shape = schema.shape(&value.target);
                let value_name = value.location_name.as_deref().unwrap_or("value");
                let sort = |entries: &mut [Element]| {
                    entries.sort_by_key(|e| {
                        e.children
                            .iter()
                            .find(|c| c.name == key_name)
                            .map(|k| k.text.clone())
                    });
                    for entry in entries.iter_mut() {
                        for v in entry.children.iter_mut().filter(|c| c.name == value_name) {
                            if let Some(value_shape) = value_shape {
                                sort_map_entries(schema, value_shape, v);
                            }
                        }
                    }
                };
                if m.flattened || *flattened {
                    // The entries are a run of siblings named after the member.
                    let start = element.children.iter().position(|c| c.name == name);
                    if let Some(start) = start {
                        let len = element.children[start..]
                            .iter()
                            .take_while(|c| c.name == name)
                            .count();
                        sort(&mut element.children[start..start + len]);
                    }
                } else {
                    for map in element.children.iter_mut().filter(|c| c.name == name) {
                        sort(&mut map.children);
                    }
                }
            }
            ShapeKind::Structure { .. } => {
                for child in element.children.iter_mut().filter(|c| c.name == name) {
                    sort_map_entries(schema, target, child);
                }
            }
            _ => {}
        }
    }
}

fn same_xml(ours: &Element, theirs: &Element, at: &str) -> Result<(), String> {
    let at = format!("{at}/{}", theirs.name);
    if ours.name != theirs.name || ours.attributes != theirs.attributes {
        return Err(format!(
            "at {at}: <{} {:?}>, want <{} {:?}>",
            ours.name, ours.attributes, theirs.name, theirs.attributes
        ));
    }
    if !same_text(&ours.text, &theirs.text) {
        return Err(format!("at {at}: {:?}, want {:?}", ours.text, theirs.text));
    }
    if ours.children.len() != theirs.children.len() {
        let names = |e: &Element| {
            e.children
                .iter()
                .map(|c| c.name.clone())
                .collect::<Vec<_>>()
        };
        return Err(format!(
            "at {at}: children {:?}, want {:?}",
            names(ours),
            names(theirs)
        ));
    }
    for (o, t) in ours.children.iter().zip(&theirs.children) {
        same_xml(o, t, &at)?;
    }
    Ok(())
}

/// Equal text, or the same instant written with another offset.
fn same_text(ours: &str, theirs: &str) -> bool {
    use time::format_description::well_known::Rfc3339;
    let instant = |s: &str| time::OffsetDateTime::parse(s, &Rfc3339).ok();
    ours == theirs || matches!((instant(ours), instant(theirs)), (Some(a), Some(b)) if a == b)
}

// --------------------------------------------------------------------------------- EC2

fn ec2_request(schema: &Schema, case: &Case) -> Result<(), String> {
    let body = case.body.as_deref().ok_or("no body")?;
    let (action, doc) = ec2::parse_request(body.as_bytes(), schema).map_err(|e| e.to_string())?;
    if action != case.operation {
        return Err(format!("action {action}, want {}", case.operation));
    }
    same_document(&doc, &case.document)
}

/// An EC2 answer: the output's members directly under the root, and a `requestId` (which
/// Berth writes first, as EC2 does, and the vectors last or not at all: it is compared
/// apart).
fn ec2_response(schema: &Schema, case: &Case) -> Result<(), String> {
    if let Some(error) = &case.error {
        let e = error_of(case, error)?;
        let ours = String::from_utf8(ec2::error_body(&e, "foo-id")).map_err(|e| e.to_string())?;
        let theirs = parse_xml(case.body.as_deref().ok_or("no body")?)?;
        return same_xml(&parse_xml(&ours)?, &theirs, "");
    }
    let rendered = ec2::render_response(schema, &case.operation, &case.document, "rid-1");
    let rendered = String::from_utf8(rendered).map_err(|e| e.to_string())?;
    let mut ours = parse_xml(&rendered)?;
    if ours.name != format!("{}Response", case.operation) {
        return Err(format!("root {}", ours.name));
    }
    let first = ours
        .children
        .first()
        .map(|r| (r.name.as_str(), r.text.as_str()));
    if first != Some(("requestId", "rid-1")) {
        return Err(format!(
            "the answer starts with {first:?}, not its requestId"
        ));
    }
    ours.children.remove(0);
    let body = case.body.as_deref().ok_or("no body")?;
    let mut theirs = parse_xml(body)?;
    theirs.children.retain(|c| c.name != "requestId");
    let output = schema
        .operation(&case.operation)
        .and_then(|o| o.output.clone());
    if let Some(result) = output.as_deref().and_then(|s| schema.shape(s)) {
        for tree in [&mut ours, &mut theirs] {
            sort_map_entries(schema, result, tree);
        }
    }
    same_xml(&ours, &theirs, "")
}

// -------------------------------------------------------------------------------- CBOR

fn base64_body(case: &Case) -> Result<Vec<u8>, String> {
    let body = case.body.as_deref().unwrap_or_default();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| e.to_string())
}

fn cbor_request(schema: &Schema, case: &Case) -> Result<(), String> {
    let body = base64_body(case)?;
    let doc = cbor::decode_request(schema, &case.operation, &body).map_err(|e| e.to_string())?;
    same_document(&doc, &case.document)
}

fn cbor_response(schema: &Schema, case: &Case, query_compatible: bool) -> Result<(), String> {
    let body = base64_body(case)?;
    if let Some(error) = &case.error {
        let e = error_of(case, error)?;
        let headers = json::error_headers(&e, query_compatible);
        let header = headers
            .iter()
            .find(|(name, _)| *name == "x-amzn-query-error")
            .map(|(_, v)| v.clone());
        if case.query_error_header.is_some() && header != case.query_error_header {
            return Err(format!("x-amzn-query-error {header:?}"));
        }
        let (code, message) = client_reads_error(&cbor::error_body(&e), header.as_deref())?;
        if code != error.code || (error.message.is_some() && message != error.message) {
            return Err(format!("a client reads {code} {message:?}"));
        }
        return Ok(());
    }
    // Clients may send what servers answer, so Berth must decode every body here…
    let mut as_input = schema.clone();
    for op in as_input.operations.to_mut() {
        op.input = op.output.clone();
    }
    let decoded =
        cbor::decode_request(&as_input, &case.operation, &body).map_err(|e| e.to_string())?;
    same_document(&decoded, &case.document).map_err(|e| format!("decoding the vector: {e}"))?;
    if DECODE_ONLY.iter().any(|(id, _)| *id == case.id) {
        return Ok(());
    }
    // …and write the document as the vector's body, item for item.
    let ours = cbor::encode_response(schema, &case.operation, &case.document);
    let (a, b) = (normal_cbor(&ours)?, normal_cbor(&body)?);
    if a != b {
        return Err(format!("encoded {a:?}, want {b:?}"));
    }
    let back =
        cbor::decode_request(&as_input, &case.operation, &ours).map_err(|e| e.to_string())?;
    same_document(&back, &case.document).map_err(|e| format!("round trip: {e}"))
}

/// The error code and message a client reads: the query-compatible header's code if there
/// is one, else `__type` without its namespace; `message` or `Message`.
fn client_reads_error(
    body: &[u8],
    header: Option<&str>,
) -> Result<(String, Option<String>), String> {
    let v: ciborium::value::Value = ciborium::de::from_reader(body).map_err(|e| e.to_string())?;
    let field = |name: &str| {
        v.as_map()?.iter().find_map(|(k, v)| {
            (k.as_text()?.eq_ignore_ascii_case(name)).then(|| v.as_text().map(str::to_owned))?
        })
    };
    let code = match header.and_then(|h| h.split(';').next()) {
        Some(code) => code.to_owned(),
        None => {
            let t = field("__type").ok_or("no __type")?;
            t.rsplit('#').next().unwrap_or(&t).to_owned()
        }
    };
    Ok((code, field("message")))
}

/// A CBOR body as a comparable item: an empty body as an empty map, map entries sorted and
/// nulls dropped, integers and floats as numbers, tags kept.
#[derive(Debug, PartialEq)]
enum Item {
    Number(Num),
    Text(String),
    Bytes(Vec<u8>),
    Bool(bool),
    Null,
    Tag(u64, Box<Item>),
    Array(Vec<Item>),
    Map(Vec<(String, Item)>),
}

/// A number compared by value, NaN equal to NaN.
#[derive(Debug)]
struct Num(f64);

impl PartialEq for Num {
    fn eq(&self, other: &Num) -> bool {
        self.0 == other.0 || (self.0.is_nan() && other.0.is_nan())
    }
}

fn normal_cbor(body: &[u8]) -> Result<Item, String> {
    if body.is_empty() {
        return Ok(Item::Map(Vec::new()));
    }
    let v: ciborium::value::Value = ciborium::de::from_reader(body).map_err(|e| e.to_string())?;
    Ok(item(&v))
}

fn item(v: &ciborium::value::Value) -> Item {
    use ciborium::value::Value as V;
    match v {
        V::Integer(i) => Item::Number(Num(i128::from(*i) as f64)),
        V::Float(f) => Item::Number(Num(*f)),
        V::Text(s) => Item::Text(s.clone()),
        V::Bytes(b) => Item::Bytes(b.clone()),
        V::Bool(b) => Item::Bool(*b),
        V::Tag(t, inner) => Item::Tag(*t, Box::new(item(inner))),
        V::Array(items) => Item::Array(items.iter().map(item).collect()),
        V::Map(entries) => {
            let mut out: Vec<(String, Item)> = entries
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.as_text().unwrap_or("?").to_owned(), item(v)))
                .collect();
            out.sort_by(|a, b| a.0.cmp(&b.0));
            Item::Map(out)
        }
        _ => Item::Null,
    }
}

// ----------------------------------------------------------------------------- shared

/// Equal JSON documents, numbers compared by value (`1422172800` and `1422172800.0` alike).
fn same_document(ours: &Value, want: &Value) -> Result<(), String> {
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
            }
            _ => a == b,
        }
    }
    if same(ours, want) {
        Ok(())
    } else {
        Err(format!("document {ours}, want {want}"))
    }
}
