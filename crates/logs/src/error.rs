//! The errors a Logs operation answers with: each variant one exception of the model.

use berth_aws::AwsError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LogsError {
    #[error("{0}")]
    InvalidParameter(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    ResourceAlreadyExists(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    OperationAborted(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    UnrecognizedClient(String),
    #[error("{0}")]
    InvalidOperation(String),
    #[error("{0}")]
    DataAlreadyAccepted(String),
    /// The body is not JSON, or a member has the wrong JSON type.
    #[error("{0}")]
    Serialization(String),
    /// A real fault on Berth's side; nothing was changed.
    #[error("{0}")]
    Service(String),
    /// A staged write found the writer busy (never answered: the server runs it again).
    #[error("The writer is busy.")]
    Busy,
}

impl LogsError {
    pub fn code(&self) -> &'static str {
        match self {
            LogsError::InvalidParameter(_) => "InvalidParameterException",
            LogsError::ResourceNotFound(_) => "ResourceNotFoundException",
            LogsError::ResourceAlreadyExists(_) => "ResourceAlreadyExistsException",
            LogsError::LimitExceeded(_) => "LimitExceededException",
            LogsError::OperationAborted(_) => "OperationAbortedException",
            LogsError::Validation(_) => "ValidationException",
            LogsError::UnrecognizedClient(_) => "UnrecognizedClientException",
            LogsError::InvalidOperation(_) => "InvalidOperationException",
            LogsError::DataAlreadyAccepted(_) => "DataAlreadyAcceptedException",
            LogsError::Serialization(_) => "SerializationException",
            LogsError::Service(_) | LogsError::Busy => "ServiceUnavailableException",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            LogsError::Service(_) | LogsError::Busy => 500,
            _ => 400,
        }
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        LogsError::InvalidParameter(msg.into())
    }

    pub fn no_group() -> Self {
        LogsError::ResourceNotFound("The specified log group does not exist.".into())
    }

    pub fn no_stream() -> Self {
        LogsError::ResourceNotFound("The specified log stream does not exist.".into())
    }
}

impl From<berth_commit::CommitError> for LogsError {
    fn from(e: berth_commit::CommitError) -> Self {
        match e {
            berth_commit::CommitError::Busy => LogsError::Busy,
            other => LogsError::Service(other.to_string()),
        }
    }
}

impl From<std::io::Error> for LogsError {
    fn from(e: std::io::Error) -> Self {
        tracing::error!(error = %e, "log store failed");
        LogsError::Service("The log store could not complete the request.".into())
    }
}

impl From<LogsError> for AwsError {
    fn from(e: LogsError) -> Self {
        match e {
            LogsError::Busy => AwsError::busy(),
            e => AwsError::new(e.status(), e.code(), e.to_string()),
        }
    }
}

pub type Result<T, E = LogsError> = std::result::Result<T, E>;
