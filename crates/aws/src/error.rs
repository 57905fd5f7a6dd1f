//! The one error every service's errors become; rendered once per protocol ([`crate::protocol`]).

use berth_commit::CommitError;

/// An AWS error: its code (`__type` in JSON, `Code` in XML), HTTP status and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// A staged write refused rather than wait for the writer lock (never sent to a client:
    /// the server runs the call again where it may wait).
    busy: bool,
}

impl AwsError {
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        AwsError {
            status,
            code: code.into(),
            message: message.into(),
            busy: false,
        }
    }

    /// A client mistake (400).
    pub fn client(code: impl Into<String>, message: impl Into<String>) -> Self {
        AwsError::new(400, code, message)
    }

    /// A fault on Berth's side (500, `ServiceUnavailableException`'s cousin every JSON
    /// service knows: `InternalFailure`).
    pub fn server(message: impl Into<String>) -> Self {
        AwsError::new(500, "InternalFailure", message)
    }

    pub fn busy() -> Self {
        AwsError {
            busy: true,
            ..AwsError::new(503, "ServiceUnavailableException", "The writer is busy.")
        }
    }

    /// Whether this is [`AwsError::busy`].
    pub fn is_busy(&self) -> bool {
        self.busy
    }

    /// The request names an operation the service does not have.
    pub fn unknown_operation(what: &str) -> Self {
        AwsError::client(
            "UnknownOperationException",
            format!("Unknown operation {what}"),
        )
    }

    /// The body is not what the protocol expects.
    pub fn serialization(message: impl Into<String>) -> Self {
        AwsError::client("SerializationException", message)
    }

    /// Whether the client is at fault (AWS Query's `<Type>Sender</Type>`).
    pub fn is_sender_fault(&self) -> bool {
        self.status < 500
    }
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for AwsError {}

impl From<CommitError> for AwsError {
    fn from(e: CommitError) -> Self {
        match e {
            CommitError::Busy => AwsError::busy(),
            other => AwsError::server(other.to_string()),
        }
    }
}
