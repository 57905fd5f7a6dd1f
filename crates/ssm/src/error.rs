//! The errors a Parameter Store operation answers with: each variant one exception of the
//! SSM model.

use berth_aws::AwsError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SsmError {
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    ParameterNotFound(String),
    #[error("{0}")]
    ParameterAlreadyExists(String),
    #[error("{0}")]
    ParameterVersionNotFound(String),
    #[error("{0}")]
    ParameterMaxVersionLimitExceeded(String),
    #[error("{0}")]
    ParameterVersionLabelLimitExceeded(String),
    #[error("{0}")]
    ParameterPatternMismatch(String),
    #[error("{0}")]
    InvalidAllowedPattern(String),
    #[error("{0}")]
    HierarchyLevelLimitExceeded(String),
    #[error("{0}")]
    UnsupportedParameterType(String),
    #[error("{0}")]
    InvalidFilterKey(String),
    #[error("{0}")]
    InvalidFilterOption(String),
    #[error("{0}")]
    InvalidFilterValue(String),
    #[error("{0}")]
    InvalidNextToken(String),
    #[error("{0}")]
    InvalidResourceId(String),
    #[error("{0}")]
    InvalidResourceType(String),
    #[error("{0}")]
    TooManyTags(String),
    /// The body is not JSON, or a member has the wrong JSON type.
    #[error("{0}")]
    Serialization(String),
    /// An operation of the model Berth does not answer yet.
    #[error("{0}")]
    NotYet(String),
    /// A real fault on Berth's side; nothing was changed.
    #[error("{0}")]
    Internal(String),
    /// A staged write found the writer busy (never answered: the server runs it again).
    #[error("The writer is busy.")]
    Busy,
}

impl SsmError {
    pub fn code(&self) -> &'static str {
        match self {
            SsmError::Validation(_) => "ValidationException",
            SsmError::ParameterNotFound(_) => "ParameterNotFound",
            SsmError::ParameterAlreadyExists(_) => "ParameterAlreadyExists",
            SsmError::ParameterVersionNotFound(_) => "ParameterVersionNotFound",
            SsmError::ParameterMaxVersionLimitExceeded(_) => "ParameterMaxVersionLimitExceeded",
            SsmError::ParameterVersionLabelLimitExceeded(_) => "ParameterVersionLabelLimitExceeded",
            SsmError::ParameterPatternMismatch(_) => "ParameterPatternMismatchException",
            SsmError::InvalidAllowedPattern(_) => "InvalidAllowedPatternException",
            SsmError::HierarchyLevelLimitExceeded(_) => "HierarchyLevelLimitExceededException",
            SsmError::UnsupportedParameterType(_) => "UnsupportedParameterType",
            SsmError::InvalidFilterKey(_) => "InvalidFilterKey",
            SsmError::InvalidFilterOption(_) => "InvalidFilterOption",
            SsmError::InvalidFilterValue(_) => "InvalidFilterValue",
            SsmError::InvalidNextToken(_) => "InvalidNextToken",
            SsmError::InvalidResourceId(_) => "InvalidResourceId",
            SsmError::InvalidResourceType(_) => "InvalidResourceType",
            SsmError::TooManyTags(_) => "TooManyTagsError",
            SsmError::Serialization(_) => "SerializationException",
            SsmError::NotYet(_) => "UnsupportedOperationException",
            SsmError::Internal(_) | SsmError::Busy => "InternalServerError",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            SsmError::Internal(_) | SsmError::Busy => 500,
            _ => 400,
        }
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        SsmError::Validation(msg.into())
    }

    pub fn not_found(name: &str) -> Self {
        SsmError::ParameterNotFound(format!("Parameter {name} not found."))
    }
}

impl From<berth_commit::CommitError> for SsmError {
    fn from(e: berth_commit::CommitError) -> Self {
        match e {
            berth_commit::CommitError::Busy => SsmError::Busy,
            other => SsmError::Internal(other.to_string()),
        }
    }
}

impl From<berth_sealing::SealError> for SsmError {
    fn from(e: berth_sealing::SealError) -> Self {
        // Which key or why goes to the log, not to the caller.
        tracing::error!(error = %e, "sealing a SecureString failed");
        SsmError::Internal("The SecureString value could not be sealed or opened.".into())
    }
}

impl From<SsmError> for AwsError {
    fn from(e: SsmError) -> Self {
        match e {
            SsmError::Busy => AwsError::busy(),
            e => AwsError::new(e.status(), e.code(), e.to_string()),
        }
    }
}

pub type Result<T, E = SsmError> = std::result::Result<T, E>;
