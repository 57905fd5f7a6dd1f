//! AWS JSON 1.0 / 1.1: answers are the JSON document; errors are `{"__type", "message"}`
//! with the error's status and an `x-amzn-ErrorType` header.

use serde::de::DeserializeOwned;

use crate::model::Validate;
use crate::AwsError;

/// Why a request body was refused before its handler ran.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Not a JSON object, too deeply nested, or a member of the wrong JSON type
    /// (`SerializationException` in every JSON service).
    #[error("{0}")]
    Serialization(String),
    /// The model's constraints are violated; the message lists every violation (each
    /// service answers it with its own parameter-error type).
    #[error("{0}")]
    Invalid(String),
}

/// No AWS shape nests anywhere near this deep; deeper bodies are refused before parsing.
pub const MAX_NESTING: usize = 64;

/// Parses a request body into its generated shape and checks the model's constraints.
/// An empty body is an empty object. Bodies are size-limited before they reach here.
pub fn parse<Req: DeserializeOwned + Validate>(body: &[u8]) -> Result<Req, BodyError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        body
    };
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(BodyError::Serialization(
            "The request body must be a JSON object.".into(),
        ));
    }
    if nesting_depth(body) > MAX_NESTING {
        return Err(BodyError::Serialization(format!(
            "The request body nests deeper than {MAX_NESTING} levels."
        )));
    }
    let req: Req = serde_json::from_slice(body).map_err(|e| {
        BodyError::Serialization(match e.classify() {
            serde_json::error::Category::Data => format!("Invalid request: {e}"),
            _ => format!("The request body is not valid JSON: {e}"),
        })
    })?;
    let violations = req.violations();
    if !violations.is_empty() {
        return Err(BodyError::Invalid(format!(
            "{} validation error{} detected: {}",
            violations.len(),
            if violations.len() == 1 { "" } else { "s" },
            violations.join("; ")
        )));
    }
    Ok(req)
}

/// The deepest nesting of arrays and objects in a JSON text (strings skipped).
fn nesting_depth(body: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// The body of an error answer.
pub fn error_body(e: &AwsError) -> Vec<u8> {
    serde_json::json!({ "__type": e.code, "message": e.message })
        .to_string()
        .into_bytes()
}

/// The headers of an error answer besides the content type: `x-amzn-ErrorType`, and for a
/// service that is also served over AWS Query (`awsQueryCompatible`, CloudWatch)
/// `x-amzn-query-error: <Code>;<Sender|Receiver>`.
pub fn error_headers(e: &AwsError, query_compatible: bool) -> Vec<(&'static str, String)> {
    let mut h = vec![("x-amzn-ErrorType", e.code.clone())];
    if query_compatible {
        let fault = if e.is_sender_fault() {
            "Sender"
        } else {
            "Receiver"
        };
        h.push(("x-amzn-query-error", format!("{};{fault}", e.code)));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_the_type_and_message() {
        let e = AwsError::client(
            "ResourceNotFoundException",
            "The specified log group does not exist.",
        );
        let body: serde_json::Value = serde_json::from_slice(&error_body(&e)).unwrap_or_default();
        assert_eq!(body["__type"], "ResourceNotFoundException");
        assert_eq!(body["message"], "The specified log group does not exist.");
        assert_eq!(
            error_headers(&e, true),
            vec![
                ("x-amzn-ErrorType", "ResourceNotFoundException".to_owned()),
                (
                    "x-amzn-query-error",
                    "ResourceNotFoundException;Sender".to_owned()
                )
            ]
        );
    }
}
