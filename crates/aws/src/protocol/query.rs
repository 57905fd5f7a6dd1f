//! AWS Query (form-encoded requests, XML answers): errors as `<ErrorResponse>`.

use quick_xml::escape::escape;

use crate::AwsError;

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

    #[test]
    fn errors_are_escaped_xml() {
        let e = AwsError::client("ValidationError", "a < b & \"c\"");
        let xml = error_body(&e, "r-1");
        assert!(xml.contains("<Type>Sender</Type><Code>ValidationError</Code>"));
        assert!(xml.contains("<Message>a &lt; b &amp; &quot;c&quot;</Message>"));
    }
}
