//! What the codecs share about the JSON document a service handles: how numbers that JSON
//! cannot hold, timestamps and blobs stand in it (as the AWS JSON protocols carry them).

use base64::Engine;
use serde_json::{Number, Value};

/// A float as the JSON document holds it: a number, or `"NaN"`, `"Infinity"`, `"-Infinity"`.
pub(crate) fn float(f: f64) -> Value {
    match Number::from_f64(f) {
        Some(n) => Value::Number(n),
        None if f.is_nan() => Value::String("NaN".into()),
        None if f > 0.0 => Value::String("Infinity".into()),
        None => Value::String("-Infinity".into()),
    }
}

/// The float a document value stands for (see [`float`]).
pub(crate) fn as_float(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

/// Epoch seconds as the document holds a timestamp: an integer when whole.
pub(crate) fn epoch(seconds: f64) -> Value {
    if seconds.fract() == 0.0 && seconds.abs() < 9.0e15 {
        Value::from(seconds as i64)
    } else {
        float(seconds)
    }
}

/// Blobs are base64 text in the document, as in the JSON protocols.
pub(crate) const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    BASE64.decode(text).ok()
}

pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

/// `parent.name` (or `name` at the top): where a value stands, for error messages.
pub(crate) fn path(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_floats_are_strings() {
        for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.5] {
            let back = as_float(&float(f));
            assert!(back.is_some_and(|b| b == f || (b.is_nan() && f.is_nan())));
        }
        assert_eq!(epoch(1422172800.0), Value::from(1422172800i64));
        assert_eq!(epoch(946845296.123), Value::from(946845296.123));
    }
}
