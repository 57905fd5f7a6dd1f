//! Smithy RPC v2 CBOR (`POST /service/<Service>/operation/<Op>`, `smithy-protocol:
//! rpc-v2-cbor`): CBOR request and answer bodies, transcoded to and from the JSON document a
//! service handles, guided by the service's [`Schema`].
//!
//! - [`decode_request`]: the CBOR body → the input's JSON document. Structures and maps are
//!   CBOR maps with text keys, lists arrays (definite or indefinite lengths, strings too);
//!   timestamps tag 1 over epoch seconds → epoch seconds; byte strings → base64 text;
//!   floats of any width → numbers, or `"NaN"`/`"Infinity"`/`"-Infinity"` as the JSON
//!   protocols carry them. Null members and map values are left out, members the schema does
//!   not know are skipped. An empty body is `{}`.
//! - [`encode_response`]: the output's JSON document → CBOR, with definite lengths, floats
//!   and timestamps as 64-bit doubles (what every client decodes), blobs as byte strings.
//! - [`error_body`]: `{"__type": code, "message": message}` in CBOR.
//!
//! ```
//! use berth_aws::protocol::cbor;
//! use berth_aws::schema::Schema;
//! let schema = Schema::from_botocore(r#"{
//!     "operations": {"Put": {"input": {"shape": "In"}, "output": {"shape": "In"}}},
//!     "shapes": {
//!         "In": {"type": "structure", "members": {"At": {"shape": "T"}, "Data": {"shape": "B"}}},
//!         "T": {"type": "timestamp"}, "B": {"type": "blob"}
//!     }
//! }"#).unwrap();
//! let doc = serde_json::json!({"At": 1398796238, "Data": "dmFsdWU="});
//! let body = cbor::encode_response(&schema, "Put", &doc);
//! assert_eq!(cbor::decode_request(&schema, "Put", &body), Ok(doc));
//! ```

use std::io;

use ciborium::value::Value as Cbor;
use ciborium_ll::{simple, Encoder, Header};
use serde_json::{Map, Value};

use super::document::{self, path};
use crate::schema::{Member, Schema, Shape, ShapeKind};
use crate::AwsError;

/// The content type of rpc-v2-cbor bodies.
pub const CONTENT_TYPE: &str = "application/cbor";

/// CBOR items nest no deeper than this (arrays, maps and tags count); deeper bodies are
/// refused before the schema is walked.
pub const MAX_NESTING: usize = 64;

/// Why an rpc-v2-cbor request was refused before its handler ran.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CborError {
    /// Not one well-formed CBOR item (truncated, trailing bytes, nested too deep…).
    #[error("The request body is not valid CBOR: {0}")]
    Malformed(String),
    /// Well-formed CBOR, but a member is not of its shape's type.
    #[error("{0}")]
    InvalidValue(String),
    /// The operation is not one of the service's.
    #[error("Unknown operation {0}")]
    UnknownOperation(String),
    /// The schema does not hold a shape it refers to (a generator bug, not the caller's).
    #[error("The service model has no shape {0}.")]
    Schema(String),
}

impl From<CborError> for AwsError {
    /// `SerializationException` (400) for a body at fault, as the JSON protocols answer.
    fn from(e: CborError) -> Self {
        match &e {
            CborError::Malformed(_) | CborError::InvalidValue(_) => {
                AwsError::serialization(e.to_string())
            }
            CborError::UnknownOperation(op) => AwsError::unknown_operation(op),
            CborError::Schema(_) => AwsError::server(e.to_string()),
        }
    }
}

// ------------------------------------------------------------------------------ requests

/// Decodes the CBOR body of a request for `op` into its input's JSON document.
pub fn decode_request(schema: &Schema, op: &str, body: &[u8]) -> Result<Value, CborError> {
    let op_schema = schema
        .operation(op)
        .ok_or_else(|| CborError::UnknownOperation(op.to_owned()))?;
    let Some(input) = op_schema.input.as_deref() else {
        return Ok(Value::Object(Map::new()));
    };
    if body.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let mut rest = body;
    let item: Cbor = ciborium::de::from_reader_with_recursion_limit(&mut rest, MAX_NESTING)
        .map_err(|e| CborError::Malformed(describe(&e)))?;
    if !rest.is_empty() {
        return Err(CborError::Malformed(format!(
            "{} bytes follow the body's one item.",
            rest.len()
        )));
    }
    decode(schema, lookup(schema, input)?, &item, "")
}

fn describe<T: std::fmt::Debug>(e: &ciborium::de::Error<T>) -> String {
    match e {
        ciborium::de::Error::Io(_) => "it ends early.".into(),
        ciborium::de::Error::Syntax(at) => format!("a malformed item at byte {at}."),
        ciborium::de::Error::Semantic(at, msg) => match at {
            Some(at) => format!("{msg} (at byte {at})."),
            None => format!("{msg}."),
        },
        ciborium::de::Error::RecursionLimitExceeded => {
            format!("it nests deeper than {MAX_NESTING} levels.")
        }
    }
}

fn lookup<'s>(schema: &'s Schema, name: &str) -> Result<&'s Shape, CborError> {
    schema
        .shape(name)
        .ok_or_else(|| CborError::Schema(name.to_owned()))
}

fn kind_name(v: &Cbor) -> &'static str {
    match v {
        Cbor::Integer(_) => "an integer",
        Cbor::Bytes(_) => "a byte string",
        Cbor::Float(_) => "a float",
        Cbor::Text(_) => "a text string",
        Cbor::Bool(_) => "a boolean",
        Cbor::Null => "null",
        Cbor::Tag(..) => "a tagged item",
        Cbor::Array(_) => "an array",
        Cbor::Map(_) => "a map",
        _ => "an unknown item",
    }
}

fn wrong(at: &str, expected: &str, got: &Cbor) -> CborError {
    let at = if at.is_empty() { "the body" } else { at };
    CborError::InvalidValue(format!("{at} must be {expected}, not {}.", kind_name(got)))
}

/// A map's entries with their text keys.
fn entries<'v>(
    v: &'v Cbor,
    at: &str,
    what: &str,
) -> Result<impl Iterator<Item = Result<(&'v str, &'v Cbor), CborError>>, CborError> {
    let Cbor::Map(entries) = v else {
        return Err(wrong(at, what, v));
    };
    let at = at.to_owned();
    Ok(entries.iter().map(move |(k, v)| match k {
        Cbor::Text(k) => Ok((k.as_str(), v)),
        other => Err(wrong(&at, "a map with text keys", other)),
    }))
}

fn decode(schema: &Schema, shape: &Shape, v: &Cbor, at: &str) -> Result<Value, CborError> {
    Ok(match &shape.kind {
        ShapeKind::Structure { members } => {
            let mut out = Map::new();
            for entry in entries(v, at, "a map (a structure)")? {
                let (k, v) = entry?;
                let Some(m) = members.iter().find(|m| m.name == k) else {
                    continue;
                };
                if !v.is_null() {
                    let at = path(at, k);
                    out.insert(
                        k.to_owned(),
                        decode(schema, lookup(schema, &m.target)?, v, &at)?,
                    );
                }
            }
            Value::Object(out)
        }
        ShapeKind::List { member, .. } => {
            let Cbor::Array(items) = v else {
                return Err(wrong(at, "an array (a list)", v));
            };
            let target = lookup(schema, &member.target)?;
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(match item {
                    Cbor::Null => Value::Null,
                    item => decode(schema, target, item, &format!("{at}[{i}]"))?,
                });
            }
            Value::Array(out)
        }
        ShapeKind::Map { value, .. } => {
            let target = lookup(schema, &value.target)?;
            let mut out = Map::new();
            for entry in entries(v, at, "a map")? {
                let (k, v) = entry?;
                if !v.is_null() {
                    out.insert(k.to_owned(), decode(schema, target, v, &path(at, k))?);
                }
            }
            Value::Object(out)
        }
        ShapeKind::String => match v {
            Cbor::Text(s) => Value::String(s.clone()),
            _ => return Err(wrong(at, "a text string", v)),
        },
        ShapeKind::Integer | ShapeKind::Long => {
            let Some(i) = v.as_integer().map(i128::from) else {
                return Err(wrong(at, "an integer", v));
            };
            let (min, max) = match shape.kind {
                ShapeKind::Integer => (i128::from(i32::MIN), i128::from(i32::MAX)),
                _ => (i128::from(i64::MIN), i128::from(i64::MAX)),
            };
            if i < min || i > max {
                return Err(CborError::InvalidValue(format!(
                    "{at} is {i}, out of range for its {} integer.",
                    if max > i128::from(i32::MAX) {
                        "64-bit"
                    } else {
                        "32-bit"
                    }
                )));
            }
            Value::from(i as i64)
        }
        ShapeKind::Float | ShapeKind::Double => match number(v) {
            Some(f) => document::float(f),
            None => return Err(wrong(at, "a number", v)),
        },
        ShapeKind::Boolean => match v {
            Cbor::Bool(b) => Value::Bool(*b),
            _ => return Err(wrong(at, "a boolean", v)),
        },
        ShapeKind::Timestamp { .. } => {
            let seconds = match v {
                Cbor::Tag(1, inner) => number(inner),
                other => number(other),
            };
            match seconds.filter(|s| s.is_finite()) {
                Some(s) => document::epoch(s),
                None => return Err(wrong(at, "a timestamp (tag 1 over epoch seconds)", v)),
            }
        }
        ShapeKind::Blob => match v {
            Cbor::Bytes(b) => Value::String(document::base64_encode(b)),
            _ => return Err(wrong(at, "a byte string", v)),
        },
        ShapeKind::Document => any_to_json(v),
    })
}

fn number(v: &Cbor) -> Option<f64> {
    match v {
        Cbor::Float(f) => Some(*f),
        Cbor::Integer(i) => Some(i128::from(*i) as f64),
        _ => None,
    }
}

/// A document member: any CBOR item as JSON (byte strings as base64, tags dropped).
fn any_to_json(v: &Cbor) -> Value {
    match v {
        Cbor::Integer(i) => {
            let i = i128::from(*i);
            i64::try_from(i)
                .map(Value::from)
                .or_else(|_| u64::try_from(i).map(Value::from))
                .unwrap_or_else(|_| document::float(i as f64))
        }
        Cbor::Bytes(b) => Value::String(document::base64_encode(b)),
        Cbor::Float(f) => document::float(*f),
        Cbor::Text(s) => Value::String(s.clone()),
        Cbor::Bool(b) => Value::Bool(*b),
        Cbor::Tag(_, inner) => any_to_json(inner),
        Cbor::Array(items) => Value::Array(items.iter().map(any_to_json).collect()),
        Cbor::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    let k = match k {
                        Cbor::Text(s) => s.clone(),
                        other => any_to_json(other).to_string(),
                    };
                    (k, any_to_json(v))
                })
                .collect(),
        ),
        _ => Value::Null,
    }
}

// ------------------------------------------------------------------------------- answers

/// Encodes the JSON document of `op`'s output as its CBOR answer body; empty for an
/// operation without output (or not in the schema). Nulls and members the schema does not
/// know are left out; a value of the wrong JSON type for its shape is written as the CBOR
/// form of its JSON (the document comes from the service's own generated shapes, so neither
/// happens in practice).
pub fn encode_response(schema: &Schema, op: &str, output: &Value) -> Vec<u8> {
    let Some(shape) = schema
        .operation(op)
        .and_then(|o| o.output.as_deref())
        .and_then(|s| schema.shape(s))
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = encode(&mut Encoder::from(&mut out), schema, shape, output);
    out
}

type Enc<'a> = Encoder<&'a mut Vec<u8>>;

fn encode(enc: &mut Enc<'_>, schema: &Schema, shape: &Shape, v: &Value) -> io::Result<()> {
    match (&shape.kind, v) {
        (ShapeKind::Structure { members }, Value::Object(obj)) => {
            let present: Vec<(&Member, &Shape, &Value)> = members
                .iter()
                .filter_map(|m| {
                    let v = obj.get(m.name.as_ref()).filter(|v| !v.is_null())?;
                    Some((m, schema.shape(&m.target)?, v))
                })
                .collect();
            enc.push(Header::Map(Some(present.len())))?;
            for (m, target, v) in present {
                enc.text(&m.name, None)?;
                encode(enc, schema, target, v)?;
            }
            Ok(())
        }
        (ShapeKind::List { member, .. }, Value::Array(items)) => {
            let Some(target) = schema.shape(&member.target) else {
                return any(enc, v);
            };
            enc.push(Header::Array(Some(items.len())))?;
            for item in items {
                match item {
                    Value::Null => enc.push(Header::Simple(simple::NULL))?,
                    item => encode(enc, schema, target, item)?,
                }
            }
            Ok(())
        }
        (ShapeKind::Map { value, .. }, Value::Object(entries)) => {
            let Some(target) = schema.shape(&value.target) else {
                return any(enc, v);
            };
            let present: Vec<_> = entries.iter().filter(|(_, v)| !v.is_null()).collect();
            enc.push(Header::Map(Some(present.len())))?;
            for (k, v) in present {
                enc.text(k, None)?;
                encode(enc, schema, target, v)?;
            }
            Ok(())
        }
        (ShapeKind::Float | ShapeKind::Double, v) => match document::as_float(v) {
            Some(f) => double(enc, f),
            None => any(enc, v),
        },
        (ShapeKind::Timestamp { .. }, Value::Number(n)) => match n.as_f64() {
            Some(seconds) => {
                enc.push(Header::Tag(1))?;
                double(enc, seconds)
            }
            None => any(enc, v),
        },
        (ShapeKind::Blob, Value::String(text)) => match document::base64_decode(text) {
            Some(bytes) => enc.bytes(&bytes, None),
            None => any(enc, v),
        },
        _ => any(enc, v),
    }
}

/// Floats always as 64-bit doubles: the smallest width would be valid CBOR too, but some
/// clients decode only doubles.
fn double(enc: &mut Enc<'_>, f: f64) -> io::Result<()> {
    ciborium_io::Write::write_all(enc, &[0xfb])?;
    ciborium_io::Write::write_all(enc, &f.to_be_bytes())
}

/// Any JSON value in its plain CBOR form.
fn any(enc: &mut Enc<'_>, v: &Value) -> io::Result<()> {
    match v {
        Value::Null => enc.push(Header::Simple(simple::NULL)),
        Value::Bool(b) => enc.push(Header::Simple(if *b {
            simple::TRUE
        } else {
            simple::FALSE
        })),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                enc.push(Header::Positive(u))
            } else if let Some(i) = n.as_i64() {
                // A negative integer n is written as -1 - n.
                enc.push(Header::Negative(!(i as u64)))
            } else {
                double(enc, n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(s) => enc.text(s, None),
        Value::Array(items) => {
            enc.push(Header::Array(Some(items.len())))?;
            items.iter().try_for_each(|item| any(enc, item))
        }
        Value::Object(entries) => {
            enc.push(Header::Map(Some(entries.len())))?;
            for (k, v) in entries {
                enc.text(k, None)?;
                any(enc, v)?;
            }
            Ok(())
        }
    }
}

// -------------------------------------------------------------------------------- errors

/// The CBOR body of an error answer: `{"__type": code, "message": message}`.
pub fn error_body(e: &AwsError) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = Encoder::from(&mut out);
    // Writing to a Vec cannot fail.
    let _ = (|| -> io::Result<()> {
        enc.push(Header::Map(Some(2)))?;
        enc.text("__type", None)?;
        enc.text(&e.code, None)?;
        enc.text("message", None)?;
        enc.text(&e.message, None)
    })();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Schema {
        let model = r#"{
            "operations": {"Op": {"input": {"shape": "S"}, "output": {"shape": "S"}}, "Bare": {}},
            "shapes": {
                "S": {"type": "structure", "members": {
                    "Name": {"shape": "Str"}, "Count": {"shape": "Int"}, "Big": {"shape": "Long"},
                    "On": {"shape": "Bool"}, "Ratio": {"shape": "Dbl"}, "At": {"shape": "Time"},
                    "Data": {"shape": "Blob"}, "Names": {"shape": "Strs"},
                    "Tags": {"shape": "Tags"}, "Inner": {"shape": "S"}, "Doc": {"shape": "Doc"}}},
                "Str": {"type": "string"}, "Int": {"type": "integer"}, "Long": {"type": "long"},
                "Bool": {"type": "boolean"}, "Dbl": {"type": "double"},
                "Time": {"type": "timestamp"}, "Blob": {"type": "blob"},
                "Doc": {"type": "structure", "members": {}, "document": true},
                "Strs": {"type": "list", "member": {"shape": "Str"}},
                "Tags": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Str"}}
            }
        }"#;
        match Schema::from_botocore(model) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    fn cbor(v: &Cbor) -> Vec<u8> {
        let mut out = Vec::new();
        let _ = ciborium::ser::into_writer(v, &mut out);
        out
    }

    fn text(s: &str) -> Cbor {
        Cbor::Text(s.into())
    }

    #[test]
    fn documents_round_trip() {
        let doc = json!({
            "Name": "n", "Count": -3, "Big": 9000000000i64, "On": true, "Ratio": "NaN",
            "At": 946845296.123, "Data": "dmFsdWU=", "Names": ["a", "b"], "Tags": {"k": "v"},
            "Inner": {"Ratio": 0.5, "Names": []}, "Doc": {"any": [1, "x", null]}
        });
        let body = encode_response(&schema(), "Op", &doc);
        let back = decode_request(&schema(), "Op", &body);
        // NaN is the one value that is not equal to itself as a number; as a string it is.
        assert_eq!(back, Ok(doc));
        assert_eq!(
            encode_response(&schema(), "Bare", &json!({})),
            Vec::<u8>::new()
        );
        assert_eq!(decode_request(&schema(), "Op", b""), Ok(json!({})));
    }

    #[test]
    fn floats_and_timestamps_are_doubles() {
        let body = encode_response(&schema(), "Op", &json!({"At": 1, "Ratio": 1.5}));
        // {"Ratio": 1.5, "At": 1(1.0)}, in model order
        let mut want = vec![0xa2, 0x65, b'R', b'a', b't', b'i', b'o', 0xfb];
        want.extend(1.5f64.to_be_bytes());
        want.extend([0x62, b'A', b't', 0xc1, 0xfb]);
        want.extend(1.0f64.to_be_bytes());
        assert_eq!(body, want);
    }

    #[test]
    fn lenient_in_what_clients_may_send() {
        // Indefinite lengths, a half float, an untagged timestamp, nulls, unknown members.
        let body = [
            0xbf, 0x65, b'R', b'a', b't', b'i', b'o', 0xf9, 0x3e, 0x00, // Ratio: 1.5 (f16)
            0x62, b'A', b't', 0x1a, 0x00, 0x00, 0x00, 0x02, // At: 2
            0x64, b'N', b'a', b'm', b'e', 0x7f, 0x61, b'a', 0x61, b'b', 0xff, // Name: "a" "b"
            0x63, b'Z', b'z', b'z', 0xf6, // Zzz: null (unknown)
            0x65, b'N', b'a', b'm', b'e', b's', 0x9f, 0x61, b'x', 0xff, // Names: [_ "x"]
            0x64, b'T', b'a', b'g', b's', 0xa1, 0x61, b'k', 0xf6, // Tags: {k: null}
            0xff,
        ];
        assert_eq!(
            decode_request(&schema(), "Op", &body),
            Ok(json!({"Ratio": 1.5, "At": 2, "Name": "ab", "Names": ["x"], "Tags": {}}))
        );
    }

    #[test]
    fn bad_bodies_are_clear_errors() {
        let s = schema();
        let cases: Vec<Vec<u8>> = vec![
            vec![0xa1, 0x61],                                              // truncated
            vec![0xa0, 0x00],                                              // trailing bytes
            vec![0xff],                                                    // a lone break
            vec![0x1c],                                                    // reserved minor value
            [vec![0x81; 200], vec![0x00]].concat(),                        // nested too deep
            cbor(&Cbor::Array(vec![])),                                    // not a map
            cbor(&Cbor::Map(vec![(Cbor::Integer(1.into()), Cbor::Null)])), // non-text key
            cbor(&Cbor::Map(vec![(text("Count"), text("3"))])),
            cbor(&Cbor::Map(vec![(
                text("Count"),
                Cbor::Integer(3_000_000_000u64.into()),
            )])),
            cbor(&Cbor::Map(vec![(text("Data"), text("dmFsdWU="))])),
            cbor(&Cbor::Map(vec![(
                text("At"),
                Cbor::Tag(1, Box::new(text("now"))),
            )])),
            cbor(&Cbor::Map(vec![(text("Names"), Cbor::Map(vec![]))])),
            cbor(&Cbor::Map(vec![(
                text("Inner"),
                Cbor::Map(vec![(text("On"), Cbor::Integer(1.into()))]),
            )])),
        ];
        for body in cases {
            let e = decode_request(&s, "Op", &body).map_err(AwsError::from);
            assert!(
                matches!(&e, Err(e) if e.code == "SerializationException" && e.status == 400),
                "{body:x?}: {e:?}"
            );
        }
        let e = AwsError::from(
            decode_request(&s, "Nope", b"")
                .err()
                .unwrap_or(CborError::Schema("ok".into())),
        );
        assert_eq!(e.code, "UnknownOperationException");
    }

    #[test]
    fn errors_are_cbor_maps() {
        let body = error_body(&AwsError::client("ThrottlingException", "slow down"));
        let v: Result<Cbor, _> = ciborium::de::from_reader(&body[..]);
        assert_eq!(
            v.ok(),
            Some(Cbor::Map(vec![
                (text("__type"), text("ThrottlingException")),
                (text("message"), text("slow down")),
            ]))
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = decode_request(&schema(), "Op", &body);
        }

        #[test]
        fn arbitrary_maps_of_known_members_never_panic(
            body in proptest::collection::vec(
                proptest::sample::select(vec![
                    0xa1u8, 0xbf, 0xff, 0x9f, 0x81, 0x80, 0xc1, 0xf9, 0xfa, 0xfb, 0xf6, 0xf5, 0x00,
                    0x1a, 0x3b, 0x40, 0x60, 0x61, 0x7f, 0x64, b'N', b'a', b'm', b'e', b's', 0x62,
                    b'A', b't', 0x65, b'C', b'o', b'u', b'n', b't',
                ]),
                0..96,
            )
        ) {
            let _ = decode_request(&schema(), "Op", &body);
        }
    }
}
