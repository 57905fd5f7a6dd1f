//! AWS JSON 1.0 / 1.1: answers are the JSON document; errors are `{"__type", "message"}`
//! with the error's status and an `x-amzn-ErrorType` header.

use crate::AwsError;

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
